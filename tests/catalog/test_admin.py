"""The merchant admin: pages open, and saves go through the same services as the API."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Product, ProductVariant, VariantChannelPrice, VariantPriceHistory
from omni.models import OutboxEvent
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


@pytest.fixture
def admin_client(client):
    user = f.UserFactory(role="merchant_staff", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "catalog_product",
        "catalog_productvariant",
        "catalog_category",
        "catalog_attribute",
        "catalog_brand",
        "catalog_taxclass",
        "catalog_variantpricehistory",
        "sales_channels_channel",
        "accounts_user",
        "omni_outboxevent",
    ],
)
def test_every_changelist_opens_with_search(admin_client, web, model):
    f.product(channels=[web])
    response = admin_client.get(reverse(f"admin:{model}_changelist"), {"q": "a"})
    assert response.status_code == 200


def test_the_product_and_variant_pages_open(admin_client, web):
    item = f.product(channels=[web])
    assert (
        admin_client.get(reverse("admin:catalog_product_change", args=[item.pk])).status_code == 200
    )
    variant = item.variants.get()
    assert (
        admin_client.get(
            reverse("admin:catalog_productvariant_change", args=[variant.pk])
        ).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:catalog_product_add")).status_code == 200


def test_the_product_list_has_a_fixed_number_of_queries(admin_client, web):
    f.product(channels=[web])
    with assert_num_queries(9):
        admin_client.get(reverse("admin:catalog_product_changelist"))
    for _ in range(10):
        f.product(channels=[web], variants=2)
    with assert_num_queries(9):
        admin_client.get(reverse("admin:catalog_product_changelist"))


def test_a_price_saved_in_the_admin_keeps_history_and_tells_the_channels(admin_client, web):
    variant = f.product(channels=[web], price="100.00").variants.get()
    row = VariantChannelPrice.objects.get(variant=variant)
    url = reverse("admin:catalog_productvariant_change", args=[variant.pk])
    events = OutboxEvent.objects.filter(topic="catalog.price.changed").count()
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "weight_grams": "",
        "sort_order": 0,
        "channel_prices-TOTAL_FORMS": 1,
        "channel_prices-INITIAL_FORMS": 1,
        "channel_prices-MIN_NUM_FORMS": 0,
        "channel_prices-MAX_NUM_FORMS": 1000,
        "channel_prices-0-id": row.pk,
        "channel_prices-0-variant": variant.pk,
        "channel_prices-0-channel": web.pk,
        "channel_prices-0-price": "79.90",
        "channel_prices-0-compare_at_price": "100.00",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    row.refresh_from_db()
    assert (row.price, row.lowest_prior_price) == (Decimal("79.90"), Decimal("100.00"))
    assert VariantPriceHistory.objects.filter(variant=variant).count() == 2
    assert OutboxEvent.objects.filter(topic="catalog.price.changed").count() == events + 1

    data["channel_prices-0-compare_at_price"] = "50.00"
    response = admin_client.post(url, data)
    assert response.status_code == 200  # the form comes back with the error
    row.refresh_from_db()
    assert row.price == Decimal("79.90")


def test_the_bulk_price_action_asks_then_applies_through_the_price_service(admin_client, web):
    items = [f.product(channels=[web], price="200.00") for _ in range(2)]
    url = reverse("admin:catalog_product_changelist")
    selected = {"action": "change_prices", "_selected_action": [p.pk for p in items]}
    page = admin_client.post(url, selected)
    assert page.status_code == 200
    assert b"Change prices" in page.content or b"Fiyat" in page.content

    done = admin_client.post(
        url, {**selected, "apply": "1", "channel": web.pk, "mode": "percent", "value": "-25"}
    )
    assert done.status_code == 302
    assert set(VariantChannelPrice.objects.values_list("price", flat=True)) == {Decimal("150.00")}
    assert (
        OutboxEvent.objects.filter(topic="catalog.price.changed", payload__price="150.00").count()
        == 2
    )


def test_a_product_edited_in_the_admin_tells_the_channels(admin_client, web):
    item = f.product(channels=[web])
    before = OutboxEvent.objects.filter(topic="catalog.product.changed").count()
    data = {
        "name_tr": "Yeni Ad",
        "name_en": "New name",
        "slug": item.slug,
        "description_tr": "",
        "description_en": "",
        "brand": "",
        "category": item.category_id,
        "tax_class": item.tax_class_id,
        "is_active": "on",
        "variants-TOTAL_FORMS": 0,
        "variants-INITIAL_FORMS": 0,
        "channel_listings-TOTAL_FORMS": 0,
        "channel_listings-INITIAL_FORMS": 0,
        "images-TOTAL_FORMS": 0,
        "images-INITIAL_FORMS": 0,
    }
    response = admin_client.post(reverse("admin:catalog_product_change", args=[item.pk]), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert Product.objects.get(pk=item.pk).name_tr == "Yeni Ad"
    assert OutboxEvent.objects.filter(topic="catalog.product.changed").count() == before + 1
    assert ProductVariant.objects.filter(product=item).count() == 1


def test_attribute_values_edited_in_the_admin_are_checked_and_kept_filterable(admin_client, web):
    red = f.AttributeValueFactory(attribute=f.AttributeFactory(code="renk"), slug="kirmizi")
    blue = f.AttributeValueFactory(attribute=red.attribute, slug="mavi")
    item = f.product(channels=[web], variants=2, attributes=[[red], [blue]])
    _first, second = item.variants.order_by("id")
    url = reverse("admin:catalog_productvariant_change", args=[second.pk])
    data = {
        "product": item.pk,
        "sku": second.sku,
        "barcode": second.barcode,
        "weight_grams": "",
        "sort_order": 1,
        "attribute_values": [red.pk],
        "channel_prices-TOTAL_FORMS": 0,
        "channel_prices-INITIAL_FORMS": 0,
    }
    clash = admin_client.post(url, data)
    assert clash.status_code == 200
    assert "attribute_values" in clash.context["adminform"].form.errors

    green = f.AttributeValueFactory(attribute=red.attribute, slug="yesil")
    assert admin_client.post(url, {**data, "attribute_values": [green.pk]}).status_code == 302
    second.refresh_from_db()
    assert second.attribute_key == "|renk:yesil|"
    found = admin_client.get("/api/v1/products/", {"channel": "web", "attr": "renk:yesil"}).json()
    assert [p["slug"] for p in found["results"]] == [item.slug]
