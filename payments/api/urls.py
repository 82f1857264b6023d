from django.urls import path

from payments import views_links
from payments.api import gift_cards, views

urlpatterns = [
    path("orders/<str:number>/payments/", views.OrderPaymentsApi.as_view(), name="order-payments"),
    path(
        "orders/<str:number>/instalments/",
        views.OrderInstalmentsApi.as_view(),
        name="order-instalments",
    ),
    path("payments/<str:reference>/", views.PaymentDetailApi.as_view(), name="payment-detail"),
    path(
        "payments/<str:reference>/complete/",
        views.PaymentCompleteApi.as_view(),
        name="payment-complete",
    ),
    path(
        "staff/orders/<str:number>/payments/",
        views.StaffOrderPaymentsApi.as_view(),
        name="staff-order-payments",
    ),
    path(
        "staff/orders/<str:number>/refunds/",
        views.StaffRefundApi.as_view(),
        name="staff-order-refunds",
    ),
    path(
        "staff/customers/<int:customer_id>/store-credit/",
        views.StaffStoreCreditApi.as_view(),
        name="staff-store-credit",
    ),
    path("me/gift-cards/", gift_cards.MyGiftCardsApi.as_view(), name="me-gift-cards"),
    path("gift-cards/balance/", gift_cards.GiftCardBalanceApi.as_view(), name="gift-card-balance"),
    path("admin/gift-cards/", gift_cards.GiftCardAdminApi.as_view(), name="admin-gift-cards"),
    path(
        "staff/payment-links/",
        views_links.PaymentLinkCreateApi.as_view(),
        name="staff-payment-links",
    ),
]
