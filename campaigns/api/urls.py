"""The campaigns API, under /api/v1/: promotion codes on the shopper's cart and, for staff, on a
customer's cart."""

from django.urls import path

from campaigns.api import cart_views

urlpatterns = [
    path("cart/codes/", cart_views.CartCodeListApi.as_view(), name="cart-codes"),
    path("cart/codes/<str:code>/", cart_views.CartCodeDetailApi.as_view(), name="cart-code"),
    path(
        "staff/customers/<int:customer_id>/cart/codes/",
        cart_views.StaffCartCodeListApi.as_view(),
        name="staff-cart-codes",
    ),
    path(
        "staff/customers/<int:customer_id>/cart/codes/<str:code>/",
        cart_views.StaffCartCodeDetailApi.as_view(),
        name="staff-cart-code",
    ),
]
