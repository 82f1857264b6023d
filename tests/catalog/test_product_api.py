"""The shopper's catalog: one channel's published products and prices, filtered and paged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import Product
from sales_channels.models import Channel
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind=Channel.Kind.WEB)


@pytest.fixture
def app():
    return f.ChannelFactory(code="app", kind=Channel.Kind.APP)


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def test_each_channel_sees_its_own_products_and_prices(api, web, app):
    both = f.product(channels=[web, app], name="Keten Gömlek", price="100.00")
    services.variant_price_set(variant=both.variants.get(), channel=app, price="90.00")
    f.product(channels=[app], name="Sadece Uygulamada")

    on_web = api.get("/api/v1/products/", {"channel": "web"}).json()
    assert [(p["slug"], p["price"]) for p in on_web["results"]] == [
        ("keten-gomlek", {"amount": "100.00", "currency": "TRY"})
    ]
    on_app = api.get("/api/v1/products/", HTTP_OMNI_CHANNEL="app")
    assert sorted(slugs(on_app)) == ["keten-gomlek", "sadece-uygulamada"]
    assert {p["slug"]: p["price"]["amount"] for p in on_app.json()["results"]}[
        "keten-gomlek"
    ] == "90.00"


def test_unpublished_future_inactive_and_unpriced_products_are_hidden(api, web):
    f.product(channels=[web], name="Görünür")
    f.product(channels=[web], name="Yayında Değil", published=False)
    later = f.product(channels=[web], name="Yarın")
    services.product_listing_set(
        product=later,
        channel=web,
        is_published=True,
        published_at=timezone.now() + timedelta(days=1),
    )
    inactive = f.product(channels=[web], name="Pasif")
    services.product_update(product=inactive, data={"is_active": False})
    unpriced = f.product(channels=[], name="Fiyatsız")
    services.product_listing_set(product=unpriced, channel=web, is_published=True)

    assert slugs(api.get("/api/v1/products/", {"channel": "web"})) == ["gorunur"]
    assert api.get("/api/v1/products/yarin/", {"channel": "web"}).status_code == 404


def test_a_category_includes_its_subcategories(api, web):
    women = f.category("kadin")
    dresses = f.category("kadin-elbise", parent=women)
    men = f.category("erkek")
    f.product(channels=[web], name="Elbise", in_category=dresses)
    f.product(channels=[web], name="Bluz", in_category=women)
    f.product(channels=[web], name="Gömlek", in_category=men)

    assert sorted(slugs(api.get("/api/v1/products/", {"channel": "web", "category": "kadin"}))) == [
        "bluz",
        "elbise",
    ]
    assert slugs(api.get("/api/v1/products/", {"channel": "web", "category": "kadin-elbise"})) == [
        "elbise"
    ]


def test_one_variant_sold_on_the_channel_must_match_every_attribute_asked_for(api, web):
    red = f.AttributeValueFactory(attribute=f.AttributeFactory(code="renk"), slug="kirmizi")
    black = f.AttributeValueFactory(attribute=red.attribute, slug="siyah")
    size_m = f.AttributeValueFactory(attribute=f.AttributeFactory(code="beden"), slug="m")
    size_l = f.AttributeValueFactory(attribute=size_m.attribute, slug="l")
    f.product(channels=[web], name="Kırmızı M", attributes=[[red, size_m]])
    f.product(channels=[web], name="Siyah L", attributes=[[black, size_l]])
    f.product(
        channels=[web],
        name="Kırmızı L ve Siyah M",
        variants=2,
        attributes=[[red, size_l], [black, size_m]],
    )

    def search(*attrs):
        return sorted(slugs(api.get("/api/v1/products/", {"channel": "web", "attr": list(attrs)})))

    assert search("renk:kirmizi") == ["kirmizi-l-ve-siyah-m", "kirmizi-m"]
    assert search("renk:kirmizi,siyah") == ["kirmizi-l-ve-siyah-m", "kirmizi-m", "siyah-l"]
    # A red M and a black L are asked for: a red L with a black M is neither.
    assert search("renk:kirmizi", "beden:m") == ["kirmizi-m"]
    assert search("renk:siyah", "beden:l") == ["siyah-l"]
    assert search("renk:kirmizi,siyah", "beden:m") == ["kirmizi-l-ve-siyah-m", "kirmizi-m"]

    # A variant that is not sold on the channel does not count.
    services.variant_price_remove(
        variant=Product.objects.get(slug="siyah-l").variants.get(), channel=web
    )
    f.product(channels=[web], name="Başka", attributes=[[red, size_m]])
    assert search("renk:siyah", "beden:l") == []


def test_price_range_text_search_and_ordering(api, web):
    f.product(channels=[web], name="Pamuklu Tişört", price="249.99")
    f.product(channels=[web], name="Keten Gömlek", price="799.99")
    f.product(channels=[web], name="Deri Bot", price="2499.99")

    def get(**params):
        return slugs(api.get("/api/v1/products/", {"channel": "web", **params}))

    assert get(price_min="250", price_max="2499.99") == ["deri-bot", "keten-gomlek"]
    assert get(q="gömlek") == ["keten-gomlek"]
    assert get(q="Tişört") == ["pamuklu-tisort"]
    assert get(ordering="price") == ["pamuklu-tisort", "keten-gomlek", "deri-bot"]
    assert get(ordering="-price") == ["deri-bot", "keten-gomlek", "pamuklu-tisort"]
    assert get(ordering="name") == ["deri-bot", "keten-gomlek", "pamuklu-tisort"]


def test_a_sku_or_barcode_finds_its_product(api, web):
    item = f.product(channels=[web], name="Aranan")
    f.product(channels=[web], name="Başka")
    variant = item.variants.get()
    assert slugs(api.get("/api/v1/products/", {"channel": "web", "q": variant.sku.lower()})) == [
        "aranan"
    ]
    assert slugs(api.get("/api/v1/products/", {"channel": "web", "q": variant.barcode})) == [
        "aranan"
    ]


def test_pages_do_not_overlap(api, web):
    for n in range(5):
        f.product(channels=[web], name=f"Ürün {n}", price="10.00")
    first = api.get(
        "/api/v1/products/", {"channel": "web", "page_size": 2, "ordering": "price"}
    ).json()
    second = api.get(
        "/api/v1/products/", {"channel": "web", "page_size": 2, "ordering": "price", "page": 2}
    ).json()
    third = api.get(
        "/api/v1/products/", {"channel": "web", "page_size": 2, "ordering": "price", "page": 3}
    ).json()
    seen = [p["slug"] for page in (first, second, third) for p in page["results"]]
    assert first["count"] == 5
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({}, "channel", "required"),
        ({"channel": "nope"}, "channel", "unknown_channel"),
        ({"channel": "web", "price_min": "abc"}, "price_min", "invalid"),
        ({"channel": "web", "price_min": "-5"}, "price_min", "min_value"),
        ({"channel": "web", "category": "yok"}, "category", "invalid_choice"),
        ({"channel": "web", "attr": "renk"}, "attr", "invalid"),
        ({"channel": "web", "attr": "yok:x"}, "attr", "unknown_attribute"),
        ({"channel": "web", "attr": "renk:mor"}, "attr", "unknown_value"),
        ({"channel": "web", "ordering": "popularity"}, "ordering", "invalid_choice"),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_field(api, web, params, field, code):
    f.AttributeValueFactory(attribute=f.AttributeFactory(code="renk"), slug="kirmizi")
    response = api.get("/api/v1/products/", params)
    assert response.status_code == 400
    body = response.json()
    assert list(body["fields"]) == [field]
    assert body["code"] in (code, "invalid")


def test_detail_shows_the_channel_variants_prices_and_choices(api, web, app):
    red = f.AttributeValueFactory(
        attribute=f.AttributeFactory(code="renk", sort_order=1), slug="kirmizi", name_tr="Kırmızı"
    )
    size_m = f.AttributeValueFactory(
        attribute=f.AttributeFactory(code="beden", sort_order=2), slug="m", name_tr="M"
    )
    size_l = f.AttributeValueFactory(attribute=size_m.attribute, slug="l", name_tr="L")
    item = f.product(
        channels=[web],
        name="Keten Elbise",
        variants=2,
        attributes=[[red, size_m], [red, size_l]],
        price="1000.00",
    )
    only_app = item.variants.order_by("id").last()
    services.variant_price_remove(variant=only_app, channel=web)
    services.variant_price_set(variant=only_app, channel=app, price="900.00")
    services.variant_price_set(
        variant=item.variants.order_by("id").first(),
        channel=web,
        price="800.00",
        compare_at_price="1000.00",
    )

    body = api.get(f"/api/v1/products/{item.slug}/", {"channel": "web"}).json()
    assert [v["sku"] for v in body["variants"]] == [item.variants.order_by("id").first().sku]
    variant = body["variants"][0]
    assert variant["price"] == {"amount": "800.00", "currency": "TRY"}
    assert variant["compare_at_price"] == {"amount": "1000.00", "currency": "TRY"}
    assert variant["lowest_prior_price"] == {"amount": "1000.00", "currency": "TRY"}
    assert variant["attributes"] == {"renk": "kirmizi", "beden": "m"}
    assert variant["name"] == "Kırmızı / M"
    assert [a["code"] for a in body["attributes"]] == ["renk", "beden"]
    assert body["on_sale"] is True
    assert body["breadcrumbs"] == [{"slug": "giyim", "name": "Giyim"}]


def test_names_follow_the_language_and_fall_back_to_turkish(api, web):
    item = f.product(channels=[web], name="Keten Gömlek")
    services.product_update(product=item, data={"name_en": "Linen shirt"})
    f.product(channels=[web], name="Sadece Türkçe")

    english = api.get(
        "/api/v1/products/", {"channel": "web", "ordering": "name"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    names = [p["name"] for p in english.json()["results"]]
    assert "Linen shirt" in names
    turkish = api.get("/api/v1/products/", {"channel": "web"}, HTTP_ACCEPT_LANGUAGE="tr")
    assert "Keten Gömlek" in [p["name"] for p in turkish.json()["results"]]


def test_the_product_list_runs_the_same_queries_for_1_and_30_products(api, web):
    f.product(channels=[web], price="10.00")
    with assert_num_queries(4):  # channel, count, page, images
        assert api.get("/api/v1/products/", {"channel": "web", "page_size": 100}).status_code == 200
    for _ in range(29):
        f.product(channels=[web], price="10.00", variants=3)
    with assert_num_queries(4):
        response = api.get(
            "/api/v1/products/",
            {"channel": "web", "page_size": 100, "attr": [], "ordering": "-price"},
        )
    assert response.json()["count"] == 30


def test_the_product_detail_runs_the_same_queries_for_1_and_20_variants(api, web):
    size = f.AttributeFactory(code="beden")
    values = [[f.AttributeValueFactory(attribute=size, slug=f"b{i}")] for i in range(20)]
    leaf = f.category("kadin-elbise", parent=f.category("kadin"))
    small = f.product(channels=[web], variants=1, attributes=values[:1], in_category=leaf)
    large = f.product(channels=[web], variants=20, attributes=values, in_category=leaf)
    with assert_num_queries(6):  # channel, product, images, variants, values, ancestors
        api.get(f"/api/v1/products/{small.slug}/", {"channel": "web"})
    with assert_num_queries(6):
        response = api.get(f"/api/v1/products/{large.slug}/", {"channel": "web"})
    assert len(response.json()["variants"]) == 20


def test_the_category_tree(api):
    women = f.category("kadin", name="Kadın")
    f.category("kadin-elbise", parent=women, name="Elbise")
    f.category("ev", name="Ev")
    assert api.get("/api/v1/categories/").json() == [
        {"slug": "ev", "name": "Ev", "children": []},
        {
            "slug": "kadin",
            "name": "Kadın",
            "children": [{"slug": "kadin-elbise", "name": "Elbise", "children": []}],
        },
    ]


def test_the_category_tree_runs_the_same_queries_for_1_and_12_categories(api):
    women = f.category("kadin", name="Kadın")
    with assert_num_queries(1):
        assert len(api.get("/api/v1/categories/").json()) == 1
    for n in range(5):
        f.category(f"kadin-{n}", parent=women)
        f.category(f"ev-{n}", parent=f.category(f"ev{n}"))
    with assert_num_queries(1):
        assert len(api.get("/api/v1/categories/").json()) == 6


def test_the_channel_list_runs_the_same_queries_for_1_and_8_channels(api, web):
    with assert_num_queries(1):
        assert len(api.get("/api/v1/channels/").json()) == 1
    for n in range(7):
        f.ChannelFactory(code=f"more-{n}")
    with assert_num_queries(1):
        assert len(api.get("/api/v1/channels/").json()) == 8


def test_channels_lists_the_active_ones(api, web):
    f.ChannelFactory(code="closed", is_active=False)
    assert [c["code"] for c in api.get("/api/v1/channels/").json()] == ["web"]
