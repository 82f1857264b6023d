"""Instalments (taksit): the options of a card by its BIN, from the test gateway's provider and
from iyzico's instalment info, and the choice checked again and recorded when paying."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omni.errors import ValidationError
from orders.models import Order, OrderEvent
from payments import services
from payments.fake_provider import DEBIT
from payments.gateways.base import InstalmentOption, PaymentRef
from payments.gateways.iyzico import IyzicoGateway
from payments.models import Payment
from tests.payments import fake_iyzico as fake_cards
from tests.payments import support
from tests.payments.fake_iyzico import FakeIyzico
from tests.payments.test_iyzico import payment_request, started

pytestmark = pytest.mark.django_db


def _options(plan) -> list[tuple[int, str, str]]:
    return [(o.count, str(o.total), str(o.monthly)) for o in plan.options]


def test_a_credit_card_is_offered_its_instalments_with_their_totals(provider):
    order = support.place(support.web_channel(), price="1000.00")

    plan = services.instalment_options(order=order, gateway_code="test", bin_number="4242 42")

    assert (plan.bin_number, plan.amount, plan.currency) == ("424242", Decimal("1000.00"), "TRY")
    assert _options(plan) == [
        (1, "1000.00", "1000.00"),
        (2, "1000.00", "500.00"),
        (3, "1025.00", "341.67"),
        (6, "1050.00", "175.00"),
        (9, "1080.00", "120.00"),
        (12, "1115.00", "92.92"),
    ]


def test_a_debit_card_pays_in_one(provider):
    order = support.place(support.web_channel())

    plan = services.instalment_options(order=order, gateway_code="test", bin_number=DEBIT[:6])

    assert _options(plan) == [(1, "100.00", "100.00")]


@pytest.mark.parametrize("bin_number", ["42424", "4242x2", ""])
def test_a_bin_that_is_not_six_digits_is_a_field_error(provider, bin_number):
    order = support.place(support.web_channel())

    with pytest.raises(ValidationError) as refused:
        services.instalment_options(order=order, gateway_code="test", bin_number=bin_number)

    assert list(refused.value.fields) == ["bin_number"]
    assert provider.state.calls == []


def test_paying_in_instalments_records_the_count_and_the_total_and_confirms_the_order(provider):
    order = support.place(support.web_channel(), price="1000.00")

    payment, result = services.payment_start(
        order=order, gateway_code="test", card=support.card(), instalments=3
    )

    assert (result.status, payment.status) == ("captured", "captured")
    # The order's money is the amount; the shopper pays the total, the bank's charge with it.
    assert (payment.amount, payment.amount_captured, payment.currency) == (
        Decimal("1000.00"),
        Decimal("1000.00"),
        "TRY",
    )
    assert (payment.instalments, payment.instalment_total) == (3, Decimal("1025.00"))
    sent = next(iter(provider.state.payments.values()))
    assert (sent["instalments"], sent["amount"]) == (3, "1000.00")
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    started_event = OrderEvent.objects.get(order=order, kind="payment_started")
    assert (started_event.data["instalments"], started_event.data["total"]) == (3, "1025.00")


@pytest.mark.parametrize(
    ("number", "count"),
    [(support.APPROVE, 4), (DEBIT, 3), (support.APPROVE, 13), (support.APPROVE, 0)],
)
def test_a_count_the_card_does_not_offer_is_refused_before_any_money_moves(provider, number, count):
    order = support.place(support.web_channel())

    with pytest.raises(ValidationError) as refused:
        services.payment_start(
            order=order, gateway_code="test", card=support.card(number), instalments=count
        )

    assert list(refused.value.fields) == ["instalments"]
    assert not Payment.objects.filter(order=order).exists()
    assert not [call for call in provider.state.calls if call[1] == "/v1/payments"]
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_store_credit_cannot_be_split(provider):
    order = support.place(support.web_channel())

    with pytest.raises(ValidationError) as refused:
        services.payment_start(order=order, gateway_code="store_credit", instalments=2)

    assert list(refused.value.fields) == ["instalments"]
    assert not Payment.objects.filter(order=order).exists()


# --- iyzico ----------------------------------------------------------------------------------


@pytest.fixture
def iyzico():
    server = FakeIyzico().start()
    yield server
    server.stop()


def test_iyzico_instalments_come_from_its_instalment_info(iyzico):
    gateway = IyzicoGateway(iyzico.config())

    plan = gateway.instalments(bin_number="540667", amount=Decimal("500.00"), currency="TRY")

    path, body = iyzico.requests[-1]
    assert path == "/payment/iyzipos/installment"
    assert (body["binNumber"], body["price"]) == ("540667", "500.00")
    assert plan.bank == "Garanti Bankası · Bonus"
    assert _options(plan) == [
        (1, "500.00", "500.00"),
        (2, "512.00", "256.00"),
        (3, "520.00", "173.33"),
        (6, "535.00", "89.17"),
        (9, "550.00", "61.11"),
        (12, "565.00", "47.08"),
    ]


def test_iyzico_offers_a_debit_card_the_single_payment_and_asks_nothing_in_euros(iyzico):
    gateway = IyzicoGateway(iyzico.config())

    debit = gateway.instalments(
        bin_number=fake_cards.DEBIT_BIN, amount=Decimal("500.00"), currency="TRY"
    )
    euros = gateway.instalments(bin_number="540667", amount=Decimal("500.00"), currency="EUR")

    assert _options(debit) == [(1, "500.00", "500.00")]
    assert _options(euros) == [(1, "500.00", "500.00")]
    assert len(iyzico.requests) == 1  # euros: iyzico's instalments are in lira only


def test_iyzico_takes_the_total_in_instalments_and_counts_the_price_towards_the_order(iyzico):
    gateway = IyzicoGateway(iyzico.config())
    choice = InstalmentOption(
        count=3, total=Decimal("520.42"), monthly=Decimal("173.47"), currency="TRY"
    )
    request = payment_request(instalments=choice.count, instalment_total=choice.total)

    ref = started(gateway, request)
    _path, body = iyzico.requests[-1]
    assert (body["installment"], body["price"], body["paidPrice"]) == ("3", "500.40", "520.42")
    result = gateway.complete(
        PaymentRef(
            reference=ref.reference,
            provider_reference=ref.provider_reference,
            amount=ref.amount,
            currency=ref.currency,
            data=ref.data,
            instalments=3,
            instalment_total=choice.total,
        ),
        iyzico.callback_params(ref.provider_reference),
    )

    assert (result.status, result.amount, result.currency) == ("captured", Decimal("500.40"), "TRY")
