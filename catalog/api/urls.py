from django.urls import path

from catalog.api import views

urlpatterns = [
    path("categories/", views.CategoryTreeApi.as_view(), name="category-tree"),
    path("products/", views.ProductListApi.as_view(), name="product-list"),
    path("search/suggestions/", views.SuggestionsApi.as_view(), name="search-suggestions"),
    path("products/<slug:slug>/", views.ProductDetailApi.as_view(), name="product-detail"),
    path("admin/products/", views.MerchantProductListApi.as_view(), name="merchant-product-list"),
    path(
        "admin/products/<int:pk>/",
        views.MerchantProductDetailApi.as_view(),
        name="merchant-product-detail",
    ),
    path(
        "admin/products/<int:pk>/variants/",
        views.MerchantVariantCreateApi.as_view(),
        name="merchant-variant-create",
    ),
    path(
        "admin/products/<int:pk>/listings/<slug:channel>/",
        views.MerchantListingApi.as_view(),
        name="merchant-listing",
    ),
    path(
        "admin/variants/<str:sku>/",
        views.MerchantVariantDetailApi.as_view(),
        name="merchant-variant-detail",
    ),
    path(
        "admin/variants/<str:sku>/prices/<slug:channel>/",
        views.MerchantVariantPriceApi.as_view(),
        name="merchant-variant-price",
    ),
    path(
        "admin/prices/bulk-adjust/",
        views.MerchantPriceBulkAdjustApi.as_view(),
        name="merchant-price-bulk-adjust",
    ),
]
