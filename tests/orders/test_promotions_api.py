"""The app sees the promotions as the web does: the cart says per line what each promotion took
off with its label, what the whole cart saves, gifts to add and codes that do not apply; an
order says the same from the snapshot it keeps."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from campaigns.models import Code, Promotion
from campaigns.services.codes import cart_code_apply
from customers.services import customer_for_user
from orders.pricing import Applied, Benefits, Gift, ShippingDiscount
from orders.services import carts, checkout
from tests import factories as f
from tests.orders.api_support import item, money, signed_in, url
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    channel = f.ChannelFactory(code="web", kind="web")
    f.ShippingMethodFactory(channel=channel)
    return channel


def promotion(label: str, *, value: str, code: str = "", **conditions) -> Promotion:
    made = Promotion.objects.create(
        name=label, label_tr=label, label_en=f"EN {label}", kind=Promotion.Kind.PERCENT,
        value=Decimal(value), requires_code=bool(code),
    )  # fmt: skip
    for name, values in conditions.items():
        getattr(made, name).set(values)
    if code:
        Code.objects.create(promotion=made, code=code)
    return made


def shopper_cart(channel, variants, quantity: int = 1):
    user, client = signed_in()
    customer = customer_for_user(user=user)
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    for variant in variants:
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    return customer, cart, client


def test_the_cart_says_what_each_promotion_took_off(web):
    dress, bag = item(web, price="200.00"), item(web, price="50.00")
    sale = promotion("Elbiselerde %20", value="20", products=[dress.product])
    welcome = promotion("Hoş geldin %10", value="10", code="HOSGELDIN", products=[bag.product])
    elsewhere = promotion("Sadece ayakkabı", value="5", code="AYAKKABI")
    elsewhere.variants.set([item(web).pk])
    customer, cart, client = shopper_cart(web, [dress, bag], quantity=2)
    for code in ("hosgeldin", "AYAKKABI"):
        cart = cart_code_apply(cart=cart, code=code, channel=web, customer=customer)

    body = client.get(url("cart/")).json()

    lines = {line["sku"]: line for line in body["lines"]}
    by_sale = {"promotion": str(sale.pk), "label": "Elbiselerde %20", "amount": money("80.00"),
               "code": ""}  # fmt: skip
    by_code = {"promotion": str(welcome.pk), "label": "Hoş geldin %10",
               "amount": money("10.00"), "code": "HOSGELDIN"}  # fmt: skip
    assert (lines[dress.sku]["discount"], lines[dress.sku]["promotions"]) == (
        money("80.00"),
        [by_sale],
    )
    assert lines[dress.sku]["line_total"] == money("320.00")
    assert (lines[bag.sku]["discount"], lines[bag.sku]["promotions"]) == (
        money("10.00"),
        [by_code],
    )
    assert sorted(body["promotions"], key=lambda p: p["label"]) == [by_sale, by_code]
    assert body["savings"] == money("90.00") and body["discount_total"] == money("90.00")
    assert body["shipping_discount"] == money("0.00")
    assert [r["code"] for r in body["rejected_codes"]] == ["AYAKKABI"]
    assert body["rejected_codes"][0]["reason"].startswith("Bu kod")  # the engine's, in Turkish
    with translation.override("en"):
        english = client.get(url("cart/"), HTTP_ACCEPT_LANGUAGE="en").json()
    assert "EN Elbiselerde %20" in [p["label"] for p in english["promotions"]]


def free_shipping_and_a_gift(*, channel, customer, lines, codes=()):
    """A discount provider with a shipping discount and a gift, as the engine gives them."""
    from catalog.models import ProductVariant

    variant = ProductVariant.objects.get(sku__startswith="GIFT")
    return Benefits(
        shipping=ShippingDiscount(Decimal(100), label="Kargo bedava", promotion="8"),
        gifts=[Gift(variant.pk, 1, label="Hediye çanta", promotion="9")],
        applied=[Applied("8", "Kargo bedava"), Applied("9", "Hediye çanta")],
    )


def test_the_cart_offers_gifts_and_the_quote_a_shipping_discount(web, settings):
    settings.OMNI_DISCOUNT_PROVIDER = "tests.orders.test_promotions_api.free_shipping_and_a_gift"
    gift = item(web)
    gift.sku = "GIFT-BAG"
    gift.save(update_fields=["sku"])
    _customer, _cart, client = shopper_cart(web, [item(web, price="100.00")])

    body = client.get(url("cart/")).json()

    assert body["gifts"] == [
        {"sku": "GIFT-BAG", "name": gift.product.name, "quantity": 1, "label": "Hediye çanta",
         "promotion": "9"}
    ]  # fmt: skip
    quote = client.post(
        url("checkout/quote/"),
        {"delivery": "home", "shipping_method": "standart", "address": f.ADDRESS},
        format="json",
    )
    assert quote.status_code == 200, quote.json()
    assert quote.json()["shipping_discount"] == money("49.90")
    assert quote.json()["savings"] == money("49.90")
    assert quote.json()["shipping"] == money("0.00")
    assert [p["label"] for p in quote.json()["promotions"]] == ["Kargo bedava", "Hediye çanta"]


def test_an_order_keeps_what_each_promotion_took_off(web):
    dress = item(web, price="200.00")
    sale = promotion("Elbiselerde %20", value="20", products=[dress.product])
    customer, cart, client = shopper_cart(web, [dress], quantity=2)
    delivery = checkout.delivery_build(
        channel=web, method="home", shipping_method="standart", address=f.ADDRESS
    )
    order = checkout.order_place(cart=cart, channel=web, delivery=delivery, customer=customer)
    sale.label_tr = "Değişti"  # a later change of the label does not rewrite the order
    sale.save(update_fields=["label_tr"])

    body = client.get(f"/api/v1/orders/{order.number}/").json()

    entry = {"promotion": str(sale.pk), "label": "Elbiselerde %20", "amount": money("80.00"),
             "code": ""}  # fmt: skip
    assert body["promotions"] == [entry]
    assert body["lines"][0]["promotions"] == [entry]
    assert body["lines"][0]["discount"] == money("80.00")
    assert body["savings"] == money("80.00") and body["shipping_discount"] == money("0.00")
    listed = client.get("/api/v1/orders/").json()["results"][0]
    assert listed["lines"][0]["promotions"] == [entry]


def test_the_cart_with_promotions_runs_the_same_queries_for_1_line_and_10(web):
    variants = [item(web, price="10.00") for _ in range(10)]
    promotion("Hepsine %5", value="5")
    _customer, cart, client = shopper_cart(web, variants[:1])
    counts = []
    for grow in (False, True):
        if grow:
            for variant in variants[1:]:
                carts.cart_add(cart=cart, channel=web, variant_id=variant.pk, quantity=1)
        with assert_num_queries(7) as captured:
            body = client.get(url("cart/")).json()
        counts.append(len(captured.captured_queries))
        assert all(line["promotions"] for line in body["lines"])
    assert counts == [7, 7]
