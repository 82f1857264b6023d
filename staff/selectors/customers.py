"""What the clienteling screens read: the customer search's rows, and a customer's profile as
staff see it at a store (the CRM's 360, the live cart priced here, saved items, returns, staff
notes) with recommendations worked out from the customer's history and this store's stock.

Every rule shown is a domain app's own (orders.selectors.customer_search, customers' 360,
consents and notes, orders' cart summary); what is the screen's own is which of them it reads
and the recommendations, in a fixed number of queries whatever the customer's history."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum

from catalog.models import AttributeValue, ProductVariant, VariantChannelPrice
from customers.merge import customer_resolved_pk
from customers.models import Customer, StaffNote
from customers.notes import staff_notes_of
from customers.sections import CartBrief
from customers.selectors import (
    Customer360,
    MessagePermission,
    customer_360,
    customer_360_get,
    messages_allowed,
)
from inventory.models import Stock, StockLocation
from orders.models import Cart, CartLine, Order, OrderLine, Return, SavedItem
from orders.selectors import CartSummary, cart_summary, customer_search, saved_item_list
from orders.services.carts import cart_find_for_customer
from sales_channels.models import Channel

SEARCH_ROWS = 20
RETURNS_SHOWN = 10
SAVED_SHOWN = 12
RECOMMENDED = 6
# The attribute that is a garment's size (the catalog's demo calls it "beden").
SIZE_ATTRIBUTES = ("beden", "size")


def customers_found(*, q: str) -> list[Customer]:
    """The first rows of the staff search (orders.selectors.customer_search: a phone typed any
    way, an e-mail, a name or a loyalty card), each with `order_count`: one query. A query too
    short to search by is its ValidationError on field `q`."""
    return list(customer_search(q=q)[:SEARCH_ROWS])


def customer_for_profile(*, pk: int) -> Customer:
    """The customer behind `pk` (the survivor of a merged-away id) as the 360 reads it: one
    query; NotFound for an unknown id."""
    return customer_360_get(pk=customer_resolved_pk(pk))


@dataclass(frozen=True)
class Recommendation:
    """A variant staff can offer: sold here, in stock here, with why."""

    variant_id: int
    sku: str
    product_name: str
    variant_name: str
    price: Decimal
    currency: str
    in_stock: int
    together: int = 0  # orders it shared with what the customer bought ("bought together")


@dataclass(frozen=True)
class CustomerProfile:
    customer: Customer
    view: Customer360
    messages: dict[str, MessagePermission]
    cart: CartSummary | None  # the live cart, priced at this store
    cart_brief: CartBrief | None  # where it was started and last touched
    saved: list[SavedItem]
    returns: list[Return]
    notes: list[StaffNote]
    bought_together: list[Recommendation] = field(default_factory=list)
    in_size: list[Recommendation] = field(default_factory=list)
    size_name: str = ""


def customer_profile(
    *, customer: Customer, store: Channel, location: StockLocation | None
) -> CustomerProfile:
    """Everything the profile screen shows, in a fixed number of queries."""
    view = customer_360(customer=customer)
    carts = view.orders.carts if view.orders else []
    brief = carts[0] if carts else None
    summary = None
    if brief is not None:
        cart = cart_find_for_customer(customer=customer)
        if cart is not None:
            summary = cart_summary(cart=cart, channel=store, customer=customer)
    together: list[Recommendation] = []
    in_size: list[Recommendation] = []
    size_name = ""
    if location is not None:
        together = bought_together(customer=customer, store=store, location=location)
        in_size, size_name = in_their_size(customer=customer, store=store, location=location)
    return CustomerProfile(
        customer=customer,
        view=view,
        messages=messages_allowed(customer=customer, consents=view.consents),
        cart=summary,
        cart_brief=brief,
        saved=list(saved_item_list(customer=customer, channel=store)[:SAVED_SHOWN]),
        returns=list(
            Return.objects.filter(order__customer=customer)
            .select_related("order", "channel", "location")
            .annotate(items=Sum("lines__quantity"))
            .order_by("-created_at", "-id")[:RETURNS_SHOWN]
        ),
        notes=staff_notes_of(customer=customer),
        bought_together=together,
        in_size=in_size,
        size_name=size_name,
    )


# --- recommendations ----------------------------------------------------------------------


def _bought(customer: Customer) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(order__customer=customer).exclude(
        order__status=Order.Status.CANCELLED
    )


def _in_cart(customer: Customer) -> QuerySet[CartLine, Any]:
    """The products in the customer's live cart: already on their way to being bought."""
    return CartLine.objects.filter(cart__customer=customer, cart__status=Cart.Status.ACTIVE).values(
        "variant__product_id"
    )


def _sellable_here(store: Channel, location: StockLocation) -> QuerySet[Stock, Any]:
    """Variants with free stock at the location that the store sells now."""
    return Stock.objects.filter(
        location=location,
        on_hand__gt=F("allocated"),
        variant__product__is_active=True,
        variant__channel_prices__channel=store,
        variant__product__channel_listings__channel=store,
        variant__product__channel_listings__is_published=True,
    ).values("variant_id")


def bought_together(
    *, customer: Customer, store: Channel, location: StockLocation, limit: int = RECOMMENDED
) -> list[Recommendation]:
    """Variants most often in the same orders as the products this customer bought (any
    customer's orders, cancelled ones aside), of products they have not bought and are not in
    their cart, sold and in stock here; one per product, the most shared first. Three queries."""
    bought_products = _bought(customer).values("variant__product_id")
    baskets = (
        OrderLine.objects.filter(variant__product_id__in=bought_products)
        .exclude(order__status=Order.Status.CANCELLED)
        .values("order_id")
    )
    rows = list(
        OrderLine.objects.filter(order_id__in=baskets)
        .exclude(variant__product_id__in=bought_products)
        .exclude(variant__product_id__in=_in_cart(customer))
        .filter(variant_id__in=_sellable_here(store, location))
        .values("variant_id")
        .annotate(together=Count("order_id", distinct=True))
        .order_by("-together", "variant_id")[: limit * 3]
    )
    shared = {row["variant_id"]: row["together"] for row in rows}
    return _recommendations(shared, store=store, location=location, limit=limit)


def in_their_size(
    *, customer: Customer, store: Channel, location: StockLocation, limit: int = RECOMMENDED
) -> tuple[list[Recommendation], str]:
    """Variants in the size the customer bought most (by pieces), of products in the
    categories they bought from and have not bought (nor hold in their cart), sold and in stock
    here; the newest
    products first, one per product. Returns them and the size's name. Three queries (one
    when they bought nothing with a size)."""
    bought = _bought(customer)
    size = _top_size(bought)
    if size is None:
        return [], ""
    ids = list(
        ProductVariant.objects.filter(
            attribute_values=size,
            product__category_id__in=bought.values("variant__product__category_id"),
            pk__in=_sellable_here(store, location),
        )
        .exclude(product_id__in=bought.values("variant__product_id"))
        .exclude(product_id__in=_in_cart(customer))
        .order_by("-product__created_at", "product_id", "sort_order", "pk")
        .values_list("pk", flat=True)[: limit * 3]
    )
    return _recommendations(dict.fromkeys(ids, 0), store=store, location=location, limit=limit), (
        size.name
    )


def _top_size(bought: QuerySet[OrderLine]) -> AttributeValue | None:
    """The size value of the most pieces the customer bought (ties: the smaller size)."""
    pieces = (
        bought.filter(variant__attribute_values__attribute__code__in=SIZE_ATTRIBUTES)
        .values("variant__attribute_values")
        .annotate(pieces=Sum("quantity"))
        .order_by("-pieces", "variant__attribute_values__sort_order", "variant__attribute_values")
        .values("variant__attribute_values")[:1]
    )
    return AttributeValue.objects.filter(pk__in=pieces).first()


def _recommendations(
    ranked: dict[int, int], *, store: Channel, location: StockLocation, limit: int
) -> list[Recommendation]:
    """The ranked variants (id -> shared orders, in rank order) with their names, price here and
    stock here, one per product: two queries (the variants, their attribute values)."""
    if not ranked:
        return []
    price = VariantChannelPrice.objects.filter(variant_id=OuterRef("pk"), channel=store)
    free = Stock.objects.filter(variant_id=OuterRef("pk"), location=location).annotate(
        free_now=F("on_hand") - F("allocated")
    )
    variants = {
        v.pk: v
        for v in ProductVariant.objects.filter(pk__in=list(ranked))
        .select_related("product")
        .prefetch_related("attribute_values")
        .annotate(
            price_here=Subquery(price.values("price")[:1]),
            free_here=Subquery(free.values("free_now")[:1]),
        )
    }
    result: list[Recommendation] = []
    products: set[int] = set()
    for variant_id, together in ranked.items():
        variant = variants.get(variant_id)
        if variant is None or variant.product_id in products or variant.price_here is None:
            continue
        products.add(variant.product_id)
        result.append(
            Recommendation(
                variant_id=variant.pk,
                sku=variant.sku,
                product_name=variant.product.name,
                variant_name=" / ".join(v.name for v in variant.attribute_values.all()),
                price=variant.price_here,
                currency=store.currency,
                in_stock=variant.free_here or 0,
                together=together,
            )
        )
        if len(result) == limit:
            break
    return result
