"""Every row lock of the catalog: a product's listing and a variant's price on a channel.

A price change locks the listings first, then the prices, each set in the order of its key on
the channel (product, then variant), so two price changes never deadlock. On one channel a
listing is keyed by its product and a price by its variant (each pair is unique), so that order
is as fixed as the primary key's, and the callers know it before they read a row. Each function
must run inside a transaction; the lock is held until it ends.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from catalog.models import ProductChannelListing, VariantChannelPrice


def listings_lock(*, channel_id: int, product_ids: Iterable[int]) -> list[ProductChannelListing]:
    """The products' listings on the channel, locked in product order: the price summary and
    the publication of a listing are read again under the lock, as a price change sets them."""
    assert connection.in_atomic_block, "listings_lock() must run inside a transaction"
    return list(
        ProductChannelListing.objects.select_for_update()
        .filter(channel_id=channel_id, product_id__in=list(product_ids))
        .order_by("product_id")
    )


def prices_lock(*, channel_id: int, variant_ids: Iterable[int]) -> dict[int, VariantChannelPrice]:
    """The variants' prices on the channel that exist, locked in variant order, by variant id:
    a price is compared with the new one, and its history closed, under the lock."""
    assert connection.in_atomic_block, "prices_lock() must run inside a transaction"
    return {
        price.variant_id: price
        for price in VariantChannelPrice.objects.select_for_update()
        .filter(channel_id=channel_id, variant_id__in=list(variant_ids))
        .order_by("variant_id")
    }
