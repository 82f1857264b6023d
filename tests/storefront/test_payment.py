"""The payment step through payments.services and the fake card provider: a card paid at
once, and one that needs 3-D Secure (to the bank and back)."""

from __future__ import annotations

import re

import pytest

from orders.models import Order
from payments.models import ChannelGateway
from tests.payments.support import APPROVE, THREE_DS, provider  # noqa: F401 (a fixture)
from tests.storefront.test_shopping import ADDRESS, add, checkout_form

pytestmark = pytest.mark.django_db


def placed(client, shop) -> Order:
    ChannelGateway.objects.get_or_create(channel=shop.web, gateway="test")
    add(client, shop.variant(shop.products[0]))
    data = {**checkout_form(client), **ADDRESS, "email": "kart@example.com",
            "delivery": "home", "shipping_method": "standart"}  # fmt: skip
    assert client.post("/tr/checkout/", data).status_code == 302
    return Order.objects.get()


def card(number: str) -> dict:
    return {"gateway": "test", "holder": "Ayşe Kaya", "number": number,
            "exp_month": "12", "exp_year": "2030", "cvc": "123",
            "accept_agreements": "on"}  # fmt: skip


def test_card_paid_at_once_confirms_the_order(client, shop, provider):  # noqa: F811
    order = placed(client, shop)
    response = client.post(f"/tr/checkout/{order.number}/pay/", card(APPROVE))
    assert response.headers["Location"] == f"/tr/checkout/{order.number}/done/"
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_bad_card_input_is_a_field_error(client, shop, provider):  # noqa: F811
    order = placed(client, shop)
    response = client.post(f"/tr/checkout/{order.number}/pay/", {**card("12"), "cvc": "x"})
    assert response.status_code == 400
    assert 'value="Ayşe Kaya"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_three_d_secure_goes_to_the_bank_and_back(client, shop, provider):  # noqa: F811
    order = placed(client, shop)
    response = client.post(f"/tr/checkout/{order.number}/pay/", card(THREE_DS))
    bank = response.headers["Location"]
    assert bank.startswith(provider.url)
    provider.three_ds_decide(re.search(r"/3ds/([^/?]+)", bank)[1], "approve")
    back = client.post(f"/tr/checkout/{order.number}/pay/return/")
    assert back.headers["Location"] == f"/tr/checkout/{order.number}/done/"
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
