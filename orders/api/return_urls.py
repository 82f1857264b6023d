"""Returns and exchanges: the shopper's own (under their orders) and the staff's."""

from django.urls import path

from orders.api import return_views as views

urlpatterns = [
    path("orders/<str:number>/returns/", views.OrderReturnsApi.as_view(), name="order-returns"),
    path("returns/<int:pk>/", views.ReturnDetailApi.as_view(), name="return-detail"),
    path("returns/<int:pk>/cancel/", views.ReturnCancelApi.as_view(), name="return-cancel"),
    path("staff/returns/", views.StaffReturnCreateApi.as_view(), name="staff-return-create"),
    path(
        "staff/returns/<int:pk>/receive/",
        views.StaffReturnReceiveApi.as_view(),
        name="staff-return-receive",
    ),
    path(
        "staff/returns/<int:pk>/refund/",
        views.StaffReturnRefundApi.as_view(),
        name="staff-return-refund",
    ),
    path(
        "staff/returns/<int:pk>/reject/",
        views.StaffReturnRejectApi.as_view(),
        name="staff-return-reject",
    ),
    path(
        "staff/returns/<int:pk>/drop-exchange/",
        views.StaffReturnDropExchangeApi.as_view(),
        name="staff-return-drop-exchange",
    ),
]
