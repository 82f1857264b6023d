"""sitemap.xml: the home page, the categories and the products published on the web channel,
in Turkish and English (with hreflang alternates). omni/urls.py includes `urlpatterns` at the
root, outside the language prefix (/sitemap.xml, named "sitemap")."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.urls import path, reverse

from storefront import selectors


class StorefrontSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class HomeSitemap(StorefrontSitemap):
    priority = 1.0
    changefreq = "daily"

    def items(self):
        return ["storefront:home"]

    def location(self, item):
        return reverse(item)


class CategorySitemap(StorefrontSitemap):
    priority = 0.7
    changefreq = "daily"

    def items(self):
        return selectors.sitemap_categories()

    def location(self, item):
        return reverse("storefront:category", args=[item.slug])


class ProductSitemap(StorefrontSitemap):
    priority = 0.8
    changefreq = "daily"
    limit = 5000

    def items(self):
        return selectors.sitemap_products()

    def location(self, item):
        return reverse("storefront:product", args=[item.slug])

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {"home": HomeSitemap, "categories": CategorySitemap, "products": ProductSitemap}

urlpatterns = [path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap")]
