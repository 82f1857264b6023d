"""Returns and exchanges: from any channel (web or app self-service, any store's counter) for an
order from any channel, handed in at any location that accepts returns.

Rules
- Window: an order can be returned once delivered or collected, for its own channel's
  `return_window_days` from that moment (return_window_open). Before that it is not
  returnable; a cancelled order never is. The window is checked when the return is requested,
  not when the parcel arrives.
- Quantity: of each line, at most what was shipped less what was returned already and what
  open (requested) returns claim.
- Refund: refund_amount() is the one function that says what is refunded (see its docstring).
- Exchange: a line may ask for another variant of the same product sold on the order's
  channel. Receiving the return then also places the exchange order, in the same transaction;
  without stock for it nothing is received (return_drop_exchange turns it into a refund).

A return's state machine (RETURN_TRANSITIONS, applied by RETURN_MACHINE), each change an order
event "return_<status>":

    requested ──► received ──► refunded
        ├──► rejected    (staff, with a note)
        └──► cancelled   (the customer)

Locks: the order row first (orders.locks.order_lock), then the return row, then inventory: every
variant a receipt touches (returned and exchanged) is locked at once, in id order, before any
stock changes, so a receipt never takes a variant lock after a higher one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import VariantChannelPrice
from inventory.models import StockLocation
from omni.errors import ValidationError
from omni.outbox import outbox_record
from orders import hooks
from orders.locks import order_lock
from orders.models import Notification, Order, OrderLine, Return, ReturnLine
from orders.services.exchanges import return_drop_exchange
from orders.services.lifecycle import notify, order_event
from orders.services.return_receipt import return_receive
from orders.services.return_rules import (
    MERCHANT_FAULT,
    RETURN_MACHINE,
    RETURN_TRANSITIONS,
    RETURNABLE_STATUSES,
    TOPIC_REFUND_DUE,
    TOPIC_RETURN_STATUS,
    LineSettlement,
    Refund,
    ReturnLineRequest,
    _locked,
    _prices_on,
    _require_window,
    line_settlement,
    order_delivered_at,
    refund_amount,
    return_status_published,
    return_transition,
    return_window_open,
)
from sales_channels.models import Channel

# Every public name of the returns modules stays importable from here.
__all__ = [
    "MERCHANT_FAULT",
    "PERM_CHANGE_RETURN",
    "RETURNABLE_STATUSES",
    "RETURN_MACHINE",
    "RETURN_TRANSITIONS",
    "TOPIC_REFUND_DUE",
    "TOPIC_RETURN_STATUS",
    "LineSettlement",
    "Refund",
    "ReturnLineRequest",
    "line_settlement",
    "order_delivered_at",
    "refund_amount",
    "return_cancel",
    "return_drop_exchange",
    "return_receive",
    "return_refund",
    "return_reject",
    "return_request",
    "return_status_published",
    "return_transition",
    "return_window_open",
    "returns_query",
    "staff_may_receive_at",
]

# --- requesting -----------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _open_claims(order: Order) -> dict[int, int]:
    """{order line id: units} claimed by the order's open (requested) returns."""
    return dict(
        ReturnLine.objects.filter(
            return_request__order_id=order.pk, return_request__status=Return.Status.REQUESTED
        )
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
        .values_list("order_line_id", "units")
    )


def _check_request_lines(
    *,
    order: Order,
    lines: Sequence[ReturnLineRequest],
    order_lines: Mapping[int, OrderLine],
    claimed: Mapping[int, int],
    prices: Mapping[int, VariantChannelPrice],
) -> None:
    """Every requested line checked at once; each bad value is a field error named by its
    path ("lines.0.quantity")."""
    errors: dict[str, list[str]] = {}
    asked: dict[int, int] = defaultdict(int)
    valid_reasons = set(ReturnLine.Reason.values)
    for i, line in enumerate(lines):
        line_id = line.get("order_line_id")
        order_line = order_lines.get(line_id) if _is_int(line_id) else None
        if order_line is None:
            errors[f"lines.{i}.order_line_id"] = [
                _("This line is not part of order %(number)s.") % {"number": order.number}
            ]
            continue
        quantity = line.get("quantity")
        if not _is_int(quantity) or quantity < 1:
            errors[f"lines.{i}.quantity"] = [_("Enter a whole number above zero.")]
        else:
            left = (
                order_line.quantity_shipped
                - order_line.quantity_returned
                - claimed.get(order_line.pk, 0)
                - asked[order_line.pk]
            )
            if quantity <= left:
                asked[order_line.pk] += quantity
            else:
                errors[f"lines.{i}.quantity"] = [
                    _("At most %(left)d of %(sku)s can be returned.")
                    % {"left": max(left, 0), "sku": order_line.sku}
                ]
        if line.get("reason") not in valid_reasons:
            errors[f"lines.{i}.reason"] = [
                _("Choose one of: %(reasons)s.") % {"reasons": ", ".join(sorted(valid_reasons))}
            ]
        exchange = line.get("exchange_variant_id")
        if exchange is not None:
            price = prices.get(exchange)
            if price is None or price.variant.product_id != order_line.variant.product_id:
                errors[f"lines.{i}.exchange_variant_id"] = [
                    _("Exchange for another variant of %(product)s sold on %(channel)s.")
                    % {"product": order_line.product_name, "channel": order.channel.name}
                ]
    if errors:
        raise ValidationError(fields=errors)


def _request_recorded(
    order: Order,
    created: Return,
    return_lines: Sequence[ReturnLine],
    actor: User | None,
    channel: Channel,
) -> None:
    """The order event of a requested return, naming its lines."""
    order_event(
        order,
        f"return_{Return.Status.REQUESTED}",
        actor=actor,
        channel=channel,
        message=created.note,
        data={
            "return": created.pk,
            "to": Return.Status.REQUESTED,
            "lines": [
                {
                    "line": ln.order_line_id,
                    "quantity": ln.quantity,
                    "reason": ln.reason,
                    "exchange_variant": ln.exchange_variant_id,
                }
                for ln in return_lines
            ],
        },
    )


def return_request(
    *,
    order: Order,
    channel: Channel,
    lines: Sequence[ReturnLineRequest],
    actor: User | None = None,
    note: str = "",
) -> Return:
    """A return requested on `channel` (a shopper's web or app self-service, a store counter)
    for an order from any channel. All lines or none; each bad value is a field error named
    by its path ("lines.0.quantity")."""
    if not lines:
        raise ValidationError.for_field("lines", _("Add at least one line."), code="required")
    with transaction.atomic():
        order = order_lock(order)
        _require_window(order)
        order_lines = {
            line.pk: line
            for line in OrderLine.objects.filter(order=order).select_related("variant")
        }
        claimed = _open_claims(order)
        prices = _prices_on(order.channel_id, [ln.get("exchange_variant_id") for ln in lines])
        _check_request_lines(
            order=order, lines=lines, order_lines=order_lines, claimed=claimed, prices=prices
        )
        created = Return.objects.create(
            order=order,
            channel=channel,
            note=(note or "").strip()[:300],
            currency=order.currency,
            requested_by=actor if actor and actor.pk else None,
        )
        return_lines = ReturnLine.objects.bulk_create(
            ReturnLine(
                return_request=created,
                order_line_id=line["order_line_id"],
                quantity=line["quantity"],
                reason=line["reason"],
                exchange_variant_id=line.get("exchange_variant_id"),
            )
            for line in lines
        )
        _request_recorded(order, created, return_lines, actor, channel)
        return_status_published(order=order, return_request=created)
    return created


# --- refund, rejection, cancellation --------------------------------------------------------


def return_refund(
    *, return_request: Return, actor: User | None = None, channel: Channel | None = None
) -> Return:
    """Received → refunded: the amount stored at receipt is handed to payments (the outbox event
    "orders.refund.due") and the customer is told, once. A return that refunds nothing (an
    exchange at the same price) is closed without either."""
    with transaction.atomic():
        order, locked = _locked(return_request)
        amount = locked.refund_amount
        return_transition(
            locked,
            Return.Status.REFUNDED,
            order=order,
            actor=actor,
            channel=channel,
            data={"amount": str(amount), "currency": locked.currency},
        )
        if amount > 0:
            outbox_record(
                topic=TOPIC_REFUND_DUE,
                key=f"return:{locked.pk}",
                channel_id=order.channel_id,
                payload={
                    "order": order.number,
                    "return": locked.pk,
                    "amount": str(amount),
                    "currency": locked.currency,
                    # The loyalty programme takes back this share of the order's points.
                    "order_total": str(order.total),
                },
            )
            notify(
                order,
                Notification.Kind.REFUNDED,
                subject=f"return:{locked.pk}",
                context={"amount": str(amount), "currency": locked.currency},
            )
            hooks.refund_due.send(return_request=locked)  # payments, after commit: refund
    return locked


def return_reject(
    *,
    return_request: Return,
    note: str,
    actor: User | None = None,
    channel: Channel | None = None,
) -> Return:
    """Requested → rejected, with the reason (kept in the order's history; the customer's own
    note stays on the return)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError.for_field(
            "note", _("Say why the return is rejected."), code="required"
        )
    with transaction.atomic():
        order, locked = _locked(return_request)
        return_transition(
            locked,
            Return.Status.REJECTED,
            order=order,
            actor=actor,
            channel=channel,
            message=note,
            data={"note": note[:300]},
        )
    return locked


def return_cancel(
    *, return_request: Return, actor: User | None = None, channel: Channel | None = None
) -> Return:
    """Requested → cancelled by the customer (nothing was handed in)."""
    with transaction.atomic():
        order, locked = _locked(return_request)
        return_transition(
            locked, Return.Status.CANCELLED, order=order, actor=actor, channel=channel
        )
    return locked


# --- who may act, and reads -----------------------------------------------------------------

PERM_CHANGE_RETURN = "orders.change_return"


def staff_may_receive_at(*, user: User, location: StockLocation) -> bool:
    """Merchant staff with orders.change_return anywhere; store staff at their own stores."""
    if user.has_perm(PERM_CHANGE_RETURN):
        return True
    return bool(
        user.is_store_staff
        and location.channel_id
        and user.stores.filter(pk=location.channel_id).exists()
    )


def returns_query() -> QuerySet[Return]:
    """Returns with what is shown of them: a fixed number of queries whatever their number."""
    return Return.objects.select_related(
        "order", "channel", "location", "exchange_order"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=ReturnLine.objects.select_related("order_line", "exchange_variant").order_by(
                "id"
            ),
        )
    )
