"""Allocating a placed order's stock and opening its fulfilments, one per location the plan
ships from: the last of order_place's writes (orders.services.placement), and an exchange's
(orders.services.exchanges), so both are allocated and fulfilled alike.

Its statements do not grow with the lines: one stock_allocate (two for click and collect when
the store lacks some), the fulfilments and the event in one batch, their lines in one insert.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import User
from inventory import services as inventory
from inventory.models import StockLocation
from inventory.routing import Plan
from omni.db import WriteBatch, insert_many
from omni.errors import OmniError
from orders.models import Fulfilment, FulfilmentLine, Order, OrderEvent, OrderLine
from orders.services.delivery import PICKUP_READY_HOURS, TRANSFER_DAYS, Delivery
from orders.services.lifecycle import order_event_build
from sales_channels.models import Channel

# The order lines each fulfilment ships, with their quantities (one list per fulfilment).
Parts = list[list[tuple[OrderLine, int]]]


def order_allocate(
    *,
    order: Order,
    lines: list[OrderLine],
    channel: Channel,
    delivery: Delivery,
    reservation_reference: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> tuple[list[Fulfilment], OrderEvent]:
    """Hold the order's stock and open a fulfilment per location the plan ships from. Click and
    collect takes the chosen store's own stock, or, when it lacks some, the channel's nearest
    stock brought by transfer (the order is then ready later). Used by order_place and by an
    exchange (orders.services.exchanges), so both are allocated and fulfilled alike. Returns the
    fulfilments opened (with their locations) and the event recorded."""
    now = now or timezone.now()
    requests = [
        inventory.LineRequest(line.variant_id, line.quantity, line.line_ref) for line in lines
    ]
    store = delivery.pickup_location
    if store is not None:
        result, transfer_needed = _stock_allocate_for_pickup(
            order=order,
            requests=requests,
            channel=channel,
            delivery=delivery,
            store=store,
            reservation_reference=reservation_reference,
            actor=actor,
        )
        fulfilments, parts = _pickup_fulfilment(
            order=order,
            lines=lines,
            plan=result.plan,
            store=store,
            transfer_needed=transfer_needed,
            actor=actor,
            now=now,
        )
    else:
        result = inventory.stock_allocate(
            channel=channel,
            reference=order.reference,
            lines=requests,
            destination=delivery.destination(),
            reservation_reference=reservation_reference,
            actor=actor,
            savepoint=False,  # a shortage fails the whole order
            # Ship from store: the parcel leaves one of the channel's stores, not a warehouse.
            from_kind=StockLocation.Kind.STORE
            if delivery.method == Order.Delivery.SHIP_FROM_STORE
            else None,
        )
        fulfilments, parts = _shipping_fulfilments(order=order, lines=lines, plan=result.plan)
    event = order_event_build(
        order,
        "allocated",
        actor=actor,
        channel=channel,
        data={"plan": result.plan.explanation},
        at=now,
    )
    _fulfilments_write(fulfilments, parts, event)
    return fulfilments, event


def order_fulfil_unallocated(
    *,
    order: Order,
    lines: list[OrderLine],
    channel: Channel,
    delivery: Delivery,
    actor: User | None = None,
    now: datetime | None = None,
) -> tuple[list[Fulfilment], OrderEvent]:
    """A till's sale recorded later (order_place with allocate=False): one fulfilment at the
    store for every unit, no stock held (the goods were handed over; the caller records their
    movements). Returns the fulfilments and the event, as order_allocate does."""
    store = delivery.pickup_location
    assert store is not None, "a till sale is collected at the store"
    fulfilments = [Fulfilment(order=order, location=store)]
    parts = [[(line, line.quantity) for line in lines]]
    event = order_event_build(
        order,
        "allocated",
        actor=actor,
        channel=channel,
        data={"plan": "sold at the till; stock recorded as moved outside Omni"},
        at=now or timezone.now(),
    )
    _fulfilments_write(fulfilments, parts, event)
    return fulfilments, event


def _stock_allocate_for_pickup(
    *,
    order: Order,
    requests: list[inventory.LineRequest],
    channel: Channel,
    delivery: Delivery,
    store: StockLocation,
    reservation_reference: str | None,
    actor: User | None,
) -> tuple[inventory.AllocationResult, bool]:
    """The stock for click and collect: the store's own, else routed from the channel's stock
    to be brought by transfer (then True)."""
    try:
        # stock_allocate's own savepoint makes a store without the stock not an error.
        result = inventory.stock_allocate(
            channel=channel,
            reference=order.reference,
            lines=requests,
            pickup_location=store,
            reservation_reference=reservation_reference,
            actor=actor,
            savepoint=True,
        )
    except OmniError:  # not all at the store: route from the channel's stock, then transfer
        result = inventory.stock_allocate(
            channel=channel,
            reference=order.reference,
            lines=requests,
            destination=delivery.destination(),
            reservation_reference=reservation_reference,
            actor=actor,
        )
        return result, True
    return result, False


def _pickup_fulfilment(
    *,
    order: Order,
    lines: list[OrderLine],
    plan: Plan,
    store: StockLocation,
    transfer_needed: bool,
    actor: User | None,
    now: datetime,
) -> tuple[list[Fulfilment], Parts]:
    """One fulfilment at the store for every unit; the transfers that bring what the store
    lacks; and when the order will be ready (saved on it)."""
    by_variant = {line.variant_id: line for line in lines}
    fulfilments = [Fulfilment(order=order, location=store)]
    parts = [
        [
            (by_variant[vid], qty)
            for shipment in plan.shipments
            for vid, qty in shipment.items.items()
        ]
    ]
    if transfer_needed:
        ready = now + timedelta(days=TRANSFER_DAYS)
        locations = StockLocation.objects.in_bulk([s.location_id for s in plan.shipments])
        for shipment in plan.shipments:
            if shipment.location_id != store.pk:
                inventory.transfer_for_order(
                    source=locations[shipment.location_id],
                    destination=store,
                    lines=shipment.items,
                    order_reference=order.reference,
                    expected_at=ready,
                    actor=actor,
                )
    else:
        ready = now + timedelta(hours=PICKUP_READY_HOURS)
    order.pickup_ready_by = ready
    order.save(update_fields=["pickup_ready_by"])
    return fulfilments, parts


def _shipping_fulfilments(
    *, order: Order, lines: list[OrderLine], plan: Plan
) -> tuple[list[Fulfilment], Parts]:
    """A fulfilment per location the plan ships from, with its location when the channel's
    stock configuration knows it (no query)."""
    by_variant = {line.variant_id: line for line in lines}
    known = inventory.channel_config().locations
    fulfilments, parts = [], []
    for shipment in plan.shipments:
        fulfilment = Fulfilment(order=order, location_id=shipment.location_id)
        if shipment.location_id in known:
            fulfilment.location = known[shipment.location_id]
        fulfilments.append(fulfilment)
        parts.append([(by_variant[vid], qty) for vid, qty in shipment.items.items()])
    return fulfilments, parts


def _fulfilments_write(fulfilments: list[Fulfilment], parts: Parts, event: OrderEvent) -> None:
    """The fulfilments and the event in one batch, then every fulfilment's lines in one
    insert (they need the fulfilments' keys)."""
    batch = WriteBatch()
    batch.insert(Fulfilment, fulfilments)
    batch.insert(OrderEvent, [event])
    batch.execute()
    insert_many(
        FulfilmentLine,
        [
            FulfilmentLine(fulfilment=fulfilment, order_line=line, quantity=qty)
            for fulfilment, part in zip(fulfilments, parts, strict=True)
            for line, qty in part
        ],
    )
