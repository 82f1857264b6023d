"""The webhook endpoint: signature and timestamp checked, duplicates ignored by event id,
out-of-order events never move a payment backwards, and a provider speaking of another amount
or currency moves nothing."""

import time
from decimal import Decimal

import pytest

from orders.models import Order
from payments import services
from payments.models import Payment, WebhookReceipt
from tests.payments import support

pytestmark = pytest.mark.django_db
URL = "/payments/webhooks/test/"


def _post(client, event, **kwargs):
    headers, body = support.signed(event, **kwargs)
    return client.post(URL, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def pending(provider):
    """A payment waiting for its result (the provider settles it later)."""
    provider.webhook_delay = 60  # the provider's own webhook stays out of these tests
    order = support.place(support.web_channel())
    payment, _ = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.LATER)
    )
    assert payment.status == "pending"
    return payment


def _state(payment):
    payment.refresh_from_db()
    return payment.status, payment.amount_captured, payment.order.status


def test_a_signed_webhook_captures_and_confirms(client, pending):
    answer = _post(
        client, support.event(pending, "captured", event_id="evt_1", created=time.time())
    )

    assert answer.status_code == 200
    assert answer.json() == {"outcome": "applied"}
    pending.order.refresh_from_db()
    assert _state(pending) == ("captured", Decimal("100.00"), "confirmed")


def test_a_replayed_webhook_is_answered_200_and_ignored(client, pending):
    event = support.event(pending, "captured", event_id="evt_1", created=time.time())
    _post(client, event)

    again = _post(client, event)

    assert again.status_code == 200
    assert again.json() == {"outcome": "duplicate"}
    assert WebhookReceipt.objects.count() == 1
    assert pending.transactions.filter(kind="capture").count() == 1


def test_a_bad_signature_is_a_400_and_changes_nothing(client, pending):
    answer = _post(
        client,
        support.event(pending, "captured", event_id="evt_1", created=time.time()),
        secret="wrong",
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_signature"
    assert _state(pending) == ("pending", 0, "pending")
    assert not WebhookReceipt.objects.exists()


def test_a_tampered_body_is_a_400(client, pending):
    headers, body = support.signed(
        support.event(pending, "declined", event_id="evt_1", created=time.time())
    )
    body = body.replace(b"declined", b"captured")

    answer = client.post(URL, data=body, content_type="application/json", headers=headers)

    assert answer.status_code == 400
    assert _state(pending) == ("pending", 0, "pending")


def test_a_stale_timestamp_is_a_400(client, pending):
    old = int(time.time()) - 301
    answer = _post(
        client, support.event(pending, "captured", event_id="evt_1", created=old), timestamp=old
    )

    assert answer.status_code == 400
    assert _state(pending) == ("pending", 0, "pending")


def test_no_signature_at_all_is_a_400(client, pending):
    answer = client.post(URL, data=b"{}", content_type="application/json")

    assert answer.status_code == 400


def test_an_unknown_gateway_is_a_404(client):
    assert (
        client.post(
            "/payments/webhooks/nope/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_out_of_order_webhooks_never_move_a_payment_backwards(client, pending):
    now = time.time()
    _post(client, support.event(pending, "captured", event_id="evt_2", created=now))

    # The earlier "action_required" and "authorised" events arrive after "captured".
    late = _post(client, support.event(pending, "authorised", event_id="evt_1", created=now - 5))
    later = _post(
        client, support.event(pending, "action_required", event_id="evt_0", created=now - 9)
    )

    assert (late.status_code, later.status_code) == (200, 200)
    assert late.json()["outcome"] == "stale"
    assert later.json()["outcome"] == "stale"
    assert _state(pending) == ("captured", Decimal("100.00"), "confirmed")


def test_a_step_that_is_not_allowed_is_ignored_even_when_newer(client, pending):
    now = time.time()
    _post(client, support.event(pending, "captured", event_id="evt_1", created=now))

    answer = _post(client, support.event(pending, "declined", event_id="evt_2", created=now + 1))

    assert answer.json()["outcome"] == "ignored"
    assert _state(pending) == ("captured", Decimal("100.00"), "confirmed")


def test_a_webhook_with_another_amount_moves_nothing(client, pending, caplog):
    answer = _post(
        client,
        support.event(pending, "captured", event_id="evt_1", created=time.time(), amount="1.00"),
    )

    assert answer.json()["outcome"] == "rejected_amount"
    assert _state(pending) == ("pending", 0, "pending")
    pending.refresh_from_db()
    assert pending.error_code == "amount_mismatch"
    assert f"payment {pending.reference}: amount_mismatch (provider says 1.00)" in caplog.text
    assert "evt_1 refused: rejected_amount" in caplog.text


def test_a_webhook_with_another_currency_moves_nothing(client, pending, caplog):
    answer = _post(
        client,
        support.event(pending, "captured", event_id="evt_1", created=time.time(), currency="USD"),
    )

    assert answer.json()["outcome"] == "rejected_currency"
    assert _state(pending) == ("pending", 0, "pending")
    pending.refresh_from_db()
    assert pending.error_code == "currency_mismatch"
    assert f"payment {pending.reference}: currency_mismatch (provider says USD)" in caplog.text
    assert "evt_1 refused: rejected_currency" in caplog.text


def test_a_webhook_for_an_unknown_payment_is_acknowledged(client, pending):
    other = Payment(
        reference="PAY-UNKNOWN", provider_reference="pay_x", amount=Decimal("5"), currency="TRY"
    )
    answer = _post(client, support.event(other, "captured", event_id="evt_9", created=time.time()))

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "unknown_payment"
    assert Order.objects.get(pk=pending.order_id).status == "pending"


# --- a notification must state the amount and currency, or the provider is asked -------------


def _without(event: dict, *names: str) -> dict:
    data = {k: v for k, v in event["data"].items() if k not in names}
    return event | {"data": data}


@pytest.mark.parametrize("missing", [("amount",), ("currency",), ("amount", "currency")])
def test_a_captured_webhook_that_leaves_out_the_amount_is_checked_with_the_provider(
    client, pending, provider, missing
):
    # Signed, but silent on the money: the provider (still "pending") is asked and believed.
    event = support.event(pending, "captured", event_id="evt_1", created=time.time())

    answer = _post(client, _without(event, *missing))

    assert (answer.status_code, answer.json()) == (200, {"outcome": "no_change"})
    assert ("GET", f"/v1/payments/{pending.provider_reference}") in provider.state.calls
    assert _state(pending) == ("pending", 0, "pending")


def test_a_webhook_without_an_amount_applies_what_the_provider_says(client, pending, provider):
    provider.settle(pending.provider_reference, "captured")  # the provider took the money
    event = support.event(pending, "captured", event_id="evt_1", created=time.time())

    answer = _post(client, _without(event, "amount"))

    assert answer.json() == {"outcome": "applied"}
    pending.order.refresh_from_db()
    assert _state(pending) == ("captured", Decimal("100.00"), "confirmed")


def test_a_webhook_without_an_amount_is_refused_when_the_provider_cannot_be_asked(
    client, pending, monkeypatch, caplog
):
    from payments.gateways.testcard import TestCardGateway

    def cannot(self, payment):
        raise NotImplementedError

    monkeypatch.setattr(TestCardGateway, "retrieve", cannot)
    event = support.event(pending, "captured", event_id="evt_1", created=time.time())

    answer = _post(client, _without(event, "amount"))

    assert answer.json() == {"outcome": "rejected_amount"}
    assert _state(pending) == ("pending", 0, "pending")
    pending.refresh_from_db()
    assert pending.error_code == "amount_mismatch"
    assert WebhookReceipt.objects.get().outcome == "rejected_amount"
    assert "refused: rejected_amount" in caplog.text


def test_a_webhook_is_answered_503_when_the_provider_cannot_be_reached(client, pending, settings):
    settings.OMNI_TEST_GATEWAY_URL = "http://127.0.0.1:9"  # nothing listens there
    event = support.event(pending, "captured", event_id="evt_1", created=time.time())

    answer = _post(client, _without(event, "amount"))

    assert answer.status_code == 503
    assert _state(pending) == ("pending", 0, "pending")
    assert not WebhookReceipt.objects.exists()  # the provider's retry is not a "duplicate"


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "Infinity", "-1e999999"])
def test_a_webhook_whose_amount_is_no_number_moves_nothing(client, pending, amount):
    answer = _post(
        client,
        support.event(pending, "captured", event_id="evt_1", created=time.time(), amount=amount),
    )

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "rejected_amount"
    assert _state(pending) == ("pending", 0, "pending")
