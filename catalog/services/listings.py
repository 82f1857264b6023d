"""A product's publication on each channel."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from catalog.locks import listings_lock
from catalog.models import Product, ProductChannelListing
from omni.outbox import Event, outbox_record_many
from sales_channels.models import Channel

TOPIC_LISTING_CHANGED = "catalog.listing.changed"


def product_listing_set(
    *,
    product: Product,
    channel: Channel,
    is_published: bool,
    published_at: datetime | None = None,
) -> ProductChannelListing:
    """Publish (from a moment, or at once) or unpublish a product on one channel."""
    with transaction.atomic():
        ProductChannelListing.objects.bulk_create(
            [ProductChannelListing(product=product, channel=channel, currency=channel.currency)],
            ignore_conflicts=True,
        )
        (listing,) = listings_lock(channel_id=channel.pk, product_ids=[product.pk])
        if (listing.is_published, listing.published_at) == (is_published, published_at):
            return listing
        listing.is_published = is_published
        listing.published_at = published_at
        listing.save(update_fields=["is_published", "published_at", "updated_at"])
        outbox_record_many([listing_event(listing=listing, product=product, channel=channel)])
    return listing


def listing_event(*, listing: ProductChannelListing, product: Product, channel: Channel) -> Event:
    """What a channel is told of a product's publication on it (a change, or a resync)."""
    return Event(
        topic=TOPIC_LISTING_CHANGED,
        key=f"listing:{product.pk}:{channel.pk}",
        channel_id=channel.pk,
        payload={
            "product_id": product.pk,
            "slug": product.slug,
            "channel": channel.code,
            "is_published": listing.is_published,
            "published_at": listing.published_at,
        },
    )
