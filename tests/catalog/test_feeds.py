"""Shopping feeds per channel: Google Merchant XML and CSV, current and with fixed queries."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from catalog.models import Product
from tests.factories import BrandFactory, ChannelFactory, product, stocked
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

GOOGLE_NS = "{http://base.google.com/ns/1.0}"


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def items(client, code="web") -> list[dict]:
    response = client.get(f"/feeds/{code}/google.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(body(response))  # noqa: S314 (our own output)
    return [
        {child.tag.removeprefix(GOOGLE_NS): child.text for child in item}
        for item in root.iter("item")
    ]


def test_the_google_feed_lists_each_variant_sold_on_the_channel(client):
    web = ChannelFactory(code="web")
    brand = BrandFactory(name="Moda Ev")
    dress = product(channels=[web], price="149.90", compare_at="199.90", variants=2, brand=brand)
    a, b = dress.variants.order_by("id")
    stocked(web, a, quantity=3)

    feed = items(client)

    assert feed == [
        {
            "id": a.sku,
            "item_group_id": dress.slug,
            "title": dress.name,
            "description": dress.name,
            "link": f"http://testserver/tr/p/{dress.slug}/",
            "price": "199.90 TRY",
            "sale_price": "149.90 TRY",
            "availability": "in_stock",
            "gtin": a.barcode,
            "brand": "Moda Ev",
            "mpn": a.sku,
            "condition": "new",
        },
        {
            "id": b.sku,
            "item_group_id": dress.slug,
            "title": dress.name,
            "description": dress.name,
            "link": f"http://testserver/tr/p/{dress.slug}/",
            "price": "199.90 TRY",
            "sale_price": "149.90 TRY",
            "availability": "out_of_stock",
            "gtin": b.barcode,
            "brand": "Moda Ev",
            "mpn": b.sku,
            "condition": "new",
        },
    ]


def test_only_published_active_priced_products_of_the_channel_are_listed(client):
    web, app = ChannelFactory(code="web"), ChannelFactory(code="app")
    shown = product(channels=[web], price="50.00")
    product(channels=[web], published=False)
    product(channels=[app])
    hidden = product(channels=[web])
    Product.objects.filter(pk=hidden.pk).update(is_active=False)

    feed = items(client)

    assert [i["id"] for i in feed] == [shown.variants.get().sku]
    assert feed[0]["price"] == "50.00 TRY" and "sale_price" not in feed[0]
    assert "item_group_id" not in feed[0]  # a product of one variant is not a group


def test_the_csv_feed_has_the_same_items(client):
    web = ChannelFactory(code="web")
    shirt = product(channels=[web], price="89.90", name="Keten Gömlek")
    variant = shirt.variants.get()

    response = client.get("/feeds/web/products.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert len(rows) == 1
    assert (rows[0]["id"], rows[0]["title"], rows[0]["price"], rows[0]["gtin"]) == (
        variant.sku,
        "Keten Gömlek",
        "89.90 TRY",
        variant.barcode,
    )
    assert rows[0]["availability"] == "out_of_stock"


def test_an_unknown_or_inactive_channel_is_not_found(client):
    ChannelFactory(code="closed", is_active=False)

    assert client.get("/feeds/nowhere/google.xml").status_code == 404
    assert client.get("/feeds/closed/products.csv").status_code == 404


def test_the_feed_takes_a_fixed_number_of_queries(client):
    web = ChannelFactory(code="web")

    for n in (1, 9):  # 1 product, then 10
        for _ in range(n):
            item = product(channels=[web], variants=2)
            stocked(web, *item.variants.all())
        with assert_num_queries(8):
            assert client.get("/feeds/web/google.xml").status_code == 200
            body(client.get("/feeds/web/products.csv"))


def test_the_stock_is_inventorys_answer_handed_to_catalog_when_the_apps_are_ready():
    # Catalog sits below inventory: inventory registers its selector (inventory/apps.py).
    from catalog import feeds
    from inventory.selectors import availability_for_channel

    assert feeds._stock_reader is availability_for_channel
