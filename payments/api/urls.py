from django.urls import path

from payments import views_links
from payments.api import views

urlpatterns = [
    path("orders/<str:number>/payments/", views.OrderPaymentsApi.as_view(), name="order-payments"),
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
    path(
        "staff/payment-links/",
        views_links.PaymentLinkCreateApi.as_view(),
        name="staff-payment-links",
    ),
]
