"""The stock screen's reads: products found by name, SKU or barcode, and for each variant what
is free here, in the other stores (with their distance from here) and in the warehouses; and the
transfers under way to and from this store. Free is what inventory counts free: on hand less
allocated less live reservations (inventory.channel_stock.sellable, no safety stock)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from catalog.models import AttributeValue, Product, ProductVariant
from catalog.search import product_relevance, products_search
from inventory.channel_stock import sellable, stock_levels
from inventory.geo import city_key, distance_km
from inventory.models import StockLocation, Transfer, TransferLine

# At most this many variants are shown for a search (a scan finds one product).
SEARCH_LIMIT = 40


@dataclass(frozen=True)
class LocationStock:
    location: StockLocation
    distance_km: float | None  # from this store; None for this store itself
    on_hand: int = 0
    allocated: int = 0
    reserved: int = 0

    @property
    def free(self) -> int:
        return sellable(self.on_hand, self.allocated, self.reserved, 0)


@dataclass
class VariantStock:
    variant: ProductVariant
    label: str  # its options ("Siyah / M"), or its SKU
    scanned: bool  # the SKU or barcode searched for
    here: LocationStock | None
    stores: list[LocationStock]  # the other stores, nearest first
    warehouses: list[LocationStock]  # nearest first

    @property
    def free_elsewhere(self) -> int:
        return sum(row.free for row in [*self.stores, *self.warehouses])

    @property
    def sources(self) -> list[LocationStock]:
        """Where a transfer to this store can come from: what has free units."""
        return [row for row in [*self.warehouses, *self.stores] if row.free > 0]


@dataclass
class ProductStock:
    product: Product
    variants: list[VariantStock] = field(default_factory=list)


@dataclass
class StockSearch:
    query: str
    products: list[ProductStock]
    truncated: bool  # more variants matched than are shown


def _options(variant: ProductVariant) -> str:
    """Its attribute values' names in the clerk's language, as the cart names a variant
    ("Lacivert / S")."""
    return " / ".join(value.name for value in variant.attribute_values.all())


def _position(location: StockLocation) -> tuple[float, float]:
    return float(location.latitude), float(location.longitude)


def stock_search(*, query: str, location: StockLocation | None) -> StockSearch:
    """The variants of the active products found for `query` (catalog.search: name, brand,
    description, Turkish folded, a typo forgiven, or a SKU or barcode), most relevant first, with their stock at every active location. Four queries
    whatever the number of products, variants and locations."""
    query = (query or "").strip()[:100]
    if not query:
        return StockSearch(query, [], False)
    # The catalog's one search rule: Turkish folded, a typo forgiven, a SKU or barcode.
    matching = products_search(Product.objects.filter(is_active=True), query)
    variants = list(
        ProductVariant.objects.filter(product__in=matching)
        .select_related("product")
        .prefetch_related(
            Prefetch(
                "attribute_values",
                queryset=AttributeValue.objects.order_by("attribute__sort_order", "sort_order"),
            )
        )
        .order_by(*product_relevance(query, path="product__"), "sort_order", "id")[
            : SEARCH_LIMIT + 1
        ]
    )
    truncated = len(variants) > SEARCH_LIMIT
    variants = variants[:SEARCH_LIMIT]
    locations = list(StockLocation.objects.filter(is_active=True))
    levels = {
        (variant_id, location_id): (on_hand, allocated, reserved)
        for variant_id, location_id, on_hand, allocated, reserved in stock_levels(
            variant_ids=[v.pk for v in variants],
            location_ids=[loc.pk for loc in locations],
            now=timezone.now(),
        )
    }
    origin = _position(location) if location is not None else None

    def distance(other: StockLocation) -> float | None:
        if origin is None:
            return None
        return round(distance_km(origin, _position(other)), 1)

    def order(other: StockLocation) -> tuple:
        return (distance(other) or 0.0, city_key(other.name), other.code)

    others = sorted((loc for loc in locations if loc != location), key=order)
    products: dict[int, ProductStock] = {}
    code = query.upper()
    for variant in variants:

        def at(loc: StockLocation, vid: int = variant.pk) -> LocationStock:
            held = levels.get((vid, loc.pk), (0, 0, 0))
            return LocationStock(loc, None if loc == location else distance(loc), *held)

        item = products.setdefault(variant.product_id, ProductStock(variant.product))
        item.variants.append(
            VariantStock(
                variant=variant,
                label=_options(variant) or variant.sku,
                scanned=variant.sku.upper() == code or variant.barcode == query,
                here=at(location) if location is not None else None,
                stores=[at(o) for o in others if o.kind == StockLocation.Kind.STORE],
                warehouses=[at(o) for o in others if o.kind == StockLocation.Kind.WAREHOUSE],
            )
        )
    return StockSearch(query, list(products.values()), truncated)


PENDING = (Transfer.Status.REQUESTED, Transfer.Status.SHIPPED)


def store_transfers(*, location: StockLocation | None, limit: int = 30) -> list[Transfer]:
    """The transfers under way to or from this store (requested or in transit), newest first,
    with both ends, who asked, and their lines with the variant and product: two queries."""
    if location is None:
        return []
    return list(
        Transfer.objects.filter(Q(source=location) | Q(destination=location), status__in=PENDING)
        .select_related("source", "destination", "requested_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=TransferLine.objects.select_related("variant__product").order_by(
                    "variant_id"
                ),
            )
        )
        .order_by("-id")[:limit]
    )
