"""Reads of the orders app, each in a fixed number of queries whatever the number of rows:
a cart with its prices and review, saved items, a customer's orders from every channel, and
the staff's customer look-up."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import AttributeValue, ProductVariant
from customers.merge import customer_resolved_pk
from customers.models import Customer
from customers.sections import CartBrief, CustomerOrders, OrderBrief
from customers.selectors import customers_matching
from customers.timeline import OrderOwner
from inventory.models import StockLocation, Transfer
from omni.errors import NotFound, ValidationError
from omni.search import search_words, words_match
from orders import pricing
from orders.models import (
    Cart,
    CartLine,
    Fulfilment,
    FulfilmentLine,
    Order,
    OrderEvent,
    OrderLine,
    Return,
    SavedItem,
)
from orders.services.carts import CartChange, LineInfo, cart_review, lines_info
from orders.services.checkout import Checkout, lines_quote
from orders.services.fulfilment import OPEN_STATUSES, WORKABLE_ORDER_STATUSES
from orders.services.returns import PERM_CHANGE_RETURN, returns_query
from sales_channels.models import Channel

# --- variants by SKU ------------------------------------------------------------------------


def variant_id_for_sku(sku: str, *, field: str = "sku") -> int:
    """The variant with this SKU, or a field-level error naming the bad value."""
    variant_id = ProductVariant.objects.filter(sku=sku).values_list("pk", flat=True).first()
    if variant_id is None:
        raise ValidationError.for_field(
            field, _("Unknown SKU: %(sku)s.") % {"sku": sku}, code="unknown_sku"
        )
    return variant_id


# --- the cart -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartLineRow:
    id: int
    sku: str
    product_name: str
    variant_name: str
    quantity: int
    seen_price: Decimal
    seen_currency: str
    price: Decimal | None  # on the channel now; None: no longer sold there
    currency: str
    line_total: Decimal
    sellable: bool
    discount: Decimal = Decimal(0)  # the promotions', included in line_total
    discounts: tuple[pricing.Discount, ...] = ()  # which promotion took what, with its label


@dataclass(frozen=True)
class GiftOffer:
    """A gift the cart has earned and does not hold yet: adding its SKU makes it free."""

    variant_id: int
    sku: str
    name: str
    quantity: int
    label: str
    promotion: str


@dataclass(frozen=True)
class CartSummary:
    """A cart as a shopper (or a clerk for them) sees it on one channel: the lines with the
    price seen and the price now, the totals from the one pricing function (before delivery),
    and what changed since the lines were added."""

    cart: Cart
    channel: Channel
    lines: list[CartLineRow]
    quote: pricing.Quote
    changes: list[CartChange]
    gifts: list[GiftOffer] = field(default_factory=list)

    @property
    def token(self):
        return self.cart.token

    @property
    def currency(self) -> str:
        return self.quote.currency

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def cart_item_count(*, user_id: int | None = None, token: UUID | None = None) -> int:
    """How many items (the lines' quantities added up, as CartSummary.item_count) the active
    cart holds: a signed-in user's (their customer's one cart, which every channel changes) or a
    guest's by its token. One query; 0 without a cart."""
    lines = CartLine.objects.filter(cart__status=Cart.Status.ACTIVE)
    if user_id is not None:
        lines = lines.filter(cart__customer__user_id=user_id)
    elif token is not None:
        lines = lines.filter(cart__token=token, cart__customer__isnull=True)
    else:
        return 0
    return lines.aggregate(n=Coalesce(Sum("quantity"), 0))["n"]


def cart_summary(*, cart: Cart, channel: Channel, customer: Customer | None = None) -> CartSummary:
    """The cart priced (for `customer`'s discounts) and reviewed on the channel: three queries
    (lines, their attribute values, the stock of their variants) whatever the number of lines."""
    info = lines_info(cart=cart, channel=channel)
    changes = cart_review(cart=cart, channel=channel, info=info) if info else []
    quote = lines_quote(info=info, channel=channel, customer=customer, codes=cart.codes)
    totals = {line.key: line.total for line in quote.lines}
    taken = {line.key: line.discount for line in quote.lines}
    given: dict[str, list[pricing.Discount]] = {}
    for d in quote.discounts:
        given.setdefault(d.key, []).append(d)
    rows = [
        CartLineRow(
            id=i.line.pk,
            sku=i.sku,
            product_name=i.product_name,
            variant_name=i.variant_name,
            quantity=i.quantity,
            seen_price=i.seen_price,
            seen_currency=i.line.seen_currency,
            price=i.price,
            currency=channel.currency,
            line_total=totals[str(i.variant_id)],
            sellable=i.sellable,
            discount=taken[str(i.variant_id)],
            discounts=tuple(given.get(str(i.variant_id), ())),
        )
        for i in info
    ]
    return CartSummary(
        cart=cart,
        channel=channel,
        lines=rows,
        quote=quote,
        changes=changes,
        gifts=gift_offers(quote=quote),
    )


def gift_offers(*, quote: pricing.Quote) -> list[GiftOffer]:
    """The gifts the quote offers that are not in the cart yet, with their SKU and name: one
    query when there are any, none otherwise."""
    wanted = {g.variant_id: g for g in quote.gifts if not g.in_cart}
    if not wanted:
        return []
    variants = ProductVariant.objects.filter(pk__in=wanted).select_related("product")
    return [
        GiftOffer(
            variant_id=v.pk,
            sku=v.sku,
            name=v.product.name,
            quantity=wanted[v.pk].quantity,
            label=wanted[v.pk].label,
            promotion=wanted[v.pk].promotion,
        )
        for v in sorted(variants, key=lambda v: v.pk)
    ]


@dataclass(frozen=True)
class QuoteLineRow:
    sku: str
    product_name: str
    variant_name: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    total: Decimal
    tax_rate: Decimal
    tax: Decimal
    currency: str


def quote_lines(checkout: Checkout) -> list[QuoteLineRow]:
    """A checkout's priced lines with their names, for showing (no queries)."""
    names: dict[str, LineInfo] = {str(i.variant_id): i for i in checkout.lines}
    return [
        QuoteLineRow(
            sku=line.sku,
            product_name=names[line.key].product_name,
            variant_name=names[line.key].variant_name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            total=line.total,
            tax_rate=line.tax_rate,
            tax=line.tax,
            currency=checkout.quote.currency,
        )
        for line in checkout.quote.lines
    ]


# --- saved items ----------------------------------------------------------------------------


def saved_item_list(*, customer: Customer, channel: Channel) -> QuerySet[SavedItem]:
    """The customer's saved items (shared by every channel) with each one's price on this
    channel now (None: not sold there): two queries per page."""
    return (
        SavedItem.objects.filter(customer=customer)
        .select_related("variant__product")
        .annotate(
            channel_price=FilteredRelation(
                "variant__channel_prices", condition=Q(variant__channel_prices__channel=channel)
            ),
            price_now=F("channel_price__price"),
            currency=Value(channel.currency),
        )
        .prefetch_related(
            Prefetch(
                "variant__attribute_values",
                queryset=AttributeValue.objects.select_related("attribute").order_by(
                    "attribute__sort_order", "sort_order"
                ),
            )
        )
        .order_by("-created_at", "-id")
    )


# --- orders ---------------------------------------------------------------------------------


def order_list_queryset() -> QuerySet[Order]:
    """Orders as listed (a history, a customer's profile): channel and lines, two queries per
    page whatever the number of lines."""
    return Order.objects.select_related("channel").prefetch_related("lines")


def order_detail_queryset() -> QuerySet[Order]:
    """Orders with everything OrderOutput shows: a fixed number of queries for one order."""
    return Order.objects.select_related(
        "channel", "origin_channel", "shipping_method", "pickup_location"
    ).prefetch_related(
        "lines",
        Prefetch("fulfilments", queryset=Fulfilment.objects.select_related("location")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("channel")),
    )


# --- fulfilment at a location: the pick list and click and collect ---------------------------


def fulfilments_read() -> QuerySet[Fulfilment]:
    """Fulfilments with their location, order and lines, in a fixed number of queries."""
    return Fulfilment.objects.select_related(
        "location", "order__channel", "order__shipping_method"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=FulfilmentLine.objects.select_related("order_line").order_by("id"),
        )
    )


def fulfilments_to_work(
    *, location: StockLocation, statuses: Iterable[str] = OPEN_STATUSES
) -> QuerySet[Fulfilment]:
    """A location's fulfilments of orders that leave it with a carrier (not collected at the
    counter), in `statuses`, oldest first. Open ones (to pick, picking, packed) only while
    their order's goods may leave (confirmed or partly shipped)."""
    statuses = list(statuses)
    queryset = (
        fulfilments_read()
        .filter(location=location, status__in=statuses)
        .exclude(order__delivery=Order.Delivery.PICKUP)
    )
    if set(statuses) <= set(OPEN_STATUSES):
        queryset = queryset.filter(order__status__in=WORKABLE_ORDER_STATUSES)
    return queryset.order_by("created_at", "id")


def pickup_orders() -> QuerySet[Order]:
    """Click-and-collect orders with their lines and whether every unit is at the store
    (`items_arrived`: no transfer for the order still requested or on the road)."""
    on_the_way = Transfer.objects.filter(
        order_reference=Concat(Value("order:"), Cast(OuterRef("pk"), output_field=CharField())),
        status__in=[Transfer.Status.REQUESTED, Transfer.Status.SHIPPED],
    )
    return (
        Order.objects.filter(delivery=Order.Delivery.PICKUP)
        .select_related("pickup_location", "customer")
        .annotate(items_arrived=~Exists(on_the_way))
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
    )


PICKUP_QUEUE_STATUSES = (Order.Status.CONFIRMED, Order.Status.READY_FOR_PICKUP)


def pickup_queue(*, location: StockLocation) -> QuerySet[Order]:
    """A store's click-and-collect queue: orders to be made ready (confirmed) and those waiting
    for the customer (ready for pickup), oldest first."""
    return (
        pickup_orders()
        .filter(pickup_location=location, status__in=PICKUP_QUEUE_STATUSES)
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class OrderPromotions:
    """What the promotions took off an order, from the snapshot it keeps of its prices
    (Order.pricing): each line's discounts by variant id (as text) with the promotion's label
    in the language the order was placed in, each promotion with its amount and code, and the
    shipping discount. No queries."""

    lines: dict[str, list[pricing.Discount]]
    promotions: list[pricing.Applied]
    shipping_discount: Decimal
    savings: Decimal

    def for_line(self, variant_id: int | str) -> list[pricing.Discount]:
        return self.lines.get(str(variant_id), [])


def order_promotions(order: Order) -> OrderPromotions:
    snapshot = order.pricing or {}
    lines: dict[str, list[pricing.Discount]] = {}
    for d in snapshot.get("discounts", []):
        lines.setdefault(str(d.get("line", "")), []).append(
            pricing.Discount(
                key=str(d.get("line", "")),
                amount=Decimal(d.get("amount", "0")),
                label=d.get("label", ""),
                promotion=str(d.get("promotion", "")),
                code=d.get("code", ""),
            )
        )
    promotions = [
        pricing.Applied(
            promotion=str(a.get("promotion", "")),
            label=a.get("label", ""),
            amount=Decimal(a.get("amount", "0")),
            code=a.get("code", ""),
        )
        for a in snapshot.get("promotions", [])
    ]
    shipping_discount = Decimal(snapshot.get("shipping_discount", "0"))
    return OrderPromotions(
        lines=lines,
        promotions=promotions,
        shipping_discount=shipping_discount,
        savings=order.discount_total + shipping_discount,
    )


def order_list_for_customer(*, customer: Customer) -> QuerySet[Order]:
    """The customer's orders from every channel (store counter sales, marketplaces, the web, the
    app, whatever channel the cart started on), newest first."""
    return order_list_queryset().filter(customer=customer).order_by("-created_at", "-id")


def order_get_for_customer(*, customer: Customer, number: str) -> Order:
    """One of the customer's orders by its number; someone else's is not found."""
    order = order_detail_queryset().filter(customer=customer, number=number).first()
    if order is None:
        raise NotFound(_("Order not found."), code="order_not_found")
    return order


def order_get(*, pk: int) -> Order:
    return order_detail_queryset().get(pk=pk)


# --- staff acting for a customer ------------------------------------------------------------


def user_may_act_for_customers(user: User) -> bool:
    """Store staff (at their stores), and merchant staff allowed to add orders, may find a
    customer and fill their cart or place an order for them."""
    if not (user and user.is_authenticated):
        return False
    if user.is_store_staff:
        return True
    return user.is_merchant_staff and user.has_perm("orders.add_order")


def staff_channel_get(*, user: User, code: str | None) -> Channel:
    """The channel a staff member acts on: store staff on one of their stores (the only one
    when they work at one and name none), merchant staff on any active channel they name."""
    if user.is_store_staff:
        stores = list(user.stores.filter(is_active=True).order_by("code"))
        if not code and len(stores) == 1:
            return stores[0]
        found = next((store for store in stores if store.code == code), None)
        if found is None:
            raise ValidationError.for_field(
                "channel",
                _("Choose one of your stores: %(codes)s.")
                % {"codes": ", ".join(s.code for s in stores) or "-"},
                code="unknown_channel",
            )
        return found
    from sales_channels.selectors import channel_get_active

    return channel_get_active(code)


MIN_SEARCH = 2


def customer_search(*, q: str) -> QuerySet[Customer]:
    """Customers whose e-mail, phone or name matches `q` (a phone matches on its last ten
    digits, so "0555 111 22 33" finds "+905551112233") or who hold it as an identity
    (customers.selectors.customers_matching), with their order count: one query per page."""
    q = (q or "").strip()
    if len(q) < MIN_SEARCH:
        raise ValidationError.for_field(
            "q",
            _("Enter at least %(n)d characters of an e-mail, phone or name.") % {"n": MIN_SEARCH},
            code="too_short",
        )
    match = Q(email__icontains=q)
    # Every word inside the first or last name, Turkish folded: "ayse kaya" finds "Ayşe Kaya"
    # (omni.search; trigram-indexed on PostgreSQL, customers migration 0013).
    # In a subquery of its own, answered from those indexes alone (ORed with the other
    # conditions it would fold every customer's name).
    named = words_match(["first_name", "last_name"], search_words(q))
    if named is not None:
        match |= Q(pk__in=Customer.objects.filter(named).values("pk"))
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 4:
        match |= Q(phone__contains=digits[-10:])
    # And whoever holds it as an identity: a phone typed any way, a loyalty card, a
    # marketplace buyer id (customers' own search).
    identified = customers_matching(query=q)
    if identified is not None:
        match |= identified
    return Customer.objects.annotate(order_count=Count("orders")).filter(match).order_by("-id")


def customer_get(*, pk: int) -> Customer:
    """The customer, or the survivor a merged-away id was merged into."""
    customer = Customer.objects.filter(pk=customer_resolved_pk(pk)).first()
    if customer is None:
        raise NotFound(_("Customer not found."), code="customer_not_found")
    return customer


# --- returns, as staff see them -------------------------------------------------------------


def returns_for_staff(*, user: User, handing_in: bool = False) -> QuerySet[Return]:
    """The returns a staff member may read and act on: the one scoping rule of every staff action
    on a return (receive, refund, reject, drop the exchange, and the answer each gives). Merchant
    staff holding orders.change_return: every return. Store staff: a return handed in at one of
    their stores, or, until it is handed in somewhere, one requested at one of their stores.
    Handing a return in at the counter (`handing_in`: receiving it, or first dropping an exchange
    that is out of stock) also reaches a return requested online that no store holds yet, since
    the shopper may bring it to any store. Anyone else: none. What is out of scope is a 404."""
    if user.has_perm(PERM_CHANGE_RETURN):
        return returns_query()
    if not user.is_store_staff:
        return returns_query().none()
    stores = user.stores.values("pk")
    scope = Q(location__channel__in=stores) | Q(location__isnull=True, channel__in=stores)
    if handing_in:
        scope |= Q(location__isnull=True, status=Return.Status.REQUESTED) & ~Q(
            channel__kind=Channel.Kind.STORE
        )
    return returns_query().filter(scope)


def order_owners(numbers: Iterable[str]) -> dict[str, OrderOwner]:
    """Whose each order is (customers' timeline asks, reading orders' outbox events): the
    customer, the channel, and the store (the pickup store, or the store whose counter sold
    it), in one query."""
    wanted = [n for n in numbers if n]
    if not wanted:
        return {}
    rows = Order.objects.filter(number__in=wanted).values_list(
        "number", "customer_id", "channel_id", "pickup_location_id",
        "channel__kind", "channel__store_location__id",
    )  # fmt: skip
    return {
        number: OrderOwner(
            customer_id=customer_id,
            channel_id=channel_id,
            store_id=pickup_id or counter_store_id,
            counter_sale=kind == Channel.Kind.STORE,
        )
        for number, customer_id, channel_id, pickup_id, kind, counter_store_id in rows
    }


# --- the customer 360 (customers.sections) -------------------------------------------------

CUSTOMER_360_ORDERS = 10


def customer_360_orders(customer: Customer) -> CustomerOrders:
    """The customer's most recent orders from every channel and their carts in progress, for
    customers' 360 view: three queries whatever the history."""
    items = Coalesce(Sum("lines__quantity"), 0)
    returned = Coalesce(Sum("lines__quantity_returned"), 0)
    orders = (
        Order.objects.filter(customer=customer)
        .select_related("channel")
        .annotate(items=items, returned=returned)
        .order_by("-created_at", "-id")[:CUSTOMER_360_ORDERS]
    )
    carts = (
        Cart.objects.filter(customer=customer, status=Cart.Status.ACTIVE)
        .select_related("last_channel", "origin_channel")
        .annotate(items=Sum("lines__quantity"))
        .filter(items__gt=0)
        .order_by("-updated_at")
    )
    return CustomerOrders(
        count=Order.objects.filter(customer=customer).count(),
        recent=[
            OrderBrief(
                pk=order.pk,
                number=order.number,
                channel=order.channel.code,
                channel_name=order.channel.name,
                status=order.status,
                status_label=order.get_status_display(),
                total=order.total,
                currency=order.currency,
                placed_at=order.created_at,
                items=order.items,
                returned=order.returned,
            )
            for order in orders
        ],
        carts=[
            CartBrief(
                pk=cart.pk,
                channel=cart.last_channel.code,
                channel_name=cart.last_channel.name,
                started_on=cart.origin_channel.code,
                items=cart.items,
                updated_at=cart.updated_at,
            )
            for cart in carts
        ],
    )
