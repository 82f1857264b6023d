"""What the offline till reads: the store's local price list, and the sales it sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from catalog.models import ProductVariant, VariantChannelPrice
from sales_channels.models import Channel


@dataclass(frozen=True)
class TillItem:
    variant_id: int
    barcode: str
    sku: str
    name: str
    price: Decimal  # what the counter charges now: the sale price while a sale runs


def _charged(row: Mapping[str, Any], now: datetime) -> Decimal:
    """The price itself, or the automatic promotion's sale price while its window is open
    (campaigns keeps it on the price row): what the online counter charges too."""
    sale = row["sale_price"]
    if sale is None:
        return row["price"]
    starts, ends = row["sale_starts_at"], row["sale_ends_at"]
    if (starts is None or starts <= now) and (ends is None or now < ends):
        return sale
    return row["price"]


def till_items(*, store: Channel, skus: Iterable[str] | None = None) -> list[TillItem]:
    """The variants the store sells (priced on its channel, active), with barcode, SKU, name
    and the price charged now, by SKU: one query whatever their number. `skus`: only these."""
    rows = VariantChannelPrice.objects.filter(channel=store, variant__product__is_active=True)
    if skus is not None:
        rows = rows.filter(variant__sku__in=list(skus))
    now = timezone.now()
    return [
        TillItem(
            variant_id=row["variant_id"],
            barcode=row["variant__barcode"] or "",
            sku=row["variant__sku"],
            name=row["variant__product__name"],
            price=_charged(row, now),
        )
        for row in rows.order_by("variant__sku").values(
            "variant_id",
            "variant__barcode",
            "variant__sku",
            "variant__product__name",
            "price",
            "sale_price",
            "sale_starts_at",
            "sale_ends_at",
        )
    ]


def till_price_list(*, store: Channel) -> dict:
    """The till's local price list as JSON: the store, its currency, when it was made, and one
    short array per variant ([barcode, SKU, name, price]) so that a large catalog stays small
    (about 60 bytes a variant before gzip)."""
    return {
        "store": store.code,
        "currency": store.currency,
        "generated_at": timezone.now().isoformat(),
        "fields": ["barcode", "sku", "name", "price"],
        "items": [[i.barcode, i.sku, i.name, str(i.price)] for i in till_items(store=store)],
    }


def till_variants(*, store: Channel, skus: Iterable[str]) -> dict[str, tuple[int, Decimal | None]]:
    """{SKU: (variant id, price charged on the store's channel now, or None)} for the SKUs a
    till sold: every variant that exists, priced there still or not (a sale made from the
    till's list stands even if the item left the list since). Two queries."""
    ids = dict(ProductVariant.objects.filter(sku__in=list(skus)).values_list("sku", "id"))
    prices = {item.variant_id: item.price for item in till_items(store=store, skus=ids)}
    return {sku: (vid, prices.get(vid)) for sku, vid in ids.items()}
