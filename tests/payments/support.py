"""Shared by the payments tests: a web channel that takes cards through the "test" gateway, a
store that takes cash and its terminal, orders placed through the real order service, and the
fake card provider on a free port."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from customers.models import Customer
from orders.models import Order
from orders.services import carts, checkout
from payments.fake_provider import FakeProvider, signature_header
from payments.models import ChannelGateway
from sales_channels.models import Channel
from tests import factories as f

SECRET = "whsec-test-secret"
API_KEY = "sk-test-key"
APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
THREE_DS = "4000000000003220"
LATER = "4000000000000077"
LATER_DECLINE = "4000000000000341"


def card(number: str = APPROVE):
    from payments.gateways.base import Card

    return Card(holder="Ayşe Kaya", number=number, exp_month="12", exp_year="2030", cvc="123")


def card_json(number: str = APPROVE) -> dict:
    return {
        "holder": "Ayşe Kaya",
        "number": number,
        "exp_month": "12",
        "exp_year": "2030",
        "cvc": "123",
    }


@pytest.fixture
def provider(settings):
    """The fake card provider on a free port, and the settings that point the gateway at it."""
    server = FakeProvider(secret=SECRET, api_key=API_KEY, webhook_delay=0.2)
    server.start()
    settings.OMNI_TEST_GATEWAY_URL = server.url
    settings.OMNI_TEST_GATEWAY_SECRET = SECRET
    settings.OMNI_TEST_GATEWAY_API_KEY = API_KEY
    yield server
    server.stop()


def web_channel(code: str = "web", kind: str = "web") -> Channel:
    channel = f.ChannelFactory(code=code, kind=kind)
    ChannelGateway.objects.get_or_create(channel=channel, gateway="test")
    return channel


def store_channel(code: str = "store-kadikoy") -> Channel:
    channel = f.ChannelFactory(code=code, kind="store", pay_later=True)
    for n, gateway in enumerate(["cash", "terminal"]):
        ChannelGateway.objects.get_or_create(channel=channel, gateway=gateway, sort_order=n)
    return channel


def place(
    channel: Channel,
    customer: Customer | None = None,
    *,
    price: str = "100.00",
    quantity: int = 1,
    variant=None,
    accept: bool = True,
) -> Order:
    """An order for `quantity` of a variant at `price`, delivered home (shipping is free over
    1000.00; below that 49.90 is added); on a web or app channel its legal forms accepted, as
    the shopper does before paying (unless `accept` is False)."""
    customer = customer or f.CustomerFactory()
    if variant is None:
        variant = f.product(channels=[channel], price=price).variants.get()
        f.stocked(channel, variant, quantity=50)
    method = f.ShippingMethodFactory(channel=channel, price=Decimal("0.00"))
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    delivery = checkout.delivery_build(
        channel=channel, method="home", shipping_method=method.code, address=f.ADDRESS
    )
    order = checkout.order_place(cart=cart, channel=channel, delivery=delivery, customer=customer)
    return f.forms_accepted(order) if accept else order


def signed(
    event: dict, *, secret: str = SECRET, timestamp: int | None = None
) -> tuple[dict, bytes]:
    body = json.dumps(event).encode()
    return {"Omni-Test-Signature": signature_header(secret, body, timestamp)}, body


def event(
    payment, status: str, *, event_id: str, created: float, amount=None, currency=None
) -> dict:
    return {
        "id": event_id,
        "type": f"payment.{status}",
        "created": created,
        "data": {
            "id": payment.provider_reference,
            "reference": payment.reference,
            "status": status,
            "amount": str(amount if amount is not None else payment.amount),
            "currency": currency or payment.currency,
        },
    }
