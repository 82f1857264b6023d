"""The campaigns API, under /api/v1/: promotion codes on the shopper's cart and, for staff, on a
customer's cart; the merchant's promotions (admin/promotions/)."""

from django.urls import path

from campaigns.api import cart_views, promotion_views

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
    path("admin/promotions/", promotion_views.PromotionListApi.as_view(), name="promotion-list"),
    path(
        "admin/promotions/preview/",
        promotion_views.PromotionPreviewApi.as_view(),
        name="promotion-preview",
    ),
    path(
        "admin/promotions/<int:promotion_id>/",
        promotion_views.PromotionDetailApi.as_view(),
        name="promotion-detail",
    ),
    path(
        "admin/promotions/<int:promotion_id>/pause/",
        promotion_views.PromotionPauseApi.as_view(),
        name="promotion-pause",
    ),
    path(
        "admin/promotions/<int:promotion_id>/resume/",
        promotion_views.PromotionResumeApi.as_view(),
        name="promotion-resume",
    ),
    path(
        "admin/promotions/<int:promotion_id>/schedule/",
        promotion_views.PromotionScheduleApi.as_view(),
        name="promotion-schedule",
    ),
    path(
        "admin/promotions/<int:promotion_id>/copy/",
        promotion_views.PromotionCopyApi.as_view(),
        name="promotion-copy",
    ),
    path(
        "admin/promotions/<int:promotion_id>/codes/",
        promotion_views.PromotionCodesApi.as_view(),
        name="promotion-codes",
    ),
    path(
        "admin/promotions/<int:promotion_id>/batches/",
        promotion_views.PromotionBatchesApi.as_view(),
        name="promotion-batches",
    ),
    path(
        "admin/promotions/<int:promotion_id>/batches/<int:batch_id>/codes.csv",
        promotion_views.PromotionBatchCsvApi.as_view(),
        name="promotion-batch-csv",
    ),
]
