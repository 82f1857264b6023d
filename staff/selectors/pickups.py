"""Reads of the click-and-collect and ship-from-store screens, scoped to the store's stock
location: what is outside it is a 404, exactly like what does not exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from inventory.models import StockLocation
from orders.models import Fulfilment, Order
from orders.selectors import fulfilments_read, fulfilments_to_work, pickup_orders, pickup_queue
from orders.services.fulfilment import OPEN_STATUSES, WORKABLE_ORDER_STATUSES

# --- click and collect ----------------------------------------------------------------------

PICKUP_SECTIONS = ("prepare", "ready", "overdue")


@dataclass
class PickupQueue:
    """A store's queue split in its three sections (one query for the orders, one for their
    lines, whatever their number)."""

    prepare: list[Order] = field(default_factory=list)
    ready: list[Order] = field(default_factory=list)
    overdue: list[Order] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in PICKUP_SECTIONS}


def pickup_queue_sections(*, location: StockLocation, now: datetime | None = None) -> PickupQueue:
    """To prepare (confirmed, with `items_arrived` False while a transfer brings them), ready
    (waiting for the customer until the deadline) and overdue (ready, past the deadline)."""
    now = now or timezone.now()
    queue = PickupQueue()
    for order in pickup_queue(location=location):
        if order.status == Order.Status.CONFIRMED:
            queue.prepare.append(order)
        elif order.pickup_deadline is not None and order.pickup_deadline < now:
            queue.overdue.append(order)
        else:
            queue.ready.append(order)
    return queue


def pickup_order_at(*, location: StockLocation, number: str) -> Order:
    """A click-and-collect order to be collected at this store, with its lines (404 for any
    other store's order)."""
    order = pickup_orders().filter(pickup_location=location, number=number).first()
    if order is None:
        raise Http404("No such click-and-collect order at this store.")
    return order


def ready_orders_with_code(*, location: StockLocation, code: str) -> list[Order]:
    """The orders ready for pickup at this store whose pickup code is `code` (the hand-over
    by the code alone: normally one)."""
    code = (code or "").strip()
    if not code:
        return []
    return list(
        pickup_orders()
        .filter(pickup_location=location, status=Order.Status.READY_FOR_PICKUP, pickup_code=code)
        .order_by("id")[:2]
    )


# --- ship from store ------------------------------------------------------------------------

SHIPPING_SECTIONS: dict[str, tuple[str, ...]] = {
    "pick": (Fulfilment.Status.PENDING,),
    "picking": (Fulfilment.Status.PICKING,),
    "packed": (Fulfilment.Status.PACKED,),
    "shipped": (Fulfilment.Status.SHIPPED,),
}
SHIPPED_SHOWN = 100  # the shipped tab lists the latest ones awaiting delivery


def shipping_counts(*, location: StockLocation) -> dict[str, int]:
    """How many fulfilments each tab holds, in one query."""
    rows = (
        Fulfilment.objects.filter(location=location)
        .exclude(order__delivery=Order.Delivery.PICKUP)
        .filter(
            Q(status__in=OPEN_STATUSES, order__status__in=WORKABLE_ORDER_STATUSES)
            | Q(status=Fulfilment.Status.SHIPPED)
        )
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_status = {row["status"]: row["n"] for row in rows}
    return {
        name: sum(by_status.get(status, 0) for status in statuses)
        for name, statuses in SHIPPING_SECTIONS.items()
    }


def shipping_list(*, location: StockLocation, section: str) -> list[Fulfilment]:
    """One tab's fulfilments with their order and lines (three queries whatever their
    number); the shipped tab shows the latest first."""
    queryset = fulfilments_to_work(location=location, statuses=SHIPPING_SECTIONS[section])
    if section == "shipped":
        return list(queryset.order_by("-shipped_at", "-id")[:SHIPPED_SHOWN])
    return list(queryset)


def pick_sheet(*, location: StockLocation) -> list[Fulfilment]:
    """The printable pick list: what is still to pick (to pick and picking)."""
    return list(
        fulfilments_to_work(
            location=location, statuses=(Fulfilment.Status.PENDING, Fulfilment.Status.PICKING)
        )
    )


def fulfilment_at(*, location: StockLocation, pk: int) -> Fulfilment:
    """A fulfilment of this location, with its order and lines (404 for another's)."""
    found: QuerySet[Fulfilment] = fulfilments_read().filter(location=location, pk=pk)
    fulfilment = found.first()
    if fulfilment is None:
        raise Http404("No such fulfilment at this store.")
    return fulfilment
