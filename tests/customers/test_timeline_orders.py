"""Orders' own outbox events on the customer's timeline: customers registers a consumer with the
channel relay (sales_channels) and orders hands it whose each order is; an event relayed twice is
stored once, and a consumer that fails holds up no channel."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from customers import timeline
from customers.models import TimelineEvent
from omni.models import OutboxEvent
from omni.outbox import outbox_record
from orders.models import Order
from sales_channels import consumers
from sales_channels import services as relay
from sales_channels.models import ConsumerRetry
from tests import factories as f

pytestmark = pytest.mark.django_db

TIMELINE = "customers.timeline.timeline_from_outbox"


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


def _order(web, number, customer=None):
    return Order.objects.create(
        number=number,
        channel=web,
        origin_channel=web,
        customer=customer,
        delivery=Order.Delivery.HOME,
        currency="TRY",
        subtotal=Decimal("250.00"),
        total=Decimal("250.00"),
    )


def _orders_events(order, guest):
    with transaction.atomic():
        outbox_record(
            topic="orders.order.placed",
            key=f"order:{order.pk}",
            channel_id=order.channel_id,
            payload={
                "order": order.number,
                "channel": "web",
                "total": "250.00",
                "currency": "TRY",
                "lines": [{"sku": "A", "quantity": 2}],
            },
        )
        outbox_record(
            topic="orders.order.status_changed",
            key=f"order:{order.pk}",
            payload={"order": order.number, "status": "confirmed", "previous": "pending"},
        )
        outbox_record(
            topic="orders.refund.due",
            key="return:7",
            payload={"order": order.number, "return": 7, "amount": "100.00", "currency": "TRY"},
        )
        outbox_record(  # not a timeline event: the status change says it
            topic="orders.order.cancelled", key=f"order:{order.pk}", payload={"order": order.number}
        )
        outbox_record(  # a guest without a profile has no timeline
            topic="orders.order.placed", key=f"order:{guest.pk}", payload={"order": guest.number}
        )


def _timeline():
    return list(
        TimelineEvent.objects.order_by("id").values_list(
            "customer_id", "kind", "channel_id", "source", "event_id", "data"
        )
    )


def test_orders_events_reach_the_timeline_once_however_often_they_are_relayed(web):
    customer = f.CustomerFactory()
    order, guest = _order(web, "W-1", customer), _order(web, "W-2")
    _orders_events(order, guest)
    ids = list(OutboxEvent.objects.order_by("id").values_list("id", flat=True))

    relay.outbox_relay_batch()
    once = _timeline()
    OutboxEvent.objects.update(published_at=None)  # a relay that died before its commit
    relay.outbox_relay_batch()

    assert once == [
        (
            customer.pk,
            "order_placed",
            web.pk,
            "outbox",
            str(ids[0]),
            {"order": "W-1", "total": "250.00", "currency": "TRY", "lines": 1},
        ),
        (
            customer.pk,
            "order_status",
            web.pk,
            "outbox",
            str(ids[1]),
            {"order": "W-1", "status": "confirmed", "previous": "pending"},
        ),
        (
            customer.pk,
            "return",
            web.pk,
            "outbox",
            str(ids[2]),
            {"order": "W-1", "return": 7, "amount": "100.00", "currency": "TRY"},
        ),
    ]
    assert _timeline() == once
    created = {e.pk: e.created_at for e in OutboxEvent.objects.all()}
    assert [e.occurred_at for e in TimelineEvent.objects.order_by("id")] == [
        created[i] for i in ids[:3]
    ]


def test_the_consumer_given_the_same_events_twice_stores_them_once(web):
    customer = f.CustomerFactory()
    _orders_events(_order(web, "W-1", customer), _order(web, "W-2"))
    rows = [
        (e.pk, e.topic, e.key, e.version, e.channel_id, _json(e.payload), e.created_at)
        for e in OutboxEvent.objects.filter(topic__in=timeline.ORDER_TOPICS).order_by("id")
    ]

    timeline.timeline_from_outbox(rows)
    timeline.timeline_from_outbox(rows)

    assert TimelineEvent.objects.filter(customer=customer).count() == 3
    assert TimelineEvent.objects.count() == 3


def test_a_failing_consumer_holds_up_no_channel(web, monkeypatch):
    customer = f.CustomerFactory()
    _orders_events(_order(web, "W-1", customer), _order(web, "W-2"))

    def broken(numbers):
        raise RuntimeError("orders is down")

    monkeypatch.setattr(timeline, "_order_owners", broken)
    result = relay.outbox_relay_batch()

    assert result.events == 5
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert not TimelineEvent.objects.exists()
    # And nothing is lost: retried below.
    assert ConsumerRetry.objects.filter(consumer=TIMELINE).count() == 4


def _json(payload):
    import json

    return json.dumps(payload)


def test_a_failed_event_is_retried_until_it_reaches_the_timeline_once(web, monkeypatch):
    customer = f.CustomerFactory()
    _orders_events(_order(web, "W-1", customer), _order(web, "W-2"))
    owners = timeline._order_owners

    def down(numbers):
        raise RuntimeError("orders is down")

    monkeypatch.setattr(timeline, "_order_owners", down)
    relay.outbox_relay_batch()
    retries = ConsumerRetry.objects.filter(consumer=TIMELINE)
    assert retries.count() == 4  # the timeline's topics; the cancelled event is not its

    # Not due yet: nothing happens; then still down: it waits longer.
    assert consumers.relay_consumers_retry() == 0
    later = timezone.now() + timedelta(minutes=1)
    assert consumers.relay_consumers_retry(now=later) == 0
    assert set(retries.values_list("attempts", flat=True)) == {2}
    assert not TimelineEvent.objects.exists()
    # The outbox keeps the events while they wait, whatever their age.
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(days=30))
    relay.outbox_prune()
    assert OutboxEvent.objects.filter(pk__in=retries.values("event_id")).count() == 4

    monkeypatch.setattr(timeline, "_order_owners", owners)
    waiting = ConsumerRetry.objects.count()  # the timeline's, and other consumers' of orders
    assert consumers.relay_consumers_retry(now=later + timedelta(hours=1)) == waiting
    assert consumers.relay_consumers_retry(now=later + timedelta(hours=2)) == 0

    assert not ConsumerRetry.objects.exists()
    assert sorted(TimelineEvent.objects.values_list("kind", flat=True)) == [
        "order_placed",
        "order_status",
        "return",
    ]
    # Relayed again (a relay that died before its commit): still once.
    OutboxEvent.objects.update(published_at=None)
    relay.outbox_relay_batch()
    assert TimelineEvent.objects.count() == 3
