"""Reads of the promotions for the shop's pages: which products carry a promotion badge, and a
variant's price under a promotion with the 30-day reference price beside it.

A badge is shown only where the promotion is certain to apply to whoever buys the item, with
whatever else is in the cart: an automatic (no code), active promotion in its window, on this
channel (or on every channel), with no condition on the customer or the cart (no segments,
loyalty tiers, first order only, minimum subtotal or a quantity above one) or on its uses (a
budget, a total or per-customer limit: the price would outlive them), of kind percent, amount
or fixed price on lines, in the channel's currency, whose line conditions (products, variants,
categories with their subtree, brands, attribute values: the variant holds one of them) hold for
every variant of the product sold on the channel. It is the rule of the channels' sale prices
(campaigns.channel_prices), and several such promotions stack as there and in the engine, so
the price shown is the channel's sale price; the badge is named by the promotion that takes the
most. The cart may take more off (a code, a basket promotion), never less. And the price after
them must be below the lowest price of the 30 days before they began, or no reduction may be
announced.

Each read runs a fixed number of queries whatever the number of products and promotions: one
for the certain promotions with the ids of their conditions; when there are any, one for the
facts of the variants (product, brand, category, price, attribute values; none for a product
page, which has them) and, when one applies, one for their price history. The matching is plain
Python, as in the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Aggregate,
    CharField,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from campaigns import channel_prices
from campaigns.models import Promotion
from catalog.models import Product, ProductVariant
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

    @property
    def is_reduction(self) -> bool:
        """Whether the price may be announced as reduced: it is below the lowest price of the
        30 days before the promotion (a list price raised just before it is not)."""
        return self.price_after < self.reference


class _Joined(Aggregate):
    """The values of a group joined with commas, as text (PostgreSQL, SQLite)."""

    function = "STRING_AGG"
    template = "%(function)s(CAST(%(expressions)s AS TEXT), ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s)"
        )


def _ids(field: str, column: str, outer: str = "pk") -> Subquery:
    """The ids (or paths) of one many-to-many condition of the outer row, joined."""
    through = (
        getattr(Promotion, field).through if field else ProductVariant.attribute_values.through
    )
    owner = "promotion_id" if field else "productvariant_id"
    return Subquery(
        through.objects.filter(**{owner: OuterRef(outer)})
        .order_by()
        .values(owner)
        .annotate(joined=_Joined(column))
        .values("joined")
    )


def _split(joined: str | None, kind=int) -> frozenset:
    return frozenset(kind(x) for x in joined.split(",")) if joined else frozenset()


@dataclass(frozen=True)
class _Certain:
    promotion: Promotion
    products: frozenset[int]
    variants: frozenset[int]
    category_paths: tuple[str, ...]
    brands: frozenset[int]
    values: frozenset[int]  # the variant holds one of them (a collection by attribute)

    def matches(self, v: _Variant) -> bool:
        return (
            (not self.products or v.product_id in self.products)
            and (not self.variants or v.pk in self.variants)
            and (not self.brands or v.brand_id in self.brands)
            and (not self.category_paths or v.category_path.startswith(self.category_paths))
            and (not self.values or bool(self.values & v.values))
        )

    def discount(self, price: Decimal, currency: str) -> Decimal:
        """What it takes off one unit at `price` (campaigns.channel_prices' stacking asks)."""
        return price - _price_after(self.promotion, price, currency)

    @property
    def began(self) -> datetime:
        return self.promotion.starts_at or self.promotion.created_at


@dataclass(frozen=True)
class _Variant:
    pk: int
    product_id: int
    brand_id: int | None
    category_path: str
    price: Decimal
    values: frozenset[int]


def _through(field: str):
    return getattr(Promotion, field).through.objects


def certain_promotions(*, channel: Channel, now: datetime | None = None) -> QuerySet[Promotion]:
    """The automatic line promotions on the channel now that ask nothing of the customer or of
    the rest of the cart, in the engine's order (priority, then age)."""
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
        & (Q(min_quantity__isnull=True) | Q(min_quantity__lte=1))
        & (Q(kind=Promotion.Kind.PERCENT) | Q(currency=channel.currency)),
        is_active=True,
        requires_code=False,
        target=Promotion.Target.LINES,
        kind__in=BADGE_KINDS,
        min_subtotal__isnull=True,
        first_order_only=False,
        budget__isnull=True,
        usage_limit__isnull=True,
        per_customer_limit__isnull=True,
    ).order_by("-priority", "id")


def _certain(*, channel: Channel, now: datetime | None) -> list[_Certain]:
    """The certain promotions with the ids of their line conditions: one query."""
    rows = certain_promotions(channel=channel, now=now).annotate(
        product_ids=_ids("products", "product_id"),
        variant_ids=_ids("variants", "productvariant_id"),
        category_paths=_ids("categories", "category__path"),
        brand_ids=_ids("brands", "brand_id"),
        value_ids=_ids("attribute_values", "attributevalue_id"),
    )
    return [
        _Certain(
            promotion=p,
            products=_split(p.product_ids),
            variants=_split(p.variant_ids),
            category_paths=tuple(_split(p.category_paths, str)),
            brands=_split(p.brand_ids),
            values=_split(p.value_ids),
        )
        for p in rows
    ]


def _variants(*, channel: Channel, which: Q) -> list[_Variant]:
    """The facts of the variants sold on the channel that the conditions look at: one query."""
    rows = (
        ProductVariant.objects.filter(which)
        .annotate(
            on_channel=FilteredRelation(
                "channel_prices", condition=Q(channel_prices__channel=channel)
            )
        )
        .filter(on_channel__isnull=False)
        .annotate(price=F("on_channel__price"), value_ids=_ids("", "attributevalue_id"))
        .order_by()
        .values_list("pk", "product_id", "product__brand_id", "product__category__path", "price",
                     "value_ids")
    )  # fmt: skip
    return [_Variant(pk, pid, brand, path, price, _split(values))
            for pk, pid, brand, path, price, values in rows]  # fmt: skip


# The engine's stacking, as the channels' sale prices apply it: combinable promotions in turn
# (higher priority first), each on what is left; an exclusive one alone when it takes more.
_stack: Callable[..., tuple[Decimal, list[Any]]] = channel_prices._best


@dataclass(frozen=True)
class _Sale:
    """What the certain promotions take off one unit of a variant, stacked."""

    main: _Certain  # the one that takes the most: its label names the sale
    applied: tuple[_Certain, ...]
    price_after: Decimal

    @property
    def began(self) -> datetime:
        return min(c.began for c in self.applied)

    @property
    def percent(self) -> Decimal | None:
        return _percent(self.main.promotion) if len(self.applied) == 1 else None


def _sale(certain: list[_Certain], variant: _Variant, currency: str) -> _Sale | None:
    matching = [c for c in certain if c.matches(variant)]
    if not matching:
        return None
    off, applied = _stack(matching, variant.price, currency)
    if off <= 0:
        return None
    main = max(applied, key=lambda c: (c.discount(variant.price, currency), -c.promotion.pk))
    return _Sale(main=main, applied=tuple(applied), price_after=variant.price - off)


def _price_after(promotion: Promotion, price: Decimal, currency: str) -> Decimal:
    """The unit price after the promotion, as the engine works it out for one unit."""
    if promotion.kind == Promotion.Kind.PERCENT:
        return price - quantize(price * min(promotion.value, Decimal(100)) / 100, currency)
    if promotion.kind == Promotion.Kind.AMOUNT:
        return max(price - promotion.value, ZERO)
    return min(promotion.value, price)  # fixed price: never above the list price


def _percent(promotion: Promotion) -> Decimal | None:
    return promotion.value if promotion.kind == Promotion.Kind.PERCENT else None


def promotion_badges(
    *, channel: Channel, product_ids: Iterable[int], now: datetime | None = None
) -> dict[int, Badge]:
    """The badge of each product (by id) that certain promotions reduce: every variant sold on
    the channel is reduced, named by the same promotion, and its price after them is below the
    lowest price of the 30 days before they began (so that the reduction may be announced: a
    list price raised just before a promotion is not reduced by it). One query; while a certain
    promotion runs, one for the variants and, when one applies, one for their price history."""
    ids = list(product_ids)
    certain = _certain(channel=channel, now=now) if ids else []
    if not certain:
        return {}
    by_product: dict[int, list[tuple[_Variant, _Sale | None]]] = {}
    for variant in _variants(channel=channel, which=Q(product_id__in=ids)):
        by_product.setdefault(variant.product_id, []).append(
            (variant, _sale(certain, variant, channel.currency))
        )
    candidates = {
        product_id: rows
        for product_id, rows in by_product.items()
        if all(sale is not None for _v, sale in rows)
        and len({sale.main.promotion.pk for _v, sale in rows if sale}) == 1
    }
    offers = _offers(channel, [row for rows in candidates.values() for row in rows])
    badges = {}
    for product_id, rows in candidates.items():
        if not all(v.pk in offers and offers[v.pk].is_reduction for v, _s in rows):
            continue  # not a reduction that may be announced: no badge
        first = offers[rows[0][0].pk]
        percents = {offers[v.pk].percent for v, _s in rows}
        badges[product_id] = Badge(
            promotion_id=first.promotion_id,
            label=first.label,
            kind=first.kind,
            percent=first.percent if len(percents) == 1 else None,
            price_after=min(offers[v.pk].price_after for v, _s in rows),
        )
    return badges


def variant_offers(
    *, channel: Channel, variant_ids: Iterable[int], now: datetime | None = None
) -> dict[int, Offer]:
    """Each variant's (by id) price under the certain promotions it matches, stacked as the
    engine does, with the lowest price of the 30 days before they began (never above the list
    price now). One query; while a certain promotion runs, one for the variants and, when one
    applies, one for their price history."""
    ids = list(variant_ids)
    certain = _certain(channel=channel, now=now) if ids else []
    if not certain:
        return {}
    facts = _variants(channel=channel, which=Q(pk__in=ids))
    return _offers(channel, [(v, _sale(certain, v, channel.currency)) for v in facts])


def product_offers(
    *, channel: Channel, product: Product, variants: Iterable[ProductVariant], now=None
) -> dict[int, Offer]:
    """variant_offers for a product page's variants, loaded with their price on the channel
    (`price`) and attribute values (catalog.selectors.product_detail): one query, and one for
    the price history when a promotion applies."""
    certain = _certain(channel=channel, now=now)
    if not certain:
        return {}
    facts = [
        _Variant(
            pk=v.pk,
            product_id=product.pk,
            brand_id=product.brand_id,
            category_path=product.category.path,
            price=v.price,  # type: ignore[attr-defined]  # annotated by variants_on_channel
            values=frozenset(a.pk for a in v.attribute_values.all()),
        )
        for v in variants
    ]
    return _offers(channel, [(v, _sale(certain, v, channel.currency)) for v in facts])


def _offers(channel: Channel, pairs: Iterable[tuple[_Variant, _Sale | None]]) -> dict[int, Offer]:
    """Each variant's offer under its sale, with the reference price: one query for the price
    history, none when no promotion reduces any variant."""
    found = {variant.pk: (variant, sale) for variant, sale in pairs if sale is not None}
    lowest = lowest_price_before(
        channel=channel, before={pk: sale.began for pk, (_v, sale) in found.items()}
    )
    return {
        pk: Offer(
            promotion_id=sale.main.promotion.pk,
            label=sale.main.promotion.label,
            kind=sale.main.promotion.kind,
            percent=sale.percent,
            price=variant.price,
            price_after=sale.price_after,
            reference=min(lowest[pk], variant.price) if pk in lowest else variant.price,
            starts_at=sale.began,
        )
        for pk, (variant, sale) in found.items()
    }
