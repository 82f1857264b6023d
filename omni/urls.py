from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from omni.health import healthz

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("sales_channels.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("campaigns.api.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's set-up script as a file (?script): no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("accounts/", include("accounts.urls")),
    path("staff/", include("staff.urls")),  # the store staff's screens
    path("payments/", include("payments.urls")),
    path("", include("payments.urls_links")),  # /pay/<token>/: pay-by-link
    path("i18n/", include("django.conf.urls.i18n")),
    path("feeds/", include("catalog.feeds")),
    path("", include("storefront.sitemaps")),  # /sitemap.xml
    # The storefront in the shopper's language (/tr/, /en/; "/" goes to the one they prefer).
    path("", RedirectView.as_view(pattern_name="storefront:home", permanent=False), name="home"),
]
urlpatterns += i18n_patterns(path("", include("storefront.urls")))

# Under /api/ these answer in the API's JSON error shape; elsewhere Django's own pages.
handler400 = "omni.api.exceptions.handler400"
handler403 = "omni.api.exceptions.handler403"
handler404 = "omni.api.exceptions.handler404"
handler500 = "omni.api.exceptions.handler500"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
