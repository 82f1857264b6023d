"""The one way to lock a variant's stock: its VariantInventory row, locked in variant order.

Every writer of a variant's stock (allocation, reservation, receipt, adjustment, transfer,
sale) goes through variants_lock() first, in one fixed order, so two writers never deadlock,
and the version of the variant's availability grows in the same statement.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from inventory.models import VariantInventory

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
