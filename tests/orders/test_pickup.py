"""Click and collect: the order is made ready at the store once every unit is there, the
customer collects it with the pickup code, and one not collected in time is cancelled and
restocked. Two staff collecting the same order at once: exactly one succeeds."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inventory import services as inventory
from inventory.models import Allocation, Stock, StockMovement, Transfer
from omni.errors import Conflict, InvalidTransition, OmniError, ValidationError
from orders import tasks
from orders.models import Fulfilment, Notification, Order, OrderEvent
from orders.services import fulfilment as ful
from tests import factories as f
from tests.orders import fulfilment_helpers


@pytest.fixture
def web():
    return fulfilment_helpers.web_channel()


@pytest.fixture
def kadikoy(web):
    store = fulfilment_helpers.store()
    f.sells_from(web, store)
    return store


def stock_at(location, variant) -> tuple[int, int]:
    row = Stock.objects.get(location=location, variant=variant)
    return row.on_hand, row.allocated


def pickup_order(web, store, variant, quantity=1) -> Order:
    return fulfilment_helpers.place(
        web, {variant: quantity}, delivery=fulfilment_helpers.pickup_delivery(web, store)
    )


@pytest.mark.django_db
def test_an_order_in_the_store_is_made_ready_with_a_code_and_a_deadline(web, kadikoy):
    web.pickup_hold_days = 5
    web.save(update_fields=["pickup_hold_days"])
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt, quantity=3)
    order = pickup_order(web, kadikoy, shirt)
    clerk = fulfilment_helpers.store_staff(kadikoy)
    before = timezone.now()

    ful.order_ready_for_pickup(order=order, actor=clerk, channel=kadikoy.channel)

    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP
    assert len(order.pickup_code) == 6 and order.pickup_code.isdigit()
    assert before + timedelta(days=5) <= order.pickup_deadline <= timezone.now() + timedelta(days=5)
    assert order.fulfilments.get().status == Fulfilment.Status.PACKED  # set aside at the counter
    event = order.events.get(to_status="ready_for_pickup")
    assert (event.actor, event.channel) == (clerk, kadikoy.channel)
    assert Notification.objects.filter(order=order, kind="ready_for_pickup").count() == 1
    assert stock_at(kadikoy, shirt) == (3, 1)


@pytest.mark.django_db
def test_an_order_is_not_ready_while_its_units_are_on_their_way(web, kadikoy):
    dc = fulfilment_helpers.distribution_centre()
    f.sells_from(web, kadikoy, dc)
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt, quantity=5)  # nothing at the store: a transfer brings it
    order = pickup_order(web, kadikoy, shirt, quantity=2)
    transfer = Transfer.objects.get(order_reference=order.reference)

    for step in (None, inventory.transfer_ship):
        if step:
            step(transfer=transfer)
        with pytest.raises(Conflict) as error:
            ful.order_ready_for_pickup(order=order)
        assert error.value.code == "items_in_transit"
        order.refresh_from_db()
        assert (order.status, order.pickup_code, order.pickup_deadline) == ("confirmed", "", None)
        assert not Notification.objects.filter(kind="ready_for_pickup").exists()

    inventory.transfer_receive(transfer=transfer)
    ful.order_ready_for_pickup(order=order)

    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP
    assert stock_at(kadikoy, shirt) == (2, 2)


@pytest.mark.django_db
def test_only_a_click_and_collect_order_is_made_ready(web, kadikoy):
    dc = fulfilment_helpers.distribution_centre()
    f.sells_from(web, dc)
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    order = fulfilment_helpers.place(web, {shirt: 1})

    with pytest.raises(Conflict) as error:
        ful.order_ready_for_pickup(order=order)
    assert error.value.code == "not_click_and_collect"
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED


@pytest.mark.django_db
def test_an_unpaid_order_is_not_made_ready(web, kadikoy):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt)
    order = fulfilment_helpers.place(
        web, {shirt: 1}, delivery=fulfilment_helpers.pickup_delivery(web, kadikoy), confirm=False
    )

    with pytest.raises(InvalidTransition):
        ful.order_ready_for_pickup(order=order)
    assert Order.objects.get(pk=order.pk).pickup_code == ""


@pytest.mark.django_db
def test_the_customer_collects_with_the_code(web, kadikoy):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt, quantity=3)
    order = pickup_order(web, kadikoy, shirt, quantity=2)
    ful.order_ready_for_pickup(order=order)
    order.refresh_from_db()
    clerk = fulfilment_helpers.store_staff(kadikoy)

    ful.order_collect(
        order=order, code=f" {order.pickup_code} ", actor=clerk, channel=kadikoy.channel
    )

    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED
    fulfilment = order.fulfilments.get()
    assert (
        fulfilment.status == Fulfilment.Status.HANDED_OVER and fulfilment.delivered_at is not None
    )
    assert order.lines.get().quantity_shipped == 2
    assert stock_at(kadikoy, shirt) == (1, 0)
    sale = StockMovement.objects.get(reference=order.reference, kind="sale")
    assert (sale.quantity, sale.actor) == (2, clerk)
    assert order.events.get(to_status="collected").actor == clerk
    assert inventory.stock_audit() == []


@pytest.mark.django_db
def test_a_wrong_code_changes_nothing(web, kadikoy):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt, quantity=3)
    order = pickup_order(web, kadikoy, shirt)
    ful.order_ready_for_pickup(order=order)
    order.refresh_from_db()
    wrong = f"{(int(order.pickup_code) + 1) % 10**6:06d}"
    events = OrderEvent.objects.count()

    for code in (wrong, "", "ğ" * 6):
        with pytest.raises(ValidationError) as error:
            ful.order_collect(order=order, code=code)
        assert list(error.value.fields) == ["code"]
        assert error.value.code == "wrong_pickup_code"

    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP
    assert order.fulfilments.get().status == Fulfilment.Status.PACKED
    assert stock_at(kadikoy, shirt) == (3, 1)
    assert OrderEvent.objects.count() == events


@pytest.mark.django_db
def test_an_order_is_collected_once(web, kadikoy):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt, quantity=3)
    order = pickup_order(web, kadikoy, shirt)
    ful.order_ready_for_pickup(order=order)
    order.refresh_from_db()
    ful.order_collect(order=order, code=order.pickup_code)

    with pytest.raises(InvalidTransition):
        ful.order_collect(order=order, code=order.pickup_code)
    assert stock_at(kadikoy, shirt) == (2, 0)
    assert order.events.filter(to_status="collected").count() == 1


@pytest.mark.django_db
def test_an_order_not_yet_ready_cannot_be_collected(web, kadikoy):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt)
    order = pickup_order(web, kadikoy, shirt)

    with pytest.raises(InvalidTransition):
        ful.order_collect(order=order, code="")
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED


@pytest.mark.django_db
def test_a_pickup_not_collected_in_time_is_cancelled_and_restocked(web, kadikoy):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt, quantity=3)
    late = pickup_order(web, kadikoy, shirt)
    waiting = pickup_order(web, kadikoy, shirt)
    for order in (late, waiting):
        ful.order_ready_for_pickup(order=order)
    now = timezone.now()
    Order.objects.filter(pk=late.pk).update(pickup_deadline=now - timedelta(minutes=1))

    assert ful.pickups_expire(now=now) == 1
    assert ful.pickups_expire(now=now) == 0  # safe to run twice

    assert dict(Order.objects.values_list("pk", "status")) == {
        late.pk: "cancelled",
        waiting.pk: "ready_for_pickup",
    }
    assert late.events.get(to_status="cancelled").message == "not collected"
    assert late.fulfilments.get().status == Fulfilment.Status.CANCELLED
    assert Allocation.objects.get(reference=late.reference).status == "released"
    assert stock_at(kadikoy, shirt) == (3, 1)
    assert Notification.objects.filter(order=late, kind="order_cancelled").count() == 1


@pytest.mark.django_db
def test_the_pickup_expiry_task_runs_the_service(web, kadikoy):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt)
    order = pickup_order(web, kadikoy, shirt)
    ful.order_ready_for_pickup(order=order)
    Order.objects.filter(pk=order.pk).update(pickup_deadline=timezone.now() - timedelta(hours=1))

    assert tasks.pickups_expire() == 1
    assert tasks.pickups_expire() == 0
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_collecting_the_same_pickup_at_once_one_succeeds(web, kadikoy):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(kadikoy, shirt, quantity=3)
    order = pickup_order(web, kadikoy, shirt, quantity=2)
    ful.order_ready_for_pickup(order=order)
    order.refresh_from_db()
    clerks = [fulfilment_helpers.store_staff(kadikoy), fulfilment_helpers.store_staff(kadikoy)]
    barrier = threading.Barrier(len(clerks))
    outcomes: list[object] = [None] * len(clerks)

    def collect(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes[i] = ful.order_collect(
                order=Order(pk=order.pk), code=order.pickup_code, actor=clerks[i]
            )
        except BaseException as error:
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=collect, args=(i,)) for i in range(len(clerks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)

    won = [o for o in outcomes if isinstance(o, Order)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], InvalidTransition) and isinstance(lost[0], OmniError)
    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED
    assert order.events.filter(to_status="collected").count() == 1
    assert StockMovement.objects.filter(reference=order.reference, kind="sale").count() == 1
    assert stock_at(kadikoy, shirt) == (1, 0)
    assert order.lines.get().quantity_shipped == 2
    assert inventory.stock_audit() == []
