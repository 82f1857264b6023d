"""A return taken back at the counter: the staff API's three steps (POST /api/v1/staff/returns/,
.../receive/, .../refund/) through the same services in the same order, in one transaction, so
that a refusal at any step (too many units, the window closed, the refund above what was paid,
the exchange out of stock) writes nothing. The exchange's price difference is taken at the till
(cash or the card terminal) or given back with the refund, and the exchange is handed over at
once when its goods are here.

`counter_return_preview` runs the same steps and rolls them back: the clerk sees exactly what
completing will do (the refund, the exchange order's total) before anything is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction

from accounts.models import User
from inventory.models import StockLocation
from orders.models import Fulfilment, Order, Return
from orders.services import returns
from orders.services.return_rules import ReturnLineRequest
from payments import services as payments
from payments.models import Refund
from sales_channels.models import Channel
from staff.services.counter import sale_finish_if_paid

ZERO = Decimal(0)


@dataclass(frozen=True)
class CounterLine:
    order_line_id: int
    quantity: int
    reason: str
    condition: str  # "resellable" (restocked here) or "damaged" (written off)
    exchange_variant_id: int | None = None


@dataclass(frozen=True)
class Settlement:
    """What a return comes to: refunded to the customer, and owed on its exchange order."""

    refund: Decimal
    owed: Decimal
    currency: str
    exchange: bool


class _Rollback(Exception):
    def __init__(self, settlement: Settlement) -> None:
        self.settlement = settlement


def _receive_and_refund(
    *,
    return_request: Return,
    conditions: Mapping[int, str],
    store: Channel,
    location: StockLocation,
    user: User,
    destination: str,
    difference_by: str,
) -> Return:
    """receive, then refund (the API's .../receive/ and .../refund/), the refund going where
    the clerk chose; the exchange's difference taken at the till."""
    returns.return_receive(
        return_request=return_request,
        location=location,
        conditions=conditions,
        actor=user,
        channel=store,
    )
    refunded = returns.return_refund(return_request=return_request, actor=user, channel=store)
    if refunded.refund_amount > 0:
        payments.return_refund_create(
            return_request=refunded, to=destination, channel=store, actor=user
        )
    exchange = refunded.exchange_order
    if exchange is not None and exchange.total > 0:
        payments.payment_record_offline(
            order=exchange,
            gateway_code=difference_by,
            amount=exchange.total,
            actor=user,
            channel=store,
        )
    if exchange is not None:
        _exchange_hand_over(exchange=exchange, store=store, location=location, user=user)
    return refunded


def _exchange_hand_over(
    *, exchange: Order, store: Channel, location: StockLocation, user: User
) -> None:
    """The exchange is handed over in the same flow when its goods are on this store's shelf
    (every fulfilment here) and it owes nothing: the customer leaves with the new size. One
    that waits for a transfer stays a click-and-collect order of this store."""
    if exchange.delivery != Order.Delivery.PICKUP or exchange.pickup_location_id != location.pk:
        return
    fulfilments = list(
        Fulfilment.objects.filter(order=exchange).values_list("location_id", flat=True)
    )
    if fulfilments and all(found == location.pk for found in fulfilments):
        # Then the counter's own rule: handed over once it owes nothing.
        sale_finish_if_paid(order=exchange, store=store, actor=user)


def settlement_of(found: Return) -> Settlement:
    """What a return comes to (the review, and the return page once completed)."""
    exchange = found.exchange_order
    return Settlement(
        refund=found.refund_amount,
        owed=exchange.total if exchange is not None else ZERO,
        currency=found.currency,
        exchange=exchange is not None,
    )


def counter_return(
    *,
    order: Order,
    lines: Sequence[CounterLine],
    store: Channel,
    location: StockLocation,
    user: User,
    destination: str = Refund.Destination.ORIGINAL,
    difference_by: str = "cash",
    note: str = "",
) -> Return:
    """Take back `lines` of `order` (any channel's) at `store`: requested, received at
    `location` (each line restocked or written off; the exchange order placed), refunded to
    `destination`, and the exchange's difference taken by `difference_by`. All or nothing:
    any step's OmniError rolls every step back."""
    with transaction.atomic():
        asked: list[ReturnLineRequest] = [
            {
                "order_line_id": line.order_line_id,
                "quantity": line.quantity,
                "reason": line.reason,
                "exchange_variant_id": line.exchange_variant_id,
            }
            for line in lines
        ]
        created = returns.return_request(
            order=order, channel=store, lines=asked, actor=user, note=note
        )
        # One row per order line on the form: each return line's condition is its order line's.
        by_line = {line.order_line_id: line.condition for line in lines}
        conditions = {
            pk: by_line[order_line_id]
            for pk, order_line_id in created.lines.values_list("pk", "order_line_id")
        }
        return _receive_and_refund(
            return_request=created,
            conditions=conditions,
            store=store,
            location=location,
            user=user,
            destination=destination,
            difference_by=difference_by,
        )


class AlreadyDone(Exception):
    """The form was completed already (a double click, a resent POST): `return_id` is the return
    it made, or None while the first submission is still running."""

    def __init__(self, return_id: int | None) -> None:
        self.return_id = return_id


_ONCE_SECONDS = 24 * 3600


def counter_return_once(*, token: str, **arguments) -> Return:
    """counter_return once per form (`token`, made when the page was shown): a second submission
    of the same form raises AlreadyDone instead of taking the goods back twice. The claim is
    in the shared cache; a refused return frees it for another try."""
    key = f"staff:return-form:{token}"
    if not token or not cache.add(key, 0, _ONCE_SECONDS):
        raise AlreadyDone(cache.get(key) or None)
    try:
        done = counter_return(**arguments)
    except BaseException:
        cache.delete(key)
        raise
    cache.set(key, done.pk, _ONCE_SECONDS)
    return done


def counter_return_preview(
    *,
    order: Order,
    lines: Sequence[CounterLine],
    store: Channel,
    location: StockLocation,
    user: User,
    destination: str = Refund.Destination.ORIGINAL,
    difference_by: str = "cash",
) -> Settlement:
    """counter_return run and rolled back: what it would refund and what the exchange would
    cost, or the OmniError it would raise. Nothing is written (nor sent: the commit hooks of a
    rolled-back transaction never run)."""
    try:
        with transaction.atomic():
            done = counter_return(
                order=order,
                lines=lines,
                store=store,
                location=location,
                user=user,
                destination=destination,
                difference_by=difference_by,
            )
            raise _Rollback(settlement_of(done))
    except _Rollback as rolled_back:
        return rolled_back.settlement


def counter_receive(
    *,
    return_request: Return,
    conditions: Mapping[int, str],
    store: Channel,
    location: StockLocation,
    user: User,
    destination: str = Refund.Destination.ORIGINAL,
    difference_by: str = "cash",
) -> Return:
    """A return requested online (or earlier at this store) handed in here: received and
    refunded as counter_return does, in one transaction."""
    with transaction.atomic():
        return _receive_and_refund(
            return_request=return_request,
            conditions=conditions,
            store=store,
            location=location,
            user=user,
            destination=destination,
            difference_by=difference_by,
        )
