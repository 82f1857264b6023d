"""Merchants and integrations write the catalog with a token and Django permissions."""

from decimal import Decimal

import pytest

from catalog.models import Product, ProductVariant, VariantChannelPrice
from omni.models import OutboxEvent
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

CREATE = ("catalog.add_product", "catalog.add_productvariant")


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


@pytest.fixture
def catalog_ready():
    f.category("giyim")
    f.TaxClassFactory(code="kdv-10", rate=Decimal("10"))
    f.AttributeValueFactory(attribute=f.AttributeFactory(code="beden"), slug="m")
    f.AttributeValueFactory(attribute=f.AttributeFactory(code="renk"), slug="siyah")


def new_product(**overrides):
    body = {
        "name_tr": "Keten Gömlek",
        "name_en": "Linen shirt",
        "category": "giyim",
        "tax_class": "kdv-10",
        "variants": [
            {
                "sku": "KG-SIY-M",
                "barcode": "8690000000012",
                "attributes": {"renk": "siyah", "beden": "m"},
                "weight_grams": 250,
                "prices": [{"channel": "web", "price": "799.90", "compare_at_price": "999.90"}],
            }
        ],
    }
    return body | overrides


def authed(api, *perms):
    user = f.merchant(*perms)
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}")
    return user


def test_a_merchant_creates_a_product_with_variants_and_prices(api, web, catalog_ready):
    authed(api, *CREATE)
    response = api.post("/api/v1/admin/products/", new_product(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "keten-gomlek"
    assert body["variants"][0]["attributes"] == {"renk": "siyah", "beden": "m"}
    assert body["variants"][0]["prices"][0]["price"] == {"amount": "799.90", "currency": "TRY"}
    assert body["variants"][0]["prices"][0]["compare_at_price"] == {
        "amount": "999.90",
        "currency": "TRY",
    }


@pytest.mark.parametrize(
    ("variant_change", "field", "code"),
    [
        ({"barcode": "8690000000013"}, "variants.0.barcode", "invalid_ean"),
        ({"barcode": "86900000"}, "variants.0.barcode", "invalid_ean"),
        ({"sku": "bad sku!"}, "variants.0.sku", "invalid_sku"),
        ({"attributes": {"renk": "mor"}}, "variants.0.attributes.renk", "invalid"),
        ({"prices": [{"channel": "web", "price": "-1"}]}, "variants.0.prices.0.price", "min_value"),
        (
            {"prices": [{"channel": "web", "price": "10", "currency": "XYZ"}]},
            "variants.0.prices.0.currency",
            "unknown_currency",
        ),
        (
            {"prices": [{"channel": "web", "price": "10", "currency": "EUR"}]},
            "variants.0.prices.0.currency",
            "currency_mismatch",
        ),
        (
            {"prices": [{"channel": "yok", "price": "10"}]},
            "variants.0.prices.0.channel",
            "does_not_exist",
        ),
        (
            {"prices": [{"channel": "web", "price": "10", "compare_at_price": "9"}]},
            "variants.0.prices.0.compare_at_price",
            "invalid",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(
    api, web, catalog_ready, variant_change, field, code
):
    authed(api, *CREATE)
    body = new_product()
    body["variants"][0] |= variant_change
    events = OutboxEvent.objects.count()

    response = api.post("/api/v1/admin/products/", body, format="json")

    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == [field]
    assert response.json()["code"] in (code, "invalid")
    assert not Product.objects.exists()
    assert not ProductVariant.objects.exists()
    assert OutboxEvent.objects.count() == events


def test_a_taken_sku_or_barcode_is_a_field_error(api, web, catalog_ready):
    authed(api, *CREATE)
    assert api.post("/api/v1/admin/products/", new_product(), format="json").status_code == 201
    again = api.post("/api/v1/admin/products/", new_product(name_tr="Başka"), format="json")
    assert again.status_code == 400
    assert again.json()["code"] == "sku_taken"
    other_sku = new_product(name_tr="Başka")
    other_sku["variants"][0]["sku"] = "BASKA-1"
    again = api.post("/api/v1/admin/products/", other_sku, format="json")
    assert (again.json()["code"], list(again.json()["fields"])) == (
        "barcode_taken",
        ["variants.0.barcode"],
    )
    assert Product.objects.count() == 1


def test_writing_needs_a_token_and_the_permission(api, web, catalog_ready):
    assert api.post("/api/v1/admin/products/", new_product(), format="json").status_code == 401
    authed(api, "catalog.view_product")
    assert api.post("/api/v1/admin/products/", new_product(), format="json").status_code == 403
    assert api.get("/api/v1/admin/products/").status_code == 200
    assert not Product.objects.exists()


def test_a_price_is_set_and_removed_per_channel(api, web):
    variant = f.product(channels=[web], price="100.00").variants.get()
    authed(api, "catalog.change_variantchannelprice")
    url = f"/api/v1/admin/variants/{variant.sku}/prices/web/"

    response = api.put(url, {"price": "89.90", "currency": "TRY"}, format="json")
    assert response.status_code == 200
    assert response.json()["price"] == {"amount": "89.90", "currency": "TRY"}
    assert response.json()["lowest_prior_price"] == {"amount": "100.00", "currency": "TRY"}

    assert api.delete(url).status_code == 204
    assert not VariantChannelPrice.objects.filter(variant=variant, channel=web).exists()
    assert (
        api.put(
            f"/api/v1/admin/variants/{variant.sku}/prices/yok/", {"price": "1"}, format="json"
        ).status_code
        == 400
    )
    assert (
        api.put("/api/v1/admin/variants/YOK/prices/web/", {"price": "1"}, format="json").status_code
        == 404
    )


def test_publishing_on_a_channel(api, web):
    item = f.product(channels=[web], published=False)
    authed(api, "catalog.change_productchannellisting")
    response = api.put(
        f"/api/v1/admin/products/{item.pk}/listings/web/", {"is_published": True}, format="json"
    )
    assert response.json() == {"channel": "web", "is_published": True, "published_at": None}
    assert api.get("/api/v1/products/", {"channel": "web"}).json()["count"] == 1


def test_updating_a_product_and_a_variant(api, web):
    item = f.product(channels=[web])
    variant = item.variants.get()
    authed(api, "catalog.change_product", "catalog.change_productvariant")
    response = api.patch(f"/api/v1/admin/products/{item.pk}/", {"name_en": "Shirt"}, format="json")
    assert (response.status_code, response.json()["name_en"]) == (200, "Shirt")
    response = api.patch(
        f"/api/v1/admin/variants/{variant.sku}/", {"weight_grams": 300}, format="json"
    )
    assert (response.status_code, response.json()["weight_grams"]) == (200, 300)
    bad = api.patch(
        f"/api/v1/admin/variants/{variant.sku}/", {"barcode": "1234567890123"}, format="json"
    )
    assert list(bad.json()["fields"]) == ["barcode"]


def test_a_bulk_price_change_by_percentage(api, web):
    a = f.product(channels=[web], price="100.00").variants.get()
    b = f.product(channels=[web], price="250.00").variants.get()
    authed(api, "catalog.change_variantchannelprice")
    response = api.post(
        "/api/v1/admin/prices/bulk-adjust/",
        {"channel": "web", "skus": [a.sku, b.sku], "mode": "percent", "value": "-10"},
        format="json",
    )
    assert response.json() == {"changed": 2}
    prices = dict(
        VariantChannelPrice.objects.filter(channel=web).values_list("variant__sku", "price")
    )
    assert prices == {a.sku: Decimal("90.00"), b.sku: Decimal("225.00")}
    unknown = api.post(
        "/api/v1/admin/prices/bulk-adjust/",
        {"channel": "web", "skus": ["YOK"], "mode": "percent", "value": "-10"},
        format="json",
    )
    assert (unknown.status_code, list(unknown.json()["fields"])) == (400, ["skus"])


def test_the_merchant_product_list_has_a_fixed_number_of_queries(api, web):
    authed(api, "catalog.view_product")
    f.product(channels=[web])
    with assert_num_queries(10):
        api.get("/api/v1/admin/products/")
    for _ in range(10):
        f.product(channels=[web], variants=3)
    with assert_num_queries(10):
        assert api.get("/api/v1/admin/products/").json()["count"] == 11
