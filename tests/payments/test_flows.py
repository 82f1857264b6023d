"""The test gateway end to end against the real fake provider over HTTP: approval, decline,
3-D Secure (through the provider's own page), and results that arrive later by webhook."""

import time
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from django.test import Client

from omni.errors import Conflict, ValidationError
from orders.models import Order, OrderEvent
from payments import selectors, services
from payments.models import Payment, PaymentTransaction, WebhookReceipt
from tests.conftest import wait_until
from tests.payments import support

pytestmark = pytest.mark.django_db


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _approve_on_provider_page(redirect_url: str, decision: str = "approve") -> str:
    """The shopper on the provider's 3-D Secure page: load it, press the button, and return
    where the provider sends them back (our return URL with its query)."""
    with urllib.request.urlopen(redirect_url, timeout=5) as page:  # noqa: S310
        assert b"3-D Secure" in page.read()
    opener = urllib.request.build_opener(_NoRedirect)
    data = urllib.parse.urlencode({"decision": decision}).encode()
    try:
        opener.open(redirect_url, data=data, timeout=5)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302
        return answer.headers["Location"]
    raise AssertionError("the provider did not redirect")


def test_an_approved_card_captures_and_confirms_the_order(provider):
    order = support.place(support.web_channel())
    assert order.status == Order.Status.PENDING

    payment, result = services.payment_start(order=order, gateway_code="test", card=support.card())

    assert (payment.status, result.status) == ("captured", "captured")
    assert (payment.amount, payment.amount_authorised, payment.amount_captured) == (
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("100.00"),
    )
    assert payment.card_last4 == "4242"
    assert payment.provider_reference.startswith("pay_")
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert selectors.order_amount_due(order=order) == 0
    ledger = list(payment.transactions.values_list("kind", "status", "amount"))
    assert ledger == [
        ("authorise", "succeeded", Decimal("100.00")),
        ("capture", "succeeded", Decimal("100.00")),
    ]
    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert "payment_captured" in kinds


def test_a_declined_card_moves_no_money_and_leaves_the_order_waiting(provider):
    order = support.place(support.web_channel())

    payment, _result = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.DECLINE)
    )

    assert payment.status == "declined"
    assert payment.error_code == "insufficient_funds"
    assert (payment.amount_authorised, payment.amount_captured) == (0, 0)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert selectors.order_amount_due(order=order) == Decimal("100.00")
    assert list(payment.transactions.values_list("kind", "status")) == [("authorise", "failed")]


def test_three_d_secure_through_the_provider_page_then_completed_on_return(provider):
    order = support.place(support.web_channel())

    payment, result = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.THREE_DS)
    )

    assert payment.status == "action_required"
    assert result.redirect_url == f"{provider.url}/3ds/{payment.provider_reference}"
    assert payment.return_url.endswith(f"/payments/return/{payment.reference}/")
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING

    back = _approve_on_provider_page(result.redirect_url)
    assert back.startswith(payment.return_url)
    # The shopper's browser lands on our return page, which completes the payment.
    page = Client().get(urllib.parse.urlsplit(back).path + "?" + urllib.parse.urlsplit(back).query)

    assert page.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "captured"
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_three_d_secure_declined_on_the_provider_page(provider):
    order = support.place(support.web_channel())
    payment, result = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.THREE_DS)
    )

    _approve_on_provider_page(result.redirect_url, decision="decline")
    payment = services.payment_complete(payment=payment, params={"status": "approved"})

    # The browser said "approved"; the provider, asked directly, said no.
    assert payment.status == "declined"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_a_new_attempt_abandons_an_unfinished_three_d_secure(provider):
    order = support.place(support.web_channel())
    first, _ = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.THREE_DS)
    )

    second, _ = services.payment_start(order=order, gateway_code="test", card=support.card())

    first.refresh_from_db()
    assert (first.status, second.status) == ("cancelled", "captured")


@pytest.mark.django_db(transaction=True)
def test_a_late_result_arrives_by_signed_webhook_from_the_real_provider(
    provider, live_server, settings
):
    settings.OMNI_PUBLIC_URL = live_server.url
    order = support.place(support.web_channel())

    payment, _result = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.LATER)
    )

    assert payment.status == "pending"
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    # The provider settles it a moment later and POSTs a signed webhook to our endpoint.
    wait_until(lambda: Payment.objects.get(pk=payment.pk).status == "captured", timeout=10)
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED
    receipt = WebhookReceipt.objects.get(payment=payment)
    assert (receipt.outcome, receipt.status) == ("applied", "captured")
    wait_until(lambda: provider.state.webhooks)
    assert provider.state.webhooks[-1]["answer"] == 200


@pytest.mark.django_db(transaction=True)
def test_three_d_secure_then_the_providers_own_late_webhook_changes_nothing(
    provider, live_server, settings
):
    settings.OMNI_PUBLIC_URL = live_server.url
    order = support.place(support.web_channel())
    payment, result = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.THREE_DS)
    )
    _approve_on_provider_page(result.redirect_url)
    payment = services.payment_complete(payment=payment, params={})
    assert payment.status == "captured"

    # The provider also notifies by webhook after the shopper came back: handled, no change.
    wait_until(lambda: WebhookReceipt.objects.filter(payment=payment).exists(), timeout=10)

    assert WebhookReceipt.objects.get(payment=payment).outcome == "no_change"
    payment.refresh_from_db()
    assert (payment.status, payment.amount_captured) == ("captured", Decimal("100.00"))
    assert PaymentTransaction.objects.filter(payment=payment, kind="capture").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_late_decline_by_webhook(provider, live_server, settings):
    settings.OMNI_PUBLIC_URL = live_server.url
    order = support.place(support.web_channel())

    payment, _ = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.LATER_DECLINE)
    )

    wait_until(lambda: Payment.objects.get(pk=payment.pk).status == "declined", timeout=10)
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING


def test_an_unreachable_provider_fails_the_payment_and_says_so(settings):
    settings.OMNI_TEST_GATEWAY_URL = "http://127.0.0.1:9"  # nothing listens there
    order = support.place(support.web_channel())

    with pytest.raises(services.GatewayUnavailable):
        services.payment_start(order=order, gateway_code="test", card=support.card())

    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.error_code) == ("failed", "gateway_unavailable")


def test_a_gateway_the_channel_does_not_offer_is_refused(provider):
    order = support.place(support.web_channel())

    with pytest.raises(ValidationError) as error:
        services.payment_start(order=order, gateway_code="cash", card=support.card())

    assert error.value.code == "gateway_not_offered"
    assert not Payment.objects.exists()


def test_more_than_is_due_is_refused(provider):
    order = support.place(support.web_channel())

    with pytest.raises(ValidationError) as error:
        services.payment_start(
            order=order, gateway_code="test", amount=Decimal("100.01"), card=support.card()
        )

    assert error.value.code == "amount_exceeds_due"
    assert "amount" in error.value.fields
    assert not Payment.objects.exists()
    assert provider.state.payments == {}


def test_a_cancelled_order_cannot_be_paid(provider):
    from orders.services import lifecycle

    order = support.place(support.web_channel())
    lifecycle.order_cancel(order=order)

    with pytest.raises(Conflict):
        services.payment_start(order=order, gateway_code="test", card=support.card())


def test_part_by_card_part_by_card_again_confirms_when_covered(provider):
    order = support.place(support.web_channel())

    services.payment_start(
        order=order, gateway_code="test", amount=Decimal("40.00"), card=support.card()
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert selectors.order_amount_due(order=order) == Decimal("60.00")

    services.payment_start(order=order, gateway_code="test", card=support.card())

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert selectors.order_amount_due(order=order) == 0


def test_authorise_only_then_capture(provider):
    from payments.models import ChannelGateway

    channel = support.web_channel()
    ChannelGateway.objects.filter(channel=channel).update(config={"capture": False})
    order = support.place(channel)

    payment, _ = services.payment_start(order=order, gateway_code="test", card=support.card())
    assert (payment.status, payment.amount_authorised, payment.amount_captured) == (
        "authorised",
        Decimal("100.00"),
        0,
    )
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED  # authorised money covers the order

    payment = services.payment_capture(payment=payment)

    assert (payment.status, payment.amount_captured) == ("captured", Decimal("100.00"))
    with pytest.raises(Exception):  # noqa: B017 (InvalidTransition: nothing left)
        services.payment_capture(payment=payment)


def test_offline_cash_at_the_counter(provider):
    store = support.store_channel()
    order = support.place(store)
    assert order.status == Order.Status.CONFIRMED  # paid later: confirmed at once
    clerk = support.f.UserFactory(role="store_staff")

    payment = services.payment_record_offline(
        order=order, gateway_code="cash", amount=Decimal("100.00"), actor=clerk, channel=store
    )

    assert (payment.status, payment.kind, payment.amount_captured) == (
        "captured",
        "cash",
        Decimal("100.00"),
    )
    assert selectors.order_amount_due(order=order) == 0
    assert provider.state.calls == []  # nothing left Omni
    with pytest.raises(ValidationError):  # nothing more is due
        services.payment_record_offline(
            order=order, gateway_code="terminal", amount=Decimal("1.00"), actor=clerk, channel=store
        )


def test_a_terminal_slip_recorded_twice_is_one_payment(provider):
    store = support.store_channel()
    order = support.place(store)
    clerk = support.f.UserFactory(role="store_staff")

    first = services.payment_record_offline(
        order=order,
        gateway_code="terminal",
        amount=Decimal("100.00"),
        actor=clerk,
        channel=store,
        reference="SLIP-1",
    )
    again = services.payment_record_offline(
        order=order,
        gateway_code="terminal",
        amount=Decimal("100.00"),
        actor=clerk,
        channel=store,
        reference="SLIP-1",
    )

    assert first.pk == again.pk
    assert Payment.objects.filter(order=order).count() == 1


def test_payments_wait_briefly(provider):
    # The fake provider answers quickly: the whole module should stay fast.
    started = time.monotonic()
    order = support.place(support.web_channel())
    services.payment_start(order=order, gateway_code="test", card=support.card())
    assert time.monotonic() - started < 5
