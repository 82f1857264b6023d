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

The merchant's reads (below): a promotion's status, the admin's and the API's lists with their
uses and spending, and "try a cart": what a cart of given SKUs would pay on a channel, and why,
priced by the one pricing function without a cart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    DecimalField,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import channel_prices
from campaigns.models import Code, Promotion, Redemption
from catalog.models import Product, ProductVariant, VariantChannelPrice
from catalog.selectors import lowest_price_before
from customers.models import Customer
from omni.errors import ValidationError
from omni.money import quantize
from orders import pricing
from orders.models import ShippingMethod
from sales_channels.models import Channel

ZERO = Decimal(0)
BADGE_KINDS = channel_prices.UNIT_PRICE_KINDS


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


# The one rule of what is certain to apply, shared with the channels' sale prices.
certain_promotions = channel_prices.certain_promotions


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


# --- the merchant's promotions -------------------------------------------------------------

CONDITION_FIELDS = (
    "channels",
    "products",
    "variants",
    "categories",
    "brands",
    "attribute_values",
    "segments",
    "loyalty_tiers",
)


class Status(models.TextChoices):
    SCHEDULED = "scheduled", gettext_lazy("Scheduled")
    ACTIVE = "active", gettext_lazy("Active")
    PAUSED = "paused", gettext_lazy("Paused")
    ENDED = "ended", gettext_lazy("Ended")
    SPENT = "spent", gettext_lazy("Budget or uses spent")


def promotion_status(promotion: Promotion, *, now: datetime | None = None) -> Status:
    """Paused, else ended, else spent (budget or uses), else scheduled, else active."""
    now = now or timezone.now()
    if not promotion.is_active:
        return Status.PAUSED
    if promotion.ends_at is not None and promotion.ends_at <= now:
        return Status.ENDED
    if (promotion.budget is not None and promotion.spent >= promotion.budget) or (
        promotion.usage_limit is not None and promotion.times_used >= promotion.usage_limit
    ):
        return Status.SPENT
    if promotion.starts_at is not None and promotion.starts_at > now:
        return Status.SCHEDULED
    return Status.ACTIVE


def status_q(status: str, now: datetime) -> Q:
    ended = Q(ends_at__isnull=False, ends_at__lte=now)
    spent = Q(budget__isnull=False, spent__gte=F("budget")) | Q(
        usage_limit__isnull=False, times_used__gte=F("usage_limit")
    )
    scheduled = Q(starts_at__isnull=False, starts_at__gt=now)
    if status == Status.PAUSED:
        return Q(is_active=False)
    live = Q(is_active=True)
    if status == Status.ENDED:
        return live & ended
    if status == Status.SPENT:
        return live & ~ended & spent
    if status == Status.SCHEDULED:
        return live & ~ended & ~spent & scheduled
    return live & ~ended & ~spent & ~scheduled


def promotions_list(
    *,
    status: str | None = None,
    kind: str | None = None,
    channel_id: int | None = None,
    search: str = "",
    now: datetime | None = None,
) -> QuerySet[Promotion]:
    """The merchant's promotions, newest first, with their conditions' ids prefetched: a
    constant number of queries whatever the number of rows. A channel filter includes the
    promotions on every channel (no channel chosen)."""
    now = now or timezone.now()
    found = Promotion.objects.order_by("-created_at", "-id")
    if status:
        found = found.filter(status_q(status, now))
    if kind:
        found = found.filter(kind=kind)
    if channel_id:
        on_all = ~Q(pk__in=Promotion.channels.through.objects.values("promotion_id"))
        found = found.filter(
            Q(
                pk__in=Promotion.channels.through.objects.filter(channel_id=channel_id).values(
                    "promotion_id"
                )
            )
            | on_all
        )
    if search:
        found = found.filter(Q(name__icontains=search) | Q(codes__code=search.upper())).distinct()
    return with_totals(found).prefetch_related(*condition_ids())


def condition_ids() -> list[Prefetch]:
    """The conditions' ids alone (what a list shows of them)."""
    return [
        Prefetch(name, queryset=getattr(Promotion, name).field.related_model.objects.only("pk"))
        for name in CONDITION_FIELDS
    ]


def with_totals(promotions: QuerySet[Promotion]) -> QuerySet[Promotion]:
    """Annotated with `uses_total` and `given_total`: its unreleased redemptions' count and
    amount (in the same query). The row counts them only when it has a limit or a budget
    (campaigns.services.redemption); the redemptions are the truth for every promotion."""
    live = Redemption.objects.filter(promotion_id=OuterRef("pk"), released_at__isnull=True).values(
        "promotion_id"
    )
    return promotions.annotate(
        uses_total=Coalesce(Subquery(live.annotate(n=Count("pk")).values("n")[:1]), Value(0)),
        given_total=Coalesce(
            Subquery(live.annotate(s=Sum("amount")).values("s")[:1]),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        ),
    )


def promotion_codes(*, promotion: Promotion) -> QuerySet[Code]:
    """The promotion's named codes (those of a generated batch are downloaded as CSV)."""
    return Code.objects.filter(promotion=promotion, batch__isnull=True).order_by("id")


# --- try a cart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLineInput:
    sku: str
    quantity: int


@dataclass
class Reason:
    promotion: str  # the promotion's id, as text
    label: str
    amount: Decimal
    code: str = ""


@dataclass
class PreviewLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    total: Decimal
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class PreviewGift:
    variant_id: int
    sku: str
    quantity: int
    label: str
    promotion: str
    in_cart: bool


@dataclass
class CartPreview:
    channel: Channel
    customer: Customer | None
    quote: pricing.Quote
    lines: list[PreviewLine]
    names: dict[str, str]  # promotion id -> its name (the merchant's)
    gifts: list[PreviewGift] = field(default_factory=list)

    @property
    def promotions(self) -> list[pricing.Applied]:
        return self.quote.promotions


def _variants_on(
    *, channel: Channel, skus: Sequence[str]
) -> tuple[dict[str, ProductVariant], dict[int, Decimal]]:
    variants = {
        v.sku: v
        for v in ProductVariant.objects.filter(sku__in=skus).select_related(
            "product", "product__tax_class"
        )
    }
    prices = dict(
        VariantChannelPrice.objects.filter(
            channel=channel, variant_id__in=[v.pk for v in variants.values()]
        ).values_list("variant_id", "price")
    )
    return variants, prices


def cart_preview(
    *,
    channel: Channel,
    lines: Sequence[PreviewLineInput],
    customer: Customer | None = None,
    codes: Sequence[str] = (),
    shipping_method: ShippingMethod | None = None,
) -> CartPreview:
    """What a cart of these SKUs and quantities would pay on the channel now, for the customer
    (or a guest), with the codes: each line's price, its discount and the promotions that gave
    it, the shipping discount, and why a code was refused. Nothing is written. A SKU unknown or
    not sold on the channel is an error on its line ("lines.<i>.sku")."""
    if not lines:
        raise ValidationError.for_field("lines", _("Enter at least one line."), code="required")
    skus = [line.sku.strip() for line in lines]
    variants, prices = _variants_on(channel=channel, skus=skus)
    errors: dict[str, list[str]] = {}
    inputs: list[pricing.LineInput] = []
    seen: set[int] = set()
    for index, (line, sku) in enumerate(zip(lines, skus, strict=True)):
        variant = variants.get(sku)
        if variant is None:
            errors[f"lines.{index}.sku"] = [_("Unknown SKU: %(sku)s.") % {"sku": sku}]
        elif variant.pk not in prices:
            errors[f"lines.{index}.sku"] = [
                _("%(sku)s is not sold on %(channel)s.") % {"sku": sku, "channel": channel.code}
            ]
        elif variant.pk in seen:
            errors[f"lines.{index}.sku"] = [_("This SKU is on another line already.")]
        if line.quantity < 1:
            errors[f"lines.{index}.quantity"] = [_("Enter a whole number above 0.")]
        if f"lines.{index}.sku" in errors or f"lines.{index}.quantity" in errors:
            continue
        assert variant is not None
        seen.add(variant.pk)
        inputs.append(
            pricing.LineInput(
                str(variant.pk),
                variant.sku,
                line.quantity,
                prices[variant.pk],
                variant.product.tax_class.rate,
            )
        )
    if errors:
        raise ValidationError(_("Some lines are not valid."), fields=errors)
    codes = [c.strip().upper() for c in codes if c and c.strip()]
    benefits = pricing.benefits_for(channel=channel, customer=customer, lines=inputs, codes=codes)
    goods = sum((i.unit_price * i.quantity for i in inputs), Decimal(0)) - sum(
        (d.amount for d in benefits.discounts), Decimal(0)
    )
    quote = pricing.price(
        currency=channel.currency,
        lines=inputs,
        shipping=pricing.shipping_cost(method=shipping_method, goods_total=goods),
        shipping_tax_rate=shipping_method.tax_rate if shipping_method else Decimal(20),
        benefits=benefits,
    )
    by_line: dict[str, list[Reason]] = {}
    for d in quote.discounts:
        by_line.setdefault(d.key, []).append(Reason(d.promotion, d.label, d.amount, d.code))
    names_of = {str(v.pk): str(v.product) for v in variants.values()}
    preview_lines = [
        PreviewLine(
            sku=priced.sku,
            name=names_of.get(priced.key, ""),
            quantity=priced.quantity,
            unit_price=priced.unit_price,
            gross=priced.gross,
            discount=priced.discount,
            total=priced.total,
            reasons=by_line.get(priced.key, []),
        )
        for priced in quote.lines
    ]
    ids = {a.promotion for a in quote.promotions if a.promotion.isdigit()}
    names = {
        str(pk): name for pk, name in Promotion.objects.filter(pk__in=ids).values_list("pk", "name")
    }
    gift_skus = (
        dict(
            ProductVariant.objects.filter(pk__in=[g.variant_id for g in quote.gifts]).values_list(
                "pk", "sku"
            )
        )
        if quote.gifts
        else {}
    )
    gifts = [
        PreviewGift(
            g.variant_id,
            gift_skus.get(g.variant_id, ""),
            g.quantity,
            g.label,
            g.promotion,
            g.in_cart,
        )
        for g in quote.gifts
    ]
    return CartPreview(
        channel=channel,
        customer=customer,
        quote=quote,
        lines=preview_lines,
        names=names,
        gifts=gifts,
    )
