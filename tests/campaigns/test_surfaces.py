"""The engine behind the public surface: the cart API and the checkout quote price a cart the
same way on every channel, with the cart's codes; an order keeps what each promotion gave."""

from decimal import Decimal as D

import pytest

from campaigns.models import Promotion
from orders.models import Cart
from orders.services import carts, checkout
from tests import factories as f
from tests.campaigns.promos import promo
from tests.orders.api_support import item, money, signed_in, url, visitor
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db
Kind = Promotion.Kind


def test_the_cart_api_shows_a_second_item_half_price_on_every_channel(web, store):
    dress = item(web, price="400.00", also=(store,))
    promo(
        kind=Kind.BUY_X_GET_Y, config={"buy": 1, "get": 1, "percent": 50}, label_tr="2. ürüne %50"
    )
    _user, client = signed_in()

    client.post(url("cart/lines/"), {"sku": dress.sku, "quantity": 2})
    on_web = client.get(url("cart/")).json()
    on_store = client.get(url("cart/", store.code)).json()

    for body in (on_web, on_store):
        assert body["subtotal"] == money("800.00")
        assert body["discount_total"] == money("200.00")
        assert body["lines"][0]["line_total"] == money("600.00")
        assert body["total"] == money("600.00")


def test_a_code_on_the_cart_prices_the_visitors_cart(web):
    shoe = item(web, price="250.00")
    promo(kind=Kind.AMOUNT, value=D("50"), code="HOSGELDIN", target=Promotion.Target.ORDER)
    token = visitor().post(url("cart/")).json()["token"]
    client = visitor(token)
    client.post(url("cart/lines/"), {"sku": shoe.sku, "quantity": 2})
    carts.cart_codes_set(cart=Cart.objects.get(token=token), channel=web, codes=["HOSGELDIN"])

    body = client.get(url("cart/")).json()

    assert (body["discount_total"], body["total"]) == (money("50.00"), money("450.00"))


def test_the_checkout_quote_applies_goods_and_shipping_promotions_and_lists_them(web):
    customer = f.CustomerFactory()
    shirt = item(web, price="400.00")
    goods = promo(kind=Kind.PERCENT, value=D("10"), label_tr="%10", label_en="10 %")
    ship = promo(kind=Kind.SHIPPING, value=D("100"), min_subtotal=D("750"), label_tr="Kargo bedava")
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=shirt.pk, quantity=2)
    method = f.ShippingMethodFactory(channel=web, free_over=None)
    delivery = checkout.delivery_build(
        channel=web, method="home", shipping_method=method.code, address=f.ADDRESS
    )

    prepared = checkout.checkout_prepare(
        cart=cart, channel=web, delivery=delivery, customer=customer
    )

    q = prepared.quote
    assert (q.subtotal, q.discount_total, q.shipping, q.shipping_discount) == (
        D("800.00"), D("80.00"), D("0.00"), D("49.90"),
    )  # fmt: skip
    assert q.total == D("720.00")
    assert [(p.promotion, p.amount) for p in q.promotions] == [
        (str(goods.pk), D("80.00")),
        (str(ship.pk), D("49.90")),
    ]
    assert q.as_dict()["discounts"][0]["promotion"] == str(goods.pk)


def test_lines_quote_with_no_promotion_live_costs_one_query_for_any_number_of_lines(web):
    promo(kind=Kind.PERCENT, value=D("10"), is_active=False)
    for n in (1, 20):
        cart = carts.cart_create_anonymous(channel=web)
        for _ in range(n):
            carts.cart_add(cart=cart, channel=web, variant_id=item(web).pk, quantity=1)
        info = carts.lines_info(cart=cart, channel=web)

        with assert_num_queries(1):
            q = checkout.lines_quote(info=info, channel=web, codes=cart.codes)

        assert q.discount_total == 0
