"""Every row lock of the marketplaces: a push batch, the items it carried, a package import.

A batch's result is booked under the batch's lock, then its items', several items in id
order. Each function must run inside a transaction; the lock is held until it ends.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from marketplaces.models import MarketplaceItem, PackageImport, PushBatch


def push_batch_lock(pk: int) -> PushBatch:
    """The batch, read again under its lock: its result is booked once."""
    assert connection.in_atomic_block, "push_batch_lock() must run inside a transaction"
    return PushBatch.objects.select_for_update().get(pk=pk)


def items_lock(*, channel_id: int, variant_ids: Iterable[int]) -> dict[int, MarketplaceItem]:
    """The variants' items on the marketplace that exist, locked in id order, by variant id:
    what a batch result says of an item is compared, under the lock, with what the item last
    sent."""
    assert connection.in_atomic_block, "items_lock() must run inside a transaction"
    return {
        item.variant_id: item
        for item in MarketplaceItem.objects.select_for_update()
        .filter(channel_id=channel_id, variant_id__in=list(variant_ids))
        .order_by("pk")
    }


def package_import_lock(pk: int) -> PackageImport:
    """The package's import record, read again under its lock: a package becomes one order,
    however many imports of it run at once."""
    assert connection.in_atomic_block, "package_import_lock() must run inside a transaction"
    return PackageImport.objects.select_for_update().get(pk=pk)
