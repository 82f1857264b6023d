"""Promotions where the shopper sees them on the web: a code field on the cart, badges on
listings and product pages only where the promotion is certain to apply, the sale price beside
the lowest price of the 30 days before the promotion began, and the savings in the cart, the
checkout and the order."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Code, Promotion
from campaigns.selectors import promotion_badges, variant_offers
from catalog.models import VariantChannelPrice, VariantPriceHistory
from customers.models import Segment
from orders.models import Cart, Order
from orders.pricing import Applied, Benefits, Gift, ShippingDiscount
from tests import factories as f
from tests.queries import assert_num_queries
from tests.storefront.test_pages import more_products
from tests.storefront.test_shopping import ADDRESS, checkout_form, customer_client

pytestmark = pytest.mark.django_db


def promotion(*, label: str = "Elbiselerde %20", conditions: dict | None = None, **fields):
    """A promotion written as the merchant's admin would: percent off, automatic, everywhere."""
    fields = {"name": label, "kind": Promotion.Kind.PERCENT, "value": Decimal(20), **fields}
    made = Promotion.objects.create(label_tr=label, label_en=f"EN {label}", **fields)
    for name, values in (conditions or {}).items():
        getattr(made, name).set(values)
    return made


def code_promotion(code: str = "HOSGELDIN", **fields) -> Promotion:
    made = promotion(label="Hoş geldin %10", value=Decimal(10), requires_code=True, **fields)
    Code.objects.create(promotion=made, code=code)
    return made


def add(client, variant, quantity: int = 1):
    return client.post("/tr/cart/add/", {"sku": variant.sku, "quantity": quantity})


def cart_of(client) -> Cart:
    return Cart.objects.get(token=client.session["storefront_cart"])


def body(response) -> str:
    return response.content.decode()


# --- badges ---------------------------------------------------------------------------------


def test_a_badge_only_where_the_promotion_is_certain_to_apply(shop):
    ids = [p.pk for p in shop.products]
    first, second = shop.products
    segment = Segment.objects.create(name="VIP", rules={"all": []})
    now = timezone.now()
    # none of these is certain: a code, a segment, a minimum, limited uses or budget, another
    # channel, over, paused, on the order
    code_promotion(conditions={"categories": [shop.dresses]})
    promotion(label="VIP", conditions={"segments": [segment]})
    promotion(label="500 TL üstü", min_subtotal=Decimal(500))
    promotion(label="2 adede", min_quantity=2)
    promotion(label="Bütçeli", budget=Decimal(1000))  # the price would outlive the budget
    promotion(label="100 kullanım", usage_limit=100)
    promotion(label="İlk sipariş", first_order_only=True)
    promotion(label="Uygulamada", conditions={"channels": [f.ChannelFactory(code="app")]})
    promotion(label="Bitti", starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=1))
    promotion(label="Durduruldu", is_active=False)
    promotion(label="Sepette", kind=Promotion.Kind.PERCENT, target=Promotion.Target.ORDER)
    assert promotion_badges(channel=shop.web, product_ids=ids) == {}

    # certain: automatic, on the web, on the red collection (the second product is red)
    red = promotion(label="Kırmızılar %30", value=Decimal(30), conditions={
        "attribute_values": list(second.variants.first().attribute_values.filter(slug="kirmizi")),
        "channels": [shop.web],
    })  # fmt: skip
    badges = promotion_badges(channel=shop.web, product_ids=ids)
    assert list(badges) == [second.pk]
    assert badges[second.pk].label == "Kırmızılar %30" and badges[second.pk].percent == 30
    assert badges[second.pk].price_after == Decimal("77.00")  # 110 - 30 %

    # the whole category: both products
    red.priority = 5
    red.save(update_fields=["priority"])
    promotion(conditions={"categories": [shop.women]})  # the subtree: dresses are in it
    badges = promotion_badges(channel=shop.web, product_ids=ids)
    assert {pid: b.label for pid, b in badges.items()} == {
        first.pk: "Elbiselerde %20",
        second.pk: "Kırmızılar %30",
    }
    assert badges[first.pk].price_after == Decimal("80.00")
    # both reduce the red one, in turn as the engine and the channels' sale prices stack them:
    # 110 - 30 % = 77, - 20 % = 61.60; named by the one that takes the most, with no one percent
    assert badges[second.pk].price_after == Decimal("61.60") and badges[second.pk].percent is None


def test_badges_are_read_in_three_queries_whatever_the_number_of_promotions(shop):
    ids = [p.pk for p in shop.products]
    with assert_num_queries(1):
        assert promotion_badges(channel=shop.web, product_ids=ids) == {}
    promotion(conditions={"categories": [shop.dresses]})
    with assert_num_queries(3):
        assert len(promotion_badges(channel=shop.web, product_ids=ids)) == 2
    more_products(shop, n=10)
    for n in range(30):
        promotion(label=f"Ürün {n}", priority=-1, conditions={
            "products": [shop.products[n % len(shop.products)]],
            "brands": [], "attribute_values": list(shop.products[0].variants.first()
                                                   .attribute_values.all()[:1]),
        })  # fmt: skip
    ids = [p.pk for p in shop.products]
    with assert_num_queries(3):
        assert len(promotion_badges(channel=shop.web, product_ids=ids)) == len(ids)


def test_the_shop_shows_the_sale_price_the_channels_are_sent(shop):
    from campaigns.channel_prices import sale_prices

    first, second = shop.products
    promotion(conditions={"categories": [shop.women]}, priority=1)
    promotion(label="50 TL", kind=Promotion.Kind.AMOUNT, value=Decimal(50),
              conditions={"products": [second]})  # fmt: skip
    promotion(label="Tek fiyat", kind=Promotion.Kind.FIXED_PRICE, value=Decimal(70),
              stacking=Promotion.Stacking.EXCLUSIVE, conditions={"products": [first]})  # fmt: skip
    ids = [v.pk for p in shop.products for v in p.variants.all()]

    sent = sale_prices(channel=shop.web, variant_ids=ids)
    shown = variant_offers(channel=shop.web, variant_ids=ids)

    assert {pk: o.price_after for pk, o in shown.items()} == {
        pk: s.sale_price for pk, s in sent.items()
    }
    assert {o.price_after for o in shown.values()} == {Decimal("70.00"), Decimal("38.00")}


def test_a_badge_is_not_shown_when_only_some_variants_match(shop):
    product = shop.products[0]
    one = shop.variant(product, 0)
    promotion(label="Tek beden", conditions={"variants": [one]})
    assert promotion_badges(channel=shop.web, product_ids=[product.pk]) == {}
    # the product page still shows that variant's price
    offers = variant_offers(channel=shop.web, variant_ids=[v.pk for v in product.variants.all()])
    assert list(offers) == [one.pk] and offers[one.pk].price_after == Decimal("80.00")


def test_an_amount_or_fixed_price_badge_says_the_price_after(shop):
    first, second = shop.products
    promotion(label="50 TL indirim", kind=Promotion.Kind.AMOUNT, value=Decimal(50),
              conditions={"products": [first]})  # fmt: skip
    promotion(label="Hepsi 99 TL", kind=Promotion.Kind.FIXED_PRICE, value=Decimal(99),
              conditions={"products": [second]})  # fmt: skip
    badges = promotion_badges(channel=shop.web, product_ids=[first.pk, second.pk])
    assert badges[first.pk].price_after == Decimal("50.00") and badges[first.pk].percent is None
    assert badges[second.pk].price_after == Decimal("99.00")


def test_the_listing_shows_badges_with_the_price_after(client, shop):
    promotion(conditions={"categories": [shop.dresses]})
    code_promotion(conditions={"categories": [shop.dresses]})
    page = body(client.get("/tr/c/kadin/"))
    assert page.count('data-testid="promo-badge"') == 2
    assert '<span class="off">%20 indirim</span> Elbiselerde %20<' in page
    assert "80,00\u00a0₺" in page and '<s class="was muted">100,00\u00a0₺</s>' in page
    assert "Hoş geldin" not in page  # a code is never a badge
    english = body(client.get("/en/c/kadin/"))
    assert "20% off</span> EN Elbiselerde %20<" in english


def test_the_listing_and_the_product_page_run_the_same_queries_for_few_and_many(client, shop):
    promotion(conditions={"categories": [shop.dresses]})
    for n in range(5):
        promotion(label=f"Başka {n}", conditions={"products": [shop.products[0]]}, priority=-1)
    slug = shop.products[0].slug
    for grow in (0, 12):
        more_products(shop, n=grow)
        for url, queries in (("/tr/c/kadin/", 11), (f"/tr/p/{slug}/", 12), ("/tr/", 9)):
            client.get(url)
            with assert_num_queries(queries):
                response = client.get(url)
            assert 'data-testid="promo-badge"' in body(response)


# --- the product page and the 30-day rule -----------------------------------------------------


def test_the_product_page_shows_the_sale_price_beside_the_lowest_price_before_it(client, shop):
    product = shop.products[0]  # 100.00, no compare-at price
    now = timezone.now()
    for variant in product.variants.all():
        # 70.00 long ago (out of the window), 90.00 until 15 days ago, 100.00 since
        VariantPriceHistory.objects.filter(variant=variant).update(
            started_at=now - timedelta(days=15)
        )
        for price, start, end in (("70.00", 120, 50), ("90.00", 50, 15)):
            VariantPriceHistory.objects.create(
                variant=variant, channel=shop.web, price=Decimal(price), currency="TRY",
                started_at=now - timedelta(days=start), ended_at=now - timedelta(days=end),
            )  # fmt: skip
    promotion(conditions={"categories": [shop.dresses]}, starts_at=now - timedelta(days=10))
    history = VariantPriceHistory.objects.count()

    page = body(client.get(f"/tr/p/{product.slug}/"))

    price = re.search(r'<p class="price" data-testid="price">(.*?)</p>', page, re.S)[1]
    assert '<strong class="now">80,00\u00a0₺</strong>' in price
    assert "100,00\u00a0₺</s>" in price
    # the 30 days before the promotion began: 90.00 (70.00 ended before that window)
    assert "Son 30 günün en düşük fiyatı: 90,00\u00a0₺" in price
    assert "Elbiselerde %20" in price
    # the promotion's price is not a catalog price: nothing enters the history
    assert VariantPriceHistory.objects.count() == history
    assert VariantChannelPrice.objects.filter(price=Decimal("80.00")).count() == 0
    assert '"price": "80.00"' in page  # the structured data offers what the shopper pays


def test_a_list_price_raised_just_before_a_promotion_is_not_announced_as_reduced(client, shop):
    product = shop.products[0]  # 100.00 for the last 5 days, 75.00 for the 40 before
    now = timezone.now()
    for variant in product.variants.all():
        VariantPriceHistory.objects.filter(variant=variant).update(
            started_at=now - timedelta(days=5)
        )
        VariantPriceHistory.objects.create(
            variant=variant, channel=shop.web, price=Decimal("75.00"), currency="TRY",
            started_at=now - timedelta(days=45), ended_at=now - timedelta(days=5),
        )  # fmt: skip
    promotion(conditions={"products": [product]}, starts_at=now - timedelta(days=1))

    page = body(client.get(f"/tr/p/{product.slug}/"))

    price = re.search(r'<p class="price" data-testid="price">(.*?)</p>', page, re.S)[1]
    # 80.00 is what the cart charges, but not below the 30-day low of 75.00: no "was", no %
    assert "<strong>80,00\u00a0₺</strong>" in price
    assert "<s " not in price and "<s>" not in price and "indirim" not in price
    # nor on the listing, where the other product keeps its badge
    promotion(label="Öteki", conditions={"products": [shop.products[1]]})
    badges = promotion_badges(channel=shop.web, product_ids=[p.pk for p in shop.products])
    assert list(badges) == [shop.products[1].pk]


def test_a_variant_without_history_before_the_promotion_shows_its_list_price_as_reference(
    client, shop
):
    product = shop.products[0]
    promotion(conditions={"products": [product]})  # began now: the price began now too
    page = body(client.get(f"/tr/p/{product.slug}/"))
    assert "Son 30 günün en düşük fiyatı: 100,00\u00a0₺" in page


def test_a_code_or_segment_promotion_changes_nothing_on_the_product_page(client, shop):
    product = shop.products[0]
    code_promotion(conditions={"products": [product]})
    page = body(client.get(f"/tr/p/{product.slug}/"))
    assert 'data-testid="promo-badge"' not in page and "<strong>100,00\u00a0₺</strong>" in page


# --- the cart: codes, discounts, savings ----------------------------------------------------


def test_a_shopper_applies_a_code_sees_the_discount_and_removes_it(client, shop):
    code_promotion()
    variant = shop.variant(shop.products[0])
    add(client, variant, 2)

    response = client.post("/tr/cart/codes/", {"code": " hosgeldin "})

    assert response.status_code == 302 and response.headers["Location"] == "/tr/cart/"
    assert cart_of(client).codes == ["HOSGELDIN"]
    page = body(client.get("/tr/cart/"))
    assert 'data-code="HOSGELDIN"' in page
    assert "Hoş geldin %10: \u221220,00\u00a0₺" in page  # on the line, with its label
    assert re.search(r'data-testid="savings">20,00\u00a0₺<', page)
    assert re.search(r'data-testid="cart-total"><strong>180,00\u00a0₺<', page)

    response = client.post("/tr/cart/codes/remove/", {"code": "HOSGELDIN"})

    assert response.status_code == 302 and cart_of(client).codes == []
    page = body(client.get("/tr/cart/"))
    assert 'data-testid="savings"' not in page and "200,00\u00a0₺" in page


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("YOKBOYLE", "This code is not valid."),
        ("ESKI", "This code has expired."),
        ("", "This field is required."),
    ],
)
def test_a_refused_code_is_a_form_error_and_the_cart_is_unchanged(client, shop, code, message):
    code_promotion()
    code_promotion(code="ESKI", ends_at=timezone.now() - timedelta(days=1),
                   starts_at=timezone.now() - timedelta(days=5))  # fmt: skip
    add(client, shop.variant(shop.products[0]))
    client.post("/tr/cart/codes/", {"code": "HOSGELDIN"})
    before = Cart.objects.values("codes", "updated_at").get()

    response = client.post("/en/cart/codes/", {"code": code})

    page = body(response)
    assert response.status_code == 400
    assert re.search(r'data-testid="code-error">.*' + re.escape(message), page, re.S)
    assert 'aria-invalid="true"' in page and 'aria-describedby="code-error"' in page
    assert f'value="{code}"' in page if code else True  # the input is kept
    assert Cart.objects.values("codes", "updated_at").get() == before


def test_a_code_that_does_not_fit_the_cart_says_why(client, shop):
    code_promotion(conditions={"products": [shop.products[1]]})
    add(client, shop.variant(shop.products[0]))
    client.post("/en/cart/codes/", {"code": "HOSGELDIN"})
    page = body(client.get("/en/cart/"))
    # the engine's reason, in the shopper's language (its wording is the engine's)
    reason = re.search(r'data-testid="rejected-code">([^<]+)<', page)[1]
    assert reason.startswith("This code") and "apply" in reason
    assert 'data-testid="savings"' not in page


def offers_a_gift(*, channel, customer, lines, codes=()):
    """A discount provider with a gift and a shipping discount, as the engine gives them."""
    from catalog.models import ProductVariant

    gift = ProductVariant.objects.get(sku="GIFT-1")
    in_cart = any(line.key == str(gift.pk) for line in lines)
    return Benefits(
        gifts=[Gift(gift.pk, 1, label="Hediye çanta", promotion="9", in_cart=in_cart)],
        shipping=ShippingDiscount(Decimal(100), label="Kargo bedava", promotion="8"),
        applied=[Applied("8", "Kargo bedava"), Applied("9", "Hediye çanta")],
    )


def test_a_gift_is_offered_with_a_button_that_adds_it(client, shop, settings):
    settings.OMNI_DISCOUNT_PROVIDER = "tests.storefront.test_promotions.offers_a_gift"
    gift = f.product(channels=[shop.web], name="Çanta", in_category=shop.dresses)
    gift.variants.update(sku="GIFT-1")
    f.stocked(shop.web, *gift.variants.all(), location=shop.dc)
    add(client, shop.variant(shop.products[0]))

    page = body(client.get("/tr/cart/"))

    gifts = re.search(r'data-testid="gifts">(.*?)</section>', page, re.S)[1]
    assert "Hediye çanta: Çanta" in gifts and 'name="sku" value="GIFT-1"' in gifts
    assert "Hediyenizi ekleyin" in gifts
    client.post("/tr/cart/add/", {"sku": "GIFT-1", "quantity": 1})
    assert 'data-testid="gifts"' not in body(client.get("/tr/cart/"))


def test_the_savings_show_in_the_cart_the_checkout_and_the_order(shop):
    first, second = shop.products
    promotion(conditions={"products": [first]})
    code_promotion(conditions={"products": [second]})
    _user, client = customer_client()
    add(client, shop.variant(first), 2)  # 2 x 100: 40 off
    add(client, shop.variant(second))  # 110: 11 off with the code
    client.post("/tr/cart/codes/", {"code": "HOSGELDIN"})

    cart = body(client.get("/tr/cart/"))
    checkout = body(client.get("/tr/checkout/"))

    for page in (cart, checkout):
        assert "Elbiselerde %20: \u221240,00\u00a0₺" in page
        assert "Hoş geldin %10: \u221211,00\u00a0₺" in page
        assert re.search(r'data-testid="savings">51,00\u00a0₺<', page)
    data = {**checkout_form(client), **ADDRESS, "delivery": "home", "shipping_method": "standart"}
    response = client.post("/tr/checkout/", data)
    order = Order.objects.get()
    assert response.status_code == 302 and order.discount_total == Decimal("51.00")

    for url in (f"/tr/checkout/{order.number}/done/", f"/tr/account/orders/{order.number}/"):
        page = body(client.get(url))
        assert "Elbiselerde %20: \u221240,00\u00a0₺" in page, url
        assert "Hoş geldin %10: \u221211,00\u00a0₺" in page and "(HOSGELDIN)" in page
        assert re.search(r'data-testid="savings">51,00\u00a0₺<', page)


def test_the_cart_page_runs_the_same_queries_for_1_line_and_many(shop):
    promotion(conditions={"categories": [shop.dresses]})
    code_promotion()
    _user, client = customer_client()
    add(client, shop.variant(shop.products[0]))
    client.post("/tr/cart/codes/", {"code": "HOSGELDIN"})
    counts = []
    for grow in (0, 1):
        if grow:
            for product in shop.products:
                for variant in product.variants.all():
                    add(client, variant)
        client.get("/tr/cart/")
        # The goods facts come with the cart's lines statement (no facts query of the engine);
        # 13 while the page wrote the header's count into the session (3 queries) on every view.
        with assert_num_queries(10) as captured:
            page = body(client.get("/tr/cart/"))
        counts.append(len(captured.captured_queries))
        assert "Hoş geldin %10" in page
    assert counts == [10, 10]


def test_the_checkout_page_with_promotions_runs_the_same_queries_for_1_line_and_many(shop):
    promotion(conditions={"categories": [shop.dresses]})
    code_promotion()
    _user, client = customer_client()
    add(client, shop.variant(shop.products[0]))
    client.post("/tr/cart/codes/", {"code": "HOSGELDIN"})
    for grow in (False, True):
        if grow:
            for product in shop.products:
                for variant in product.variants.all():
                    add(client, variant)
        client.get("/tr/checkout/")
        with assert_num_queries(27):  # 28 before the goods facts came with the lines
            page = body(client.get("/tr/checkout/"))
        assert "Hoş geldin %10" in page and 'data-testid="savings"' in page


def test_the_order_page_with_promotions_runs_a_fixed_number_of_queries(shop):
    promotion(conditions={"categories": [shop.dresses]})
    _user, client = customer_client()
    add(client, shop.variant(shop.products[0]))
    client.post("/tr/checkout/", {**checkout_form(client), **ADDRESS, "delivery": "home",
                                  "shipping_method": "standart"})  # fmt: skip
    order = Order.objects.get()
    client.get(f"/tr/account/orders/{order.number}/")
    # 8, the header's cart count (read from the cart), its accepted legal forms, its payments
    with assert_num_queries(11):
        assert "Elbiselerde %20" in body(client.get(f"/tr/account/orders/{order.number}/"))


def test_a_guest_sees_nothing_of_anothers_cart_codes(shop):
    code_promotion()
    owner = Client()
    add(owner, shop.variant(shop.products[0]))
    owner.post("/tr/cart/codes/", {"code": "HOSGELDIN"})
    stranger = Client()
    response = stranger.post("/tr/cart/codes/remove/", {"code": "HOSGELDIN"})
    assert response.status_code == 302
    assert Cart.objects.get().codes == ["HOSGELDIN"]
