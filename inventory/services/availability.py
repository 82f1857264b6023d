"""Telling the channels what they can sell after their stock configuration changed."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import ProductVariant
from inventory.channel_stock import availability_event, channel_config_changed
from inventory.locks import availability_refresh_lock, variants_lock
from inventory.models import (
    AvailabilityRefresh,
    Stock,
)
from inventory.selectors import availability_for_channel
from omni.outbox import outbox_record_many
from omni.tasks import enqueue_after_commit
from sales_channels.models import Channel

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
    # A refresh whose message is lost is finished by the beat (availability_refresh_pending).
    enqueue_after_commit(
        availability_refresh_run, refresh.pk, countdown=settings.OMNI_STOCK_CONFIG_SECONDS
    )
    return refresh


def availability_refresh_step(*, refresh_id: int, chunk: int = 500) -> bool:
    """The next `chunk` variants of a refresh, in a transaction of their own, under the
    variants' locks (as a stock change takes them), with the configuration as committed.
    Returns whether any remain. Safe to run twice and from two workers at once: the refresh
    row is locked, and a chunk done is never done again."""
    channel_config_changed()  # as committed, not as this process last read it
    with transaction.atomic():
        refresh = availability_refresh_lock(refresh_id)
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
