"""Carts, saved items, checkout and orders for shoppers and the app, and the same for staff
acting on a customer's behalf (under staff/customers/<id>/)."""

from django.urls import path

from orders.api import cart_views as v

urlpatterns = [
    path("cart/", v.CartApi.as_view(), name="cart"),
    path("cart/lines/", v.CartLineListApi.as_view(), name="cart-lines"),
    path("cart/lines/<int:line_id>/", v.CartLineDetailApi.as_view(), name="cart-line"),
    path("cart/refresh/", v.CartRefreshApi.as_view(), name="cart-refresh"),
    path("cart/reserve/", v.CartReserveApi.as_view(), name="cart-reserve"),
    path("saved-items/", v.SavedItemListApi.as_view(), name="saved-items"),
    path("saved-items/<str:sku>/", v.SavedItemDetailApi.as_view(), name="saved-item"),
    path(
        "saved-items/<str:sku>/move-to-cart/",
        v.SavedItemMoveApi.as_view(),
        name="saved-item-move-to-cart",
    ),
    path(
        "checkout/delivery-options/",
        v.DeliveryOptionsApi.as_view(),
        name="checkout-delivery-options",
    ),
    path("checkout/quote/", v.CheckoutQuoteApi.as_view(), name="checkout-quote"),
    path("orders/", v.OrderListApi.as_view(), name="orders"),
    path("orders/<str:number>/", v.OrderDetailApi.as_view(), name="order"),
    path("orders/<str:number>/cancel/", v.OrderCancelApi.as_view(), name="order-cancel"),
    # staff on a customer's behalf
    path("staff/customers/", v.StaffCustomerSearchApi.as_view(), name="staff-customers"),
    path(
        "staff/customers/<int:customer_id>/",
        v.StaffCustomerDetailApi.as_view(),
        name="staff-customer",
    ),
    path("staff/customers/<int:customer_id>/cart/", v.StaffCartApi.as_view(), name="staff-cart"),
    path(
        "staff/customers/<int:customer_id>/cart/lines/",
        v.StaffCartLineListApi.as_view(),
        name="staff-cart-lines",
    ),
    path(
        "staff/customers/<int:customer_id>/cart/lines/<int:line_id>/",
        v.StaffCartLineDetailApi.as_view(),
        name="staff-cart-line",
    ),
    path(
        "staff/customers/<int:customer_id>/cart/refresh/",
        v.StaffCartRefreshApi.as_view(),
        name="staff-cart-refresh",
    ),
    path(
        "staff/customers/<int:customer_id>/cart/reserve/",
        v.StaffCartReserveApi.as_view(),
        name="staff-cart-reserve",
    ),
    path(
        "staff/customers/<int:customer_id>/checkout/delivery-options/",
        v.StaffDeliveryOptionsApi.as_view(),
        name="staff-checkout-delivery-options",
    ),
    path(
        "staff/customers/<int:customer_id>/checkout/quote/",
        v.StaffCheckoutQuoteApi.as_view(),
        name="staff-checkout-quote",
    ),
    path(
        "staff/customers/<int:customer_id>/orders/",
        v.StaffOrderCreateApi.as_view(),
        name="staff-customer-orders",
    ),
]
