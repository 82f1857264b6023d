"""Reads of stock: what a channel can sell, what each store holds, how an order would be routed,
and the merchant's lists. Each runs a fixed number of queries whatever the number of variants,
locations and rows, and none of them locks or changes anything.

The numbers they return may be stale a moment later; that is fine for display, because every
service that acts on stock re-reads it under the variant lock (inventory.locks) and re-checks.
The arithmetic is the services' own (inventory.channel_stock: `sellable`, `live_reserved`,
`channel_sources`, `route_candidates`), so what a shopper is shown is what an order would get.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import ProductVariant
from inventory import channel_stock, routing
from inventory.geo import city_key, distance_km
from inventory.models import Stock, StockDiscrepancy, StockLocation, Transfer, TransferLine
from omni.errors import ValidationError
from sales_channels.models import Channel

# A store with this many units or fewer shows "low" rather than "in stock": a shopper walking
# over for the last one or two should know it may be gone.
LOW_STOCK_DISPLAY = 3

IN_STOCK, LOW, OUT = "in_stock", "low", "out"


def variant_ids_by_sku(skus: Iterable[str]) -> dict[str, int]:
    """{sku: variant id} for the SKUs that exist, in one query; a missing SKU is absent."""
    return dict(ProductVariant.objects.filter(sku__in=set(skus)).values_list("sku", "id"))


# --- what a channel can sell ----------------------------------------------------------------


def availability_for_channel(
    *,
    channel: Channel,
    variant_ids: Iterable[int],
    now: datetime | None = None,
    exclude_reservation: str | None = None,
) -> dict[int, int]:
    """{variant id: units the channel can sell}, every id asked for included (0 if none).

    The sum over the channel's active locations of what each can give it: on hand less
    allocated, less live reservations, less the channel's safety stock there, never below zero
    at any one location (a location short of its safety stock does not eat another's units).
    A cart's own reservations (`exclude_reservation`, "cart:<token>") count as available to it.
    One query (the channels' locations are configuration, kept per process).
    """
    ids = sorted(set(variant_ids))
    result = dict.fromkeys(ids, 0)
    if not ids:
        return result
    safety = {
        s.location_id: s.safety_stock for s in channel_stock.channel_sources().get(channel.pk, [])
    }
    if not safety:
        return result
    rows = channel_stock.stock_levels(
        variant_ids=ids,
        location_ids=list(safety),
        now=now or timezone.now(),
        exclude_reservation=exclude_reservation,
    )
    for variant_id, location_id, on_hand, allocated, reserved in rows:
        result[variant_id] += channel_stock.sellable(
            on_hand, allocated, reserved, safety[location_id]
        )
    return result


# --- what each store holds ------------------------------------------------------------------


@dataclass(frozen=True)
class StoreAvailability:
    code: str
    name: str
    city: str
    district: str
    distance_km: float | None  # from the origin asked about, rounded to 0.1 km; None without
    # Units the store can hand over. For several variants, the fewest of any of them: how many
    # of the whole list could be collected there.
    available: int
    state: str  # IN_STOCK, LOW or OUT
    by_variant: dict[int, int]


def stock_state(available: int) -> str:
    if available <= 0:
        return OUT
    return LOW if available <= LOW_STOCK_DISPLAY else IN_STOCK


def availability_by_store(
    *,
    variant_ids: int | Iterable[int],
    origin: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> list[StoreAvailability]:
    """Every active location that offers click and collect, with what it holds of the
    variant(s), nearest to `origin` first (then by name; by name alone without an origin).

    No channel's safety stock is taken off: a shopper collecting in a store buys from the
    store itself. Locations are those where click and collect is accepted (usually stores),
    the same test the allocation applies to a pickup location. Two queries.
    """
    ids = [variant_ids] if isinstance(variant_ids, int) else sorted(set(variant_ids))
    stores = list(
        StockLocation.objects.filter(is_active=True, click_and_collect=True).only(
            "code", "name", "city", "district", "latitude", "longitude"
        )
    )
    held: dict[int, dict[int, int]] = defaultdict(dict)
    if ids and stores:
        rows = channel_stock.stock_levels(
            variant_ids=ids, location_ids=[s.pk for s in stores], now=now or timezone.now()
        )
        for variant_id, location_id, on_hand, allocated, reserved in rows:
            held[location_id][variant_id] = channel_stock.sellable(on_hand, allocated, reserved, 0)

    ranked = []
    for store in stores:
        by_variant = {vid: held[store.pk].get(vid, 0) for vid in ids}
        available = min(by_variant.values(), default=0)
        distance = (
            distance_km(origin, (float(store.latitude), float(store.longitude)))
            if origin is not None
            else None
        )
        # Names compare without their accents, so "Çankaya" sorts among the Cs, not after Z.
        key = (distance if distance is not None else 0.0, city_key(store.name), store.code)
        item = StoreAvailability(
            code=store.code,
            name=store.name,
            city=store.city,
            district=store.district,
            distance_km=round(distance, 1) if distance is not None else None,
            available=available,
            state=stock_state(available),
            by_variant=by_variant,
        )
        ranked.append((key, item))
    ranked.sort(key=lambda pair: pair[0])
    return [item for _key, item in ranked]


# --- how an order would be routed -----------------------------------------------------------


def fulfilment_plan(
    *,
    channel: Channel,
    lines: Mapping[int, int],
    destination: tuple[float, float] | None = None,
    pickup_location: StockLocation | None = None,
    reservation_reference: str | None = None,
    now: datetime | None = None,
) -> routing.Plan:
    """The plan services.stock_allocate would make for `lines` ({variant id: units}) now,
    explained, without locking or changing anything: a preview of the routing rule (see
    inventory.routing). A cart's own reservations (`reservation_reference`) count as
    available to it, as they do when it is allocated. An infeasible order gives a plan with its
    shortfall rather than an error. Three queries (two with a pickup location).
    """
    if not lines:
        raise ValidationError.for_field("lines", _("Add at least one line."), code="required")
    for quantity in lines.values():
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise ValidationError.for_field(
                "lines", _("Enter a whole number above zero."), code="min_value"
            )
    stocks = (
        Stock.objects.filter(variant_id__in=list(lines))
        .annotate(
            reserved=channel_stock.live_reserved(
                now=now or timezone.now(), exclude_reference=reservation_reference
            )
        )
        .only("variant_id", "location_id", "on_hand", "allocated")
    )
    levels = {(s.variant_id, s.location_id): s for s in stocks}
    candidates = channel_stock.route_candidates(
        channel=channel,
        sources=channel_stock.channel_sources(),
        levels=levels,
        demand=lines,
        destination=destination,
        pickup_location=pickup_location,
    )
    return routing.plan(dict(lines), candidates, pickup=pickup_location is not None)


# --- the merchant's lists -------------------------------------------------------------------


def stock_list(
    *,
    variant_ids: Iterable[int] | None = None,
    location_id: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Stock]:
    """Stock rows with `sku`, `location_code` and the live `reserved` units annotated, in
    variant then location order (the order of the unique index, so a page is cheap on a large
    catalog)."""
    rows = Stock.objects.annotate(
        sku=F("variant__sku"),
        location_code=F("location__code"),
        reserved=channel_stock.live_reserved(now=now or timezone.now()),
    )
    if variant_ids is not None:
        rows = rows.filter(variant_id__in=list(variant_ids))
    if location_id is not None:
        rows = rows.filter(location_id=location_id)
    return rows.order_by("variant_id", "location_id")


def transfer_list(
    *, status: str | None = None, location_id: int | None = None
) -> QuerySet[Transfer]:
    """Transfers, newest first, with both locations and their lines (each with its `sku`):
    two queries a page whatever its size."""
    transfers = Transfer.objects.select_related("source", "destination").prefetch_related(
        Prefetch(
            "lines",
            queryset=TransferLine.objects.annotate(sku=F("variant__sku")).order_by("variant_id"),
        )
    )
    if status:
        transfers = transfers.filter(status=status)
    if location_id is not None:
        transfers = transfers.filter(Q(source_id=location_id) | Q(destination_id=location_id))
    return transfers.order_by("-id")


def stock_discrepancies(
    *, location: StockLocation, since: datetime | None = None
) -> QuerySet[StockDiscrepancy]:
    """The location's open discrepancies (units handed over that its stock did not hold),
    oldest first, each with its variant (`variant.sku`): one query. `since`: raised from then."""
    rows = StockDiscrepancy.objects.filter(location=location, resolved_at=None)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.select_related("variant").order_by("created_at", "id")
