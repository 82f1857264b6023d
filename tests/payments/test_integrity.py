"""What the database itself refuses, what two concurrent captures or refunds can do (one of
them), and where card data never goes."""

import logging
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from omni.errors import OmniError
from payments import services
from payments.models import ChannelGateway, Payment, PaymentTransaction, Refund
from tests.payments import support

pytestmark = pytest.mark.django_db


def _paid(**kwargs):
    order = support.place(support.web_channel(), **kwargs)
    payment, _ = services.payment_start(order=order, gateway_code="test", card=support.card())
    return order, payment


@pytest.mark.parametrize(
    "change",
    [
        {"amount_captured": Decimal("100.01")},  # beyond what was authorised
        {"amount_refunded": Decimal("100.01")},  # beyond what was captured
        {"amount_authorised": Decimal("100.01")},  # beyond the payment
        {"amount_refunded": Decimal("-1")},
    ],
)
def test_the_database_refuses_totals_that_break_the_invariants(provider, change):
    _order, payment = _paid()

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(**change)


@pytest.mark.postgres
def test_the_database_refuses_a_payment_in_another_currency_than_its_order(provider):
    _order, payment = _paid()

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(currency="EUR")
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentTransaction.objects.filter(payment=payment).update(currency="USD")


# --- concurrency ----------------------------------------------------------------------------


def _race(target, n: int = 2) -> list:
    barrier = threading.Barrier(n)
    results: list = []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except OmniError as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_captures_capture_once(provider):
    channel = support.web_channel()
    ChannelGateway.objects.filter(channel=channel).update(config={"capture": False})
    order = support.place(channel)
    payment, _ = services.payment_start(order=order, gateway_code="test", card=support.card())
    assert payment.status == "authorised"

    results = _race(lambda: services.payment_capture(payment=Payment.objects.get(pk=payment.pk)))

    assert sum(isinstance(r, Payment) for r in results) == 1
    assert sum(isinstance(r, OmniError) for r in results) == 1
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == ("captured", Decimal("100.00"))
    assert payment.transactions.filter(kind="capture", status="succeeded").count() == 1
    captures = [c for c in provider.state.calls if c[1].endswith("/capture")]
    assert len(captures) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_full_refunds_refund_once(provider):
    order, payment = _paid()

    keys = iter(["a", "b"])
    lock = threading.Lock()

    def refund_all():
        with lock:
            key = next(keys)
        return services.refund_create(
            order=order, amount=Decimal("100.00"), reason="race", idempotency_key=key
        )

    results = _race(refund_all)

    assert sum(isinstance(r, Refund) for r in results) == 1
    assert sum(isinstance(r, OmniError) for r in results) == 1
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("100.00"))
    assert len(provider.state.refunds) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_refund_sent_twice_at_once_is_one_refund(provider):
    order, payment = _paid()

    results = _race(
        lambda: services.refund_create(
            order=order, amount=Decimal("100.00"), reason="race", idempotency_key="same"
        )
    )

    assert all(isinstance(r, Refund) for r in results)
    assert results[0].pk == results[1].pk
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("100.00")
    assert len(provider.state.refunds) == 1


# --- card data ------------------------------------------------------------------------------


def _all_text_in_the_database() -> str:
    parts = []
    with connection.cursor() as cursor:
        for model in (Payment, PaymentTransaction, Refund):
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608
            parts += [repr(row) for row in cursor.fetchall()]
        for table in ("payments_webhookreceipt", "orders_orderevent", "omni_outboxevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            parts += [repr(row) for row in cursor.fetchall()]
    return "\n".join(parts)


def test_card_numbers_and_codes_are_never_stored_or_logged(provider, caplog, client):
    caplog.set_level(logging.DEBUG)
    for number in (support.APPROVE, support.DECLINE, support.THREE_DS):
        order = support.place(support.web_channel())
        _payment, _result = services.payment_start(
            order=order, gateway_code="test", card=support.card(number)
        )
        assert repr(support.card(number)).count(number) == 0

    stored = _all_text_in_the_database()
    logged = caplog.text
    for number in (support.APPROVE, support.DECLINE, support.THREE_DS):
        assert number not in stored
        assert number not in logged
        assert number[:12] not in stored
    assert "'123'" not in stored  # the CVC
    assert "4242" in stored  # the last four digits are kept, and that is all


def test_the_redactor_masks_card_numbers_and_secret_keys():
    from payments.redact import redact

    raw = {
        "card": {"number": "4242424242424242"},
        "note": "paid with 4242 4242 4242 4242",
        "cvc": "123",
        "id": "pay_1",
        "order": "ME1001",
    }

    assert redact(raw) == {
        "card": "[redacted]",
        "note": "paid with [redacted]",
        "cvc": "[redacted]",
        "id": "pay_1",
        "order": "ME1001",
    }
