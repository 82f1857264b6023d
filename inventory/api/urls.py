from django.urls import path

from inventory.api import views

urlpatterns = [
    path("availability/", views.AvailabilityApi.as_view(), name="availability"),
    path(
        "availability/stores/",
        views.StoreAvailabilityApi.as_view(),
        name="availability-stores",
    ),
    path(
        "admin/inventory/route-preview/",
        views.RoutePreviewApi.as_view(),
        name="inventory-route-preview",
    ),
    path("admin/inventory/stock/", views.StockListApi.as_view(), name="inventory-stock-list"),
    path("admin/inventory/receive/", views.StockReceiveApi.as_view(), name="inventory-receive"),
    path("admin/inventory/adjust/", views.StockAdjustApi.as_view(), name="inventory-adjust"),
    path("admin/inventory/count/", views.StockCountApi.as_view(), name="inventory-count"),
    path(
        "admin/inventory/external-movements/",
        views.ExternalMovementApi.as_view(),
        name="inventory-external-movement",
    ),
    path(
        "admin/inventory/transfers/",
        views.TransferListApi.as_view(),
        name="inventory-transfer-list",
    ),
    path(
        "admin/inventory/transfers/<int:pk>/ship/",
        views.TransferShipApi.as_view(),
        name="inventory-transfer-ship",
    ),
    path(
        "admin/inventory/transfers/<int:pk>/receive/",
        views.TransferReceiveApi.as_view(),
        name="inventory-transfer-receive",
    ),
    path(
        "admin/inventory/transfers/<int:pk>/cancel/",
        views.TransferCancelApi.as_view(),
        name="inventory-transfer-cancel",
    ),
]
