"""The session every stock operation runs in (see inventory.services): the variants locked, their
stock rows read under the lock, changed in memory, then flushed with the ledger and the events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import ProductVariant
from inventory.channel_stock import ChannelSource, availability_event, channel_sources, sellable
from inventory.locks import variants_lock
from inventory.models import (
    LowStockAlert,
    Reservation,
    Stock,
    StockMovement,
)
from omni.db import WriteBatch
from omni.errors import InsufficientStock, ValidationError
from omni.outbox import outbox_record_many
from omni.tasks import enqueue_after_commit
from sales_channels.models import Channel

Kind = StockMovement.Kind


# --- the session that every operation runs in ------------------------------------------------

# Raw SQL on the hot path: these statements run while the variant is locked, where the ORM's
# cost of building them would be most of the time the lock is held (bench/allocation.py).
# Table names are the models' own, not input.
_T = {
    "stock": Stock._meta.db_table,
    "reservation": Reservation._meta.db_table,
    "variant": ProductVariant._meta.db_table,
}


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
        self.batch.insert(StockMovement, self.movements)
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

            # The beat (low_stock_notify_pending) e-mails what a broker that is down did not queue.
            enqueue_after_commit(low_stock_notify, [a.pk for a in raised])
        if recovered:
            LowStockAlert.objects.filter(stock_id__in=recovered, resolved_at__isnull=True).update(
                resolved_at=self.now
            )


def _positive(quantity: int, field_name: str = "quantity") -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValidationError.for_field(
            field_name, _("Enter a whole number above zero."), code="min_value"
        )
