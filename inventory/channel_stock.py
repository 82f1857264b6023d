"""What each channel can sell: the locations it sells from (configuration kept per process), the
units free there, the candidates for routing an order, and the event that tells a channel its
number. Read by the services (under their locks) and the selectors (unlocked) alike.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Protocol

from django.conf import settings
from django.db import connection
from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from inventory import routing
from inventory.geo import distance_km
from inventory.models import (
    ChannelLocation,
    Reservation,
    Stock,
    StockLocation,
)
from omni.errors import ValidationError
from omni.outbox import Event
from sales_channels.models import Channel

TOPIC_AVAILABILITY = "inventory.availability.changed"


# --- what a channel can sell --------------------------------------------------------------


@dataclass(frozen=True)
class ChannelSource:
    channel_id: int
    channel_code: str
    location_id: int
    priority: int
    safety_stock: int


@dataclass
class ChannelConfig:
    """Which locations each channel sells from, and those locations: configuration that every
    stock operation needs and that changes rarely."""

    sources: dict[int, list[ChannelSource]]
    loaded_at: float

    @cached_property
    def locations(self) -> dict[int, StockLocation]:
        return StockLocation.objects.in_bulk(
            sorted({s.location_id for group in self.sources.values() for s in group})
        )


_config: ChannelConfig | None = None


def channel_config() -> ChannelConfig:
    """The channels' stock configuration, kept per process for OMNI_STOCK_CONFIG_SECONDS (a
    change made in another process takes effect within that time; one made in this process at
    once, see inventory.apps). Read outside any lock: it is not stock."""
    global _config
    ttl = settings.OMNI_STOCK_CONFIG_SECONDS
    if _config is not None and ttl and time.monotonic() - _config.loaded_at < ttl:
        return _config
    rows = (
        ChannelLocation.objects.filter(channel__is_active=True, location__is_active=True)
        .order_by("channel_id", "priority", "location_id")
        .values_list("channel_id", "channel__code", "location_id", "priority", "safety_stock")
    )
    sources: dict[int, list[ChannelSource]] = defaultdict(list)
    for row in rows:
        sources[row[0]].append(ChannelSource(*row))
    _config = ChannelConfig(dict(sources), time.monotonic())
    return _config


def channel_config_changed(**_kwargs) -> None:
    """Forget the configuration kept by this process (a channel, location or channel location
    was saved here)."""
    global _config
    _config = None


def channel_sources() -> dict[int, list[ChannelSource]]:
    """Each active channel's active locations, in priority order: {channel id: [source, ...]}."""
    return channel_config().sources


def sellable(on_hand: int, allocated: int, reserved: int, safety_stock: int) -> int:
    """What one location can give one channel: free stock not reserved, less the safety stock."""
    return max(0, on_hand - allocated - reserved - safety_stock)


def live_reserved(*, now: datetime, exclude_reference: str | None = None) -> Subquery:
    """Units of a stock row held by reservations that have not expired (an annotation)."""
    live = Reservation.objects.filter(stock=OuterRef("pk"), expires_at__gt=now)
    if exclude_reference:
        live = live.exclude(reference=exclude_reference)
    return Coalesce(
        Subquery(live.values("stock").annotate(total=Sum("quantity")).values("total")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


# Table names are the models' own, not input.
_T = {
    "stock": Stock._meta.db_table,
    "reservation": Reservation._meta.db_table,
}


def stock_levels(
    *,
    variant_ids: list[int],
    location_ids: list[int],
    now: datetime,
    exclude_reservation: str | None = None,
) -> list[tuple[int, int, int, int, int]]:
    """(variant id, location id, on hand, allocated, reserved by live reservations) of each
    stock row of these variants at these locations, unlocked, in one statement (the reads of
    what a channel can sell run on every cart change: raw SQL, as the session's read). A
    cart's own reservations (`exclude_reservation`) are not counted as reserved."""
    if not variant_ids or not location_ids:
        return []
    variants, locations = (
        ", ".join(["%s"] * len(variant_ids)),
        ", ".join(["%s"] * len(location_ids)),
    )
    sql = (
        "SELECT s.variant_id, s.location_id, s.on_hand, s.allocated, COALESCE(r.held, 0) "
        f"FROM {_T['stock']} s LEFT JOIN (SELECT stock_id, SUM(quantity) AS held "
        f"FROM {_T['reservation']} WHERE variant_id IN ({variants}) AND expires_at > %s "
        "AND reference <> %s GROUP BY stock_id) r ON r.stock_id = s.id "
        f"WHERE s.variant_id IN ({variants}) AND s.location_id IN ({locations})"
    )  # table names are the models' own; values are parameters
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [*variant_ids, at, exclude_reservation or "", *variant_ids, *location_ids]
        )
        return cursor.fetchall()


def availability_event(
    *, variant_id: int, sku: str, channel_id: int, channel_code: str, available: int, version: int
) -> Event:
    """What a channel is told of a variant's sellable units: the one shape of the event, for a
    stock change and for a full resync alike."""
    return Event(
        topic=TOPIC_AVAILABILITY,
        key=f"availability:{variant_id}:{channel_id}",
        version=version,
        channel_id=channel_id,
        payload={
            "variant_id": variant_id,
            "sku": sku,
            "channel": channel_code,
            "available": available,
            "version": version,
        },
    )


class StockLevels(Protocol):
    """What routing needs of a stock row: a locked session row, or an unlocked Stock read with
    its live reservations annotated as `reserved` (inventory.selectors.fulfilment_plan)."""

    on_hand: int
    allocated: int
    reserved: int


def route_candidates(
    *,
    channel: Channel,
    sources: Mapping[int, Sequence[ChannelSource]],
    levels: Mapping[tuple[int, int], StockLevels],
    demand: Mapping[int, int],
    destination: tuple[float, float] | None,
    pickup_location: StockLocation | None,
    locations: Mapping[int, StockLocation] | None = None,
    from_kind: str | None = None,
) -> list[routing.Candidate]:
    """The locations that may fulfil `demand` for the channel, with what each can sell of it.
    `levels` is {(variant id, location id): stock}; `locations` ({id: location}) the channel's
    locations if already read. One function for the allocation and for its preview, so that
    the preview cannot drift from what an order would get."""
    own = sources.get(channel.pk, [])
    if pickup_location is not None:
        if not pickup_location.click_and_collect or not pickup_location.is_active:
            raise ValidationError.for_field(
                "pickup_location",
                _("%(store)s does not offer click and collect.") % {"store": pickup_location.name},
                code="no_pickup",
            )
        # A pickup store sells to the channel even if it is not one of its delivery locations.
        safety = next((s.safety_stock for s in own if s.location_id == pickup_location.pk), 0)
        priority = 0
        locations = {pickup_location.pk: pickup_location}
        chosen = [(pickup_location.pk, priority, safety)]
    else:
        if locations is None:
            locations = StockLocation.objects.in_bulk([s.location_id for s in own])
        chosen = [
            (s.location_id, s.priority, s.safety_stock)
            for s in own
            if locations.get(s.location_id) is not None
            and locations[s.location_id].ships_to_customers
            and (from_kind is None or locations[s.location_id].kind == from_kind)
        ]
    result = []
    for location_id, priority, safety in chosen:
        location = locations[location_id]
        units = {}
        for vid in demand:
            row = levels.get((vid, location_id))
            units[vid] = sellable(row.on_hand, row.allocated, row.reserved, safety) if row else 0
        distance = (
            distance_km(destination, (float(location.latitude), float(location.longitude)))
            if destination
            else None
        )
        result.append(routing.Candidate(location_id, location.code, priority, distance, units))
    return result
