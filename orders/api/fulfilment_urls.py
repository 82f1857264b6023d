"""Staff: the pick list, fulfilment steps and click and collect (orders.api.fulfilment_views)."""

from django.urls import path

from orders.api import fulfilment_views as views

urlpatterns = [
    path(
        "staff/fulfilments/",
        views.StaffFulfilmentListApi.as_view(),
        name="staff-fulfilment-list",
    ),
    path(
        "staff/fulfilments/<int:pk>/start/",
        views.StaffFulfilmentStartApi.as_view(),
        name="staff-fulfilment-start",
    ),
    path(
        "staff/fulfilments/<int:pk>/pack/",
        views.StaffFulfilmentPackApi.as_view(),
        name="staff-fulfilment-pack",
    ),
    path(
        "staff/fulfilments/<int:pk>/ship/",
        views.StaffFulfilmentShipApi.as_view(),
        name="staff-fulfilment-ship",
    ),
    path(
        "staff/fulfilments/<int:pk>/deliver/",
        views.StaffFulfilmentDeliverApi.as_view(),
        name="staff-fulfilment-deliver",
    ),
    path(
        "staff/orders/<str:number>/ready-for-pickup/",
        views.StaffOrderReadyForPickupApi.as_view(),
        name="staff-order-ready-for-pickup",
    ),
    path(
        "staff/orders/<str:number>/collect/",
        views.StaffOrderCollectApi.as_view(),
        name="staff-order-collect",
    ),
    path("staff/pickups/", views.StaffPickupListApi.as_view(), name="staff-pickup-list"),
]
