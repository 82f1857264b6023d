"""Stock in and out of a location by hand: receipts, adjustments, cycle counts, movements
made outside Omni, returned items handed in; and the audit of stock against its ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import ProductVariant
from inventory.models import (
    Stock,
    StockLocation,
    StockMovement,
)
from inventory.services.session import Kind, _positive, _Session
from omni.errors import Conflict, ValidationError
from sales_channels.models import Channel

# --- receiving, adjusting, counting ---------------------------------------------------------


def stock_receive(
    *,
    variant: ProductVariant,
    location: StockLocation,
    quantity: int,
    reference: str = "",
    actor: User | None = None,
) -> Stock:
    """Goods in: a delivery arrives at a location."""
    stock_receive_many(
        location=location, lines={variant.pk: quantity}, reference=reference, actor=actor
    )
    return Stock.objects.get(variant=variant, location=location)


def stock_receive_many(
    *,
    location: StockLocation,
    lines: Mapping[int, int],
    reference: str = "",
    actor: User | None = None,
) -> int:
    """Goods in for many variants at once (a supplier's delivery note): one transaction, one
    ledger movement a line. Returns the number of units received."""
    if not lines:
        raise ValidationError.for_field("lines", _("Add at least one line."), code="required")
    for quantity in lines.values():
        _positive(quantity)
    with transaction.atomic():
        session = _Session.open(lines)
        for vid, quantity in sorted(lines.items()):
            session.move(
                vid,
                location.pk,
                kind=Kind.RECEIPT,
                quantity=quantity,
                on_hand=quantity,
                reference=reference,
                actor=actor,
            )
        session.flush()
    return sum(lines.values())


def stock_adjust(
    *,
    variant: ProductVariant,
    location: StockLocation,
    delta: int,
    reason: str,
    actor: User | None = None,
) -> Stock:
    """Correct stock by a number of units (negative takes away), with a reason."""
    if not isinstance(delta, int) or delta == 0:
        raise ValidationError.for_field("delta", _("Enter a whole number other than zero."))
    if not (reason or "").strip():
        raise ValidationError.for_field(
            "reason", _("Say why the stock is adjusted."), code="required"
        )
    with transaction.atomic():
        session = _Session.open([variant.pk])
        row = session.row(variant.pk, location.pk)
        if row.on_hand + delta < row.allocated:
            raise ValidationError.for_field(
                "delta",
                _("%(sku)s has %(free)d free at %(location)s (%(allocated)d allocated to orders).")
                % {
                    "free": max(row.free, 0),
                    "sku": session.skus[variant.pk],
                    "location": location.code,
                    "allocated": row.allocated,
                },
                code="insufficient_stock",
            )
        session.move(
            variant.pk,
            location.pk,
            kind=Kind.ADJUSTMENT,
            quantity=abs(delta),
            on_hand=delta,
            reason=reason.strip(),
            actor=actor,
        )
        session.flush()
        return row.stock


def stock_count(
    *, variant: ProductVariant, location: StockLocation, counted: int, actor: User | None = None
) -> Stock:
    """A cycle count: the counted quantity replaces on hand; the difference is a movement."""
    if not isinstance(counted, int) or counted < 0:
        raise ValidationError.for_field("counted", _("Enter a whole number, zero or more."))
    with transaction.atomic():
        session = _Session.open([variant.pk])
        row = session.row(variant.pk, location.pk)
        if counted < row.allocated:
            raise ValidationError.for_field(
                "counted",
                _(
                    "%(allocated)d units are allocated to orders here; release or move them before counting fewer."
                )
                % {"allocated": row.allocated},
                code="below_allocated",
            )
        delta = counted - row.on_hand
        if delta:
            session.move(
                variant.pk,
                location.pk,
                kind=Kind.COUNT,
                quantity=abs(delta),
                on_hand=delta,
                reason=_("Counted %(n)d") % {"n": counted},
                actor=actor,
            )
            session.flush()
        return row.stock


def external_movement_record(
    *,
    variant: ProductVariant,
    location: StockLocation,
    quantity: int,
    kind: str,
    external_ref: str,
    channel: Channel | None = None,
    actor: User | None = None,
) -> tuple[StockMovement, bool]:
    """A sale or a return made outside Omni (a store's till, another system), moving stock at
    once. Idempotent by external reference: the same reference again changes nothing and
    returns the first movement. Returns (movement, created)."""
    _positive(quantity)
    if kind not in (Kind.SALE, Kind.RETURN):
        raise ValidationError.for_field("kind", _("A sale or a return."), code="invalid_choice")
    external_ref = (external_ref or "").strip()
    if not external_ref:
        raise ValidationError.for_field(
            "external_ref", _("The external reference is required."), code="required"
        )
    with transaction.atomic():
        session = _Session.open([variant.pk])
        existing = (
            StockMovement.objects.filter(external_ref=external_ref).select_related("stock").first()
        )
        if existing is not None:
            same = (
                existing.kind == kind
                and existing.quantity == quantity
                and existing.stock.variant_id == variant.pk
                and existing.stock.location_id == location.pk
            )
            if not same:  # a reference reused for another movement must not be swallowed
                raise Conflict(
                    _("External reference %(ref)s was already recorded for another movement.")
                    % {"ref": external_ref},
                    code="external_ref_reused",
                )
            return existing, False
        sign = -1 if kind == Kind.SALE else 1
        movement = session.move(
            variant.pk,
            location.pk,
            kind=kind,
            quantity=quantity,
            on_hand=sign * quantity,
            reference=f"external:{external_ref}",
            external_ref=external_ref,
            channel=channel,
            actor=actor,
        )
        try:
            with transaction.atomic():
                session.flush()
        except IntegrityError:  # recorded meanwhile under another variant's lock
            return StockMovement.objects.get(external_ref=external_ref), False
        return movement, True


def return_restock(
    *,
    variant: ProductVariant,
    location: StockLocation,
    quantity: int,
    reference: str,
    damaged: bool = False,
    channel: Channel | None = None,
    actor: User | None = None,
) -> StockMovement:
    """A returned item handed in at a location: back into its stock, or written off as damaged."""
    _positive(quantity)
    if not location.accepts_returns:
        raise ValidationError.for_field(
            "location",
            _("%(location)s does not accept returns.") % {"location": location.name},
            code="no_returns",
        )
    with transaction.atomic():
        session = _Session.open([variant.pk])
        if damaged:
            movement = session.move(
                variant.pk,
                location.pk,
                kind=Kind.WRITE_OFF,
                quantity=quantity,
                reason=_("Damaged"),
                reference=reference,
                channel=channel,
                actor=actor,
            )
        else:
            movement = session.move(
                variant.pk,
                location.pk,
                kind=Kind.RETURN,
                quantity=quantity,
                on_hand=quantity,
                reference=reference,
                channel=channel,
                actor=actor,
            )
        session.flush()
        return movement


# --- audit ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    stock_id: int
    sku: str
    location: str
    on_hand: int
    ledger_on_hand: int
    allocated: int
    ledger_allocated: int


def stock_audit() -> list[Drift]:
    """Every stock row whose on hand or allocated differs from the sum of its ledger."""
    rows = Stock.objects.annotate(
        ledger_on_hand=Coalesce(Sum("movements__on_hand_delta"), 0),
        ledger_allocated=Coalesce(Sum("movements__allocated_delta"), 0),
    ).filter(~Q(on_hand=F("ledger_on_hand")) | ~Q(allocated=F("ledger_allocated")))
    return [
        Drift(
            s.pk,
            s.variant.sku,
            s.location.code,
            s.on_hand,
            s.ledger_on_hand,
            s.allocated,
            s.ledger_allocated,
        )
        for s in rows.select_related("variant", "location")
    ]
