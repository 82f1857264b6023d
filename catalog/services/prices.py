"""A variant's price on each channel: its history, the lowest price of the 30 days before it,
the listings' price summary, and bulk changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Max, Min, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from catalog.locks import listings_lock, prices_lock
from catalog.models import (
    ProductChannelListing,
    ProductVariant,
    VariantChannelPrice,
    VariantPriceHistory,
)
from omni.errors import Conflict, ValidationError
from omni.money import quantize, to_decimal
from omni.outbox import Event, outbox_record, outbox_record_many
from sales_channels.models import Channel

TOPIC_PRICE_CHANGED = "catalog.price.changed"
# A price event recorded because only the sale price changed (payload "cause"): campaigns, which
# caused it, need not work the sale price out again.
CAUSE_SALE = "sale"
SALE_FIELDS = ("sale_price", "sale_starts_at", "sale_ends_at", "sale_promotion_id")


@dataclass(frozen=True, slots=True)
class PriceChange:
    variant_id: int
    price: Decimal
    compare_at_price: Decimal | None = None


def price_errors(price: Decimal, compare_at: Decimal | None) -> dict[str, list[str]]:
    """What is wrong with a price and compare-at price pair, by field (empty when valid)."""
    errors: dict[str, list[str]] = {}
    if price < 0:
        errors["price"] = [_("A price cannot be negative.")]
    if compare_at is not None and compare_at <= price:
        errors["compare_at_price"] = [_("The compare-at price must be higher than the price.")]
    return errors


def prices_set(
    *,
    channel: Channel,
    changes: Sequence[PriceChange],
    actor: User | None = None,
    now: datetime | None = None,
) -> list[VariantChannelPrice]:
    """Set the prices of many variants on one channel, all or nothing, in one transaction.

    For each price that really changes: the history is closed and extended, the lowest price of
    the 30 days before is kept beside the new one, the product's listing summary is refreshed,
    and one outbox event carries the new price with a version that only grows. A price that is
    set to what it already is changes nothing and records nothing.
    """
    if not changes:
        return []
    now = now or timezone.now()
    normalized = _price_changes_normalize(channel=channel, changes=changes)
    variants = _price_changes_check(normalized)
    product_ids = sorted({v.product_id for v in variants.values()})
    try:
        with transaction.atomic():
            listings, current = _price_rows_lock(
                channel=channel, product_ids=product_ids, variant_ids=list(normalized)
            )
            effective = [
                c
                for c in normalized.values()
                if c.variant_id not in current
                or (current[c.variant_id].price, current[c.variant_id].compare_at_price)
                != (c.price, c.compare_at_price)
            ]
            if not effective:
                return [current[vid] for vid in normalized]
            lowest, versions = _price_history_extend(
                channel=channel, changes=effective, actor=actor, now=now
            )
            _price_rows_write(
                channel=channel,
                changes=effective,
                current=current,
                lowest=lowest,
                versions=versions,
                now=now,
            )
            _listings_refresh(channel=channel, listings=listings)
            outbox_record_many(
                price_event(
                    variant=variants[c.variant_id], channel=channel, row=current[c.variant_id]
                )
                for c in effective
            )
    except IntegrityError as exc:
        # Two first prices for the same variant and channel at once: the loser retries.
        raise Conflict(_("The price was changed at the same time; try again.")) from exc
    return [current[vid] for vid in normalized]


def _price_changes_normalize(
    *, channel: Channel, changes: Sequence[PriceChange]
) -> dict[int, PriceChange]:
    """The changes by variant id, their amounts quantised to the channel's currency; a variant
    named twice is refused."""
    normalized: dict[int, PriceChange] = {}
    for change in changes:
        price = quantize(to_decimal(change.price), channel.currency)
        compare_at = (
            None
            if change.compare_at_price is None
            else quantize(to_decimal(change.compare_at_price), channel.currency)
        )
        if change.variant_id in normalized:
            raise ValidationError.for_field(
                "variant", _("A variant appears twice in one price change."), code="duplicate"
            )
        normalized[change.variant_id] = PriceChange(change.variant_id, price, compare_at)
    return normalized


def _price_changes_check(normalized: Mapping[int, PriceChange]) -> dict[int, ProductVariant]:
    """The changed variants by id, once every one exists and every price is valid (an error is
    named by field, prefixed with the variant's SKU when there are several)."""
    variants = {
        v.pk: v
        for v in ProductVariant.objects.filter(pk__in=normalized).only("id", "sku", "product_id")
    }
    if len(variants) != len(normalized):
        raise ValidationError.for_field("variant", _("Unknown variant."), code="unknown_variant")
    errors: dict[str, list[str]] = {}
    for change in normalized.values():
        for name, messages in price_errors(change.price, change.compare_at_price).items():
            key = name if len(normalized) == 1 else f"{variants[change.variant_id].sku}.{name}"
            errors[key] = messages
    if errors:
        raise ValidationError(fields=errors)
    return variants


def _price_rows_lock(
    *, channel: Channel, product_ids: list[int], variant_ids: list[int]
) -> tuple[list[ProductChannelListing], dict[int, VariantChannelPrice]]:
    """The products' listings on the channel (created if missing) and the variants' current
    prices there, by variant id, each locked."""
    # Locks are taken in one order everywhere: listings, then prices, each by key.
    ProductChannelListing.objects.bulk_create(
        [
            ProductChannelListing(product_id=pid, channel=channel, currency=channel.currency)
            for pid in product_ids
        ],
        ignore_conflicts=True,
    )
    listings = listings_lock(channel_id=channel.pk, product_ids=product_ids)
    current = prices_lock(channel_id=channel.pk, variant_ids=variant_ids)
    return listings, current


def _price_history_extend(
    *, channel: Channel, changes: Sequence[PriceChange], actor: User | None, now: datetime
) -> tuple[dict[int, Decimal], dict[int, int]]:
    """Close the changed variants' open history and open a new period at `now`. Returns, by
    variant id, the lowest price of the window before `now`, and the new period's id: the
    price's version."""
    ids = [c.variant_id for c in changes]
    VariantPriceHistory.objects.filter(
        channel=channel, variant_id__in=ids, ended_at__isnull=True
    ).update(ended_at=now)
    window_start = now - timedelta(days=settings.OMNI_PRICE_HISTORY_DAYS)
    lowest = dict(
        VariantPriceHistory.objects.filter(
            channel=channel, variant_id__in=ids, ended_at__gte=window_start
        )
        .values("variant_id")
        .annotate(lowest=Min("price"))
        .values_list("variant_id", "lowest")
    )
    history = VariantPriceHistory.objects.bulk_create(
        [
            VariantPriceHistory(
                variant_id=c.variant_id,
                channel=channel,
                price=c.price,
                compare_at_price=c.compare_at_price,
                currency=channel.currency,
                started_at=now,
                changed_by=actor,
            )
            for c in changes
        ]
    )
    return lowest, {h.variant_id: h.pk for h in history}


def _price_rows_write(
    *,
    channel: Channel,
    changes: Sequence[PriceChange],
    current: dict[int, VariantChannelPrice],
    lowest: Mapping[int, Decimal],
    versions: Mapping[int, int],
    now: datetime,
) -> None:
    """Write the new prices, updating the rows that exist and creating the others; `current`
    then holds every changed variant's row."""
    to_update: list[VariantChannelPrice] = []
    to_create: list[VariantChannelPrice] = []
    for c in changes:
        row = current.get(c.variant_id) or VariantChannelPrice(
            variant_id=c.variant_id, channel=channel
        )
        row.price = c.price
        row.compare_at_price = c.compare_at_price
        row.currency = channel.currency
        row.lowest_prior_price = lowest.get(c.variant_id)
        row.price_since = now
        row.version = versions[c.variant_id]
        # A sale price was worked out from the old price: none until campaigns, told by this
        # change's event, works it out again (a stale lower price must never be advertised).
        _sale_clear(row)
        row.updated_at = now
        (to_update if row.pk else to_create).append(row)
        current[c.variant_id] = row
    if to_update:
        VariantChannelPrice.objects.bulk_update(
            to_update,
            [
                "price",
                "compare_at_price",
                "currency",
                "lowest_prior_price",
                "price_since",
                "version",
                "updated_at",
                *SALE_FIELDS,
            ],
        )
    if to_create:
        VariantChannelPrice.objects.bulk_create(to_create)


def price_event(*, variant: ProductVariant, channel: Channel, row: VariantChannelPrice) -> Event:
    """What a channel is told of a variant's price on it (a change, or a resync)."""
    return Event(
        topic=TOPIC_PRICE_CHANGED,
        key=f"price:{variant.pk}:{channel.pk}",
        version=row.version,
        channel_id=channel.pk,
        payload={
            "variant_id": variant.pk,
            "sku": variant.sku,
            "product_id": variant.product_id,
            "channel": channel.code,
            "price": row.price,
            "compare_at_price": row.compare_at_price,
            "lowest_prior_price": row.lowest_prior_price,
            "currency": row.currency,
            "version": row.version,
            **_sale_payload(row),
        },
    )


def _sale_payload(row: VariantChannelPrice) -> dict[str, Any]:
    """The sale price part of a price event: what the variant sells at under an automatic,
    unconditional promotion on the channel, its window, and the promotion; all None when
    there is none."""
    return {
        "sale_price": row.sale_price,
        "sale_price_from": row.sale_starts_at,
        "sale_price_until": row.sale_ends_at,
        "sale_promotion": row.sale_promotion_id,
    }


def _listings_refresh(*, channel: Channel, listings: Iterable[ProductChannelListing]) -> None:
    """Recompute the price summary of locked listings from their variants' prices."""
    listings = list(listings)
    summary = {
        row["variant__product_id"]: row
        for row in VariantChannelPrice.objects.filter(
            channel=channel, variant__product_id__in=[lst.product_id for lst in listings]
        )
        .values("variant__product_id")
        .annotate(
            low=Min("price"),
            high=Max("price"),
            sale=Max(Case(When(compare_at_price__isnull=False, then=Value(1)), default=Value(0))),
        )
    }
    for listing in listings:
        row = summary.get(listing.product_id)
        listing.price_min = row["low"] if row else None
        listing.price_max = row["high"] if row else None
        listing.on_sale = bool(row and row["sale"])
        listing.currency = channel.currency
    ProductChannelListing.objects.bulk_update(
        listings, ["price_min", "price_max", "on_sale", "currency"]
    )


def variant_price_set(
    *,
    variant: ProductVariant,
    channel: Channel,
    price: Decimal,
    compare_at_price: Decimal | None = None,
    currency: str | None = None,
    actor: User | None = None,
) -> VariantChannelPrice:
    if currency and currency != channel.currency:
        raise ValidationError.for_field(
            "currency",
            _("Channel %(channel)s sells in %(currency)s.")
            % {"channel": channel.code, "currency": channel.currency},
            code="currency_mismatch",
        )
    return prices_set(
        channel=channel,
        changes=[PriceChange(variant.pk, price, compare_at_price)],
        actor=actor,
    )[0]


def variant_price_remove(
    *, variant: ProductVariant, channel: Channel, actor: User | None = None
) -> None:
    """Stop selling a variant on a channel. The history records the gap (a row with no price),
    whose id is the version of the event, so it orders after every earlier price."""
    now = timezone.now()
    with transaction.atomic():
        listings = listings_lock(channel_id=channel.pk, product_ids=[variant.product_id])
        row = prices_lock(channel_id=channel.pk, variant_ids=[variant.pk]).get(variant.pk)
        if row is None:
            return
        row.delete()
        VariantPriceHistory.objects.filter(
            channel=channel, variant=variant, ended_at__isnull=True
        ).update(ended_at=now)
        gap = VariantPriceHistory.objects.create(
            variant=variant,
            channel=channel,
            price=None,
            currency=channel.currency,
            started_at=now,
            changed_by=actor,
        )
        _listings_refresh(channel=channel, listings=listings)
        outbox_record(
            topic=TOPIC_PRICE_CHANGED,
            key=f"price:{variant.pk}:{channel.pk}",
            version=gap.pk,
            channel_id=channel.pk,
            payload={
                "variant_id": variant.pk,
                "sku": variant.sku,
                "product_id": variant.product_id,
                "channel": channel.code,
                "price": None,
                "compare_at_price": None,
                "lowest_prior_price": None,
                "currency": channel.currency,
                "version": gap.pk,
                "sale_price": None,
                "sale_price_from": None,
                "sale_price_until": None,
                "sale_promotion": None,
            },
        )


class AdjustMode:
    PERCENT = "percent"
    AMOUNT = "amount"
    SET = "set"
    CHOICES = (
        (PERCENT, gettext_lazy("by a percentage")),
        (AMOUNT, gettext_lazy("by an amount")),
        (SET, gettext_lazy("to a price")),
    )


def prices_bulk_adjust(
    *,
    channel: Channel,
    variant_ids: Iterable[int],
    mode: str,
    value: Decimal,
    actor: User | None = None,
) -> int:
    """Change many prices on one channel at once: by a percentage (-10 is 10 % off), by an
    amount, or to one price. Compare-at prices stay; returns how many prices changed."""
    value = to_decimal(value)
    variant_ids = list(variant_ids)
    current = {
        p.variant_id: p
        for p in VariantChannelPrice.objects.filter(
            channel=channel, variant_id__in=variant_ids
        ).select_related("variant")
    }
    changes: list[PriceChange] = []
    if mode == AdjustMode.SET:
        targets = variant_ids
    elif mode in (AdjustMode.PERCENT, AdjustMode.AMOUNT):
        targets = [vid for vid in variant_ids if vid in current]
    else:
        raise ValidationError.for_field("mode", _("Unknown adjustment: %(mode)s.") % {"mode": mode})
    for vid in targets:
        row = current.get(vid)
        if mode == AdjustMode.SET:
            new = value
        elif mode == AdjustMode.PERCENT:
            new = row.price * (Decimal(100) + value) / Decimal(100)
        else:
            new = row.price + value
        new = quantize(new, channel.currency)
        changes.append(PriceChange(vid, new, row.compare_at_price if row else None))
    bad = [
        current[c.variant_id].variant.sku if c.variant_id in current else str(c.variant_id)
        for c in changes
        if price_errors(c.price, c.compare_at_price)
    ]
    if bad:
        raise ValidationError.for_field(
            "value",
            _(
                "This change would give %(skus)s a negative price or one not below its compare-at price."
            )
            % {"skus": ", ".join(sorted(bad)[:10])},
            code="invalid_price",
        )
    before = {vid: (row.price, row.compare_at_price) for vid, row in current.items()}
    prices_set(channel=channel, changes=changes, actor=actor)
    return sum(1 for c in changes if before.get(c.variant_id) != (c.price, c.compare_at_price))


# --- sale prices: what automatic promotions sell a variant at -------------------------------


@dataclass(frozen=True, slots=True)
class SalePrice:
    """What a variant sells at on a channel under the automatic, unconditional promotions that
    apply to it now, and when that ends (campaigns.channel_prices works it out)."""

    price: Decimal
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    promotion_id: int | None = None


def _sale_clear(row: VariantChannelPrice) -> None:
    row.sale_price = row.sale_starts_at = row.sale_ends_at = row.sale_promotion_id = None


def _sale_values(row: VariantChannelPrice) -> tuple:
    return (row.sale_price, row.sale_starts_at, row.sale_ends_at, row.sale_promotion_id)


def sale_active(row: Any, *, now: datetime) -> bool:
    """Whether a price row's (or a variant annotated with its fields') sale price holds at
    `now`: below the price and inside its window (the beat clears it soon after its end; this
    keeps a feed or a marketplace from showing it in between)."""
    return (
        row.sale_price is not None
        and row.sale_price < row.price
        and (row.sale_starts_at is None or row.sale_starts_at <= now)
        and (row.sale_ends_at is None or row.sale_ends_at > now)
    )


def price_versions_take(count: int) -> list[int]:
    """`count` new price versions, from the price history's own sequence: a change of the sale
    price alone then orders between the price changes before and after it, as a receiver that
    drops older versions needs."""
    if count <= 0:
        return []
    table = VariantPriceHistory._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite (AUTOINCREMENT): move the table's counter on; writers are serialised.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        last = found[0] if found else 0
        if found:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last + count, table]
            )
        else:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, count]
            )
        return list(range(last + 1, last + count + 1))


def sale_prices_set(
    *, channel: Channel, sales: Mapping[int, SalePrice | None], now: datetime | None = None
) -> int:
    """Set the sale prices of variants on one channel (None: no sale), in one transaction.
    Only the rows whose sale really changes are written, each with a new version, and each
    records a price event that carries it, so webhooks, feeds and marketplaces see the sale
    price as they see a price change. A sale not below the price is no sale. A variant with no
    price on the channel is not sold there and is left alone. Run twice, the second run
    changes and records nothing. Returns how many rows changed."""
    if not sales:
        return 0
    with transaction.atomic():
        current = prices_lock(channel_id=channel.pk, variant_ids=list(sales))
        changed: list[VariantChannelPrice] = []
        for vid, row in current.items():
            sale = sales[vid]
            before = _sale_values(row)
            if sale is None or quantize(sale.price, channel.currency) >= row.price:
                _sale_clear(row)
            else:
                row.sale_price = quantize(sale.price, channel.currency)
                row.sale_starts_at, row.sale_ends_at = sale.starts_at, sale.ends_at
                row.sale_promotion_id = sale.promotion_id
            if _sale_values(row) != before:
                changed.append(row)
        if not changed:
            return 0
        now = now or timezone.now()
        for row, version in zip(changed, price_versions_take(len(changed)), strict=True):
            row.version = version
            row.updated_at = now
        VariantChannelPrice.objects.bulk_update(changed, [*SALE_FIELDS, "version", "updated_at"])
        variants = {
            v.pk: v
            for v in ProductVariant.objects.filter(pk__in=[r.variant_id for r in changed]).only(
                "id", "sku", "product_id"
            )
        }
        events = []
        for row in changed:
            event = price_event(variant=variants[row.variant_id], channel=channel, row=row)
            event.payload["cause"] = CAUSE_SALE
            events.append(event)
        outbox_record_many(events)
    return len(changed)
