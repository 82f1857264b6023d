"""The catalogue's pages: the home page, a category, the search and its suggestions, a
product."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from catalog import selectors as catalog_selectors
from catalog.models import Category
from omni.errors import NotFound
from storefront import forms, selectors
from storefront.views.shopper import _404


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    page = selectors.home_page(channel=request.channel)
    return render(request, "storefront/home.html", {"page": page})


def _listing(request: HttpRequest, *, category: Category | None, template: str, extra: dict):
    listing = selectors.product_listing(
        channel=request.channel,
        request=request,
        data=request.GET,
        category=category,
        page_number=request.GET.get("page") or 1,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"listing": listing, "category": category, "query": query.urlencode(), **extra}
    return render(request, template, context)


@require_GET
def category_view(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug, is_active=True)
    crumbs = [*Category.objects.get_ancestors(category), category]
    return _listing(
        request, category=category, template="storefront/listing.html", extra={"crumbs": crumbs}
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    return _listing(request, category=None, template="storefront/listing.html", extra={})


@require_GET
def search_suggestions(request: HttpRequest) -> HttpResponse:
    """The header's suggestions as the shopper types (htmx swaps them under the box)."""
    q = request.GET.get("q", "")[:100]
    products = catalog_selectors.product_suggestions(channel=request.channel, query=q)
    return render(
        request, "storefront/partials/suggestions.html", {"products": products, "q": q.strip()}
    )


@require_GET
def product_view(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        page = selectors.product_page(
            channel=request.channel,
            slug=slug,
            sku=request.GET.get("sku", ""),
            city=request.GET.get("city", "").strip()[:80],
        )
    except NotFound as error:
        raise _404(error) from None
    if request.headers.get("HX-Request") and request.GET.get("part") == "stores":
        return render(request, "storefront/partials/stores.html", {"page": page})
    return render(
        request,
        "storefront/product.html",
        {
            "page": page,
            "form": forms.AddToCartForm(
                initial={"sku": page.selected.sku if page.selected else ""}
            ),
            "structured_data": _product_ld(request, page),
        },
    )


def _product_ld(request: HttpRequest, page: selectors.ProductPage) -> str:
    """schema.org Product with one Offer per variant (https://schema.org/Product)."""
    product = page.product
    url = request.build_absolute_uri(reverse("storefront:product", args=[product.slug]))
    availability = {
        "in_stock": "https://schema.org/InStock",
        "low": "https://schema.org/LimitedAvailability",
        "out": "https://schema.org/OutOfStock",
    }
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description,
        "sku": page.selected.sku if page.selected else "",
        "url": url,
        "image": [request.build_absolute_uri(i.image.url) for i in product.images.all()],
        "brand": {"@type": "Brand", "name": product.brand.name} if product.brand else None,
        "offers": [
            {
                "@type": "Offer",
                "sku": v.sku,
                "name": v.name,
                "price": str(v.pays),
                "priceCurrency": v.currency,
                "availability": availability[v.state],
                "url": f"{url}?sku={v.sku}",
            }
            for v in page.variants
        ],
    }
    return json.dumps({k: v for k, v in data.items() if v not in (None, "", [])})


# --- cart -----------------------------------------------------------------------------------
