"""Fulfilment through the services: each location picks, packs and ships what it holds of an
order, whole or in part; the order follows (partially shipped, shipped, delivered); a step the
table does not allow changes nothing. Also the endless aisle and unpaid orders running out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services as inventory
from inventory.models import Allocation, Stock, StockMovement
from omni.errors import InvalidTransition, ValidationError
from omni.models import OutboxEvent
from orders import tasks
from orders.models import Fulfilment, FulfilmentLine, Notification, Order, OrderEvent
from orders.services import fulfilment as ful
from tests import factories as f
from tests.orders import fulfilment_helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return fulfilment_helpers.web_channel()


@pytest.fixture
def dc(web):
    dc = fulfilment_helpers.distribution_centre()
    f.sells_from(web, dc)
    return dc


def stock_at(location, variant) -> tuple[int, int]:
    row = Stock.objects.get(location=location, variant=variant)
    return row.on_hand, row.allocated


def packed(fulfilment: Fulfilment) -> Fulfilment:
    ful.fulfilment_start(fulfilment=fulfilment)
    return ful.fulfilment_pack(fulfilment=fulfilment)


def test_a_fulfilment_is_picked_packed_shipped_and_delivered(web, dc):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt, quantity=5)
    order = fulfilment_helpers.place(web, {shirt: 2})
    fulfilment = order.fulfilments.get()
    clerk = f.UserFactory()

    assert (
        ful.fulfilment_start(fulfilment=fulfilment, actor=clerk).status == Fulfilment.Status.PICKING
    )
    assert (
        ful.fulfilment_pack(fulfilment=fulfilment, actor=clerk).status == Fulfilment.Status.PACKED
    )
    shipment = ful.fulfilment_ship(
        fulfilment=fulfilment, carrier="Yurtiçi Kargo", tracking_number="YK123", actor=clerk
    )

    assert shipment.remainder is None
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.carrier, fulfilment.tracking_number) == (
        Fulfilment.Status.SHIPPED,
        "Yurtiçi Kargo",
        "YK123",
    )
    assert fulfilment.shipped_at is not None
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert order.lines.get().quantity_shipped == 2
    assert stock_at(dc, shirt) == (3, 0)
    assert Allocation.objects.get(reference=order.reference).status == "consumed"
    assert StockMovement.objects.filter(reference=order.reference, kind="sale").count() == 1
    note = Notification.objects.get(order=order, kind="order_shipped")
    assert note.subject == f"fulfilment:{fulfilment.pk}"
    assert note.context == {"carrier": "Yurtiçi Kargo", "tracking_number": "YK123"}

    ful.fulfilment_deliver(fulfilment=fulfilment, actor=clerk)

    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    fulfilment.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.DELIVERED and fulfilment.delivered_at is not None
    steps = [
        (e.data["from"], e.data["to"])
        for e in order.events.filter(kind="fulfilment_status_changed")
    ]
    assert steps == [
        ("pending", "picking"),
        ("picking", "packed"),
        ("packed", "shipped"),
        ("shipped", "delivered"),
    ]
    assert [(e.from_status, e.to_status) for e in order.events.filter(kind="status_changed")] == [
        ("pending", "confirmed"),
        ("confirmed", "shipped"),
        ("shipped", "delivered"),
    ]
    assert (
        OutboxEvent.objects.filter(
            topic=ful.TOPIC_FULFILMENT_STATUS, key=f"fulfilment:{fulfilment.pk}"
        ).count()
        == 4
    )
    assert inventory.stock_audit() == []


def test_shipping_part_of_a_fulfilment_leaves_the_rest_in_a_new_pending_one(web, dc):
    shirt, towel = fulfilment_helpers.variant(web), fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt, towel, quantity=5)
    order = fulfilment_helpers.place(web, {shirt: 3, towel: 1})
    shirt_line, towel_line = order.lines.order_by("id")
    first = packed(order.fulfilments.get())

    shipment = ful.fulfilment_ship(
        fulfilment=first, carrier="Aras", tracking_number="A-1", quantities={shirt_line.pk: 2}
    )

    rest = shipment.remainder
    assert (rest.status, rest.location_id, rest.order_id) == (
        Fulfilment.Status.PENDING,
        dc.pk,
        order.pk,
    )
    assert dict(first.lines.values_list("order_line", "quantity")) == {shirt_line.pk: 2}
    assert dict(rest.lines.values_list("order_line", "quantity")) == {
        shirt_line.pk: 1,
        towel_line.pk: 1,
    }
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    assert dict(order.lines.values_list("pk", "quantity_shipped")) == {
        shirt_line.pk: 2,
        towel_line.pk: 0,
    }
    assert stock_at(dc, shirt) == (3, 1)
    assert stock_at(dc, towel) == (5, 1)

    ful.fulfilment_ship(fulfilment=packed(rest), carrier="Aras", tracking_number="A-2")

    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert dict(order.lines.values_list("pk", "quantity_shipped")) == {
        shirt_line.pk: 3,
        towel_line.pk: 1,
    }
    assert (stock_at(dc, shirt), stock_at(dc, towel)) == ((2, 0), (4, 0))
    assert list(
        Notification.objects.filter(order=order, kind="order_shipped").values_list(
            "subject", flat=True
        )
    ) == [f"fulfilment:{first.pk}", f"fulfilment:{rest.pk}"]

    ful.fulfilment_deliver(fulfilment=first)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED  # one parcel is still on its way
    ful.fulfilment_deliver(fulfilment=rest)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert inventory.stock_audit() == []


def test_each_location_ships_its_own_part_of_a_split_order(web, dc):
    izmir = fulfilment_helpers.distribution_centre("dc-izmir")
    f.sells_from(web, dc, izmir)
    shirt, towel = fulfilment_helpers.variant(web), fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt, quantity=1)
    fulfilment_helpers.receive(izmir, towel, quantity=1)
    order = fulfilment_helpers.place(web, {shirt: 1, towel: 1})
    at_dc = order.fulfilments.get(location=dc)
    at_izmir = order.fulfilments.get(location=izmir)

    ful.fulfilment_ship(fulfilment=packed(at_izmir), carrier="MNG", tracking_number="M-1")

    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    assert (stock_at(dc, shirt), stock_at(izmir, towel)) == ((1, 1), (0, 0))
    ful.fulfilment_ship(fulfilment=packed(at_dc), carrier="MNG", tracking_number="M-2")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED


def test_shipping_before_packing_is_refused_and_changes_nothing(web, dc):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt, quantity=5)
    order = fulfilment_helpers.place(web, {shirt: 1})
    fulfilment = order.fulfilments.get()
    events = OrderEvent.objects.count()

    with pytest.raises(InvalidTransition):
        ful.fulfilment_ship(fulfilment=fulfilment, carrier="Aras", tracking_number="A-1")

    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.carrier) == (Fulfilment.Status.PENDING, "")
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED
    assert stock_at(dc, shirt) == (5, 1)
    assert OrderEvent.objects.count() == events
    assert not Notification.objects.filter(kind="order_shipped").exists()


@pytest.mark.parametrize(
    ("start", "step"),
    [
        (Fulfilment.Status.PICKING, ful.fulfilment_start),
        (Fulfilment.Status.SHIPPED, ful.fulfilment_pack),
        (Fulfilment.Status.PACKED, ful.fulfilment_deliver),
        (Fulfilment.Status.CANCELLED, ful.fulfilment_start),
        (Fulfilment.Status.DELIVERED, ful.fulfilment_deliver),
    ],
)
def test_a_step_the_table_does_not_allow_is_refused(web, dc, start, step):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    order = fulfilment_helpers.place(web, {shirt: 1})
    Fulfilment.objects.filter(order=order).update(status=start)  # a test shortcut
    fulfilment = order.fulfilments.get()

    with pytest.raises(InvalidTransition):
        step(fulfilment=fulfilment)
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == start


def test_the_fulfilment_table_is_explicit_and_ends_in_final_states():
    assert ful.FULFILMENT_TRANSITIONS[Fulfilment.Status.PENDING] == {
        Fulfilment.Status.PICKING,
        Fulfilment.Status.PACKED,
        Fulfilment.Status.HANDED_OVER,
        Fulfilment.Status.CANCELLED,
    }
    assert ful.FULFILMENT_TRANSITIONS[Fulfilment.Status.PACKED] >= {Fulfilment.Status.SHIPPED}
    assert set(ful.FULFILMENT_TRANSITIONS) == set(Fulfilment.Status.values)
    for final in (
        Fulfilment.Status.DELIVERED,
        Fulfilment.Status.HANDED_OVER,
        Fulfilment.Status.CANCELLED,
    ):
        assert ful.FULFILMENT_TRANSITIONS[final] == set()


def test_an_unpaid_order_is_not_picked(web, dc):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    order = fulfilment_helpers.place(web, {shirt: 1}, confirm=False)

    with pytest.raises(InvalidTransition) as error:
        ful.fulfilment_start(fulfilment=order.fulfilments.get())
    assert error.value.code == "order_not_workable"
    assert order.fulfilments.get().status == Fulfilment.Status.PENDING


def test_shipping_more_than_the_fulfilment_holds_is_refused_and_changes_nothing(web, dc):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt, quantity=5)
    order = fulfilment_helpers.place(web, {shirt: 2})
    line = order.lines.get()
    fulfilment = packed(order.fulfilments.get())

    for quantities in ({line.pk: 3}, {line.pk: 0}, {line.pk + 1000: 1}, {}):
        with pytest.raises(ValidationError) as error:
            ful.fulfilment_ship(
                fulfilment=fulfilment, carrier="Aras", tracking_number="A", quantities=quantities
            )
        assert list(error.value.fields) == ["lines"]
    with pytest.raises(ValidationError) as error:
        ful.fulfilment_ship(fulfilment=fulfilment, carrier=" ", tracking_number="")
    assert sorted(error.value.fields) == ["carrier", "tracking_number"]

    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.PACKED
    assert FulfilmentLine.objects.get().quantity == 2
    assert order.lines.get().quantity_shipped == 0
    assert stock_at(dc, shirt) == (5, 2)


def test_a_cancelled_orders_fulfilment_cannot_be_shipped(web, dc):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    order = fulfilment_helpers.place(web, {shirt: 1})
    fulfilment = packed(order.fulfilments.get())
    from orders.services import lifecycle

    lifecycle.order_cancel(order=order, reason="customer asked")

    with pytest.raises(InvalidTransition):
        ful.fulfilment_ship(fulfilment=fulfilment, carrier="Aras", tracking_number="A-1")
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.CANCELLED
    assert stock_at(dc, shirt) == (10, 0)


def test_a_click_and_collect_order_is_collected_not_shipped(web):
    kadikoy = fulfilment_helpers.store()
    f.sells_from(web, kadikoy)
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt)
    order = fulfilment_helpers.place(
        web, {shirt: 1}, delivery=fulfilment_helpers.pickup_delivery(web, kadikoy)
    )
    fulfilment = packed(order.fulfilments.get())

    with pytest.raises(InvalidTransition) as error:
        ful.fulfilment_ship(fulfilment=fulfilment, carrier="Aras", tracking_number="A-1")
    assert error.value.code == "not_shipped_order"
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.PACKED


# --- endless aisle --------------------------------------------------------------------------


def test_staff_at_a_store_order_home_delivery_from_a_distribution_centre(dc):
    kadikoy = fulfilment_helpers.store()
    counter = kadikoy.channel
    f.sells_from(counter, kadikoy, dc)  # the store sells its own stock, then the centre's
    dress = fulfilment_helpers.variant(counter, price="900.00")
    fulfilment_helpers.receive(dc, dress, quantity=3)  # none left at the store itself
    clerk = fulfilment_helpers.store_staff(kadikoy)
    walk_in = f.CustomerFactory(email="", phone="+905321234567")

    order = fulfilment_helpers.place(
        counter,
        {dress: 1},
        delivery=fulfilment_helpers.home_delivery(counter),
        customer=walk_in,
        actor=clerk,
        confirm=False,
    )

    assert (order.channel, order.delivery, order.placed_by) == (counter, "home", clerk)
    assert order.status == Order.Status.CONFIRMED  # a store is paid at its counter
    assert Allocation.objects.get(reference=order.reference).location == dc
    assert list(order.fulfilments.values_list("location", "status")) == [
        (dc.pk, Fulfilment.Status.PENDING)
    ]
    assert order.events.get(kind="placed").actor == clerk
    assert stock_at(dc, dress) == (3, 1)


# --- unpaid orders --------------------------------------------------------------------------


def test_an_order_left_unpaid_is_cancelled_and_its_stock_released(web, dc, settings):
    settings.OMNI_UNPAID_ORDER_MINUTES = 30
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt, quantity=5)
    old = fulfilment_helpers.place(web, {shirt: 2}, confirm=False)
    recent = fulfilment_helpers.place(web, {shirt: 1}, confirm=False)
    paid = fulfilment_helpers.place(web, {shirt: 1})
    now = timezone.now()
    Order.objects.filter(pk__in=[old.pk, paid.pk]).update(created_at=now - timedelta(minutes=31))

    assert ful.orders_unpaid_expire(now=now) == 1
    assert ful.orders_unpaid_expire(now=now) == 0  # safe to run twice

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "cancelled", recent.pk: "pending", paid.pk: "confirmed"}
    assert old.events.filter(to_status="cancelled").get().message == "not paid"
    assert stock_at(dc, shirt) == (5, 2)
    assert Fulfilment.objects.get(order=old).status == Fulfilment.Status.CANCELLED


def test_the_unpaid_order_task_runs_the_service(web, dc, settings):
    settings.OMNI_UNPAID_ORDER_MINUTES = 0
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    order = fulfilment_helpers.place(web, {shirt: 1}, confirm=False)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(seconds=1))

    assert tasks.orders_unpaid_expire() == 1
    assert tasks.orders_unpaid_expire() == 0
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED


def test_beat_runs_the_orders_time_limits_and_the_notification_sweep(settings):
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["orders.tasks.notifications_send_pending"] == 60.0
    assert schedule["orders.tasks.orders_unpaid_expire"] == 300.0
    assert schedule["orders.tasks.pickups_expire"] == 3600.0
    from omni.celery import app

    for name in (
        "orders.tasks.notifications_send_pending",
        "orders.tasks.orders_unpaid_expire",
        "orders.tasks.pickups_expire",
    ):
        assert name in app.tasks
