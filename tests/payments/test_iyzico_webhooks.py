"""iyzico's notifications through the payment services: they carry no amount, so before one
moves money Omni asks iyzico (payment detail) and applies its signed answer instead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments import services
from payments.gateways.base import PaymentRef
from payments.gateways.iyzico import IyzicoGateway
from payments.models import ChannelGateway, WebhookReceipt
from tests import factories as f
from tests.payments import fake_iyzico as cards
from tests.payments import support
from tests.payments.fake_iyzico import FakeIyzico

pytestmark = pytest.mark.django_db
URL = "/payments/webhooks/iyzico/"


@pytest.fixture
def iyzico(settings):
    server = FakeIyzico().start()
    settings.OMNI_PAYMENT_GATEWAYS = {"iyzico": server.config()}  # verifies the notifications
    yield server
    server.stop()


@pytest.fixture
def started(iyzico):
    """An order whose iyzico payment waits for the shopper's 3-D Secure step."""
    channel = f.ChannelFactory(code="web", kind="web")
    ChannelGateway.objects.create(channel=channel, gateway="iyzico", config=iyzico.config())
    order = support.place(channel)
    payment, _ = services.payment_start(
        order=order, gateway_code="iyzico", card=support.card(cards.APPROVE)
    )
    assert payment.status == "action_required"
    return payment


def _notify(client, iyzico, payment, **kwargs):
    headers, body = iyzico.webhook(payment.provider_reference, **kwargs)
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def _state(payment):
    payment.refresh_from_db()
    payment.order.refresh_from_db()
    return payment.status, payment.amount_captured, payment.order.status


def test_a_success_notification_iyzico_does_not_confirm_moves_nothing(client, iyzico, started):
    # Signed with the merchant's key, but iyzico still waits for the 3-D Secure step: before,
    # the notification alone (no amount to check) captured the payment and confirmed the order.
    answer = _notify(client, iyzico, started)

    assert (answer.status_code, answer.json()) == (200, {"outcome": "no_change"})
    assert iyzico.requests[-1][0] == "/payment/detail"
    assert _state(started) == ("action_required", 0, "pending")


def test_a_notification_for_a_payment_iyzico_took_captures_it_at_iyzicos_amount(
    client, iyzico, started
):
    # The shopper paid but never came back to the shop: only the notification tells.
    ref = PaymentRef(
        reference=started.reference,
        provider_reference=started.provider_reference,
        amount=started.amount,
        currency=started.currency,
    )
    IyzicoGateway(iyzico.config()).complete(ref, iyzico.callback_params(ref.provider_reference))

    answer = _notify(client, iyzico, started)

    assert answer.json() == {"outcome": "applied"}
    assert _state(started) == ("captured", Decimal("100.00"), "confirmed")
    started.refresh_from_db()
    assert [i["id"] for i in started.data["items"]]  # refundable per basket item later
    assert WebhookReceipt.objects.get().outcome == "applied"


def test_an_answer_iyzico_did_not_sign_confirms_nothing(client, iyzico, started, monkeypatch):
    ref = PaymentRef(
        reference=started.reference,
        provider_reference=started.provider_reference,
        amount=started.amount,
        currency=started.currency,
    )
    IyzicoGateway(iyzico.config()).complete(ref, iyzico.callback_params(ref.provider_reference))
    original = iyzico.detail
    monkeypatch.setattr(iyzico, "detail", lambda b, c: original(b, c) | {"signature": "0" * 64})

    answer = _notify(client, iyzico, started)

    assert answer.json() == {"outcome": "rejected_unconfirmed"}
    assert _state(started) == ("action_required", 0, "pending")


def test_a_failure_notification_declines_without_asking(client, iyzico, started):
    asked = len(iyzico.requests)

    answer = _notify(client, iyzico, started, status="FAILURE")

    assert answer.json() == {"outcome": "applied"}
    assert len(iyzico.requests) == asked
    assert _state(started) == ("declined", 0, "pending")
