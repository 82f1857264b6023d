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
from omni.db import WriteBatch, insert_many
from omni.errors import OmniError
from orders.models import Fulfilment, FulfilmentLine, Order, OrderEvent, OrderLine
from orders.services.delivery import PICKUP_READY_HOURS, TRANSFER_DAYS, Delivery
from orders.services.lifecycle import order_event_build
from sales_channels.models import Channel


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
    reservation = reservation_reference
    store = delivery.pickup_location
    transfer_needed = False
    if store is not None:
        try:
            # stock_allocate's own savepoint makes a store without the stock not an error.
            result = inventory.stock_allocate(
                channel=channel,
                reference=order.reference,
                lines=requests,
                pickup_location=store,
                reservation_reference=reservation,
                actor=actor,
                savepoint=True,
            )
        except OmniError:  # not all at the store: route from the channel's stock, then transfer
            result = inventory.stock_allocate(
                channel=channel,
                reference=order.reference,
                lines=requests,
                destination=delivery.destination(),
                reservation_reference=reservation,
                actor=actor,
            )
            transfer_needed = True
    else:
        result = inventory.stock_allocate(
            channel=channel,
            reference=order.reference,
            lines=requests,
            destination=delivery.destination(),
            reservation_reference=reservation,
            actor=actor,
            savepoint=False,  # a shortage fails the whole order
            # Ship from store: the parcel leaves one of the channel's stores, not a warehouse.
            from_kind=StockLocation.Kind.STORE
            if delivery.method == Order.Delivery.SHIP_FROM_STORE
            else None,
        )
    by_variant = {line.variant_id: line for line in lines}
    fulfilments, parts = [], []
    if store is not None:
        fulfilments.append(Fulfilment(order=order, location=store))
        parts.append(
            [
                (by_variant[vid], qty)
                for shipment in result.plan.shipments
                for vid, qty in shipment.items.items()
            ]
        )
        if transfer_needed:
            ready = now + timedelta(days=TRANSFER_DAYS)
            locations = StockLocation.objects.in_bulk(
                [s.location_id for s in result.plan.shipments]
            )
            for shipment in result.plan.shipments:
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
    else:
        known = inventory.channel_config().locations
        for shipment in result.plan.shipments:
            fulfilment = Fulfilment(order=order, location_id=shipment.location_id)
            if shipment.location_id in known:
                fulfilment.location = known[shipment.location_id]
            fulfilments.append(fulfilment)
            parts.append([(by_variant[vid], qty) for vid, qty in shipment.items.items()])
    event = order_event_build(
        order,
        "allocated",
        actor=actor,
        channel=channel,
        data={"plan": result.plan.explanation},
        at=now,
    )
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
    return fulfilments, event
