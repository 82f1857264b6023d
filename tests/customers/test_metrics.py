"""Metrics per customer: kept current from orders' outbox events by a task per customer, rebuilt
in full by `crm_recompute`, and the two agree; orders placed, cancelled and returned through the
real services."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict

from customers import metrics
from customers.models import CustomerMetrics, CustomerMetricsPending, RfmThresholds
from orders.models import Fulfilment, Order
from orders.services import fulfilment, lifecycle, returns
from sales_channels import services as relay
from tests import factories as f
from tests.orders import fulfilment_helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    web = h.web_channel()
    dc = h.distribution_centre()
    kadikoy = h.store("kadikoy")
    f.sells_from(web, dc, kadikoy)
    f.sells_from(kadikoy.channel, kadikoy)
    dress = h.variant(web, kadikoy.channel, price="100.00")
    shoes = h.variant(web, kadikoy.channel, price="250.00")
    h.receive(dc, dress, shoes, quantity=500)
    h.receive(kadikoy, dress, shoes, quantity=500)
    return {"web": web, "store": kadikoy, "items": [dress, shoes]}


@pytest.fixture
def relayed(django_capture_on_commit_callbacks):
    """Relay every committed outbox event, running what is queued after its commit (the
    metrics tasks run eagerly in tests)."""

    def run() -> None:
        while True:
            with django_capture_on_commit_callbacks(execute=True):
                result = relay.outbox_relay_batch()
            if not result.events:
                return

    return run


def _counter(store):
    """A sale at the store's counter, collected there."""
    return h.pickup_delivery(store.channel, store)


def _delivered(order: Order) -> Order:
    for each in Fulfilment.objects.filter(order=order):
        fulfilment.fulfilment_pack(fulfilment=each)
        fulfilment.fulfilment_ship(fulfilment=each, carrier="Yurtiçi", tracking_number="YK1")
        fulfilment.fulfilment_deliver(fulfilment=each)
    return Order.objects.get(pk=order.pk)


def _return(order: Order, store, *, refund: bool) -> None:
    line = order.lines.first()
    asked = returns.return_request(
        order=order,
        channel=order.channel,
        lines=[{"order_line_id": line.pk, "quantity": 1, "reason": "size"}],
    )
    received = returns.return_receive(
        return_request=asked,
        location=store,
        conditions={rl.pk: "resellable" for rl in asked.lines.all()},
    )
    if refund:
        returns.return_refund(return_request=received)


def _snapshot() -> dict[int, dict]:
    return {
        row.customer_id: model_to_dict(row, exclude=["computed_at"])
        for row in CustomerMetrics.objects.order_by("customer_id")
    }


def test_an_order_placed_and_a_refunded_return_reach_the_customers_metrics(world, relayed):
    customer = f.CustomerFactory()
    web, store = world["web"], world["store"]
    dress, shoes = world["items"]
    first = h.place(web, {dress: 2}, customer=customer)
    h.place(store.channel, {shoes: 1}, customer=customer, delivery=_counter(store))
    relayed()

    row = CustomerMetrics.objects.get(customer=customer)
    assert row.orders_count == 2
    assert row.channel_mix == {"store-kadikoy": 1, "web": 1}
    assert row.favourite_store == store.pk
    assert row.returns_amount == Decimal("0.00")
    gross = sum(o.total for o in Order.objects.filter(customer=customer))
    assert row.revenue_net == row.clv_historic == gross
    assert row.average_order_value == (gross / 2).quantize(Decimal("0.01"))
    assert not CustomerMetricsPending.objects.exists()

    _return(_delivered(first), store, refund=True)
    relayed()
    row.refresh_from_db()
    assert row.returns_amount == Decimal("100.00")
    assert row.revenue_net == gross - Decimal("100.00")
    assert row.orders_count == 2


def test_a_cancelled_order_leaves_the_metrics(world, relayed):
    customer = f.CustomerFactory()
    order = h.place(world["web"], {world["items"][0]: 1}, customer=customer)
    relayed()
    assert CustomerMetrics.objects.get(customer=customer).orders_count == 1

    lifecycle.order_cancel(order=order, reason="changed mind")
    relayed()
    row = CustomerMetrics.objects.get(customer=customer)
    assert (row.orders_count, row.revenue_net, row.first_purchase_at) == (0, 0, None)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_incremental_and_the_full_path_agree(world, relayed, seed):
    """A random run of orders on two channels, pickups, cancellations and returns, each relayed
    to the incremental path as it happens; then a full recompute gives the same rows."""
    rng = random.Random(seed)
    web, store = world["web"], world["store"]
    people = [f.CustomerFactory() for _ in range(4)]
    metrics.metrics_recompute_all()  # thresholds for the incremental path (none: no buyers)
    RfmThresholds.objects.create(
        recency_days=[0, 1, 2, 3], frequency=[1, 1, 2, 3], monetary=["100", "200", "400", "800"]
    )
    placed: list[Order] = []
    for _step in range(14):
        action = rng.choice(["web", "web", "store", "pickup", "cancel", "return"])
        who = rng.choice(people)
        items = {rng.choice(world["items"]): rng.randint(1, 2)}
        if action == "web":
            placed.append(h.place(web, items, customer=who, confirm=rng.random() < 0.7))
        elif action == "store":
            placed.append(h.place(store.channel, items, customer=who, delivery=_counter(store)))
        elif action == "pickup":
            placed.append(h.place(web, items, customer=who, delivery=h.pickup_delivery(web, store)))
        elif action == "cancel" and placed:
            order = placed.pop(rng.randrange(len(placed)))
            if order.status in (Order.Status.PENDING, Order.Status.CONFIRMED):
                lifecycle.order_cancel(order=order, reason="test")
        elif action == "return" and placed:
            order = rng.choice(placed)
            if order.status == Order.Status.CONFIRMED and order.delivery == "home":
                _return(_delivered(order), store, refund=rng.random() < 0.6)
        relayed()

    incremental = _snapshot()
    assert set(incremental) <= {p.pk for p in people}
    version = metrics.thresholds_current().version
    assert {row["thresholds_version"] for row in incremental.values()} == {version}

    metrics.metrics_recompute_all(refresh_thresholds=False)
    full = _snapshot()
    for pk, row in incremental.items():
        assert full[pk] == row, pk
    for pk in set(full) - set(incremental):  # never bought: an empty row
        assert full[pk]["orders_count"] == 0


def test_the_full_run_stores_quintile_thresholds_and_scores_every_buyer(world, relayed):
    web = world["web"]
    dress = world["items"][0]
    buyers = [f.CustomerFactory() for _ in range(5)]
    for n, customer in enumerate(buyers):
        for _ in range(n + 1):
            h.place(web, {dress: 1}, customer=customer)
    f.CustomerFactory()  # no orders

    result = metrics.metrics_recompute_all(batch_size=2)

    assert (result.customers, result.buyers) == (6, 5)
    stored = RfmThresholds.objects.get()
    assert stored.frequency == [1, 2, 3, 4]
    rows = {r.customer_id: r for r in CustomerMetrics.objects.all()}
    assert [rows[c.pk].rfm_frequency for c in buyers] == [1, 2, 3, 4, 5]
    assert rows[buyers[-1].pk].rfm_score[1] == "5"
    assert rows[buyers[-1].pk].rfm_segment == "champions"
    assert all(rows[c.pk].thresholds_version == stored.pk for c in buyers)
    assert rows[buyers[-1].pk].clv_predicted > 0


def test_rfm_segments_and_the_predicted_value():
    assert metrics.rfm_segment(5, 5, 5) == "champions"
    assert metrics.rfm_segment(5, 1, 1) == "new"
    assert metrics.rfm_segment(3, 3, 2) == "need_attention"
    assert metrics.rfm_segment(1, 5, 5) == "cannot_lose"
    assert metrics.rfm_segment(2, 3, 1) == "at_risk"
    assert metrics.rfm_segment(2, 1, 1) == "hibernating"
    assert metrics.rfm_segment(1, 1, 1) == "lost"
    # a monthly buyer of 100 seen last week: 12 orders of 100 expected, still a customer
    assert metrics.clv_predicted(
        orders=5, average_order_value=Decimal(100), interval_days=Decimal("30.4166"), days=7
    ).quantize(Decimal(1)) == Decimal(1200)
    # two intervals past their usual one: e^-2 of it
    late = metrics.clv_predicted(
        orders=5, average_order_value=Decimal(100), interval_days=Decimal(30), days=90
    )
    assert late.quantize(Decimal("0.01")) == (
        Decimal(1200) * Decimal(-2).exp() * Decimal("1.0138888888888888888888888889")
    ).quantize(Decimal("0.01"))


def test_crm_recompute_rebuilds_and_refuses_bad_input_in_one_line(world, capsys):
    customer = f.CustomerFactory()
    h.place(world["web"], {world["items"][0]: 1}, customer=customer)

    call_command("crm_recompute", "--batch-size", "10")
    assert CustomerMetrics.objects.get(customer=customer).orders_count == 1
    call_command("crm_recompute", "--customer", str(customer.pk))

    for args, message in [
        (["--batch-size", "zero"], "--batch-size must be a whole number above zero"),
        (["--customer", "999999"], "No customer with the id 999999."),
    ]:
        with pytest.raises(CommandError) as error:
            call_command("crm_recompute", *args)
        assert message in str(error.value)
        assert "\n" not in str(error.value)


def test_metrics_are_computed_as_of_the_time_given(world):
    customer = f.CustomerFactory()
    order = h.place(world["web"], {world["items"][0]: 1}, customer=customer)
    later = order.created_at + dt.timedelta(days=400)
    metrics.metrics_recompute(customer_ids=[customer.pk], now=later)
    row = CustomerMetrics.objects.get(customer=customer)
    assert row.computed_at == later
    assert row.purchase_frequency_days is None
    assert row.clv_predicted < row.average_order_value


def test_the_admin_customer_page_shows_the_metrics_read_only(world, admin_client):
    from django.urls import reverse

    customer = f.CustomerFactory()
    h.place(world["web"], {world["items"][0]: 1}, customer=customer)
    page = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    assert page.status_code == 200
    metrics.metrics_recompute(customer_ids=[customer.pk])

    text = admin_client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()

    assert "web: 1" in text


def test_a_burst_of_events_is_one_task_and_a_lost_one_is_swept(
    world, django_capture_on_commit_callbacks
):
    from customers import tasks

    customer = f.CustomerFactory()
    for _ in range(2):
        h.place(world["web"], {world["items"][0]: 1}, customer=customer)  # placed, confirmed
    with django_capture_on_commit_callbacks() as queued:
        assert relay.outbox_relay_batch().events >= 4
    names = [
        cell.cell_contents.name
        for callback in queued
        for cell in getattr(callback, "__closure__", None) or ()
        if hasattr(cell.cell_contents, "name")
    ]
    # one task for the customer, however many events (and one refresh of their segments)
    assert sorted(names) == [
        "customers.tasks.customer_metrics_recompute",
        "customers.tasks.segments_refresh",
    ]
    assert CustomerMetricsPending.objects.filter(customer=customer).exists()

    # the message is lost: the sweep finds the customer once the grace has passed
    assert tasks.customer_metrics_pending() == 0
    CustomerMetricsPending.objects.update(since=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert tasks.customer_metrics_pending() == 1
    assert CustomerMetrics.objects.get(customer=customer).orders_count == 2
    assert not CustomerMetricsPending.objects.exists()
