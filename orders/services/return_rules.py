"""Returns: the rules every step shares - the window, the state machine, what is refunded
(refund_amount) and the prices of exchange variants. See orders.services.returns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Required, TypedDict

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import AttributeValue, VariantChannelPrice
from omni.errors import ValidationError
from omni.money import quantize
from omni.outbox import outbox_record
from omni.state import StateMachine
from orders.locks import order_lock, return_lock
from orders.models import Order, OrderEvent, OrderLine, Return, ReturnLine
from orders.services.lifecycle import order_event
from sales_channels.models import Channel

ZERO = Decimal(0)

RETURN_TRANSITIONS: dict[str, set[str]] = {
    Return.Status.REQUESTED: {
        Return.Status.RECEIVED,
        Return.Status.REJECTED,
        Return.Status.CANCELLED,
    },
    Return.Status.RECEIVED: {Return.Status.REFUNDED},
    Return.Status.REFUNDED: set(),
    Return.Status.REJECTED: set(),
    Return.Status.CANCELLED: set(),
}

# Order statuses from which the goods are with the customer, and the window can run.
RETURNABLE_STATUSES = (Order.Status.DELIVERED, Order.Status.COLLECTED)
# Reasons that are the merchant's fault: with them the shipping of a wholly returned order is
# refunded too.
MERCHANT_FAULT = frozenset({ReturnLine.Reason.DAMAGED, ReturnLine.Reason.NOT_AS_DESCRIBED})
TOPIC_REFUND_DUE = "orders.refund.due"
# Every change of a return's status, its creation as "requested" included (the CRM's metrics and
# timeline read it): return_status_published.
TOPIC_RETURN_STATUS = "orders.return.status_changed"


class ReturnLineRequest(TypedDict, total=False):
    order_line_id: Required[int]
    quantity: Required[int]
    reason: Required[str]
    exchange_variant_id: int | None


# --- the window -----------------------------------------------------------------------------


def order_delivered_at(order: Order) -> datetime | None:
    """When the goods reached the customer: the order's change to delivered or collected (the
    order event every status change records)."""
    return (
        OrderEvent.objects.filter(
            order_id=order.pk, kind="status_changed", to_status__in=RETURNABLE_STATUSES
        )
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )


def return_window_open(*, order: Order, now: datetime | None = None) -> bool:
    """Can the order be returned now? Only once delivered or collected, and for the order's
    channel's return window (in days) from that moment; a cancelled order never."""
    if order.status not in RETURNABLE_STATUSES:
        return False
    delivered_at = order_delivered_at(order)
    if delivered_at is None:
        return False
    now = now or timezone.now()
    return now <= delivered_at + timedelta(days=order.channel.return_window_days)


def _require_window(order: Order) -> None:
    if order.status not in RETURNABLE_STATUSES:
        raise ValidationError.for_field(
            "order",
            _("Order %(number)s is %(status)s: it can be returned once delivered or collected.")
            % {"number": order.number, "status": order.get_status_display().lower()},
            code="not_returnable",
        )
    if not return_window_open(order=order):
        raise ValidationError.for_field(
            "order",
            _("The return window of %(days)d days for order %(number)s has closed.")
            % {"days": order.channel.return_window_days, "number": order.number},
            code="return_window_closed",
        )


# --- the state machine ----------------------------------------------------------------------


def _return_refused(return_request: Return, to: str) -> str:
    return _("Return %(id)s is %(status)s and cannot become %(to)s.") % {
        "id": return_request.pk,
        "status": return_request.get_status_display().lower(),
        "to": Return.Status(to).label.lower(),
    }


def _return_status_recorded(
    return_request: Return,
    before: str,
    to: str,
    *,
    order: Order,
    actor: User | None = None,
    channel: Channel | None = None,
    message: str = "",
    data: dict | None = None,
) -> OrderEvent:
    """A return's change: the order event "return_<to>", and the outbox event of it."""
    event = order_event(
        order,
        f"return_{to}",
        actor=actor,
        channel=channel,
        message=message,
        data={"return": return_request.pk, "from": before, "to": to, **(data or {})},
    )
    return_status_published(order=order, return_request=return_request, previous=before)
    return event


def return_status_published(*, order: Order, return_request: Return, previous: str = "") -> None:
    """The outbox event of a return's status (TOPIC_RETURN_STATUS), in the caller's transaction:
    the order, the return, its lines (sku, units, what each refunds: 0 until received) and what
    the return refunds in all. Keyed by the return, versioned by the status's rank, so a relay
    that folds keeps the latest."""
    lines = [
        {"sku": sku, "quantity": quantity, "amount": str(amount)}
        for sku, quantity, amount in ReturnLine.objects.filter(return_request_id=return_request.pk)
        .order_by("id")
        .values_list("order_line__sku", "quantity", "refund_amount")
    ]
    outbox_record(
        topic=TOPIC_RETURN_STATUS,
        key=f"return:{return_request.pk}",
        version=_STATUS_RANK.get(return_request.status, 0),
        channel_id=order.channel_id,
        payload={
            "order": order.number,
            "return": return_request.pk,
            "status": return_request.status,
            "previous": previous,
            "lines": lines,
            "refund_amount": str(return_request.refund_amount),
            "currency": return_request.currency,
        },
    )


# requested first; each final status after received.
_STATUS_RANK: dict[str, int] = {
    Return.Status.REQUESTED: 1,
    Return.Status.RECEIVED: 2,
    Return.Status.REJECTED: 2,
    Return.Status.CANCELLED: 2,
    Return.Status.REFUNDED: 3,
}


RETURN_MACHINE: StateMachine[Return, OrderEvent] = StateMachine(
    "return",
    states=Return.Status,
    transitions=RETURN_TRANSITIONS,
    refused=_return_refused,
    record=_return_status_recorded,
)


def return_transition(
    return_request: Return,
    to: str,
    *,
    order: Order,
    actor: User | None = None,
    channel: Channel | None = None,
    message: str = "",
    data: dict | None = None,
    changes: Mapping[str, Any] | None = None,
) -> OrderEvent:
    """Move a locked return to `to` (with any field `changes`), or raise InvalidTransition and
    change nothing. Records the order event "return_<to>"."""
    return RETURN_MACHINE.move(
        return_request,
        to,
        changes=changes,
        order=order,
        actor=actor,
        channel=channel,
        message=message,
        data=data,
    )


def _locked(return_request: Return) -> tuple[Order, Return]:
    """The return's order and the return, locked in that order, read again under the locks."""
    order = order_lock(return_request.order_id)
    return order, return_lock(return_request.pk)


# --- what is refunded -----------------------------------------------------------------------


@dataclass(frozen=True)
class LineSettlement:
    """What one return line is worth, exactly (not rounded)."""

    credit: Decimal  # what the customer paid for the returned units
    refund: Decimal  # what goes back to them
    owed: Decimal = ZERO  # exchange: what they pay on top
    exchange_discount: Decimal = ZERO  # exchange: the original discount kept on the new units


def line_settlement(
    line: OrderLine, quantity: int, exchange_price: Decimal | None = None
) -> LineSettlement:
    """One returned line: the price paid per unit (line total / quantity, so discounts are
    honoured) x the units. An exchange keeps the original discount per unit on the new
    variant's price on the order's channel: a cheaper variant refunds the difference, a dearer
    one is owed, the same price (a size swap) settles at zero."""
    credit = line.line_total / line.quantity * quantity
    if exchange_price is None:
        return LineSettlement(credit=credit, refund=credit)
    kept = min(line.discount / line.quantity * quantity, exchange_price * quantity)
    value = exchange_price * quantity - kept
    return LineSettlement(
        credit=credit,
        refund=max(credit - value, ZERO),
        owed=max(value - credit, ZERO),
        exchange_discount=kept,
    )


@dataclass(frozen=True)
class Refund:
    lines: dict[int, LineSettlement]  # by return line id
    shipping: Decimal
    total: Decimal  # rounded once, to the currency's minor unit


def refund_amount(*, return_request: Return) -> Decimal:
    """What the return refunds, in the order's currency: the one function that says so.

    - Each line: the price actually paid per unit (OrderLine.line_total / quantity, so the
      order's discounts are honoured) x the units returned.
    - An exchanged line refunds only the difference when the new variant is cheaper (its price
      now on the order's channel, less the original discount per unit), otherwise nothing:
      a dearer variant is paid on the exchange order, a same-price size swap costs nothing.
    - Shipping is refunded only when the whole order comes back for a refund (with this
      return every unit of every line has been returned, none exchanged) and every returned
      line's reason is the merchant's fault: "damaged" or "not_as_described".
    - Exact until the end; the sum is rounded once, to the currency's minor unit.

    Returns received or refunded before count towards "the whole order"; the amount is stored on
    the return (and its lines) when it is received, and that stored amount is what is refunded.
    """
    return _refund(return_request).total


def _refund(
    return_request: Return,
    *,
    order: Order | None = None,
    lines: Sequence[ReturnLine] | None = None,
    prices: Mapping[int, VariantChannelPrice] | None = None,
) -> Refund:
    """refund_amount() line by line, from what the caller has already loaded."""
    order = order or return_request.order
    if lines is None:
        lines = list(return_request.lines.select_related("order_line").order_by("id"))
    if prices is None:
        prices = _prices_on(order.channel_id, [ln.exchange_variant_id for ln in lines])
    settled = {}
    for ln in lines:
        price = None
        if ln.exchange_variant_id:
            if ln.exchange_variant_id not in prices:
                raise _not_sold(ln, order)
            price = prices[ln.exchange_variant_id].price
        settled[ln.pk] = line_settlement(ln.order_line, ln.quantity, price)

    earlier = ReturnLine.objects.filter(
        return_request__order_id=order.pk,
        return_request__status__in=[Return.Status.RECEIVED, Return.Status.REFUNDED],
    ).exclude(return_request_id=return_request.pk)
    back: dict[int, int] = defaultdict(int)
    every_line_for_refund_and_fault = True
    for line_id, quantity, reason, exchange in [
        *earlier.values_list("order_line_id", "quantity", "reason", "exchange_variant_id"),
        *((ln.order_line_id, ln.quantity, ln.reason, ln.exchange_variant_id) for ln in lines),
    ]:
        back[line_id] += quantity
        if exchange or reason not in MERCHANT_FAULT:
            every_line_for_refund_and_fault = False
    whole = all(
        back[pk] >= quantity
        for pk, quantity in OrderLine.objects.filter(order_id=order.pk).values_list(
            "pk", "quantity"
        )
    )
    shipping = order.shipping_total if whole and every_line_for_refund_and_fault else ZERO
    total = sum((s.refund for s in settled.values()), ZERO) + shipping
    return Refund(lines=settled, shipping=shipping, total=quantize(total, order.currency))


def _prices_on(
    channel_id: int, variant_ids: Iterable[int | None], *, full: bool = False
) -> dict[int, VariantChannelPrice]:
    """{variant id: its price on the channel} for the variants sold there (one query; two with
    `full`, which loads what an order line records of the variant)."""
    ids = sorted({vid for vid in variant_ids if vid})
    if not ids:
        return {}
    prices = VariantChannelPrice.objects.filter(channel_id=channel_id, variant_id__in=ids)
    if full:
        prices = prices.select_related("variant__product__tax_class").prefetch_related(
            Prefetch(
                "variant__attribute_values",
                queryset=AttributeValue.objects.select_related("attribute").order_by(
                    "attribute__sort_order", "sort_order"
                ),
            )
        )
    else:
        prices = prices.select_related("variant")
    return {p.variant_id: p for p in prices}


def _not_sold(line: ReturnLine, order: Order) -> ValidationError:
    return ValidationError.for_field(
        f"exchange.{line.pk}",
        _(
            "The exchange variant is no longer sold on %(channel)s; receive the return without the exchange."
        )
        % {"channel": order.channel.name},
        code="exchange_not_sold",
    )
