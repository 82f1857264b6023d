"""Reads of the counter sale (POS): the sale's lines priced by the one pricing function with
the stock here and in the other stores, the item a scanned code names, the typeahead search,
a store's own order for its receipt, and what it still owes.

Each read is a fixed number of queries whatever the number of lines (tests/staff/test_pos.py
pins them)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from catalog.models import Product, ProductVariant, VariantChannelPrice
from catalog.search import product_relevance, products_search
from customers.models import Customer
from inventory.models import Stock, StockLocation
from omni.errors import NotFound
from orders import selectors as order_selectors
from orders.models import Cart, Order
from orders.selectors import CartLineRow, CartSummary
from payments import selectors as payment_selectors
from payments.models import Payment
from sales_channels.models import Channel

SEARCH_MIN = 2
SEARCH_LIMIT = 8


@dataclass(frozen=True)
class StoreStock:
    name: str
    available: int


@dataclass(frozen=True)
class SaleLine:
    row: CartLineRow
    here: int  # on hand less allocated at this store
    elsewhere: list[StoreStock] = field(default_factory=list)  # the other stores that hold it


@dataclass(frozen=True)
class Sale:
    """The sale on the counter: the cart priced on the store channel (for the customer's
    discounts when there is one), each line with its stock."""

    store: Channel
    customer: Customer | None
    summary: CartSummary | None
    lines: list[SaleLine]

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def currency(self) -> str:
        return self.summary.currency if self.summary else self.store.currency

    @property
    def total(self) -> Decimal:
        return self.summary.quote.total if self.summary else Decimal("0.00")

    @property
    def can_pay(self) -> bool:
        return bool(self.lines) and all(line.row.sellable for line in self.lines)


def sale_read(
    *,
    store: Channel,
    location: StockLocation | None,
    cart: Cart | None,
    customer: Customer | None,
) -> Sale:
    """The sale priced and with its stock: orders' cart summary (three queries) and one query
    for the stock of every line in every store."""
    if cart is None:
        return Sale(store=store, customer=customer, summary=None, lines=[])
    summary = order_selectors.cart_summary(cart=cart, channel=store, customer=customer)
    stock = stores_stock(skus=[row.sku for row in summary.lines])
    lines = []
    for row in summary.lines:
        held = stock.get(row.sku, {})
        here = held.pop(location.pk, StoreStock("", 0)).available if location else 0
        others = sorted(held.values(), key=lambda s: s.name)
        lines.append(SaleLine(row=row, here=here, elsewhere=others))
    return Sale(store=store, customer=customer, summary=summary, lines=lines)


def stores_stock(*, skus: list[str]) -> dict[str, dict[int, StoreStock]]:
    """What each active store holds of each SKU (on hand less allocated, above zero), by SKU
    and location id: one query."""
    if not skus:
        return {}
    rows = (
        Stock.objects.filter(
            variant__sku__in=skus,
            location__is_active=True,
            location__kind=StockLocation.Kind.STORE,
        )
        .order_by()
        .values_list("variant__sku", "location_id", "location__name", "on_hand", "allocated")
    )
    held: dict[str, dict[int, StoreStock]] = defaultdict(dict)
    for sku, location_id, name, on_hand, allocated in rows:
        free = max(on_hand - allocated, 0)
        if free:
            held[sku][location_id] = StoreStock(name, free)
    return held


def variant_for_code(code: str) -> int | None:
    """The variant a scanned barcode (EAN-13) or a typed SKU names: one query."""
    code = (code or "").strip()
    if not code:
        return None
    return (
        ProductVariant.objects.filter(Q(barcode=code) | Q(sku=code))
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )


@dataclass(frozen=True)
class Found:
    sku: str
    name: str
    barcode: str
    price: Decimal | None


def product_search(*, q: str, store: Channel) -> list[Found]:
    """Variants whose product name or SKU holds `q`, active, with their price on the store's
    channel (None: not sold here): one query, at most SEARCH_LIMIT."""
    q = (q or "").strip()
    if len(q) < SEARCH_MIN:
        return []
    # The catalog's one search rule (Turkish folded, a typo forgiven), most relevant
    # product first; a part of a SKU also finds its variant at the till.
    by_product = products_search(Product.objects.filter(is_active=True), q)
    variants = (
        ProductVariant.objects.filter(Q(sku__icontains=q) | Q(product__in=by_product.values("pk")))
        .filter(product__is_active=True)
        .select_related("product")
        .order_by(*product_relevance(q, path="product__"), "sort_order", "id")[:SEARCH_LIMIT]
    )
    found = list(variants)
    prices = dict(
        VariantChannelPrice.objects.filter(variant__in=found, channel=store).values_list(
            "variant_id", "price"
        )
    )
    return [
        Found(
            sku=v.sku,
            name=v.product.name,
            barcode=v.barcode or "",
            price=prices.get(v.pk),
        )
        for v in found
    ]


def customers_find(*, q: str, limit: int = 6) -> list[Customer]:
    """orders' staff search (phone typed any way, e-mail, name, loyalty card): one query."""
    return list(order_selectors.customer_search(q=q)[:limit])


def customer_for_store(*, pk: int) -> Customer:
    return order_selectors.customer_get(pk=pk)


# --- the order being paid, and its receipt ---------------------------------------------------


def store_order(*, store: Channel, number: str) -> Order:
    """An order of this store's channel; another store's is not found."""
    order = (
        Order.objects.select_related("customer", "channel", "pickup_location", "placed_by")
        .filter(channel=store, number=number)
        .first()
    )
    if order is None:
        raise NotFound("Order not found.", code="order_not_found")
    return order


def order_due(*, order: Order) -> Decimal:
    return payment_selectors.order_amount_due(order=order)


def order_payments(*, order: Order) -> list[Payment]:
    """The order's payments that took money (or are waiting for it), oldest first."""
    return list(
        Payment.objects.filter(order_id=order.pk)
        .exclude(
            status__in=[
                Payment.Status.CANCELLED,
                Payment.Status.FAILED,
                Payment.Status.DECLINED,
            ]
        )
        .order_by("created_at", "id")
    )


def store_order_with_lines(*, store: Channel, number: str) -> Order:
    order = (
        Order.objects.select_related("customer", "channel", "pickup_location", "placed_by")
        .prefetch_related("lines")
        .filter(channel=store, number=number)
        .first()
    )
    if order is None:
        raise NotFound("Order not found.", code="order_not_found")
    return order


def store_orders_recent(*, store: Channel, limit: int = 5) -> QuerySet[Order]:
    return Order.objects.filter(channel=store).order_by("-id")[:limit]
