from django.urls import path

from customers.api import views

urlpatterns = [
    path("me/consents/", views.MyConsentsApi.as_view(), name="me-consents"),
]
