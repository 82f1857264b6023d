"""Reads of the promotions for the shop's pages: which products carry a promotion badge, and a
variant's price under a promotion with the 30-day reference price beside it.

A badge is shown only where the promotion is certain to apply to whoever buys the item, with
whatever else is in the cart: an automatic (no code), active promotion in its window, on this
channel (or on every channel), with no condition on the customer or the cart (no segments,
loyalty tiers, first order only, minimum subtotal or quantity, per-customer limit), not out of
budget or uses, of kind percent, amount or fixed price on lines, in the channel's currency, whose
line conditions (products, variants, categories with their subtree, brands, attribute values:
the variant has every one of them) hold for every variant of the product sold on the channel.
Where several do, the badge names the first in the engine's order (priority, then age); the cart
may take more off when promotions stack, never less.

Each read runs a fixed number of queries whatever the number of products and promotions: one
for the certain promotions, and one for the variants they match when there are any.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import Promotion
from catalog.models import ProductVariant
from catalog.selectors import lowest_price_before
from omni.money import quantize
from sales_channels.models import Channel

ZERO = Decimal(0)
BADGE_KINDS = (Promotion.Kind.PERCENT, Promotion.Kind.AMOUNT, Promotion.Kind.FIXED_PRICE)


@dataclass(frozen=True)
class Badge:
    """A product's promotion as a listing shows it: the label, and the percent off (percent
    kind) or the lowest price after it among the product's variants (the "from" price)."""

    promotion_id: int
    label: str
    kind: str
    percent: Decimal | None
    price_after: Decimal


@dataclass(frozen=True)
class Offer:
    """A variant's price under a certain promotion, with the reference a price reduction is
    shown beside: the lowest price of the 30 days before the promotion began."""

    promotion_id: int
    label: str
    kind: str
    percent: Decimal | None
    price: Decimal  # the list price, struck through
    price_after: Decimal
    reference: Decimal  # the lowest price of the 30 days before `starts_at`
    starts_at: datetime


def _through(field: str):
    return getattr(Promotion, field).through.objects


def certain_promotions(*, channel: Channel, now: datetime | None = None) -> QuerySet[Promotion]:
    """The automatic line promotions on the channel now that ask nothing of the customer or of
    the rest of the cart, in the engine's order."""
    now = now or timezone.now()
    mine = {"promotion_id": OuterRef("pk")}
    return Promotion.objects.filter(
        (Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        & (
            ~Exists(_through("channels").filter(**mine))
            | Exists(_through("channels").filter(**mine, channel_id=channel.pk))
        )
        & ~Exists(_through("segments").filter(**mine))
        & ~Exists(_through("loyalty_tiers").filter(**mine))
        & (Q(budget__isnull=True) | Q(spent__lt=F("budget")))
        & (Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit"))),
        is_active=True,
        requires_code=False,
        target=Promotion.Target.LINES,
        kind__in=BADGE_KINDS,
        min_subtotal__isnull=True,
        min_quantity__isnull=True,
        first_order_only=False,
        per_customer_limit__isnull=True,
    ).order_by("-priority", "id")


def _matches_variant() -> Q | Combinable:
    """The promotion's (OuterRef: the outer variant row, annotated with product_id, brand_id
    and category_path) line conditions hold for the variant. Each empty set means any."""
    mine = {"promotion_id": OuterRef("pk")}
    variant = OuterRef(OuterRef("pk"))

    def either(field: str, **match) -> Q | Combinable:
        rows = _through(field).filter(**mine)
        return ~Exists(rows) | Exists(rows.filter(**match))

    holds_value = ProductVariant.attribute_values.through.objects.filter(
        productvariant_id=OuterRef(OuterRef(OuterRef("pk"))),
        attributevalue_id=OuterRef("attributevalue_id"),
    )
    in_category = (
        _through("categories")
        .filter(**mine)
        .annotate(
            outer_path=ExpressionWrapper(
                OuterRef(OuterRef("category_path")), output_field=CharField()
            )
        )
        .filter(outer_path__startswith=F("category__path"))
    )
    return (
        either("products", product_id=OuterRef(OuterRef("product_id")))
        & either("variants", productvariant_id=variant)
        & either("brands", brand_id=OuterRef(OuterRef("brand_id")))
        & (~Exists(_through("categories").filter(**mine)) | Exists(in_category))
        # the variant holds every value the promotion names
        & ~Exists(_through("attribute_values").filter(**mine).filter(~Exists(holds_value)))
    )


@dataclass(frozen=True)
class _Row:
    variant_id: int
    product_id: int
    price: Decimal
    promotion_id: int | None
    reference: Decimal | None


def _variant_rows(
    *,
    channel: Channel,
    promotions: list[Promotion],
    variants: Q,
    with_reference: bool,
) -> list[_Row]:
    """The variants sold on the channel, each with the first of `promotions` it matches (and,
    asked for, the lowest price of the 30 days before that promotion began): one query."""
    best = (
        Promotion.objects.filter(pk__in=[p.pk for p in promotions])
        .filter(_matches_variant())
        .order_by("-priority", "id")
    )
    rows = (
        ProductVariant.objects.filter(variants)
        .annotate(
            on_channel=FilteredRelation(
                "channel_prices", condition=Q(channel_prices__channel=channel)
            )
        )
        .filter(on_channel__isnull=False)
        .annotate(
            price=F("on_channel__price"),
            brand_id=F("product__brand_id"),
            category_path=F("product__category__path"),
        )
        .annotate(promotion=Subquery(best.values("pk")[:1]))
    )
    fields = ["pk", "product_id", "price", "promotion"]
    if with_reference:
        began = Coalesce("starts_at", "created_at")
        rows = rows.annotate(
            began=Subquery(best.annotate(began=began).values("began")[:1])
        ).annotate(reference=lowest_price_before(channel=channel, before=OuterRef("began")))
        fields.append("reference")
    return [
        _Row(r[0], r[1], r[2], r[3], r[4] if with_reference else None)
        for r in rows.order_by().values_list(*fields)
    ]


def _price_after(promotion: Promotion, price: Decimal, currency: str) -> Decimal:
    """The unit price after the promotion, as the engine works it out for one unit."""
    if promotion.kind == Promotion.Kind.PERCENT:
        return price - quantize(price * min(promotion.value, Decimal(100)) / 100, currency)
    if promotion.kind == Promotion.Kind.AMOUNT:
        return max(price - promotion.value, ZERO)
    return min(promotion.value, price)  # fixed price: never above the list price


def _usable(promotions: Iterable[Promotion], channel: Channel) -> dict[int, Promotion]:
    return {
        p.pk: p
        for p in promotions
        if p.kind == Promotion.Kind.PERCENT or p.currency == channel.currency
    }


def promotion_badges(
    *, channel: Channel, product_ids: Iterable[int], now: datetime | None = None
) -> dict[int, Badge]:
    """The badge of each product (by id) that a promotion is certain to reduce: every variant
    sold on the channel matches the same certain promotion and is cheaper for it. One query,
    and one more when any certain promotion is running."""
    ids = list(product_ids)
    if not ids:
        return {}
    promotions = _usable(certain_promotions(channel=channel, now=now), channel)
    if not promotions:
        return {}
    by_product: dict[int, list[_Row]] = {}
    for row in _variant_rows(
        channel=channel,
        promotions=list(promotions.values()),
        variants=Q(product_id__in=ids),
        with_reference=False,
    ):
        by_product.setdefault(row.product_id, []).append(row)
    badges = {}
    for product_id, rows in by_product.items():
        chosen = {r.promotion_id for r in rows}
        if len(chosen) != 1 or None in chosen:
            continue  # not every variant: not certain for the product
        promotion = promotions[rows[0].promotion_id or 0]
        afters = [(_price_after(promotion, r.price, channel.currency), r.price) for r in rows]
        if any(after >= price for after, price in afters):
            continue
        badges[product_id] = Badge(
            promotion_id=promotion.pk,
            label=promotion.label,
            kind=promotion.kind,
            percent=promotion.value if promotion.kind == Promotion.Kind.PERCENT else None,
            price_after=min(after for after, _price in afters),
        )
    return badges


def variant_offers(
    *, channel: Channel, variant_ids: Iterable[int], now: datetime | None = None
) -> dict[int, Offer]:
    """Each variant's (by id) price under the certain promotion it matches, with the lowest
    price of the 30 days before that promotion began (the list price when the variant has no
    history then). One query, and one more when any certain promotion is running."""
    ids = list(variant_ids)
    if not ids:
        return {}
    promotions = _usable(certain_promotions(channel=channel, now=now), channel)
    if not promotions:
        return {}
    offers = {}
    for row in _variant_rows(
        channel=channel,
        promotions=list(promotions.values()),
        variants=Q(pk__in=ids),
        with_reference=True,
    ):
        promotion = promotions.get(row.promotion_id or 0)
        if promotion is None:
            continue
        after = _price_after(promotion, row.price, channel.currency)
        if after >= row.price:
            continue
        offers[row.variant_id] = Offer(
            promotion_id=promotion.pk,
            label=promotion.label,
            kind=promotion.kind,
            percent=promotion.value if promotion.kind == Promotion.Kind.PERCENT else None,
            price=row.price,
            price_after=after,
            reference=row.reference if row.reference is not None else row.price,
            starts_at=promotion.starts_at or promotion.created_at,
        )
    return offers
