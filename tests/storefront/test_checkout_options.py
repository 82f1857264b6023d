"""The checkout offers only what applies: home delivery (its shipping methods, "Ücretsiz" when
free, "1 gün" when it takes one day) and click and collect, each in its own block; ship from
store is not a shopper's option. The card step lists a card's instalments by its BIN, and the
count chosen is checked again and recorded when paying."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation

from orders.models import Order, ShippingMethod
from orders.services.checkout import shipping_methods_cache_clear
from payments.fake_provider import DEBIT
from payments.models import Payment
from storefront.templatetags.storefront import money
from tests import factories as f
from tests.payments.support import APPROVE, provider  # noqa: F401 (a fixture)
from tests.queries import assert_num_queries
from tests.storefront.test_payment import card, placed
from tests.storefront.test_shopping import ADDRESS, add, checkout_form

pytestmark = pytest.mark.django_db


def _radios(body: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}"[^>]*? value="([^"]+)"', body)


def test_the_checkout_offers_home_delivery_and_click_and_collect_only(client, shop):
    f.ShippingMethodFactory(
        channel=shop.web, code="hizli", name_tr="Hızlı Kargo", price=Decimal("0.00"),
        min_days=1, max_days=1,
    )  # fmt: skip
    add(client, shop.variant(shop.products[0]))

    body = client.get("/tr/checkout/").content.decode()

    assert _radios(body, "delivery") == ["home", "pickup"]
    assert _radios(body, "shipping_method") == ["hizli", "standart"]  # not "magazadan"
    assert "Hızlı Kargo — Ücretsiz" in body and "(1 gün)" in body
    assert "kullanılabilir" not in body and "1\u20131" not in body
    assert "(1\u20133 gün)" in body  # the standard method, as before
    assert 'data-delivery-block="home"' in body and 'data-delivery-block="pickup"' in body
    english = client.get("/en/checkout/").content.decode()
    assert "— Free" in english and "(1 day)" in english


def test_ship_from_store_sent_by_a_shopper_is_refused_and_places_nothing(client, shop):
    add(client, shop.variant(shop.products[0]))
    data = {**checkout_form(client), **ADDRESS, "email": "misafir@example.com",
            "delivery": "ship_from_store", "shipping_method": "magazadan"}  # fmt: skip

    response = client.post("/tr/checkout/", data)

    assert response.status_code == 400
    assert not Order.objects.exists()


def _instalments(client, order, bin_number="424242", **extra):
    return client.get(
        f"/tr/checkout/{order.number}/pay/instalments/",
        {"bin": bin_number, "gateway": "test", **extra},
    )


def test_the_card_step_lists_the_cards_instalments_with_their_totals(client, shop, provider):  # noqa: F811
    order = placed(client, shop)
    page = client.get(f"/tr/checkout/{order.number}/pay/").content.decode()
    assert "data-instalments" in page and "storefront/instalments.js" in page

    body = _instalments(client, order).content.decode()

    assert _radios(body, "instalments") == ["1", "2", "3", "6", "9", "12"]
    assert re.search(r'value="1" checked>', body)
    assert "Tek çekim" in body and "3 taksit \u00d7 " in body
    assert "Omni Test Bank" in body
    debit = _instalments(client, order, DEBIT[:6]).content.decode()
    assert _radios(debit, "instalments") == ["1"]
    assert "yalnızca tek çekim" in debit
    assert _radios(_instalments(client, order, "42").content.decode(), "instalments") == []


def test_the_instalments_partial_keeps_its_queries(client, shop, provider):  # noqa: F811
    order = placed(client, shop)
    _instalments(client, order)

    with assert_num_queries(9):  # the guest's order, as every page of it, and the gateway
        assert _instalments(client, order, instalments="3").status_code == 200


def test_paying_in_three_records_the_choice(client, shop, provider):  # noqa: F811
    order = placed(client, shop)

    response = client.post(
        f"/tr/checkout/{order.number}/pay/", {**card(APPROVE), "bin": "424242", "instalments": 3}
    )

    assert response.headers["Location"] == f"/tr/checkout/{order.number}/done/"
    payment = Payment.objects.get(order=order)
    assert (payment.instalments, payment.amount) == (3, order.total)
    assert payment.instalment_total == (order.total * Decimal("1.025")).quantize(Decimal("0.01"))


def test_a_count_the_card_does_not_offer_is_refused_on_the_page(client, shop, provider):  # noqa: F811
    order = placed(client, shop)

    response = client.post(f"/tr/checkout/{order.number}/pay/", {**card(DEBIT), "instalments": 3})

    assert response.status_code == 400
    assert "Bu kartla 3 taksit yapılamıyor." in response.content.decode()
    assert not Payment.objects.filter(order=order).exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_the_account_order_page_shows_the_instalments(shop, provider):  # noqa: F811
    from tests.storefront.test_shopping import customer_client

    _user, client = customer_client()
    order = placed(client, shop)
    client.post(f"/tr/checkout/{order.number}/pay/", {**card(APPROVE), "instalments": 6})

    body = client.get(f"/tr/account/orders/{order.number}/").content.decode()

    with translation.override("tr"):
        shown = f"···· 4242: {money(order.total, 'TRY')} (6 taksit)"
    assert shown in body
    assert "Adrese teslimat — 49,90" in body  # the order's own shipping, as before


def test_an_order_with_free_shipping_reads_ucretsiz(client, shop, provider):  # noqa: F811
    ShippingMethod.objects.filter(channel=shop.web, code="standart").update(price=0)
    shipping_methods_cache_clear()
    order = placed(client, shop)

    body = client.get(f"/tr/checkout/{order.number}/pay/").content.decode()

    assert order.shipping_total == 0
    assert "Adrese teslimat — Ücretsiz" in body and "— 0,00" not in body
