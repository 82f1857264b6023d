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
    versions = _bump(ids)
    if len(versions) < len(ids):
        VariantInventory.objects.bulk_create(
            [VariantInventory(variant_id=i) for i in ids if i not in versions],
            ignore_conflicts=True,
        )
        versions = _bump(ids)
    return versions


# The table name is the model's own, not input. On PostgreSQL the sub-select takes the row locks
# in variant order and the update then bumps them; SQLite serialises writers with its database
# lock (BEGIN IMMEDIATE), so a plain update does.
_BUMP_POSTGRES = (
    f"UPDATE {_TABLE} SET version = version + 1 WHERE variant_id IN ("  # noqa: S608
    f"SELECT variant_id FROM {_TABLE} WHERE variant_id = ANY(%s) ORDER BY variant_id FOR UPDATE"
    ") RETURNING variant_id, version"
)
_BUMP_OTHER = f"UPDATE {_TABLE} SET version = version + 1 WHERE variant_id IN ({{marks}}) RETURNING variant_id, version"  # noqa: S608


def _bump(ids: list[int]) -> dict[int, int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_BUMP_POSTGRES, [ids])
        else:
            cursor.execute(_BUMP_OTHER.format(marks=",".join(["%s"] * len(ids))), ids)
        return dict(cursor.fetchall())
