"""Every page renders on the web channel, escapes what it shows, and runs a number of queries
that does not grow with the number of products, variants, lines or orders."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.queries import assert_num_queries, cache_as_in_production
from tests.storefront.support import add_product

pytestmark = pytest.mark.django_db


def get(client, url: str, queries: int) -> None:
    """GET the page, warm (the session and the per-process caches), in exactly `queries`."""
    client.get(url)
    with assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]


def more_products(shop, n: int = 8, variants: int = 6) -> None:
    from catalog.models import AttributeValue

    colours = list(AttributeValue.objects.filter(attribute__code="renk").order_by("slug"))
    sizes = list(AttributeValue.objects.filter(attribute__code="beden").order_by("sort_order"))
    for i in range(n):
        shop.products.append(
            add_product(shop, n=100 + i, variants=variants, stock=5, colours=colours, sizes=sizes)
        )


def test_root_redirects_to_the_storefront_in_the_preferred_language(client, shop):
    assert client.get("/").headers["Location"] == "/tr/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en").headers["Location"] == "/en/"


def test_home_shows_products_and_categories(client, shop):
    response = client.get("/tr/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Keten Elbise 0" in body and "/tr/c/kadin/" in body
    assert "<title>" in body and 'name="description"' in body


def test_the_benchmarks_pages_run_the_same_queries_for_few_and_many_products(settings, shop):
    """The pages bench/storefront.py measures, as it does (a guest with three items in the cart,
    production's caches), with the figures the README quotes."""
    cache_as_in_production(settings)
    client = Client()
    for product in shop.products[:3]:
        client.post("/tr/cart/add/", {"sku": shop.variant(product).sku, "quantity": 1})
    for grow in (0, 30):
        more_products(shop, n=grow)
        # Each +1 for the header's cart count, read from the cart (7, 9, 10 before); the cart
        # page hands over the count it read and no longer writes it into the session (8 before).
        get(client, "/tr/", 8)
        get(client, "/tr/c/kadin/", 10)
        get(client, f"/tr/p/{shop.products[-1].slug}/", 11)
        get(client, "/tr/cart/", 5)


def test_home_queries_do_not_grow(client, shop):
    get(client, "/tr/", 7)
    more_products(shop)
    get(client, "/tr/", 7)


def test_listing_filters_sorts_and_pages(client, shop):
    body = client.get("/tr/c/kadin/?attr=renk:kirmizi").content.decode()
    assert "Keten Elbise 1" in body and "Keten Elbise 0" not in body
    body = client.get("/tr/c/kadin/?ordering=-price").content.decode()
    assert body.index("Keten Elbise 1") < body.index("Keten Elbise 0")
    body = client.get("/tr/c/kadin/?price_max=105").content.decode()
    assert "Keten Elbise 0" in body and "Keten Elbise 1" not in body
    # facets: every colour of the category stays offered once one is chosen
    assert 'data-facet="renk:siyah"' in body and 'data-facet="renk:kirmizi"' in body


def test_listing_in_stock_and_pickup_filters(client, shop):
    from inventory import services as inventory

    sold_out = shop.products[0]
    for variant in sold_out.variants.all():
        inventory.stock_adjust(variant=variant, location=shop.dc, delta=-10, reason="damaged")
    body = client.get("/tr/c/kadin/?in_stock=1").content.decode()
    assert "Keten Elbise 1" in body and "Keten Elbise 0" not in body
    # still on a store's shelf: collectable there
    body = client.get(f"/tr/c/kadin/?store={shop.store.code}").content.decode()
    assert "Keten Elbise 0" in body and "Keten Elbise 1" in body


def test_listing_bad_filter_says_so_and_keeps_the_page(client, shop):
    response = client.get("/tr/c/kadin/?attr=nope")
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()


def test_listing_queries_do_not_grow(client, shop):
    url = "/tr/c/kadin/?attr=renk:siyah&in_stock=1&store=kadikoy&ordering=price"
    get(client, url, 10)
    more_products(shop, n=30)
    get(client, url, 10)


def test_search_finds_by_name_and_sku(client, shop):
    assert "Keten Elbise 1" in client.get("/tr/search/?q=elbise 1").content.decode()
    sku = shop.variant(shop.products[0]).sku
    body = client.get(f"/en/search/?q={sku}").content.decode()
    assert "Keten Elbise 0" in body


def test_search_queries_do_not_grow(client, shop):
    get(client, "/tr/search/?q=elbise", 8)
    more_products(shop, n=30)
    get(client, "/tr/search/?q=elbise", 8)


def test_product_page_shows_price_stock_stores_and_structured_data(client, shop):
    product = shop.products[1]  # on sale
    response = client.get(f"/tr/p/{product.slug}/?city=İstanbul")
    body = response.content.decode()
    assert response.status_code == 200
    assert "110,00\u00a0₺" in body and "210,00\u00a0₺" in body
    assert "Kadıköy Mağaza" in body and "Son 2 adet" in body  # the store holds 2
    assert "Stokta var" in body  # online: 10 at the distribution centre
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)[1]
    )
    assert data["@type"] == "Product" and data["offers"][0]["priceCurrency"] == "TRY"
    assert data["offers"][0]["price"] == "110.00"


def test_product_page_says_only_n_left(client, shop):
    from inventory import services as inventory

    product = shop.products[0]
    variant = shop.variant(product)
    inventory.stock_adjust(variant=variant, location=shop.dc, delta=-7, reason="damaged")
    body = client.get(f"/en/p/{product.slug}/?sku={variant.sku}").content.decode()
    assert "Only 3 left" in body


def test_product_page_queries_do_not_grow_with_variants(client, shop):
    get(client, f"/tr/p/{shop.products[0].slug}/", 11)
    more_products(shop, n=1, variants=8)
    get(client, f"/tr/p/{shop.products[-1].slug}/", 11)


def test_product_stores_part_for_htmx(client, shop):
    response = client.get(
        f"/tr/p/{shop.products[0].slug}/?part=stores&city=Ankara", HTTP_HX_REQUEST="true"
    )
    assert response.content.decode().lstrip().startswith('<ul id="stores"')


def test_unknown_product_is_404(client, shop):
    assert client.get("/tr/p/no-such-thing/").status_code == 404


def test_output_is_escaped(client, shop):
    from catalog.models import Product

    Product.objects.filter(pk=shop.products[0].pk).update(
        name_tr='<script>alert("x")</script></script>'
    )
    body = client.get(f"/tr/p/{shop.products[0].slug}/").content.decode()
    assert '<script>alert("x")' not in body
    assert "&lt;script&gt;" in body
    assert "\\u003C/script\\u003E" in body  # inside the JSON-LD block


def test_sitemap_lists_products_in_both_languages(client, shop):
    response = client.get("/sitemap.xml")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"/tr/p/{shop.products[0].slug}/" in body and f"/en/p/{shop.products[0].slug}/" in body
    assert 'hreflang="en"' in body


def test_sitemap_queries_do_not_grow(client, shop):
    get(client, "/sitemap.xml", 3)
    more_products(shop, n=10, variants=1)
    get(client, "/sitemap.xml", 3)


def test_language_switch_keeps_the_page(client, shop):
    slug = shop.products[0].slug
    response = client.post("/i18n/setlang/", {"language": "en", "next": f"/tr/p/{slug}/"})
    assert response.headers["Location"] == f"/en/p/{slug}/"
    assert 'lang="en"' in client.get(f"/en/p/{slug}/").content.decode()
