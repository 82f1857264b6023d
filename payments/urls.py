from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("webhooks/<slug:gateway_code>/", views.webhook, name="webhook"),
    path("return/<str:reference>/", views.payment_return, name="return"),
]
