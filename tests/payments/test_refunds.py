"""Refunds: full and partial, to the original payment or as store credit, once per key; what a
cancelled order held handed back; a received return refunded; store credit spent on another
channel."""

from decimal import Decimal

import pytest

from omni.errors import Unprocessable, ValidationError
from orders.models import Fulfilment, Notification
from orders.services import fulfilment, lifecycle, returns
from payments import services
from payments.models import ChannelGateway, Payment, Refund, StoreCreditAccount, StoreCreditEntry
from tests.payments import support

pytestmark = pytest.mark.django_db


def paid(channel=None, customer=None, **kwargs):
    order = support.place(channel or support.web_channel(), customer, **kwargs)
    payment, _ = services.payment_start(order=order, gateway_code="test", card=support.card())
    assert payment.status == "captured"
    return order, payment


def refund(order, amount, key="k1", **kwargs):
    return services.refund_create(
        order=order, amount=Decimal(amount), reason="goodwill", idempotency_key=key, **kwargs
    )


def test_a_partial_refund_to_the_card_then_the_rest(provider, django_capture_on_commit_callbacks):
    order, payment = paid()

    with django_capture_on_commit_callbacks(execute=True):
        first = refund(order, "30.00")

    first.refresh_from_db()
    payment.refresh_from_db()
    assert first.status == "succeeded"
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("30.00"))
    assert len(provider.state.refunds) == 1

    with django_capture_on_commit_callbacks(execute=True):
        refund(order, "70.00", key="k2")

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("100.00"))
    assert Notification.objects.filter(order=order, kind="refunded").count() == 2


def test_a_retry_with_the_same_key_refunds_once(provider, django_capture_on_commit_callbacks):
    order, payment = paid()

    with django_capture_on_commit_callbacks(execute=True):
        first = refund(order, "40.00")
    with django_capture_on_commit_callbacks(execute=True):
        again = refund(order, "40.00")

    assert first.pk == again.pk
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("40.00")
    assert len(provider.state.refunds) == 1
    # Processing it again (a task retried) sends nothing more.
    services.refund_process(refund=first)
    assert len(provider.state.refunds) == 1


def test_the_same_key_for_another_refund_is_refused(provider):
    order, _ = paid()
    refund(order, "40.00")

    with pytest.raises(Unprocessable):
        refund(order, "41.00")


def test_more_than_was_captured_is_refused(provider):
    order, payment = paid()

    with pytest.raises(ValidationError) as error:
        refund(order, "100.01")

    assert error.value.code == "refund_exceeds_captured"
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.amount_refunded == 0


def test_a_refund_in_flight_counts_against_what_is_left(provider):
    order, _ = paid()
    refund(order, "60.00")  # pending: its callback is not run

    with pytest.raises(ValidationError):
        refund(order, "50.00", key="k2")


def test_refund_to_store_credit_then_spend_it_on_another_channel(provider):
    customer = support.f.CustomerFactory()
    order, payment = paid(customer=customer)

    credit = refund(order, "100.00", to="store_credit")

    assert credit.status == "succeeded"  # nothing to wait for
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("100.00"))
    assert provider.state.refunds == {}
    account = StoreCreditAccount.objects.get(customer=customer)
    assert account.balance == Decimal("100.00")

    # In a store, another channel: a 60.00 order paid with store credit.
    store = support.store_channel()
    other = support.place(store, customer, price="60.00")
    spent, _result = services.payment_start(order=other, gateway_code="store_credit", channel=store)

    assert (spent.status, spent.kind, spent.amount_captured) == (
        "captured",
        "store_credit",
        Decimal("60.00"),
    )
    account.refresh_from_db()
    assert account.balance == Decimal("40.00")
    assert list(
        StoreCreditEntry.objects.filter(account=account)
        .order_by("id")
        .values_list("kind", "amount", "balance_after")
    ) == [
        ("refund", Decimal("100.00"), Decimal("100.00")),
        ("spend", Decimal("-60.00"), Decimal("40.00")),
    ]


def test_store_credit_cannot_pay_more_than_the_balance(provider):
    customer = support.f.CustomerFactory()
    order, _ = paid(customer=customer)
    refund(order, "20.00", to="store_credit")
    other = support.place(support.web_channel("app", "app"), customer, price="50.00")

    with pytest.raises(ValidationError) as error:
        services.payment_start(order=other, gateway_code="store_credit")

    assert error.value.code == "insufficient_store_credit"
    assert StoreCreditAccount.objects.get(customer=customer).balance == Decimal("20.00")
    assert not Payment.objects.filter(order=other).exists()


def test_a_store_credit_payment_refunded_goes_back_to_the_balance(provider):
    customer = support.f.CustomerFactory()
    order, _ = paid(customer=customer)
    refund(order, "100.00", to="store_credit")
    other = support.place(support.web_channel("app", "app"), customer, price="60.00")
    services.payment_start(order=other, gateway_code="store_credit")

    back = refund(other, "60.00", key="k9")

    assert back.status == "succeeded"
    assert StoreCreditAccount.objects.get(customer=customer).balance == Decimal("100.00")


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_paid_order_refunds_the_card(provider):
    order, payment = paid()

    lifecycle.order_cancel(order=order, reason="changed my mind")  # the task runs after commit

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("100.00"))
    assert Refund.objects.get(order=order).status == "succeeded"
    assert len(provider.state.refunds) == 1
    # The task again (a redelivered message) refunds nothing more.
    from payments.tasks import order_payments_release

    order_payments_release(order.pk)
    assert len(provider.state.refunds) == 1
    assert Refund.objects.filter(order=order).count() == 1


@pytest.mark.django_db(transaction=True)
def test_cancelling_an_authorised_order_voids_it(provider):
    channel = support.web_channel()
    ChannelGateway.objects.filter(channel=channel).update(config={"capture": False})
    order = support.place(channel)
    payment, _ = services.payment_start(order=order, gateway_code="test", card=support.card())
    assert payment.status == "authorised"

    lifecycle.order_cancel(order=order)

    payment.refresh_from_db()
    assert payment.status == "voided"
    assert provider.state.payments[payment.provider_reference]["status"] == "voided"
    assert not Refund.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_payment_that_succeeds_after_the_order_was_cancelled_is_handed_back(
    provider, live_server, settings
):
    settings.OMNI_PUBLIC_URL = live_server.url
    order = support.place(support.web_channel())
    payment, _ = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.LATER)
    )
    lifecycle.order_cancel(order=order)

    from tests.conftest import wait_until

    wait_until(lambda: Payment.objects.get(pk=payment.pk).status == "refunded", timeout=10)
    assert Refund.objects.get(order=order).amount == Decimal("100.00")


@pytest.mark.django_db(transaction=True)
def test_a_received_return_is_refunded_to_the_card(provider):
    channel = support.web_channel()
    order, payment = paid(channel, quantity=2)
    assert payment.amount == Decimal("200.00")
    for each in Fulfilment.objects.filter(order=order):
        fulfilment.fulfilment_pack(fulfilment=each)
        fulfilment.fulfilment_ship(fulfilment=each, carrier="Yurtiçi", tracking_number="YK1")
        fulfilment.fulfilment_deliver(fulfilment=each)
    line = order.lines.get()
    location = support.f.StockLocationFactory(code="iade", accepts_returns=True)
    asked = returns.return_request(
        order=order,
        channel=channel,
        lines=[{"order_line_id": line.pk, "quantity": 1, "reason": "size"}],
    )
    received = returns.return_receive(
        return_request=asked,
        location=location,
        conditions={ln.pk: "resellable" for ln in asked.lines.all()},
    )

    returns.return_refund(return_request=received)  # orders.refund.due → payments, after commit

    made = Refund.objects.get(order=order)
    assert (made.amount, made.status, made.return_request_id) == (
        Decimal("100.00"),
        "succeeded",
        asked.pk,
    )
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("100.00"))
    # The return's refund is made once, whoever asks again.
    services.return_refund_create(return_request=asked)
    assert Refund.objects.filter(order=order).count() == 1
    assert len(provider.state.refunds) == 1


def test_a_lost_release_message_is_done_by_the_sweep(
    provider, django_capture_on_commit_callbacks, caplog
):
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from payments.tasks import order_payments_release, releases_process_pending

    order, payment = paid()
    with (
        mock.patch.object(order_payments_release, "delay", side_effect=OperationalError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        lifecycle.order_cancel(order=order)  # committed; the broker refuses the message

    payment.refresh_from_db()
    assert payment.status == "captured"
    assert "order_payments_release not queued" in caplog.text
    type(order).objects.filter(pk=order.pk).update(
        cancelled_at=timezone.now() - timedelta(minutes=2)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert releases_process_pending() == 1

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("100.00"))
    assert releases_process_pending() == 0  # nothing is due any more
    assert len(provider.state.refunds) == 1


def test_a_lost_return_refund_message_is_done_by_the_sweep(
    provider, django_capture_on_commit_callbacks
):
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from orders.models import Return
    from payments.tasks import releases_process_pending, return_refund

    channel = support.web_channel()
    order, _ = paid(channel, quantity=2)
    for each in Fulfilment.objects.filter(order=order):
        fulfilment.fulfilment_pack(fulfilment=each)
        fulfilment.fulfilment_ship(fulfilment=each, carrier="Yurtiçi", tracking_number="YK1")
        fulfilment.fulfilment_deliver(fulfilment=each)
    line = order.lines.get()
    asked = returns.return_request(
        order=order,
        channel=channel,
        lines=[{"order_line_id": line.pk, "quantity": 1, "reason": "size"}],
    )
    received = returns.return_receive(
        return_request=asked,
        location=support.f.StockLocationFactory(code="iade", accepts_returns=True),
        conditions={ln.pk: "resellable" for ln in asked.lines.all()},
    )
    with (
        mock.patch.object(return_refund, "delay", side_effect=OperationalError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        returns.return_refund(return_request=received)

    assert not Refund.objects.filter(order=order).exists()
    Return.objects.filter(pk=asked.pk).update(updated_at=timezone.now() - timedelta(minutes=2))

    with django_capture_on_commit_callbacks(execute=True):
        assert releases_process_pending() == 1

    made = Refund.objects.get(order=order)
    assert (made.amount, made.status, made.return_request_id) == (
        Decimal("100.00"),
        "succeeded",
        asked.pk,
    )
    assert releases_process_pending() == 0


def test_beat_runs_the_release_sweep(settings):
    from omni.celery import app

    schedule = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["payments.tasks.releases_process_pending"] == 120.0
    assert "payments.tasks.releases_process_pending" in app.tasks


def test_a_refund_in_cash_is_handed_back_from_the_till_at_once(provider):
    order, payment = paid()
    store = support.store_channel()

    made = refund(order, "40.00", to="cash", channel=store)

    payment.refresh_from_db()
    assert (made.destination, made.status, made.channel) == ("cash", "succeeded", store)
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("40.00"))
    assert len(provider.state.refunds) == 0  # nothing went to the card's provider


def test_cash_is_refused_away_from_a_till_that_takes_it(provider):
    order, payment = paid()
    store = support.store_channel()
    ChannelGateway.objects.filter(channel=store, gateway="cash").update(is_active=False)

    for channel, code in [
        (None, "cash_not_here"),
        (support.web_channel("app", "app"), "cash_not_here"),
        (store, "cash_not_taken"),
    ]:
        with pytest.raises(ValidationError) as refused:
            refund(order, "40.00", to="cash", channel=channel)
        assert (refused.value.code, list(refused.value.fields)) == (code, ["to"])

    payment.refresh_from_db()
    assert not Refund.objects.exists()
    assert payment.amount_refunded == 0
