"""The orders API: carts, checkout and orders for shoppers and the app (cart_urls), fulfilment
and click-and-collect for staff (fulfilment_urls), returns and exchanges (return_urls)."""

from django.urls import include, path

urlpatterns = [
    path("", include("orders.api.cart_urls")),
    path("", include("orders.api.fulfilment_urls")),
    path("", include("orders.api.return_urls")),
]
