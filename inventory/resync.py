"""The current state of a channel, as the outbox events its changes would have recorded: what
a full resync sends (onboarding a channel, or after an outage on its side).

Each variant priced on the channel gives its availability, its price and its product's
listing, so the state is read here, in the lowest app that sees stock and catalog both.
Sales_channels, below, runs the resync (services.channel_resync); inventory registers this
source with it in its AppConfig.ready() (sales_channels.resync)."""

from __future__ import annotations

from collections.abc import Iterator

from catalog.models import ProductChannelListing, VariantChannelPrice
from catalog.services import listing_event, price_event
from inventory.models import VariantInventory
from inventory.selectors import availability_for_channel
from inventory.services import availability_event
from omni.outbox import Event
from sales_channels.models import Channel


def channel_state_events(*, channel: Channel, chunk: int = 500) -> Iterator[list[Event]]:
    """Events of the channel's variants (those priced on it), `chunk` variants at a time, in a
    fixed number of queries per chunk. The stock version is read before the stock itself: a
    change committed in between then carries a higher version than this state, and wins."""
    prices = (
        VariantChannelPrice.objects.filter(channel=channel)
        .select_related("variant")
        .order_by("variant_id")
    )
    last_id = 0
    seen_products: set[int] = set()
    while True:
        rows = list(prices.filter(variant_id__gt=last_id)[:chunk])
        if not rows:
            return
        last_id = rows[-1].variant_id
        ids = [r.variant_id for r in rows]
        versions = dict(
            VariantInventory.objects.filter(variant_id__in=ids).values_list("variant_id", "version")
        )
        available = availability_for_channel(channel=channel, variant_ids=ids)
        events: list[Event] = []
        for row in rows:
            variant = row.variant
            events.append(
                availability_event(
                    variant_id=variant.pk,
                    sku=variant.sku,
                    channel_id=channel.pk,
                    channel_code=channel.code,
                    available=available[variant.pk],
                    version=versions.get(variant.pk, 0),
                )
            )
            events.append(price_event(variant=variant, channel=channel, row=row))
        product_ids = sorted({r.variant.product_id for r in rows} - seen_products)
        seen_products.update(product_ids)
        listings = ProductChannelListing.objects.filter(
            channel=channel, product_id__in=product_ids
        ).select_related("product")
        for listing in listings:
            events.append(listing_event(listing=listing, product=listing.product, channel=channel))
        yield events
