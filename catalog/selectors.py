"""Reads of the catalog as one sales channel sees it. Each returns a queryset whose number of
queries is fixed, whatever the page size and the number of variants."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F, FilteredRelation, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from catalog.models import (
    AttributeValue,
    Category,
    Product,
    ProductImage,
    ProductVariant,
    VariantPriceHistory,
)
from catalog.search import products_search
from omni.errors import NotFound
from omni.search import fold
from sales_channels.models import Channel


def product_list(*, channel: Channel, now: datetime | None = None) -> QuerySet[Product]:
    """Products published on the channel, visible now, with at least one variant priced there.

    Each product carries `price_from`, `price_to` and `on_sale` from its channel listing.
    """
    now = now or timezone.now()
    return (
        Product.objects.annotate(
            listing=FilteredRelation(
                "channel_listings", condition=Q(channel_listings__channel=channel)
            )
        )
        # One filter() call, so that every condition is on the same join of the listing.
        .filter(
            Q(listing__published_at__isnull=True) | Q(listing__published_at__lte=now),
            is_active=True,
            listing__is_published=True,
            listing__price_min__isnull=False,
        )
        .annotate(
            price_from=F("listing__price_min"),
            price_to=F("listing__price_max"),
            on_sale=F("listing__on_sale"),
            currency=F("listing__currency"),
        )
        .select_related("brand", "category")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id"))
        )
        .order_by("-created_at", "-id")
    )


SUGGESTIONS = 6
SUGGEST_MIN = 2  # folded characters typed before anything is suggested


def product_suggestions(*, channel: Channel, query: str, limit: int = SUGGESTIONS) -> list[Product]:
    """What to suggest as the shopper types: the channel's most relevant products for the
    text so far (catalog.search), each with its price_from and currency. One query; none
    before SUGGEST_MIN characters."""
    if len(fold(query).strip()) < SUGGEST_MIN:
        return []
    products = product_list(channel=channel).select_related(None).prefetch_related(None)
    return list(products_search(products, query)[:limit])


def variants_on_channel(*, channel: Channel) -> QuerySet[ProductVariant]:
    """Variants sold on the channel (they have a price there), with that price annotated."""
    return (
        ProductVariant.objects.annotate(
            channel_price=FilteredRelation(
                "channel_prices", condition=Q(channel_prices__channel=channel)
            )
        )
        .filter(channel_price__isnull=False)
        .annotate(
            price=F("channel_price__price"),
            compare_at_price=F("channel_price__compare_at_price"),
            lowest_prior_price=F("channel_price__lowest_prior_price"),
            currency=F("channel_price__currency"),
            price_version=F("channel_price__version"),
            sale_price=F("channel_price__sale_price"),
            sale_starts_at=F("channel_price__sale_starts_at"),
            sale_ends_at=F("channel_price__sale_ends_at"),
        )
        .prefetch_related(
            Prefetch(
                "attribute_values",
                queryset=AttributeValue.objects.select_related("attribute").order_by(
                    "attribute__sort_order", "sort_order", "slug"
                ),
            )
        )
        .order_by("sort_order", "id")
    )


def lowest_price_before(*, channel: Channel, before: Mapping[int, datetime]) -> dict[int, Decimal]:
    """Each variant's (by id) lowest price on the channel in the OMNI_PRICE_HISTORY_DAYS (30)
    days before its own moment in `before`: every price in effect at some time in that window,
    the one in effect just before the moment included. A variant not sold there then is left
    out. One query, none for no variant.

    The reference a price reduction that starts at that moment is shown beside (Turkey's rule on
    price reductions), for a promotion as for a compare-at price. A promotion's own prices are
    not catalog prices, so they never enter the history this reads."""
    if not before:
        return {}
    by_moment: dict[datetime, list[int]] = {}
    for variant_id, moment in before.items():
        by_moment.setdefault(moment, []).append(variant_id)
    days = timedelta(days=settings.OMNI_PRICE_HISTORY_DAYS)
    which = Q()
    for moment, variant_ids in by_moment.items():
        which |= Q(
            Q(ended_at__isnull=True) | Q(ended_at__gt=moment - days),
            variant_id__in=variant_ids,
            started_at__lt=moment,
        )
    rows = (
        VariantPriceHistory.objects.filter(which, channel=channel, price__isnull=False)
        .order_by()
        .values("variant_id")
        .annotate(lowest=Min("price"))
        .values_list("variant_id", "lowest")
    )
    return dict(rows)


def product_detail(*, channel: Channel, slug: str) -> Product:
    """One product as the channel shows it, with its variants and their prices there."""
    product = (
        product_list(channel=channel)
        .filter(slug=slug)
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=variants_on_channel(channel=channel),
                to_attr="channel_variants",
            )
        )
        .first()
    )
    if product is None:
        raise NotFound(code="product_not_found")
    product.breadcrumbs = [*Category.objects.get_ancestors(product.category), product.category]
    return product


def category_tree() -> list[dict]:
    """The active category tree as nested dicts, in one query."""
    nodes = Category.objects.filter(is_active=True).order_by("path")
    roots: list[dict] = []
    stack: list[tuple[int, dict]] = []
    for node in nodes:
        item = {"slug": node.slug, "name": node.name, "children": []}
        while stack and stack[-1][0] >= node.depth:
            stack.pop()
        if stack:
            stack[-1][1]["children"].append(item)
        elif node.depth == 1:
            roots.append(item)
        else:
            continue  # under an inactive parent
        stack.append((node.depth, item))
    return roots
