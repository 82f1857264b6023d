"""Every row lock of inventory, one function per kind of row, each taking its rows in one
fixed order and asserting it runs inside a transaction (the lock is held until it ends).

The one way to lock a variant's stock is its VariantInventory row, locked in variant order:
every writer of a variant's stock (allocation, reservation, receipt, adjustment, transfer,
sale) goes through variants_lock() first, in one fixed order, so two writers never deadlock,
and the version of the variant's availability grows in the same statement. What a writer locks
besides comes before the variants, in this order: a transfer, then the allocations it moves.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from inventory.models import (
    Allocation,
    AvailabilityRefresh,
    LowStockAlert,
    Transfer,
    VariantInventory,
)

_TABLE = VariantInventory._meta.db_table


def variants_lock(variant_ids: Iterable[int]) -> dict[int, int]:
    """Lock the variants (in id order) and bump their availability version.

    Returns {variant_id: new version}. Must run inside a transaction; the lock is held until it
    ends. Rows are created on first use.
    """
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    assert connection.in_atomic_block, "variants_lock() must run inside a transaction"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_UPSERT_POSTGRES, [ids])
            return dict(cursor.fetchall())
        versions = _bump_other(cursor, ids)
        if len(versions) < len(ids):
            VariantInventory.objects.bulk_create(
                [VariantInventory(variant_id=i) for i in ids if i not in versions],
                ignore_conflicts=True,
            )
            versions = _bump_other(cursor, ids)
        return versions


# The table name is the model's own, not input. On PostgreSQL one statement takes every lock in
# variant order, creating the rows it lacks on the way: the rows are fed to the upsert sorted,
# and it locks (or inserts) each in turn. Creating the missing rows in a second statement, after
# locking the others, would take a lower id after a higher one, and two first uses could
# deadlock (tests/inventory/test_concurrency.py). SQLite serialises writers with its database
# lock (BEGIN IMMEDIATE), so a plain update does.
_UPSERT_POSTGRES = (
    f"INSERT INTO {_TABLE} AS vi (variant_id, version) "
    "SELECT id, 1 FROM unnest(%s::bigint[]) AS id ORDER BY id "
    "ON CONFLICT (variant_id) DO UPDATE SET version = vi.version + 1 "
    "RETURNING variant_id, version"
)
_BUMP_OTHER = f"UPDATE {_TABLE} SET version = version + 1 WHERE variant_id IN ({{marks}}) RETURNING variant_id, version"


def _bump_other(cursor, ids: list[int]) -> dict[int, int]:
    cursor.execute(_BUMP_OTHER.format(marks=",".join(["%s"] * len(ids))), ids)
    return dict(cursor.fetchall())


def transfer_lock(pk: int) -> Transfer:
    """The transfer, read again under its lock: each of its steps (ship, receive, cancel) checks
    its status under the lock, so two staff never apply one step twice."""
    assert connection.in_atomic_block, "transfer_lock() must run inside a transaction"
    return Transfer.objects.select_for_update().get(pk=pk)


def transfers_lock(*, order_reference: str, status: str) -> list[Transfer]:
    """An order's transfers in one status, locked in id order, so that two writers of the same
    transfers take them in one order (an order cancelled detaches them)."""
    assert connection.in_atomic_block, "transfers_lock() must run inside a transaction"
    return list(
        Transfer.objects.select_for_update()
        .filter(order_reference=order_reference, status=status)
        .order_by("id")
    )


def allocations_lock(
    *,
    reference: str,
    status: str,
    location_id: int | None = None,
    line_refs: Iterable[str] | None = None,
    variant_ids: Iterable[int] | None = None,
) -> list[Allocation]:
    """An order's allocation rows in one status (at a location, of some lines or variants, when
    given), locked in id order and before the variants: what is released, shipped or moved by a
    transfer is read again under the lock, so a unit is never released or shipped twice."""
    assert connection.in_atomic_block, "allocations_lock() must run inside a transaction"
    held = Allocation.objects.filter(reference=reference, status=status)
    if location_id is not None:
        held = held.filter(location_id=location_id)
    if line_refs is not None:
        held = held.filter(line_ref__in=list(line_refs))
    if variant_ids is not None:
        held = held.filter(variant_id__in=list(variant_ids))
    return list(held.select_for_update().order_by("id"))


def availability_refresh_lock(pk: int) -> AvailabilityRefresh | None:
    """The refresh if it is not done yet, locked, or None: two workers running one refresh take
    its chunks one after the other, and a chunk done is never done again."""
    assert connection.in_atomic_block, "availability_refresh_lock() must run inside a transaction"
    return (
        AvailabilityRefresh.objects.select_for_update().filter(pk=pk, done_at__isnull=True).first()
    )


def low_stock_alert_claim(pk: int) -> LowStockAlert | None:
    """The alert if it is still to be sent, locked, or None when it was sent, resolved, or
    another worker holds it (SKIP LOCKED): an alert is claimed by the transaction that sends
    it, so it is sent once. Only the alert's row is locked (of self): the stock, variant and
    location it is read with are not, so no allocation or receipt of that stock waits while the
    e-mail goes out."""
    assert connection.in_atomic_block, "low_stock_alert_claim() must run inside a transaction"
    return (
        LowStockAlert.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("stock__variant", "stock__location")
        .filter(pk=pk, notified_at__isnull=True, resolved_at__isnull=True)
        .first()
    )
