"""The header's cart count is what the cart holds now, wherever it was changed: on this web
session, in the app (the customer's one cart), or emptied by an order."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from catalog import services as catalog_services
from orders.models import Cart
from tests import factories as f
from tests.orders.api_support import signed_in, url

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'data-testid="cart-count">(\d+)<')


def header_count(client: Client, path: str = "/tr/") -> int | None:
    """The number in the header's cart badge; None when there is no badge (an empty cart)."""
    response = client.get(path)
    assert response.status_code == 200
    found = BADGE.search(response.content.decode())
    return int(found[1]) if found else None


def sold_in_the_app(shop, *products):
    app = f.ChannelFactory(code="app", name="App", kind="app")
    f.sells_from(app, shop.dc)
    for product in products:
        catalog_services.prices_set(
            channel=app,
            changes=[
                catalog_services.PriceChange(v.pk, v.channel_prices.get().price, None)
                for v in product.variants.all()
            ],
        )
        catalog_services.product_listing_set(product=product, channel=app, is_published=True)
    return app


def test_a_change_made_in_the_app_shows_on_the_next_web_page(shop):
    first, second = shop.variant(shop.products[0]), shop.variant(shop.products[1])
    sold_in_the_app(shop, *shop.products)
    user, app = signed_in()
    web = Client()
    web.force_login(user)
    web.post("/tr/cart/add/", {"sku": first.sku, "quantity": 1})
    assert header_count(web) == 1

    added = app.post(url("cart/lines/", "app"), {"sku": second.sku, "quantity": 2})
    assert added.status_code == 201, added.content
    assert header_count(web) == 3
    assert header_count(web, f"/en/p/{shop.products[0].slug}/") == 3  # every page, any language

    line = Cart.objects.get(customer__user=user).lines.get(variant=first)
    removed = app.delete(url(f"cart/lines/{line.pk}/", "app"))
    assert removed.status_code == 200 and removed.json()["item_count"] == 2
    assert header_count(web) == 2
    line = Cart.objects.get(customer__user=user).lines.get()
    app.delete(url(f"cart/lines/{line.pk}/", "app"))
    assert header_count(web) is None


def test_a_guests_count_follows_the_cart(shop):
    variant = shop.variant(shop.products[0])
    guest = Client()
    assert header_count(guest) is None
    guest.post("/tr/cart/add/", {"sku": variant.sku, "quantity": 2})
    guest.post("/tr/cart/add/", {"sku": variant.sku, "quantity": 1})
    assert header_count(guest) == 3
    assert header_count(guest, "/tr/cart/") == 3  # the cart page's own reading

    cart = Cart.objects.get(token=guest.session["storefront_cart"])
    cart.status = Cart.Status.ABANDONED  # closed elsewhere (an order, the clean-up)
    cart.save(update_fields=["status"])
    assert header_count(guest) is None
