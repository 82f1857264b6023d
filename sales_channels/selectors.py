from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.cache import ProcessCache
from omni.errors import ValidationError
from omni.models import OutboxEvent
from sales_channels.models import Channel, ChannelEndpoint, Delivery, Retailer


def channel_list_active() -> QuerySet[Channel]:
    return Channel.objects.filter(is_active=True).order_by("kind", "name")


_channels: ProcessCache[Channel] = ProcessCache("OMNI_CHANNEL_CACHE_SECONDS")


def channel_cache_clear(**_kwargs) -> None:
    """Forget the channels this process keeps (one was saved here)."""
    _channels.clear()


def channel_get_active(code: str | None, *, field: str = "channel") -> Channel:
    """The active channel with this code, or a field-level error naming the bad value.

    Every shopper request names its channel, so each process keeps the channels it has read
    for OMNI_CHANNEL_CACHE_SECONDS (a channel saved in this process is forgotten at once; one
    deactivated elsewhere stops selling within that time). Callers get their own copy."""
    if not code:
        raise ValidationError.for_field(field, _("Choose a sales channel."), code="required")
    channel = _channels.get(code, lambda: Channel.objects.filter(code=code, is_active=True).first())
    if channel is None:
        raise ValidationError.for_field(
            field, _("Unknown sales channel: %(code)s.") % {"code": code}, code="unknown_channel"
        )
    return copy.copy(channel)


def channel_resyncs_due(*, before: datetime) -> dict[int, datetime]:
    """Channels whose resync was asked for, or last started, before `before` and has not
    finished: {id: when}."""
    due = Channel.objects.filter(resync_requested_at__lt=before).order_by("pk")
    return {pk: asked for pk, asked in due.values_list("pk", "resync_requested_at") if asked}


# --- channel sync status --------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSyncStatus:
    channel: Channel
    endpoints: int
    failing_endpoints: int
    events_waiting: int  # outbox events not yet relayed, plus deliveries not yet delivered
    lag_seconds: float | None  # age of the oldest change not yet delivered; None: nothing waits
    failure_rate: float | None  # share of the window's tried deliveries that failed at least once
    last_success_at: datetime | None
    dead_letters: int


def channel_sync_status(
    *, now: datetime | None = None, window: timedelta = timedelta(hours=24)
) -> list[ChannelSyncStatus]:
    """Each channel's sync health, in four queries whatever the number of channels, endpoints,
    events and deliveries: channels; endpoints per channel; deliveries per channel (pending and
    dead through their partial indexes, the window's through created_at); unrelayed outbox
    events per channel (through the outbox's partial index of unpublished events). An event
    with no channel waits for every channel."""
    now = now or timezone.now()
    since = now - window
    channels = list(Channel.objects.order_by("kind", "name"))
    endpoints = {
        row["channel_id"]: row
        for row in ChannelEndpoint.objects.filter(is_active=True)
        .values("channel_id")
        .annotate(
            count=Count("id"),
            failing=Count("id", filter=Q(is_failing=True)),
            last_success=Max("last_success_at"),
        )
        .order_by()
    }
    pending = Q(status=Delivery.Status.PENDING)
    tried = Q(created_at__gte=since, attempts__gte=1)
    deliveries = {
        row["endpoint__channel_id"]: row
        for row in Delivery.objects.filter(
            Q(status__in=[Delivery.Status.PENDING, Delivery.Status.DEAD]) | Q(created_at__gte=since)
        )
        .values("endpoint__channel_id")
        .annotate(
            pending=Count("id", filter=pending),
            oldest=Min("occurred_at", filter=pending),
            dead=Count("id", filter=Q(status=Delivery.Status.DEAD)),
            tried=Count("id", filter=tried),
            failed=Count("id", filter=tried & (Q(attempts__gt=1) | Q(status=Delivery.Status.DEAD))),
        )
        .order_by()
    }
    unrelayed = {
        row["channel_id"]: row
        for row in OutboxEvent.objects.filter(published_at__isnull=True)
        .values("channel_id")
        .annotate(count=Count("id"), oldest=Min("created_at"))
        .order_by()
    }
    everyone = unrelayed.get(None, {"count": 0, "oldest": None})
    result = []
    for channel in channels:
        ends = endpoints.get(channel.pk, {})
        sent = deliveries.get(channel.pk, {})
        own = unrelayed.get(channel.pk, {"count": 0, "oldest": None})
        oldest = [t for t in (sent.get("oldest"), own["oldest"], everyone["oldest"]) if t]
        result.append(
            ChannelSyncStatus(
                channel=channel,
                endpoints=ends.get("count", 0),
                failing_endpoints=ends.get("failing", 0),
                events_waiting=sent.get("pending", 0) + own["count"] + everyone["count"],
                lag_seconds=max(0.0, (now - min(oldest)).total_seconds()) if oldest else None,
                failure_rate=(sent["failed"] / sent["tried"]) if sent.get("tried") else None,
                last_success_at=ends.get("last_success"),
                dead_letters=sent.get("dead", 0),
            )
        )
    return result


_retailer: ProcessCache[Retailer] = ProcessCache("OMNI_CHANNEL_CACHE_SECONDS")


def retailer_get() -> Retailer:
    """The retailer's details (one row), kept by each process as channels are. A database with
    no row yet (a fresh install before its set-up) gets an unsaved one named "Omni", so pages
    and e-mails never fail for want of it. Callers get their own copy."""

    def load() -> Retailer:
        found = Retailer.objects.filter(pk=1).first()
        return found or Retailer(pk=1, legal_name="Omni", trade_name="Omni")

    retailer = _retailer.get("retailer", load)
    assert retailer is not None
    return copy.copy(retailer)


def retailer_cache_clear(**_kwargs) -> None:
    _retailer.clear()
