"""Loyalty points as a means of payment (the "loyalty" gateway, the store-credit path): spent
on any channel, never more than the balance, given back by a refund; and a card payment
captured earns points through the outbox relay."""

from decimal import Decimal

import pytest
from django.utils import translation

from customers.loyalty.services import loyalty_adjust
from customers.models import LoyaltyAccount, LoyaltyEntry
from omni.errors import ValidationError
from payments import services
from payments.models import Payment, StoreCreditAccount
from sales_channels import services as relay
from tests.customers import loyalty_support
from tests.payments import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def club():
    return loyalty_support.programme()


def _with_points(points):
    customer = support.f.CustomerFactory()
    loyalty_adjust(customer=customer, points=points, reason="welcome", actor=None)
    return customer


def _available(customer):
    return LoyaltyAccount.objects.get(customer=customer).available


def test_points_pay_an_order_at_the_store_counter(club):
    customer = _with_points(1000)  # worth 100.00
    store = support.store_channel()
    order = support.place(store, customer, price="60.00")

    payment, result = services.payment_start(order=order, gateway_code="loyalty", channel=store)

    assert (payment.status, payment.kind, payment.amount_captured) == (
        "captured",
        "loyalty",
        Decimal("60.00"),
    )
    assert result.raw["points"] == 600
    assert _available(customer) == 400
    spend = LoyaltyEntry.objects.get(kind="spend")
    assert (spend.points, spend.order_number) == (-600, order.number)


def test_points_cannot_pay_more_than_the_balance(club):
    customer = _with_points(100)  # worth 10.00
    order = support.place(support.store_channel(), customer, price="60.00")

    with pytest.raises(ValidationError) as error, translation.override("tr"):
        services.payment_start(order=order, gateway_code="loyalty")

    assert error.value.code == "insufficient_points"
    assert error.value.fields == {"amount": ["600 puan gerekiyor; kullanılabilir puan 100."]}
    assert _available(customer) == 100
    assert not Payment.objects.filter(order=order).exists()


def test_a_refund_of_a_points_payment_gives_the_points_back(club):
    customer = _with_points(1000)
    order = support.place(support.store_channel(), customer, price="60.00")
    services.payment_start(order=order, gateway_code="loyalty")

    first = services.refund_create(
        order=order, amount=Decimal("20.00"), reason="x", idempotency_key="r1"
    )
    for _again in range(2):  # store credit asked: the points still come back, once
        services.refund_create(
            order=order,
            amount=Decimal("40.00"),
            reason="x",
            idempotency_key="r2",
            to="store_credit",
        )

    assert first.status == "succeeded"
    assert _available(customer) == 1000
    assert list(
        LoyaltyEntry.objects.filter(kind="spend_reversed").order_by("pk").values_list("points")
    ) == [(200,), (400,)]
    assert not StoreCreditAccount.objects.filter(customer=customer).exists()


def test_a_captured_card_payment_earns_pending_points(club, provider):
    customer = support.f.CustomerFactory()
    order = support.place(support.web_channel(), customer, price="250.00")
    services.payment_start(order=order, gateway_code="test", card=support.card())

    relay.outbox_relay_batch()

    account = LoyaltyAccount.objects.get(customer=customer)
    assert (account.available, account.pending) == (0, 250)


def test_a_shopper_pays_with_points_through_the_api(club):
    from customers.services import customer_for_user
    from tests.orders.api_support import signed_in

    user, client = signed_in()
    customer = customer_for_user(user=user)
    loyalty_adjust(customer=customer, points=700, reason="welcome", actor=None)
    first = support.place(support.web_channel(), customer, price="60.00")
    second = support.place(support.web_channel("app", "app"), customer, price="60.00")
    url = "/api/v1/orders/{}/payments/"

    paid = client.post(url.format(first.number), {"gateway": "loyalty"}, format="json")
    short = client.post(url.format(second.number), {"gateway": "loyalty"}, format="json")

    assert (paid.status_code, paid.json()["status"]) == (201, "captured")
    assert short.status_code == 400
    assert short.json()["code"] == "insufficient_points"
    assert short.json()["fields"] == {"amount": ["600 puan gerekiyor; kullanılabilir puan 100."]}
    assert _available(customer) == 100
