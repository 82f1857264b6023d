"""Fulfilment: what each location picks, packs, ships or hands over, and the order's life after
it is placed (click and collect, time limits).

A fulfilment's own state machine (FULFILMENT_TRANSITIONS, applied by FULFILMENT_MACHINE):

    pending ──► picking ──► packed ──► shipped ──► delivered
    pending ───────────────► packed                  (a one-piece order needs no picking)
    pending, picking or packed ──► handed_over (collected at the store)
                               └─► cancelled   (the order was cancelled)

Every service here is atomic and locks the order row first (orders.locks.order_lock), so that
everything about one order, its fulfilments included, is serialised by that one lock; only then
does it call inventory, which locks the allocation rows and then the variants (the lock order
of lifecycle.py). The order's status changes only through lifecycle.order_transition, and each
fulfilment change is an order event and an outbox event.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from inventory import services as inventory
from inventory.models import Allocation, Transfer
from omni.errors import Conflict, InvalidTransition, ValidationError
from omni.outbox import outbox_record
from omni.state import StateMachine
from orders.locks import order_lock
from orders.models import Fulfilment, FulfilmentLine, Notification, Order, OrderLine
from orders.services.lifecycle import (
    ORDER_MACHINE,
    notify,
    order_cancel,
    order_event,
    order_transition,
)
from sales_channels.models import Channel

FULFILMENT_TRANSITIONS: dict[str, set[str]] = {
    Fulfilment.Status.PENDING: {
        Fulfilment.Status.PICKING,
        Fulfilment.Status.PACKED,
        Fulfilment.Status.HANDED_OVER,
        Fulfilment.Status.CANCELLED,
    },
    Fulfilment.Status.PICKING: {
        Fulfilment.Status.PACKED,
        Fulfilment.Status.HANDED_OVER,
        Fulfilment.Status.CANCELLED,
    },
    Fulfilment.Status.PACKED: {
        Fulfilment.Status.SHIPPED,
        Fulfilment.Status.HANDED_OVER,
        Fulfilment.Status.CANCELLED,
    },
    Fulfilment.Status.SHIPPED: {Fulfilment.Status.DELIVERED},
    Fulfilment.Status.DELIVERED: set(),
    Fulfilment.Status.HANDED_OVER: set(),
    Fulfilment.Status.CANCELLED: set(),
}

# Fulfilments that still have work to do at their location (the pick list).
OPEN_STATUSES = (Fulfilment.Status.PENDING, Fulfilment.Status.PICKING, Fulfilment.Status.PACKED)
# An order whose goods may be picked, packed and shipped.
WORKABLE_ORDER_STATUSES = (Order.Status.CONFIRMED, Order.Status.PARTIALLY_SHIPPED)

TOPIC_FULFILMENT_STATUS = "orders.fulfilment.status_changed"
NOT_COLLECTED = "not collected"
NOT_PAID = "not paid"


@dataclass
class Shipment:
    """What fulfilment_ship did: the fulfilment that left, and the new pending fulfilment with
    what stays behind when only part of it was shipped."""

    fulfilment: Fulfilment
    remainder: Fulfilment | None
    order: Order


# --- one fulfilment's transitions -----------------------------------------------------------


def _fulfilment_refused(fulfilment: Fulfilment, to: str) -> str:
    return _("Fulfilment %(id)s is %(status)s and cannot become %(to)s.") % {
        "id": fulfilment.pk,
        "status": fulfilment.get_status_display().lower(),
        "to": Fulfilment.Status(to).label.lower(),
    }


def _fulfilment_status_recorded(
    fulfilment: Fulfilment,
    before: str,
    to: str,
    *,
    order: Order,
    actor: User | None = None,
    channel: Channel | None = None,
) -> None:
    """A fulfilment's change: an order event, and the other channels told (outbox)."""
    event = order_event(
        order,
        "fulfilment_status_changed",
        actor=actor,
        channel=channel,
        data={
            "fulfilment": fulfilment.pk,
            "location": fulfilment.location_id,
            "from": before,
            "to": to,
        },
    )
    outbox_record(
        topic=TOPIC_FULFILMENT_STATUS,
        key=f"fulfilment:{fulfilment.pk}",
        version=event.pk,
        channel_id=order.channel_id,
        payload={
            "order": order.number,
            "fulfilment": fulfilment.pk,
            "location": fulfilment.location_id,
            "status": to,
            "previous": before,
            "carrier": fulfilment.carrier,
            "tracking_number": fulfilment.tracking_number,
        },
    )


FULFILMENT_MACHINE: StateMachine[Fulfilment, None] = StateMachine(
    "fulfilment",
    states=Fulfilment.Status,
    transitions=FULFILMENT_TRANSITIONS,
    refused=_fulfilment_refused,
    record=_fulfilment_status_recorded,
)


def fulfilment_transition(
    fulfilment: Fulfilment,
    to: str,
    *,
    order: Order,
    actor: User | None = None,
    channel: Channel | None = None,
    **changes: object,
) -> None:
    """Move a fulfilment of a locked order to `to` (with any field `changes`), or raise
    InvalidTransition and change nothing. Records an order event and an outbox event."""
    FULFILMENT_MACHINE.move(
        fulfilment, to, changes=changes, order=order, actor=actor, channel=channel
    )


def _locked_fulfilment(fulfilment: Fulfilment) -> tuple[Order, Fulfilment]:
    """The fulfilment's order, locked, and the fulfilment read again under that lock (every
    writer of an order's fulfilments holds the order's lock first)."""
    order = order_lock(fulfilment.order_id)
    return order, Fulfilment.objects.select_related("location").get(pk=fulfilment.pk)


def _require_workable(order: Order) -> None:
    if order.status not in WORKABLE_ORDER_STATUSES:
        raise InvalidTransition(
            _("Order %(number)s is %(status)s: its goods cannot be picked, packed or shipped.")
            % {"number": order.number, "status": order.get_status_display().lower()},
            code="order_not_workable",
        )


def fulfilment_start(
    *, fulfilment: Fulfilment, actor: User | None = None, channel: Channel | None = None
) -> Fulfilment:
    """Picking starts at the location (the order must be confirmed)."""
    with transaction.atomic():
        order, fulfilment = _locked_fulfilment(fulfilment)
        _require_workable(order)
        fulfilment_transition(
            fulfilment, Fulfilment.Status.PICKING, order=order, actor=actor, channel=channel
        )
    return fulfilment


def fulfilment_pack(
    *, fulfilment: Fulfilment, actor: User | None = None, channel: Channel | None = None
) -> Fulfilment:
    """Picked and packed: ready for the courier (or for the customer at the counter)."""
    with transaction.atomic():
        order, fulfilment = _locked_fulfilment(fulfilment)
        _require_workable(order)
        fulfilment_transition(
            fulfilment, Fulfilment.Status.PACKED, order=order, actor=actor, channel=channel
        )
    return fulfilment


def _ship_quantities(
    lines: list[FulfilmentLine], quantities: Mapping[int, int] | None
) -> dict[int, int]:
    """{order line id: units to ship} checked against the fulfilment's lines; None ships all."""
    held = {line.order_line_id: line.quantity for line in lines}
    if quantities is None:
        return held
    if not quantities:
        raise ValidationError.for_field("lines", _("Ship at least one line."), code="required")
    errors = []
    for line_id, units in sorted(quantities.items()):
        if line_id not in held:
            errors.append(_("Line %(line)s is not part of this fulfilment.") % {"line": line_id})
        elif units < 1 or units > held[line_id]:
            errors.append(
                _("Line %(line)s: ship from 1 to %(max)d units.")
                % {"line": line_id, "max": held[line_id]}
            )
    if errors:
        raise ValidationError(fields={"lines": errors})
    return dict(quantities)


def fulfilment_ship(
    *,
    fulfilment: Fulfilment,
    carrier: str,
    tracking_number: str,
    quantities: Mapping[int, int] | None = None,
    actor: User | None = None,
    channel: Channel | None = None,
) -> Shipment:
    """A packed fulfilment (or part of it: `quantities` is {order line id: units}) leaves its
    location with a carrier. The order's allocations there are consumed for those units, the
    lines count them as shipped, and what stays behind becomes a new pending fulfilment. The
    order becomes partially shipped or shipped, and the customer is told (once per
    fulfilment)."""
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    missing = {
        name: [_("This field is required.")]
        for name, value in (("carrier", carrier), ("tracking_number", tracking_number))
        if not value
    }
    if missing:
        raise ValidationError(fields=missing)
    with transaction.atomic():
        order, fulfilment = _locked_fulfilment(fulfilment)
        if order.delivery == Order.Delivery.PICKUP:
            raise InvalidTransition(
                _("Order %(number)s is collected at the store, not shipped.")
                % {"number": order.number},
                code="not_shipped_order",
            )
        _require_workable(order)
        FULFILMENT_MACHINE.require(fulfilment, Fulfilment.Status.SHIPPED)
        lines = list(fulfilment.lines.select_related("order_line").order_by("id"))
        ship = _ship_quantities(lines, quantities)
        refs = {line.order_line_id: line.order_line.line_ref for line in lines}
        inventory.allocations_consume(
            reference=order.reference,
            location_id=fulfilment.location_id,
            quantities={refs[line_id]: units for line_id, units in ship.items()},
            actor=actor,
        )
        OrderLine.objects.filter(pk__in=list(ship)).update(
            quantity_shipped=F("quantity_shipped")
            + Case(
                *(When(pk=line_id, then=Value(units)) for line_id, units in ship.items()),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        remainder = _split_remainder(order, fulfilment, lines, ship)
        now = timezone.now()
        fulfilment_transition(
            fulfilment,
            Fulfilment.Status.SHIPPED,
            order=order,
            actor=actor,
            channel=channel,
            carrier=carrier[:60],
            tracking_number=tracking_number[:80],
            shipped_at=now,
        )
        unshipped = OrderLine.objects.filter(
            order=order, quantity_shipped__lt=F("quantity")
        ).exists()
        to = Order.Status.PARTIALLY_SHIPPED if unshipped else Order.Status.SHIPPED
        if order.status != to:
            order_transition(order, to, actor=actor, channel=channel)
        notify(
            order,
            Notification.Kind.SHIPPED,
            subject=f"fulfilment:{fulfilment.pk}",
            context={"carrier": fulfilment.carrier, "tracking_number": fulfilment.tracking_number},
        )
    return Shipment(fulfilment=fulfilment, remainder=remainder, order=order)


def _split_remainder(
    order: Order, fulfilment: Fulfilment, lines: list[FulfilmentLine], ship: dict[int, int]
) -> Fulfilment | None:
    """Keep in the shipped fulfilment only what ships; the rest goes to a new pending one at
    the same location (its units stay allocated there)."""
    rest = [(line, line.quantity - ship.get(line.order_line_id, 0)) for line in lines]
    rest = [(line, units) for line, units in rest if units > 0]
    if not rest:
        return None
    remainder = Fulfilment.objects.create(order=order, location_id=fulfilment.location_id)
    FulfilmentLine.objects.bulk_create(
        FulfilmentLine(fulfilment=remainder, order_line_id=line.order_line_id, quantity=units)
        for line, units in rest
    )
    gone = [line.pk for line in lines if not ship.get(line.order_line_id)]
    if gone:
        FulfilmentLine.objects.filter(pk__in=gone).delete()
    for line in lines:
        units = ship.get(line.order_line_id, 0)
        if units and units != line.quantity:
            FulfilmentLine.objects.filter(pk=line.pk).update(quantity=units)
    return remainder


def fulfilment_deliver(
    *, fulfilment: Fulfilment, actor: User | None = None, channel: Channel | None = None
) -> Fulfilment:
    """The carrier delivered it. When every fulfilment of the order that is not cancelled has
    been delivered, so has the order."""
    with transaction.atomic():
        order, fulfilment = _locked_fulfilment(fulfilment)
        fulfilment_transition(
            fulfilment,
            Fulfilment.Status.DELIVERED,
            order=order,
            actor=actor,
            channel=channel,
            delivered_at=timezone.now(),
        )
        open_ones = (
            Fulfilment.objects.filter(order=order)
            .exclude(status__in=[Fulfilment.Status.DELIVERED, Fulfilment.Status.CANCELLED])
            .exists()
        )
        if not open_ones and ORDER_MACHINE.allows(order.status, Order.Status.DELIVERED):
            order_transition(order, Order.Status.DELIVERED, actor=actor, channel=channel)
    return fulfilment


# --- click and collect ----------------------------------------------------------------------


def pickup_code() -> str:
    """The code the customer shows at the store to collect the order (order_collect checks it)."""
    return f"{secrets.randbelow(10**6):06d}"


def order_units_on_the_way(order: Order) -> bool:
    """Are any of the order's units still travelling to its pickup store (a transfer not yet
    received, or an allocation in transit)?"""
    return (
        Allocation.objects.filter(
            reference=order.reference, status=Allocation.Status.IN_TRANSIT
        ).exists()
        or Transfer.objects.filter(
            order_reference=order.reference,
            status__in=[Transfer.Status.REQUESTED, Transfer.Status.SHIPPED],
        ).exists()
    )


def _require_pickup(order: Order) -> None:
    if order.delivery != Order.Delivery.PICKUP or order.pickup_location_id is None:
        raise Conflict(
            _("Order %(number)s is not a click-and-collect order.") % {"number": order.number},
            code="not_click_and_collect",
        )


def order_ready_for_pickup(
    *, order: Order, actor: User | None = None, channel: Channel | None = None
) -> Order:
    """The goods are set aside at the store: the customer gets a pickup code and a date to
    collect by (the channel's pickup hold). Refused while any unit is still on its way."""
    with transaction.atomic():
        order = order_lock(order)
        _require_pickup(order)
        ORDER_MACHINE.require(order, Order.Status.READY_FOR_PICKUP)
        if order_units_on_the_way(order):
            raise Conflict(
                _(
                    "Some items of order %(number)s are still on their way to the store; it can be made ready when they arrive."
                )
                % {"number": order.number},
                code="items_in_transit",
            )
        now = timezone.now()
        order.pickup_code = pickup_code()
        order.pickup_deadline = now + timedelta(days=order.channel.pickup_hold_days)
        order.save(update_fields=["pickup_code", "pickup_deadline", "updated_at"])
        for fulfilment in Fulfilment.objects.filter(
            order=order,
            location_id=order.pickup_location_id,
            status__in=[Fulfilment.Status.PENDING, Fulfilment.Status.PICKING],
        ):
            fulfilment_transition(
                fulfilment, Fulfilment.Status.PACKED, order=order, actor=actor, channel=channel
            )
        order_transition(order, Order.Status.READY_FOR_PICKUP, actor=actor, channel=channel)
        notify(order, Notification.Kind.READY_FOR_PICKUP)
    return order


def order_collect(
    *, order: Order, code: str, actor: User | None = None, channel: Channel | None = None
) -> Order:
    """The customer collects: staff enter or scan the pickup code. A wrong code changes
    nothing. The units leave the store (a sale in the ledger) and the order is collected. Two
    staff collecting at once are serialised by the order's lock: the second finds it collected
    and gets InvalidTransition."""
    with transaction.atomic():
        order = order_lock(order)
        _require_pickup(order)
        if order.status != Order.Status.READY_FOR_PICKUP:
            # Narrower than the table (a counter sale is collected at once from confirmed).
            raise ORDER_MACHINE.refusal(order, Order.Status.COLLECTED)
        given = (code or "").strip().encode()
        if not order.pickup_code or not secrets.compare_digest(order.pickup_code.encode(), given):
            raise ValidationError.for_field(
                "code", _("This pickup code is not right."), code="wrong_pickup_code"
            )
        inventory.allocations_consume(
            reference=order.reference, location_id=order.pickup_location_id, actor=actor
        )
        now = timezone.now()
        for fulfilment in Fulfilment.objects.filter(order=order, status__in=OPEN_STATUSES):
            fulfilment_transition(
                fulfilment,
                Fulfilment.Status.HANDED_OVER,
                order=order,
                actor=actor,
                channel=channel,
                shipped_at=now,
                delivered_at=now,
            )
        OrderLine.objects.filter(order=order).update(quantity_shipped=F("quantity"))
        order_transition(order, Order.Status.COLLECTED, actor=actor, channel=channel)
    return order


def order_hand_over(
    *,
    order: Order,
    actor: User | None = None,
    channel: Channel | None = None,
    locked: bool = False,
    allocated: bool = True,
) -> Order:
    """A counter sale: paid, and handed over at the store at once. The stock leaves the store
    (a sale in the ledger) and the order is collected. `allocated=False`: a till's sale whose
    stock its caller moves (placed without allocation)."""
    with transaction.atomic():
        if not locked:
            order = order_lock(order)
        if allocated:
            inventory.allocations_consume(reference=order.reference, actor=actor)
        now = timezone.now()
        Fulfilment.objects.filter(order=order).update(
            status=Fulfilment.Status.HANDED_OVER, shipped_at=now, delivered_at=now, updated_at=now
        )
        OrderLine.objects.filter(order=order).update(quantity_shipped=F("quantity"))
        order_transition(order, Order.Status.COLLECTED, actor=actor, channel=channel)
    return order


# --- time limits ----------------------------------------------------------------------------


def _cancel_each(ids: list[int], *, still_due: Callable[[Order], bool], reason: str) -> int:
    """Cancel each order that is still due once locked (another run, or staff, may have got
    there first: then it is left alone). One transaction per order."""
    cancelled = 0
    for pk in ids:
        with transaction.atomic():
            order = order_lock(pk)
            if not still_due(order):
                continue
            order_cancel(order=order, reason=reason)
            cancelled += 1
    return cancelled


def pickups_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """Click-and-collect orders not collected by their deadline are cancelled and their stock
    released. Safe to run twice."""
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=Order.Status.READY_FOR_PICKUP, pickup_deadline__lt=now)
        .order_by("pickup_deadline", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return _cancel_each(
        ids,
        still_due=lambda o: (
            o.status == Order.Status.READY_FOR_PICKUP
            and o.pickup_deadline is not None
            and o.pickup_deadline < now
        ),
        reason=NOT_COLLECTED,
    )


def orders_unpaid_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """Orders still waiting for their payment after OMNI_UNPAID_ORDER_MINUTES are cancelled and
    their stock released. Safe to run twice."""
    now = now or timezone.now()
    before = now - timedelta(minutes=settings.OMNI_UNPAID_ORDER_MINUTES)
    ids = list(
        Order.objects.filter(status=Order.Status.PENDING, created_at__lt=before)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return _cancel_each(
        ids,
        still_due=lambda o: o.status == Order.Status.PENDING and o.created_at < before,
        reason=NOT_PAID,
    )
