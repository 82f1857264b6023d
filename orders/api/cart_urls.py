"""Carts, saved items, checkout and orders for shoppers and the app, and the same for staff
acting on a customer's behalf (under staff/customers/<id>/)."""

from django.urls import path

from orders.api import agreement_views, cart_views

urlpatterns = [
    path("cart/", cart_views.CartApi.as_view(), name="cart"),
    path("cart/lines/", cart_views.CartLineListApi.as_view(), name="cart-lines"),
    path("cart/lines/<int:line_id>/", cart_views.CartLineDetailApi.as_view(), name="cart-line"),
    path("cart/refresh/", cart_views.CartRefreshApi.as_view(), name="cart-refresh"),
    path("cart/reserve/", cart_views.CartReserveApi.as_view(), name="cart-reserve"),
    path("saved-items/", cart_views.SavedItemListApi.as_view(), name="saved-items"),
    path("saved-items/<str:sku>/", cart_views.SavedItemDetailApi.as_view(), name="saved-item"),
    path(
        "saved-items/<str:sku>/move-to-cart/",
        cart_views.SavedItemMoveApi.as_view(),
        name="saved-item-move-to-cart",
    ),
    path(
        "checkout/delivery-options/",
        cart_views.DeliveryOptionsApi.as_view(),
        name="checkout-delivery-options",
    ),
    path("checkout/quote/", cart_views.CheckoutQuoteApi.as_view(), name="checkout-quote"),
    path("orders/", cart_views.OrderListApi.as_view(), name="orders"),
    path("orders/<str:number>/", cart_views.OrderDetailApi.as_view(), name="order"),
    path("orders/<str:number>/cancel/", cart_views.OrderCancelApi.as_view(), name="order-cancel"),
    path(
        "orders/<str:number>/agreements/",
        agreement_views.OrderAgreementsApi.as_view(),
        name="order-agreements",
    ),
    # staff on a customer's behalf
    path("staff/customers/", cart_views.StaffCustomerSearchApi.as_view(), name="staff-customers"),
    path(
        "staff/customers/<int:customer_id>/",
        cart_views.StaffCustomerDetailApi.as_view(),
        name="staff-customer",
    ),
    path(
        "staff/customers/<int:customer_id>/cart/",
        cart_views.StaffCartApi.as_view(),
        name="staff-cart",
    ),
    path(
        "staff/customers/<int:customer_id>/cart/lines/",
        cart_views.StaffCartLineListApi.as_view(),
        name="staff-cart-lines",
    ),
    path(
        "staff/customers/<int:customer_id>/cart/lines/<int:line_id>/",
        cart_views.StaffCartLineDetailApi.as_view(),
        name="staff-cart-line",
    ),
    path(
        "staff/customers/<int:customer_id>/cart/refresh/",
        cart_views.StaffCartRefreshApi.as_view(),
        name="staff-cart-refresh",
    ),
    path(
        "staff/customers/<int:customer_id>/cart/reserve/",
        cart_views.StaffCartReserveApi.as_view(),
        name="staff-cart-reserve",
    ),
    path(
        "staff/customers/<int:customer_id>/checkout/delivery-options/",
        cart_views.StaffDeliveryOptionsApi.as_view(),
        name="staff-checkout-delivery-options",
    ),
    path(
        "staff/customers/<int:customer_id>/checkout/quote/",
        cart_views.StaffCheckoutQuoteApi.as_view(),
        name="staff-checkout-quote",
    ),
    path(
        "staff/customers/<int:customer_id>/orders/",
        cart_views.StaffOrderCreateApi.as_view(),
        name="staff-customer-orders",
    ),
]
