"""Stock allocated to orders: routed, held, released and consumed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from inventory import routing
from inventory.channel_stock import ChannelSource, channel_config, route_candidates
from inventory.locks import allocations_lock
from inventory.models import (
    Allocation,
    Reservation,
    StockLocation,
)
from inventory.services.session import Kind, _positive, _Session
from omni.errors import InsufficientStock, NotFound, ValidationError
from sales_channels.models import Channel

# --- allocation for orders ------------------------------------------------------------------


@dataclass(frozen=True)
class LineRequest:
    variant_id: int
    quantity: int
    line_ref: str = ""


@dataclass
class AllocationResult:
    plan: routing.Plan
    allocations: list[Allocation]


def stock_allocate(
    *,
    channel: Channel,
    reference: str,
    lines: Sequence[LineRequest],
    destination: tuple[float, float] | None = None,
    pickup_location: StockLocation | None = None,
    reservation_reference: str | None = None,
    actor: User | None = None,
    sources: dict[int, list[ChannelSource]] | None = None,
    from_kind: str | None = None,
    savepoint: bool = True,
) -> AllocationResult:
    """Allocate every line of an order, or none: route (see inventory.routing), then hold the
    units at the chosen locations. A cart's own reservations (`reservation_reference`) count as
    available to it and are consumed. `from_kind` ships only from that kind of location (ship
    from store: StockLocation.Kind.STORE). Raises InsufficientStock naming each short variant.

    Inside a caller's transaction a savepoint lets the caller go on after a shortage (try the
    store, then the warehouses); `savepoint=False` saves its two round trips where a shortage
    fails the caller's whole transaction anyway."""
    demand = _demand(lines)
    with transaction.atomic(savepoint=savepoint):
        # The cart's reservations are all given up below, those of variants not ordered too:
        # lock those variants as well, so the channels are told they can sell them again.
        held = (
            Reservation.objects.filter(reference=reservation_reference).values_list(
                "variant_id", flat=True
            )
            if reservation_reference
            else []
        )
        # Configuration, read before the lock so that it is not held while reading it.
        config = channel_config()
        sources = config.sources if sources is None else sources
        locations = None if pickup_location is not None else config.locations
        session = _Session.open(
            [*demand, *held], exclude_reservation=reservation_reference, sources=sources
        )
        plan = _route(
            session,
            channel=channel,
            demand=demand,
            destination=destination,
            pickup_location=pickup_location,
            locations=locations,
            from_kind=from_kind,
        )
        allocations = _hold(session, plan, lines, channel=channel, reference=reference, actor=actor)
        if reservation_reference:
            Reservation.objects.filter(reference=reservation_reference).delete()
        for allocation in allocations:  # stock that can be allocated exists already
            allocation.stock_id = allocation.stock.pk
        session.batch.insert(Allocation, allocations)
        session.flush()
        return AllocationResult(plan=plan, allocations=allocations)


def _demand(lines: Sequence[LineRequest]) -> dict[int, int]:
    """The units asked of each variant, the lines checked."""
    if not lines:
        raise ValidationError.for_field("lines", _("Add at least one line."), code="required")
    demand: dict[int, int] = defaultdict(int)
    for line in lines:
        _positive(line.quantity)
        demand[line.variant_id] += line.quantity
    return demand


def _route(
    session: _Session,
    *,
    channel: Channel,
    demand: dict[int, int],
    destination: tuple[float, float] | None,
    pickup_location: StockLocation | None,
    locations: Mapping[int, StockLocation] | None,
    from_kind: str | None,
) -> routing.Plan:
    """The plan for `demand` from the locked stock, or InsufficientStock naming each short
    variant."""
    candidates = route_candidates(
        channel=channel,
        sources=session.sources,
        levels=session.rows,
        demand=demand,
        destination=destination,
        pickup_location=pickup_location,
        locations=locations,
        from_kind=from_kind,
    )
    plan = routing.plan(dict(demand), candidates, pickup=pickup_location is not None)
    if not plan.feasible:
        raise InsufficientStock(
            [
                (session.skus[vid], asked, have)
                for vid, (asked, have) in sorted(plan.shortfall.items())
            ]
        )
    return plan


def _hold(
    session: _Session,
    plan: routing.Plan,
    lines: Sequence[LineRequest],
    *,
    channel: Channel,
    reference: str,
    actor: User | None,
) -> list[Allocation]:
    """Allocate each line's units at the plan's locations, in memory (the session writes them)."""
    allocations = []
    remaining = {line: line.quantity for line in lines}
    for shipment in plan.shipments:
        for vid, units in shipment.items.items():
            for line in lines:
                if line.variant_id != vid or not remaining[line] or not units:
                    continue
                take = min(units, remaining[line])
                remaining[line] -= take
                units -= take
                row = session.row(vid, shipment.location_id)
                session.move(
                    vid,
                    shipment.location_id,
                    kind=Kind.ALLOCATION,
                    quantity=take,
                    allocated=take,
                    reference=reference,
                    channel=channel,
                    actor=actor,
                )
                allocations.append(
                    Allocation(
                        stock=row.stock,
                        variant_id=vid,
                        location_id=shipment.location_id,
                        reference=reference,
                        line_ref=line.line_ref,
                        quantity=take,
                        created_at=session.now,
                    )
                )
    return allocations


def allocations_release(
    *, reference: str, line_refs: Sequence[str] | None = None, actor: User | None = None
) -> int:
    """Give back what an order (or some of its lines) holds: on cancel, or before re-routing."""
    with transaction.atomic():
        # after no other lock: see locks.py
        held = allocations_lock(
            reference=reference, status=Allocation.Status.ALLOCATED, line_refs=line_refs
        )
        if not held:
            return 0
        session = _Session.open([a.variant_id for a in held])
        for a in held:
            session.move(
                a.variant_id,
                a.location_id,
                kind=Kind.RELEASE,
                quantity=a.quantity,
                allocated=-a.quantity,
                reference=reference,
                actor=actor,
            )
        session.flush()
        Allocation.objects.filter(pk__in=[a.pk for a in held]).update(
            status=Allocation.Status.RELEASED
        )
        return sum(a.quantity for a in held)


def allocations_consume(
    *,
    reference: str,
    location_id: int | None = None,
    quantities: Mapping[str, int] | None = None,
    actor: User | None = None,
) -> list[Allocation]:
    """Shipped or handed over: the allocated units leave the location (a sale in the ledger).
    `quantities` ({line ref: units}) ships part of what is allocated; the rest stays allocated."""
    with transaction.atomic():
        held = allocations_lock(
            reference=reference,
            status=Allocation.Status.ALLOCATED,
            location_id=location_id,
            line_refs=None if quantities is None else list(quantities),
        )
        if not held:
            raise NotFound(
                _("Nothing allocated to ship for %(ref)s.") % {"ref": reference},
                code="nothing_allocated",
            )
        session = _Session.open([a.variant_id for a in held])
        left = dict(quantities) if quantities is not None else None
        consumed = []
        for a in held:
            units = a.quantity if left is None else min(a.quantity, left.get(a.line_ref, 0))
            if not units:
                continue
            if left is not None:
                left[a.line_ref] -= units
            session.move(
                a.variant_id,
                a.location_id,
                kind=Kind.SALE,
                quantity=units,
                on_hand=-units,
                allocated=-units,
                reference=reference,
                actor=actor,
            )
            if units < a.quantity:  # split: the shipped part is consumed, the rest stays
                Allocation.objects.filter(pk=a.pk).update(quantity=a.quantity - units)
                part = Allocation.objects.create(
                    stock_id=a.stock_id,
                    variant_id=a.variant_id,
                    location_id=a.location_id,
                    reference=a.reference,
                    line_ref=a.line_ref,
                    quantity=units,
                    status=Allocation.Status.CONSUMED,
                )
                consumed.append(part)
            else:
                Allocation.objects.filter(pk=a.pk).update(status=Allocation.Status.CONSUMED)
                a.status = Allocation.Status.CONSUMED
                consumed.append(a)
        if left is not None and any(v > 0 for v in left.values()):
            raise ValidationError.for_field(
                "quantities",
                _("More than is allocated was asked to be shipped."),
                code="over_consume",
            )
        session.flush()
        return consumed
