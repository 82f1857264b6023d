"""Pay-by-link: the shopper's page at /pay/<token>/ and the staff API under /api/v1/.

omni/urls.py includes `urlpatterns` at the root (namespace "payment-links") and
`api_urlpatterns` in the API's list."""

from django.urls import path

from payments import views_links as views

app_name = "payment-links"

urlpatterns = [
    path("pay/<str:token>/", views.link_page, name="page"),
    path("pay/<str:token>/return/", views.link_return, name="return"),
    path("pay/<str:token>/done/", views.link_done, name="done"),
]

api_urlpatterns = [
    path(
        "staff/payment-links/",
        views.PaymentLinkCreateApi.as_view(),
        name="staff-payment-links",
    ),
]
