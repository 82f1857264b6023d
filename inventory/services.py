"""Every change to stock: one service per operation, used by the API, the admin, the staff
screens, the order service and the tasks alike.

Each operation runs in one transaction that
1. locks the variants it touches (inventory.locks: one row per variant, in variant order),
2. reads their stock rows with the live reservations, under that lock,
3. checks and applies its changes in memory, refusing anything that would take a location
   below zero or sell what a channel does not have,
4. writes the stock deltas, the ledger movements, and one outbox event per channel whose
   sellable quantity changed, carrying the new quantity and a version that only grows,
all before the commit that releases the lock. A few statements are all that run under it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from catalog.models import ProductVariant
from inventory import routing
from inventory.geo import distance_km
from inventory.locks import variants_lock
from inventory.models import (
    Allocation,
    AvailabilityRefresh,
    ChannelLocation,
    LowStockAlert,
    Reservation,
    Stock,
    StockLocation,
    StockMovement,
    Transfer,
    TransferLine,
)
from omni.db import WriteBatch, insert_many
from omni.errors import Conflict, InsufficientStock, InvalidTransition, NotFound, ValidationError
from omni.outbox import Event, outbox_record_many
from sales_channels.models import Channel

TOPIC_AVAILABILITY = "inventory.availability.changed"
Kind = StockMovement.Kind


# --- what a channel can sell --------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSource:
    channel_id: int
    channel_code: str
    location_id: int
    priority: int
    safety_stock: int


@dataclass
class ChannelConfig:
    """Which locations each channel sells from, and those locations: configuration that every
    stock operation needs and that changes rarely."""

    sources: dict[int, list[ChannelSource]]
    loaded_at: float

    @cached_property
    def locations(self) -> dict[int, StockLocation]:
        return StockLocation.objects.in_bulk(
            sorted({s.location_id for group in self.sources.values() for s in group})
        )


_config: ChannelConfig | None = None


def channel_config() -> ChannelConfig:
    """The channels' stock configuration, kept per process for OMNI_STOCK_CONFIG_SECONDS (a
    change made in another process takes effect within that time; one made in this process at
    once, see inventory.apps). Read outside any lock: it is not stock."""
    global _config
    ttl = settings.OMNI_STOCK_CONFIG_SECONDS
    if _config is not None and ttl and time.monotonic() - _config.loaded_at < ttl:
        return _config
    rows = (
        ChannelLocation.objects.filter(channel__is_active=True, location__is_active=True)
        .order_by("channel_id", "priority", "location_id")
        .values_list("channel_id", "channel__code", "location_id", "priority", "safety_stock")
    )
    sources: dict[int, list[ChannelSource]] = defaultdict(list)
    for row in rows:
        sources[row[0]].append(ChannelSource(*row))
    _config = ChannelConfig(dict(sources), time.monotonic())
    return _config


def channel_config_changed(**_kwargs) -> None:
    """Forget the configuration kept by this process (a channel, location or channel location
    was saved here)."""
    global _config
    _config = None


def channel_sources() -> dict[int, list[ChannelSource]]:
    """Each active channel's active locations, in priority order: {channel id: [source, ...]}."""
    return channel_config().sources


def sellable(on_hand: int, allocated: int, reserved: int, safety_stock: int) -> int:
    """What one location can give one channel: free stock not reserved, less the safety stock."""
    return max(0, on_hand - allocated - reserved - safety_stock)


def live_reserved(*, now: datetime, exclude_reference: str | None = None) -> Subquery:
    """Units of a stock row held by reservations that have not expired (an annotation)."""
    live = Reservation.objects.filter(stock=OuterRef("pk"), expires_at__gt=now)
    if exclude_reference:
        live = live.exclude(reference=exclude_reference)
    return Coalesce(
        Subquery(live.values("stock").annotate(total=Sum("quantity")).values("total")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


# --- the session that every operation runs in ------------------------------------------------

# Raw SQL on the hot path: these statements run while the variant is locked, where the ORM's
# cost of building them would be most of the time the lock is held (bench/allocation.py).
# Table names are the models' own, not input.
_T = {
    "stock": Stock._meta.db_table,
    "reservation": Reservation._meta.db_table,
    "variant": ProductVariant._meta.db_table,
}
_MOVEMENT_COLUMNS = (
    "stock", "kind", "quantity", "on_hand_delta", "allocated_delta", "reason", "actor", "channel",
    "reference", "external_ref", "created_at",
)  # fmt: skip
_ALLOCATION_COLUMNS = (
    "stock", "variant", "location", "reference", "line_ref", "quantity", "status", "created_at",
)  # fmt: skip


def _read_sql(count: int) -> str:
    marks = ", ".join(["%s"] * count)
    return (
        "SELECT s.id, s.variant_id, s.location_id, s.on_hand, s.allocated, s.reorder_point, v.sku, "
        "COALESCE(r.mine_excluded, 0), COALESCE(r.every, 0) "
        f"FROM {_T['stock']} s JOIN {_T['variant']} v ON v.id = s.variant_id "
        "LEFT JOIN (SELECT stock_id, SUM(CASE WHEN reference <> %s THEN quantity ELSE 0 END) AS mine_excluded, "
        f"SUM(quantity) AS every FROM {_T['reservation']} WHERE variant_id IN ({marks}) AND expires_at > %s "
        "GROUP BY stock_id) r ON r.stock_id = s.id "
        f"WHERE s.variant_id IN ({marks})"
    )


def stock_levels(
    *,
    variant_ids: list[int],
    location_ids: list[int],
    now: datetime,
    exclude_reservation: str | None = None,
) -> list[tuple[int, int, int, int, int]]:
    """(variant id, location id, on hand, allocated, reserved by live reservations) of each
    stock row of these variants at these locations, unlocked, in one statement (the reads of
    what a channel can sell run on every cart change: raw SQL, as the session's read). A
    cart's own reservations (`exclude_reservation`) are not counted as reserved."""
    if not variant_ids or not location_ids:
        return []
    variants, locations = (
        ", ".join(["%s"] * len(variant_ids)),
        ", ".join(["%s"] * len(location_ids)),
    )
    sql = (
        "SELECT s.variant_id, s.location_id, s.on_hand, s.allocated, COALESCE(r.held, 0) "
        f"FROM {_T['stock']} s LEFT JOIN (SELECT stock_id, SUM(quantity) AS held "
        f"FROM {_T['reservation']} WHERE variant_id IN ({variants}) AND expires_at > %s "
        "AND reference <> %s GROUP BY stock_id) r ON r.stock_id = s.id "
        f"WHERE s.variant_id IN ({variants}) AND s.location_id IN ({locations})"
    )  # table names are the models' own; values are parameters
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [*variant_ids, at, exclude_reservation or "", *variant_ids, *location_ids]
        )
        return cursor.fetchall()


def availability_event(
    *, variant_id: int, sku: str, channel_id: int, channel_code: str, available: int, version: int
) -> Event:
    """What a channel is told of a variant's sellable units: the one shape of the event, for a
    stock change and for a full resync alike."""
    return Event(
        topic=TOPIC_AVAILABILITY,
        key=f"availability:{variant_id}:{channel_id}",
        version=version,
        channel_id=channel_id,
        payload={
            "variant_id": variant_id,
            "sku": sku,
            "channel": channel_code,
            "available": available,
            "version": version,
        },
    )


def _update_sql(cases: str, count: int) -> str:
    return (
        f"UPDATE {_T['stock']} SET on_hand = on_hand + CASE id {cases} ELSE 0 END, "
        f"allocated = allocated + CASE id {cases} ELSE 0 END, updated_at = %s "
        f"WHERE id IN ({', '.join(['%s'] * count)})"
    )


@dataclass
class _Row:
    stock: Stock
    on_hand: int
    allocated: int
    reserved: int
    before: tuple[int, int, int]
    is_new: bool = False

    @property
    def free(self) -> int:
        return self.on_hand - self.allocated


@dataclass
class _Session:
    """Stock of some variants, loaded under their locks, changed in memory, then flushed."""

    now: datetime
    versions: dict[int, int]
    rows: dict[tuple[int, int], _Row]
    skus: dict[int, str]
    sources: dict[int, list[ChannelSource]]
    movements: list[StockMovement] = field(default_factory=list)
    # The writes of flush() and of the operation (its allocations, say), sent as one statement.
    batch: WriteBatch = field(default_factory=WriteBatch)

    @classmethod
    def open(
        cls,
        variant_ids: Iterable[int],
        *,
        exclude_reservation: str | None = None,
        sources: dict[int, list[ChannelSource]] | None = None,
    ) -> _Session:
        now = timezone.now()
        sources = channel_sources() if sources is None else sources  # configuration, read unlocked
        ids = sorted(set(variant_ids))
        versions = variants_lock(ids)
        # What the channels were last told counts every live reservation (`reserved_all`);
        # what this operation may use leaves out its own cart's (`reserved_now`).
        at = connection.ops.adapt_datetimefield_value(now)
        with connection.cursor() as cursor:
            cursor.execute(_read_sql(len(ids)), [exclude_reservation or "", *ids, at, *ids])
            fetched = cursor.fetchall()
        rows, skus = {}, {}
        for (
            pk,
            vid,
            lid,
            on_hand,
            allocated,
            reorder_point,
            sku,
            reserved_now,
            reserved_all,
        ) in fetched:
            stock = Stock(
                id=pk,
                variant_id=vid,
                location_id=lid,
                on_hand=on_hand,
                allocated=allocated,
                reorder_point=reorder_point,
            )
            stock._state.adding = False
            rows[vid, lid] = _Row(
                stock, on_hand, allocated, reserved_now, (on_hand, allocated, reserved_all)
            )
            skus[vid] = sku
        missing = [vid for vid in ids if vid not in skus]
        if missing:
            skus.update(ProductVariant.objects.filter(pk__in=missing).values_list("id", "sku"))
        unknown = [vid for vid in ids if vid not in skus]
        if unknown:
            raise ValidationError.for_field(
                "variant", _("Unknown variant."), code="unknown_variant"
            )
        return cls(now=now, versions=versions, rows=rows, skus=skus, sources=sources)

    # reading

    def row(self, variant_id: int, location_id: int) -> _Row:
        key = (variant_id, location_id)
        if key not in self.rows:
            stock = Stock(variant_id=variant_id, location_id=location_id)
            self.rows[key] = _Row(stock, 0, 0, 0, (0, 0, 0), is_new=True)
        return self.rows[key]

    def sellable_at(self, channel_id: int, variant_id: int) -> dict[int, int]:
        """{location id: units} the channel can sell of the variant, in its priority order."""
        result = {}
        for source in self.sources.get(channel_id, []):
            row = self.rows.get((variant_id, source.location_id))
            if row is not None:
                result[source.location_id] = sellable(
                    row.on_hand, row.allocated, row.reserved, source.safety_stock
                )
        return result

    def available(self, channel_id: int, variant_id: int, *, before: bool = False) -> int:
        total = 0
        for source in self.sources.get(channel_id, []):
            row = self.rows.get((variant_id, source.location_id))
            if row is not None:
                on_hand, allocated, reserved = (
                    row.before if before else (row.on_hand, row.allocated, row.reserved)
                )
                total += sellable(on_hand, allocated, reserved, source.safety_stock)
        return total

    # changing

    def move(
        self,
        variant_id: int,
        location_id: int,
        *,
        kind: str,
        quantity: int,
        on_hand: int = 0,
        allocated: int = 0,
        reason: str = "",
        reference: str = "",
        actor: User | None = None,
        channel: Channel | None = None,
        external_ref: str | None = None,
    ) -> StockMovement:
        row = self.row(variant_id, location_id)
        new_on_hand, new_allocated = row.on_hand + on_hand, row.allocated + allocated
        if new_on_hand < 0 or new_allocated < 0 or new_allocated > new_on_hand:
            free = max(0, row.free)
            asked = quantity if (on_hand < 0 or allocated > 0) else free + 1
            raise InsufficientStock([(self.skus[variant_id], asked, free)])
        row.on_hand, row.allocated = new_on_hand, new_allocated
        movement = StockMovement(
            stock=row.stock,
            kind=kind,
            quantity=quantity,
            on_hand_delta=on_hand,
            allocated_delta=allocated,
            reason=reason,
            reference=reference,
            actor=actor,
            channel=channel,
            external_ref=external_ref,
            created_at=self.now,
        )
        self.movements.append(movement)
        return movement

    def reserve(self, variant_id: int, location_id: int, quantity: int) -> None:
        self.row(variant_id, location_id).reserved += quantity

    def flush(self) -> None:
        """Write every change made in this session, its ledger and its events."""
        # A new row is written when it holds stock or when the ledger records a movement on it
        # (a write-off of a damaged return where the location never held the variant).
        moved = {id(m.stock) for m in self.movements}
        new = [
            r.stock
            for r in self.rows.values()
            if r.is_new and (r.on_hand or r.allocated or id(r.stock) in moved)
        ]
        for stock in new:
            row = self.rows[stock.variant_id, stock.location_id]
            stock.on_hand, stock.allocated = row.on_hand, row.allocated
        if new:
            Stock.objects.bulk_create(new)
        changed = {
            r.stock.pk: (r.on_hand - r.before[0], r.allocated - r.before[1])
            for r in self.rows.values()
            if not r.is_new and (r.on_hand, r.allocated) != r.before[:2]
        }
        if changed:
            # Deltas, not absolute values: the database applies them to what it holds, and its
            # CHECK constraints refuse a negative or over-allocated row whatever happened here.
            cases = " ".join(["WHEN %s THEN %s"] * len(changed))
            params: list = []
            for pk, (on_hand, _allocated) in changed.items():
                params += [pk, on_hand]
            for pk, (_on_hand, allocated) in changed.items():
                params += [pk, allocated]
            params += [connection.ops.adapt_datetimefield_value(self.now), *changed]
            self.batch.update(_update_sql(cases, len(changed)), params)
        for row in self.rows.values():  # callers get the stock as it now is
            row.stock.on_hand, row.stock.allocated = row.on_hand, row.allocated
        for movement in self.movements:
            movement.stock_id = movement.stock.pk
        self.batch.insert(StockMovement, self.movements, _MOVEMENT_COLUMNS)
        self._record_availability()
        self.batch.execute()
        self._check_low_stock()

    def _record_availability(self) -> None:
        touched = defaultdict(set)
        for (vid, lid), row in self.rows.items():
            if (row.on_hand, row.allocated, row.reserved) != row.before:
                touched[vid].add(lid)
        events = []
        for vid, locations in sorted(touched.items()):
            for channel_id, sources in sorted(self.sources.items()):
                if not any(s.location_id in locations for s in sources):
                    continue
                after = self.available(channel_id, vid)
                if after == self.available(channel_id, vid, before=True):
                    continue
                events.append(
                    availability_event(
                        variant_id=vid,
                        sku=self.skus[vid],
                        channel_id=channel_id,
                        channel_code=sources[0].channel_code,
                        available=after,
                        version=self.versions[vid],
                    )
                )
        outbox_record_many(events, batch=self.batch)

    def _check_low_stock(self) -> None:
        watched = [
            r
            for r in self.rows.values()
            if r.stock.reorder_point is not None and (r.on_hand, r.allocated) != r.before[:2]
        ]
        if not watched:
            return
        open_alerts = set(
            LowStockAlert.objects.filter(
                stock__in=[r.stock for r in watched], resolved_at__isnull=True
            ).values_list("stock_id", flat=True)
        )
        raised = [
            LowStockAlert(
                stock=r.stock,
                free_at_alert=r.free,
                reorder_point=r.stock.reorder_point,
                opened_at=self.now,
            )
            for r in watched
            if r.free <= r.stock.reorder_point and r.stock.pk not in open_alerts
        ]
        recovered = [
            r.stock.pk
            for r in watched
            if r.free > r.stock.reorder_point and r.stock.pk in open_alerts
        ]
        if raised:
            LowStockAlert.objects.bulk_create(raised)
            from inventory.tasks import low_stock_notify

            ids = [a.pk for a in raised]
            transaction.on_commit(lambda: low_stock_notify.delay(ids))
        if recovered:
            LowStockAlert.objects.filter(stock_id__in=recovered, resolved_at__isnull=True).update(
                resolved_at=self.now
            )


def _positive(quantity: int, field_name: str = "quantity") -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValidationError.for_field(
            field_name, _("Enter a whole number above zero."), code="min_value"
        )


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


# --- reservations for carts -----------------------------------------------------------------


def reservations_set(
    *,
    channel: Channel,
    reference: str,
    lines: Mapping[int, int],
    ttl: timedelta,
) -> list[Reservation]:
    """Hold stock for a cart (`reference`, e.g. "cart:<token>") until now + ttl: all lines or
    none. Replaces what the reference held before, so calling it again with the cart's new
    lines is how a reservation follows the cart."""
    lines = {vid: qty for vid, qty in lines.items() if qty}
    for qty in lines.values():
        _positive(qty)
    with transaction.atomic():
        previous = list(
            Reservation.objects.filter(reference=reference).values_list("variant_id", flat=True)
        )
        session = _Session.open([*lines, *previous], exclude_reservation=reference)
        Reservation.objects.filter(reference=reference).delete()
        expires_at = session.now + ttl
        created, short = [], []
        for vid, qty in sorted(lines.items()):
            left = qty
            for location_id, units in session.sellable_at(channel.pk, vid).items():
                take = min(units, left)
                if take:
                    session.reserve(vid, location_id, take)
                    row = session.rows[vid, location_id]
                    created.append(
                        Reservation(
                            stock=row.stock,
                            variant_id=vid,
                            channel=channel,
                            quantity=take,
                            reference=reference,
                            expires_at=expires_at,
                            created_at=session.now,
                        )
                    )
                    left -= take
                if not left:
                    break
            if left:
                short.append((session.skus[vid], qty, qty - left))
        if short:
            raise InsufficientStock(short)
        Reservation.objects.bulk_create(created)
        session.flush()
        return created


def reservations_extend(*, reference: str, ttl: timedelta) -> int:
    """Push back the expiry of a reference's live reservations; returns how many were extended."""
    now = timezone.now()
    return Reservation.objects.filter(reference=reference, expires_at__gt=now).update(
        expires_at=now + ttl
    )


def reservations_release(*, reference: str) -> int:
    """Give back what a reference holds (a cart emptied or abandoned)."""
    with transaction.atomic():
        variant_ids = list(
            Reservation.objects.filter(reference=reference).values_list("variant_id", flat=True)
        )
        if not variant_ids:
            return 0
        session = _Session.open(variant_ids)
        held = Reservation.objects.filter(reference=reference, expires_at__gt=session.now)
        for variant_id, location_id, quantity in held.values_list(
            "variant_id", "stock__location_id", "quantity"
        ):
            session.rows[variant_id, location_id].reserved -= quantity
        deleted, _rows = Reservation.objects.filter(reference=reference).delete()
        session.flush()
        return deleted


def reservations_expire(*, limit: int = 500) -> int:
    """Delete expired reservations (they already count for nothing) and tell the channels
    what they can sell again. Safe to run at any time and any number of times."""
    now = timezone.now()
    variant_ids = list(
        Reservation.objects.filter(expires_at__lte=now)
        .values_list("variant_id", flat=True)
        .distinct()[:limit]
    )
    if not variant_ids:
        return 0
    with transaction.atomic():
        session = _Session.open(variant_ids)
        # The session already ignores expired rows; the 'before' state must count them, as the
        # channels were last told availability with them held.
        expired = Reservation.objects.filter(
            variant_id__in=variant_ids, expires_at__lte=session.now
        ).select_related("stock")
        for r in expired:
            row = session.rows[r.variant_id, r.stock.location_id]
            on_hand, allocated, reserved = row.before
            row.before = (on_hand, allocated, reserved + r.quantity)
        deleted, _rows = Reservation.objects.filter(pk__in=[r.pk for r in expired]).delete()
        session.flush()
        return deleted


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
    if not lines:
        raise ValidationError.for_field("lines", _("Add at least one line."), code="required")
    demand: dict[int, int] = defaultdict(int)
    for line in lines:
        _positive(line.quantity)
        demand[line.variant_id] += line.quantity
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
        if reservation_reference:
            Reservation.objects.filter(reference=reservation_reference).delete()
        for allocation in allocations:  # stock that can be allocated exists already
            allocation.stock_id = allocation.stock.pk
        session.batch.insert(Allocation, allocations, _ALLOCATION_COLUMNS)
        session.flush()
        return AllocationResult(plan=plan, allocations=allocations)


class StockLevels(Protocol):
    """What routing needs of a stock row: a locked session row, or an unlocked Stock read with
    its live reservations annotated as `reserved` (inventory.selectors.fulfilment_plan)."""

    on_hand: int
    allocated: int
    reserved: int


def route_candidates(
    *,
    channel: Channel,
    sources: Mapping[int, Sequence[ChannelSource]],
    levels: Mapping[tuple[int, int], StockLevels],
    demand: Mapping[int, int],
    destination: tuple[float, float] | None,
    pickup_location: StockLocation | None,
    locations: Mapping[int, StockLocation] | None = None,
    from_kind: str | None = None,
) -> list[routing.Candidate]:
    """The locations that may fulfil `demand` for the channel, with what each can sell of it.
    `levels` is {(variant id, location id): stock}; `locations` ({id: location}) the channel's
    locations if already read. One function for the allocation and for its preview, so that
    the preview cannot drift from what an order would get."""
    own = sources.get(channel.pk, [])
    if pickup_location is not None:
        if not pickup_location.click_and_collect or not pickup_location.is_active:
            raise ValidationError.for_field(
                "pickup_location",
                _("%(store)s does not offer click and collect.") % {"store": pickup_location.name},
                code="no_pickup",
            )
        # A pickup store sells to the channel even if it is not one of its delivery locations.
        safety = next((s.safety_stock for s in own if s.location_id == pickup_location.pk), 0)
        priority = 0
        locations = {pickup_location.pk: pickup_location}
        chosen = [(pickup_location.pk, priority, safety)]
    else:
        if locations is None:
            locations = StockLocation.objects.in_bulk([s.location_id for s in own])
        chosen = [
            (s.location_id, s.priority, s.safety_stock)
            for s in own
            if locations.get(s.location_id) is not None
            and locations[s.location_id].ships_to_customers
            and (from_kind is None or locations[s.location_id].kind == from_kind)
        ]
    result = []
    for location_id, priority, safety in chosen:
        location = locations[location_id]
        units = {}
        for vid in demand:
            row = levels.get((vid, location_id))
            units[vid] = sellable(row.on_hand, row.allocated, row.reserved, safety) if row else 0
        distance = (
            distance_km(destination, (float(location.latitude), float(location.longitude)))
            if destination
            else None
        )
        result.append(routing.Candidate(location_id, location.code, priority, distance, units))
    return result


def allocations_release(
    *, reference: str, line_refs: Sequence[str] | None = None, actor: User | None = None
) -> int:
    """Give back what an order (or some of its lines) holds: on cancel, or before re-routing."""
    with transaction.atomic():
        held = Allocation.objects.filter(reference=reference, status=Allocation.Status.ALLOCATED)
        if line_refs is not None:
            held = held.filter(line_ref__in=line_refs)
        held = list(held.select_for_update().order_by("id"))  # after no other lock: see locks.py
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
        held = Allocation.objects.filter(reference=reference, status=Allocation.Status.ALLOCATED)
        if location_id is not None:
            held = held.filter(location_id=location_id)
        if quantities is not None:
            held = held.filter(line_ref__in=list(quantities))
        held = list(held.select_for_update().order_by("id"))
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


# --- transfers ------------------------------------------------------------------------------

TRANSFER_TRANSITIONS = {
    Transfer.Status.REQUESTED: {Transfer.Status.SHIPPED, Transfer.Status.CANCELLED},
    Transfer.Status.SHIPPED: {Transfer.Status.RECEIVED},
    Transfer.Status.RECEIVED: set(),
    Transfer.Status.CANCELLED: set(),
}


def _transition(transfer: Transfer, to: str) -> None:
    if to not in TRANSFER_TRANSITIONS[transfer.status]:
        raise InvalidTransition(
            _("Transfer %(id)s is %(status)s and cannot be %(action)s.")
            % {
                "id": transfer.pk,
                "status": transfer.get_status_display().lower(),
                "action": _TRANSFER_ACTIONS[to],
            }
        )


_TRANSFER_ACTIONS = {  # lazy: translated when the message is made, in its language
    Transfer.Status.SHIPPED: gettext_lazy("shipped"),
    Transfer.Status.RECEIVED: gettext_lazy("received"),
    Transfer.Status.CANCELLED: gettext_lazy("cancelled"),
}


def transfer_request(
    *,
    source: StockLocation,
    destination: StockLocation,
    lines: Mapping[int, int],
    expected_at: datetime | None = None,
    reference: str = "",
    actor: User | None = None,
) -> Transfer:
    """Ask for stock to move between locations. The units are held at the source (allocated)
    from now, so they are not sold before they leave."""
    if source.pk == destination.pk:
        raise ValidationError.for_field(
            "destination", _("A transfer goes to another location."), code="same_location"
        )
    if not lines:
        raise ValidationError.for_field("lines", _("Add at least one line."), code="required")
    for qty in lines.values():
        _positive(qty)
    with transaction.atomic():
        transfer = Transfer.objects.create(
            source=source,
            destination=destination,
            expected_at=expected_at,
            reference=reference,
            requested_by=actor,
        )
        TransferLine.objects.bulk_create(
            TransferLine(transfer=transfer, variant_id=vid, quantity=q) for vid, q in lines.items()
        )
        session = _Session.open(lines)
        for vid, qty in sorted(lines.items()):
            session.move(
                vid,
                source.pk,
                kind=Kind.ALLOCATION,
                quantity=qty,
                allocated=qty,
                reference=f"transfer:{transfer.pk}",
                actor=actor,
            )
        session.flush()
        return transfer


def _locked_transfer(transfer: Transfer) -> tuple[Transfer, dict[int, int]]:
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    return transfer, dict(transfer.lines.values_list("variant_id", "quantity"))


def transfer_for_order(
    *,
    source: StockLocation,
    destination: StockLocation,
    lines: Mapping[int, int],
    order_reference: str,
    expected_at: datetime | None = None,
    actor: User | None = None,
) -> Transfer:
    """Bring an order's units to its pickup store. The order's own allocation at the source is
    the hold (nothing more is allocated); it travels with the transfer and is allocated to the
    order again at the store when the transfer arrives. Call inside the order's transaction,
    after its stock is allocated."""
    if source.pk == destination.pk:
        raise ValidationError.for_field(
            "destination", _("A transfer goes to another location."), code="same_location"
        )
    transfer = Transfer.objects.create(
        source=source,
        destination=destination,
        expected_at=expected_at,
        reference=order_reference,
        order_reference=order_reference,
        requested_by=actor,
    )
    TransferLine.objects.bulk_create(
        TransferLine(transfer=transfer, variant_id=vid, quantity=q) for vid, q in lines.items()
    )
    return transfer


def transfer_detach_order(*, order_reference: str) -> None:
    """The order was cancelled: its transfers still under way carry plain stock from now on."""
    with transaction.atomic():
        for transfer in Transfer.objects.select_for_update().filter(
            order_reference=order_reference, status=Transfer.Status.REQUESTED
        ):
            transfer.status = Transfer.Status.CANCELLED
            transfer.save(update_fields=["status", "updated_at"])
        Transfer.objects.filter(
            order_reference=order_reference, status=Transfer.Status.SHIPPED
        ).update(order_reference="")
        Allocation.objects.filter(
            reference=order_reference, status=Allocation.Status.IN_TRANSIT
        ).update(status=Allocation.Status.MOVED)


def _locked_transfer(transfer: Transfer) -> tuple[Transfer, dict[int, int]]:
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    return transfer, dict(transfer.lines.values_list("variant_id", "quantity"))


def _order_allocations_locked(
    transfer: Transfer, lines: dict[int, int], status: str
) -> list[Allocation]:
    """The allocation rows at the source of the order a transfer serves (none without an
    order), locked before the variants, as allocations_release locks them."""
    if not transfer.order_reference:
        return []
    return list(
        Allocation.objects.select_for_update()
        .filter(
            reference=transfer.order_reference,
            location_id=transfer.source_id,
            status=status,
            variant_id__in=list(lines),
        )
        .order_by("id")
    )


def transfer_ship(*, transfer: Transfer, actor: User | None = None) -> Transfer:
    with transaction.atomic():
        transfer, lines = _locked_transfer(transfer)
        _transition(transfer, Transfer.Status.SHIPPED)
        travelling = _order_allocations_locked(transfer, lines, Allocation.Status.ALLOCATED)
        session = _Session.open(lines)
        if transfer.order_reference:
            held = defaultdict(int)
            for allocation in travelling:
                held[allocation.variant_id] += allocation.quantity
            if any(held[vid] != qty for vid, qty in lines.items()):
                raise Conflict(
                    _("The order's stock at the source no longer matches the transfer."),
                    code="transfer_order_mismatch",
                )
        for vid, qty in sorted(lines.items()):
            session.move(
                vid,
                transfer.source_id,
                kind=Kind.TRANSFER_OUT,
                quantity=qty,
                on_hand=-qty,
                allocated=-qty,
                reference=f"transfer:{transfer.pk}",
                actor=actor,
            )
        session.flush()
        if travelling:
            Allocation.objects.filter(pk__in=[a.pk for a in travelling]).update(
                status=Allocation.Status.IN_TRANSIT
            )
        transfer.status, transfer.shipped_at = Transfer.Status.SHIPPED, session.now
        transfer.save(update_fields=["status", "shipped_at", "updated_at"])
        return transfer


def transfer_receive(*, transfer: Transfer, actor: User | None = None) -> Transfer:
    with transaction.atomic():
        transfer, lines = _locked_transfer(transfer)
        _transition(transfer, Transfer.Status.RECEIVED)
        arriving = _order_allocations_locked(transfer, lines, Allocation.Status.IN_TRANSIT)
        session = _Session.open(lines)
        for vid, qty in sorted(lines.items()):
            session.move(
                vid,
                transfer.destination_id,
                kind=Kind.TRANSFER_IN,
                quantity=qty,
                on_hand=qty,
                reference=f"transfer:{transfer.pk}",
                actor=actor,
            )
        allocations = []
        for old in arriving:  # the order's units are allocated to it again, at the store
            row = session.row(old.variant_id, transfer.destination_id)
            session.move(
                old.variant_id,
                transfer.destination_id,
                kind=Kind.ALLOCATION,
                quantity=old.quantity,
                allocated=old.quantity,
                reference=old.reference,
                actor=actor,
            )
            allocations.append(
                Allocation(
                    stock=row.stock,
                    variant_id=old.variant_id,
                    location_id=transfer.destination_id,
                    reference=old.reference,
                    line_ref=old.line_ref,
                    quantity=old.quantity,
                    created_at=session.now,
                )
            )
        session.flush()
        for allocation in allocations:
            allocation.stock_id = allocation.stock.pk
        insert_many(Allocation, allocations, _ALLOCATION_COLUMNS)
        if arriving:
            Allocation.objects.filter(pk__in=[a.pk for a in arriving]).update(
                status=Allocation.Status.MOVED
            )
        transfer.status, transfer.received_at = Transfer.Status.RECEIVED, session.now
        transfer.save(update_fields=["status", "received_at", "updated_at"])
        return transfer


def transfer_cancel(*, transfer: Transfer, actor: User | None = None) -> Transfer:
    with transaction.atomic():
        transfer, lines = _locked_transfer(transfer)
        _transition(transfer, Transfer.Status.CANCELLED)
        if not transfer.order_reference:  # an order's transfer holds nothing of its own
            session = _Session.open(lines)
            for vid, qty in sorted(lines.items()):
                session.move(
                    vid,
                    transfer.source_id,
                    kind=Kind.RELEASE,
                    quantity=qty,
                    allocated=-qty,
                    reference=f"transfer:{transfer.pk}",
                    actor=actor,
                )
            session.flush()
        transfer.status = Transfer.Status.CANCELLED
        transfer.save(update_fields=["status", "updated_at"])
        return transfer


# --- the channels' stock configuration changed ----------------------------------------------


def channel_availability_refresh(
    *, channel_ids: Iterable[int], location_ids: Iterable[int]
) -> AvailabilityRefresh | None:
    """Have the channels told what they can sell after their stock configuration changed (a
    channel starts or stops selling from a location, its safety stock there, a location opened
    or closed). Recorded in the caller's transaction; after the commit a task gives every
    variant stocked at those locations a new availability version and records an availability
    event for each of the channels, whether the number moved or not (the version has): see
    availability_refresh_step. None when there is nothing to tell."""
    channel_ids, location_ids = sorted(set(channel_ids)), sorted(set(location_ids))
    if not channel_ids or not location_ids:
        return None
    refresh = AvailabilityRefresh.objects.create(channel_ids=channel_ids, location_ids=location_ids)
    from inventory.tasks import availability_refresh_run

    # Once every process has the new configuration (each keeps it that long): a stock change
    # told with the old one in the meantime is then superseded by a newer version.
    wait = settings.OMNI_STOCK_CONFIG_SECONDS
    transaction.on_commit(
        lambda: availability_refresh_run.apply_async((refresh.pk,), countdown=wait), robust=True
    )
    return refresh


def availability_refresh_step(*, refresh_id: int, chunk: int = 500) -> bool:
    """The next `chunk` variants of a refresh, in a transaction of their own, under the
    variants' locks (as a stock change takes them), with the configuration as committed.
    Returns whether any remain. Safe to run twice and from two workers at once: the refresh
    row is locked, and a chunk done is never done again."""
    channel_config_changed()  # as committed, not as this process last read it
    with transaction.atomic():
        refresh = (
            AvailabilityRefresh.objects.select_for_update()
            .filter(pk=refresh_id, done_at__isnull=True)
            .first()
        )
        if refresh is None:
            return False
        ids = list(
            Stock.objects.filter(
                location_id__in=refresh.location_ids, variant_id__gt=refresh.after_variant
            )
            .order_by("variant_id")
            .values_list("variant_id", flat=True)
            .distinct()[:chunk]
        )
        channels = list(Channel.objects.filter(pk__in=refresh.channel_ids).order_by("pk"))
        if ids and channels:
            refresh.events += _availability_refresh_chunk(channels, ids)
            refresh.after_variant = ids[-1]
        if len(ids) < chunk or not channels:
            refresh.done_at = timezone.now()
        refresh.save(update_fields=["after_variant", "events", "done_at"])
        return refresh.done_at is None


def _availability_refresh_chunk(channels: list[Channel], ids: list[int]) -> int:
    from inventory.selectors import availability_for_channel  # selectors import services

    versions = variants_lock(ids)
    skus = dict(ProductVariant.objects.filter(pk__in=ids).values_list("id", "sku"))
    events = []
    for channel in channels:
        available = availability_for_channel(channel=channel, variant_ids=ids)
        events += [
            availability_event(
                variant_id=vid,
                sku=skus[vid],
                channel_id=channel.pk,
                channel_code=channel.code,
                available=available[vid],
                version=versions[vid],
            )
            for vid in ids
        ]
    outbox_record_many(events)
    return len(events)


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
