"""Receiving a return: the parcel inspected, restocked and refunded, the exchange placed.
See orders.services.returns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import VariantChannelPrice
from inventory import services as inventory
from inventory.locks import variants_lock
from inventory.models import StockLocation
from omni.errors import ValidationError
from omni.money import quantize
from orders.models import Order, OrderLine, Return, ReturnLine
from orders.services.exchanges import _exchange_place
from orders.services.return_rules import (
    RETURN_MACHINE,
    _locked,
    _not_sold,
    _prices_on,
    _refund,
    return_transition,
)
from sales_channels.models import Channel

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
        RETURN_MACHINE.require(locked, Return.Status.RECEIVED)
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
            Return.Status.RECEIVED,
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
