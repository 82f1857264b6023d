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

A return's state machine (RETURN_TRANSITIONS), each change an order event "return_<status>":

    requested ──► received ──► refunded
        ├──► rejected    (staff, with a note)
        └──► cancelled   (the customer)

Locks: the order row first (lifecycle.order_locked), then the return row, then inventory: every
variant a receipt touches (returned and exchanged) is locked at once, in id order, before any
stock changes, so a receipt never takes a variant lock after a higher one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Required, TypedDict

from django.db import transaction
from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import AttributeValue, VariantChannelPrice
from inventory import services as inventory
from inventory.locks import variants_lock
from inventory.models import StockLocation
from omni.errors import InvalidTransition, ValidationError
from omni.money import quantize
from omni.outbox import outbox_record
from orders import hooks, pricing
from orders.models import Notification, Order, OrderEvent, OrderLine, Return, ReturnLine
from orders.services.checkout import Delivery, _next_number, order_allocate
from orders.services.lifecycle import S, notify, order_event, order_locked, order_transition
from sales_channels.models import Channel

R = Return.Status
ZERO = Decimal(0)

RETURN_TRANSITIONS: dict[str, set[str]] = {
    R.REQUESTED: {R.RECEIVED, R.REJECTED, R.CANCELLED},
    R.RECEIVED: {R.REFUNDED},
    R.REFUNDED: set(),
    R.REJECTED: set(),
    R.CANCELLED: set(),
}

# Order statuses from which the goods are with the customer, and the window can run.
RETURNABLE_STATUSES = (S.DELIVERED, S.COLLECTED)
# Reasons that are the merchant's fault: with them the shipping of a wholly returned order is
# refunded too.
MERCHANT_FAULT = frozenset({ReturnLine.Reason.DAMAGED, ReturnLine.Reason.NOT_AS_DESCRIBED})
TOPIC_REFUND_DUE = "orders.refund.due"


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


def _require_can(return_request: Return, to: str) -> None:
    if to not in RETURN_TRANSITIONS[return_request.status]:
        raise InvalidTransition(
            _("Return %(id)s is %(status)s and cannot become %(to)s.")
            % {
                "id": return_request.pk,
                "status": return_request.get_status_display().lower(),
                "to": R(to).label.lower(),
            },
            fields={
                "status": [_("Not allowed from %(status)s.") % {"status": return_request.status}]
            },
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
    _require_can(return_request, to)
    before = return_request.status
    return_request.status = to
    for name, value in (changes or {}).items():
        setattr(return_request, name, value)
    return_request.save(update_fields=["status", *(changes or {}), "updated_at"])
    return order_event(
        order,
        f"return_{to}",
        actor=actor,
        channel=channel,
        message=message,
        data={"return": return_request.pk, "from": before, "to": to, **(data or {})},
    )


def _locked(return_request: Return) -> tuple[Order, Return]:
    """The return's order and the return, locked in that order, read again under the locks."""
    order = order_locked(return_request.order_id)
    return order, Return.objects.select_for_update().get(pk=return_request.pk)


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
        return_request__order_id=order.pk, return_request__status__in=[R.RECEIVED, R.REFUNDED]
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


# --- requesting -----------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _open_claims(order: Order) -> dict[int, int]:
    """{order line id: units} claimed by the order's open (requested) returns."""
    return dict(
        ReturnLine.objects.filter(
            return_request__order_id=order.pk, return_request__status=R.REQUESTED
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
        f"return_{R.REQUESTED}",
        actor=actor,
        channel=channel,
        message=created.note,
        data={
            "return": created.pk,
            "to": R.REQUESTED,
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
        order = order_locked(order)
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
    return created


# --- receiving ------------------------------------------------------------------------------


def _clean_conditions(lines: Sequence[ReturnLine], conditions: Mapping[int, str]) -> None:
    ids = {ln.pk for ln in lines}
    valid = set(ReturnLine.Condition.values)
    errors: dict[str, list[str]] = {}
    for line_id, condition in conditions.items():
        if line_id not in ids:
            errors[f"conditions.{line_id}"] = [_("This line is not part of the return.")]
        elif condition not in valid:
            errors[f"conditions.{line_id}"] = [
                _("Choose one of: %(conditions)s.") % {"conditions": ", ".join(sorted(valid))}
            ]
    missing = sorted(ids - set(conditions))
    if missing:
        errors["conditions"] = [
            _("Say the condition of every line (missing: %(lines)s).")
            % {"lines": ", ".join(str(pk) for pk in missing)}
        ]
    if errors:
        raise ValidationError(fields=errors)


def _require_accepts_returns(location: StockLocation) -> None:
    if not location.accepts_returns or not location.is_active:
        raise ValidationError.for_field(
            "location",
            _("%(location)s does not accept returns.") % {"location": location.name},
            code="no_returns",
        )


def _exchange_prices(
    order: Order, exchanges: Sequence[ReturnLine]
) -> dict[int, VariantChannelPrice]:
    """The exchange variants' prices on the order's channel; one not sold there is refused."""
    prices = _prices_on(order.channel_id, [ln.exchange_variant_id for ln in exchanges], full=True)
    for ln in exchanges:
        if ln.exchange_variant_id not in prices:
            raise _not_sold(ln, order)
    return prices


def _restock(
    locked: Return,
    lines: Sequence[ReturnLine],
    conditions: Mapping[int, str],
    *,
    location: StockLocation,
    channel: Channel | None,
    actor: User | None,
) -> None:
    """Each line back into the location's stock (a damaged one written off), its condition
    set, and the order lines counting the units as returned."""
    reference = f"return:{locked.pk}"
    for ln in lines:
        ln.condition = conditions[ln.pk]
        inventory.return_restock(
            variant=ln.order_line.variant,
            location=location,
            quantity=ln.quantity,
            reference=reference,
            damaged=ln.condition == ReturnLine.Condition.DAMAGED,
            channel=channel,
            actor=actor,
        )
    units: dict[int, int] = defaultdict(int)
    for ln in lines:
        units[ln.order_line_id] += ln.quantity
    OrderLine.objects.filter(pk__in=list(units)).update(
        quantity_returned=F("quantity_returned")
        + Case(
            *(When(pk=pk, then=Value(n)) for pk, n in units.items()),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def return_receive(
    *,
    return_request: Return,
    location: StockLocation,
    conditions: Mapping[int, str],
    actor: User | None = None,
    channel: Channel | None = None,
) -> Return:
    """The parcel is handed in at `location` and inspected ({return line id: "resellable" or
    "damaged"}). Each line goes back into the location's stock (a damaged one is written off),
    the order lines count it as returned, the refund is computed and stored, and an exchange
    order is placed for the exchange lines. All or nothing: without stock for an exchange it is
    InsufficientStock naming the variant, and nothing is received. The same return received
    twice (two clerks, a retried request) is serialised by the order's lock: the second gets
    InvalidTransition and restocks nothing."""
    _require_accepts_returns(location)
    with transaction.atomic():
        order, locked = _locked(return_request)
        _require_can(locked, R.RECEIVED)
        lines = list(locked.lines.select_related("order_line").order_by("id"))
        _clean_conditions(lines, conditions)
        channel = channel or location.channel or locked.channel
        exchanges = [ln for ln in lines if ln.exchange_variant_id]
        prices = _exchange_prices(order, exchanges)

        # Every variant this receipt touches, locked at once in id order (see inventory.locks).
        variants_lock(
            [ln.order_line.variant_id for ln in lines]
            + [ln.exchange_variant_id for ln in exchanges]
        )
        _restock(locked, lines, conditions, location=location, channel=channel, actor=actor)

        refund = _refund(locked, order=order, lines=lines, prices=prices)
        for ln in lines:
            ln.refund_amount = quantize(refund.lines[ln.pk].refund, order.currency)
        ReturnLine.objects.bulk_update(lines, ["condition", "refund_amount"])
        exchange_order = (
            _exchange_place(
                order=order,
                return_request=locked,
                lines=exchanges,
                settled=refund.lines,
                prices=prices,
                location=location,
                channel=channel,
                actor=actor,
            )
            if exchanges
            else None
        )
        now = timezone.now()
        return_transition(
            locked,
            R.RECEIVED,
            order=order,
            actor=actor,
            channel=channel,
            changes={
                "location": location,
                "received_by": actor if actor and actor.pk else None,
                "received_at": now,
                "refund_amount": refund.total,
                "exchange_order": exchange_order,
            },
            data={
                "location": location.code,
                "refund": str(refund.total),
                "shipping_refunded": str(refund.shipping),
                "conditions": {str(ln.pk): ln.condition for ln in lines},
                "exchange_order": exchange_order.number if exchange_order else None,
            },
        )
    return locked


def _exchange_delivery(order: Order, location: StockLocation) -> Delivery:
    """How the exchange reaches the customer: collected where the return was handed in when
    that store offers click and collect; otherwise as the original order was delivered."""
    if location.click_and_collect and location.is_active:
        return Delivery(method=Order.Delivery.PICKUP, pickup_location=location)
    if order.delivery == Order.Delivery.PICKUP and order.pickup_location_id:
        return Delivery(method=Order.Delivery.PICKUP, pickup_location=order.pickup_location)
    return Delivery(
        method=order.delivery,
        shipping_method=order.shipping_method,
        address=dict(order.shipping_address),
    )


def _exchange_quote(
    order: Order,
    lines: Sequence[ReturnLine],
    settled: Mapping[int, LineSettlement],
    prices: Mapping[int, VariantChannelPrice],
) -> pricing.Quote:
    """The exchange variants priced on the order's channel, less the original discount per
    unit kept (see line_settlement)."""
    inputs, discounts = [], []
    for ln in lines:
        variant = prices[ln.exchange_variant_id].variant
        key = str(ln.pk)
        inputs.append(
            pricing.LineInput(
                key,
                variant.sku,
                ln.quantity,
                prices[ln.exchange_variant_id].price,
                variant.product.tax_class.rate,
            )
        )
        if settled[ln.pk].exchange_discount:
            discounts.append(pricing.Discount(key, settled[ln.pk].exchange_discount, "exchange"))
    return pricing.price(currency=order.currency, lines=inputs, discounts=discounts)


def _exchange_lines(
    exchange: Order,
    lines: Sequence[ReturnLine],
    prices: Mapping[int, VariantChannelPrice],
    quote: pricing.Quote,
) -> list[OrderLine]:
    """The exchange order's lines, as priced by the quote."""
    priced = {line.key: line for line in quote.lines}
    return OrderLine.objects.bulk_create(
        OrderLine(
            order=exchange,
            variant_id=ln.exchange_variant_id,
            sku=priced[str(ln.pk)].sku,
            product_name=prices[ln.exchange_variant_id].variant.product.name,
            variant_name=" / ".join(
                v.name for v in prices[ln.exchange_variant_id].variant.attribute_values.all()
            ),
            quantity=ln.quantity,
            unit_price=priced[str(ln.pk)].unit_price,
            discount=priced[str(ln.pk)].discount,
            line_total=priced[str(ln.pk)].total,
            tax_rate=priced[str(ln.pk)].tax_rate,
            tax_amount=priced[str(ln.pk)].tax,
        )
        for ln in lines
    )


def _exchange_announced(
    exchange: Order,
    order: Order,
    return_request: Return,
    created: Sequence[OrderLine],
    owed: Decimal,
    actor: User | None,
    channel: Channel | None,
) -> None:
    """The exchange order's "placed" event and its orders.order.placed message."""
    order_event(
        exchange,
        "placed",
        actor=actor,
        channel=channel,
        to_status=exchange.status,
        data={"exchange_for": order.number, "return": return_request.pk, "total": str(owed)},
    )
    outbox_record(
        topic="orders.order.placed",
        key=f"order:{exchange.pk}",
        channel_id=exchange.channel_id,
        payload={
            "order": exchange.number,
            "channel": order.channel.code,
            "origin_channel": return_request.channel_id,
            "total": str(owed),
            "currency": exchange.currency,
            "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in created],
            "exchange_for": order.number,
        },
    )


def _exchange_place(
    *,
    order: Order,
    return_request: Return,
    lines: Sequence[ReturnLine],
    settled: Mapping[int, LineSettlement],
    prices: Mapping[int, VariantChannelPrice],
    location: StockLocation,
    channel: Channel | None,
    actor: User | None,
) -> Order:
    """The exchange order, placed in the receipt's transaction on the original order's channel:
    the new variants at their price there less the original discount per unit kept (see
    line_settlement), no shipping, and a total of what the customer still owes (usually 0).
    Confirmed at once, allocated and fulfilled like any order (checkout.order_allocate)."""
    quote = _exchange_quote(order, lines, settled, prices)
    owed = quantize(sum((settled[ln.pk].owed for ln in lines), ZERO), order.currency)
    delivery = _exchange_delivery(order, location)
    exchange = Order.objects.create(
        number=_next_number(),
        channel=order.channel,
        origin_channel=return_request.channel,
        customer_id=order.customer_id,
        email=order.email,
        phone=order.phone,
        language=order.language,
        delivery=delivery.method,
        shipping_method=delivery.shipping_method,
        shipping_address=delivery.address,
        billing_address=order.billing_address,
        pickup_location=delivery.pickup_location,
        currency=order.currency,
        subtotal=quote.subtotal,
        discount_total=quote.discount_total,
        shipping_total=ZERO,
        tax_total=quote.tax_total,
        total=owed,
        pricing={
            **quote.as_dict(),
            "total": str(owed),
            "exchange": {
                "return": return_request.pk,
                "order": order.number,
                "goods": str(quote.total),
                "credit": str(quote.total - owed),
            },
        },
        placed_by=actor if actor and (actor.is_store_staff or actor.is_merchant_staff) else None,
    )
    created = _exchange_lines(exchange, lines, prices, quote)
    _exchange_announced(exchange, order, return_request, created, owed, actor, channel)
    order_allocate(
        order=exchange, lines=created, channel=order.channel, delivery=delivery, actor=actor
    )
    order_transition(
        exchange,
        S.CONFIRMED,
        actor=actor,
        channel=channel,
        message=_("Exchange for return %(id)s of order %(number)s")
        % {"id": return_request.pk, "number": order.number},
    )
    notify(exchange, Notification.Kind.CONFIRMED)
    return exchange


def return_drop_exchange(
    *, return_request: Return, actor: User | None = None, channel: Channel | None = None
) -> Return:
    """Before receipt: the exchange lines become refund lines (the exchange variant is out of
    stock, or the customer changed their mind)."""
    with transaction.atomic():
        order, locked = _locked(return_request)
        if locked.status != R.REQUESTED:
            raise InvalidTransition(
                _("Return %(id)s is %(status)s: its exchange can no longer be changed.")
                % {"id": locked.pk, "status": locked.get_status_display().lower()},
                fields={"status": [_("Not allowed from %(status)s.") % {"status": locked.status}]},
            )
        dropped = list(
            locked.lines.filter(exchange_variant__isnull=False).values_list("pk", flat=True)
        )
        if dropped:
            ReturnLine.objects.filter(pk__in=dropped).update(exchange_variant=None)
            order_event(
                order,
                "return_exchange_dropped",
                actor=actor,
                channel=channel,
                data={"return": locked.pk, "lines": dropped},
            )
    return locked


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
            R.REFUNDED,
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
            R.REJECTED,
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
        return_transition(locked, R.CANCELLED, order=order, actor=actor, channel=channel)
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
