"""The returns screen's reads: an order found by number, scanned receipt or customer; what each
of its lines can still take back and be exchanged for; and the returns of this store.

An order from any channel can be returned at any store (the staff API's rule: it is found by its
number alone). Which returns a clerk reaches is orders.selectors.returns_for_staff, narrowed to
the store they work at now: another store's return is a 404."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum

from accounts.models import User
from catalog.models import AttributeValue, VariantChannelPrice
from customers.models import Customer
from inventory.models import Stock, StockLocation
from orders.models import Order, OrderLine, Return, ReturnLine
from orders.selectors import customer_search, returns_for_staff
from orders.services.returns import return_window_open, returns_query
from payments.gateways.base import GATEWAYS
from payments.models import Payment
from sales_channels.models import Channel

ZERO = Decimal(0)
CUSTOMERS_SHOWN = 10
ORDERS_PER_CUSTOMER = 10
RETURNS_SHOWN = 30


def order_by_number(*, number: str) -> Order | None:
    """An order of any channel, by its number (the staff API finds it the same way), as a
    keyboard-wedge scanner types the receipt's Code 128 (the number, then Enter) or a clerk
    types it: spaces and a lower-case prefix are forgiven."""
    typed = "".join((number or "").split())
    if not typed:
        return None
    return (
        Order.objects.select_related("channel", "customer")
        .filter(number__in={typed, typed.upper()})
        .first()
    )


@dataclass
class CustomerOrders:
    customer: Customer
    orders: list[Order]


def customers_with_orders(*, q: str) -> list[CustomerOrders]:
    """Customers found by phone, e-mail or name (orders.selectors.customer_search), each with
    their latest orders: two queries whatever their number. Too short a query is a field error
    on "q"."""
    customers = list(customer_search(q=q)[:CUSTOMERS_SHOWN])
    if not customers:
        return []
    orders: dict[int, list[Order]] = defaultdict(list)
    for order in (
        Order.objects.filter(customer__in=customers)
        .select_related("channel")
        .order_by("-created_at", "-id")
    ):
        customer_id = order.customer_id or 0
        if len(orders[customer_id]) < ORDERS_PER_CUSTOMER:
            orders[customer_id].append(order)
    return [CustomerOrders(customer=c, orders=orders[c.pk]) for c in customers]


def _at_store(store: Channel) -> Q:
    """Handed in at the store, or requested there and not handed in anywhere yet."""
    return Q(location__channel=store) | Q(location__isnull=True, channel=store)


def store_returns(*, user: User, store: Channel) -> QuerySet[Return]:
    """The returns handed in or requested at this store, newest first, in the clerk's scope."""
    return (
        returns_for_staff(user=user)
        .filter(_at_store(store))
        .select_related("order__customer")
        .order_by("-id")[:RETURNS_SHOWN]
    )


def store_return(*, user: User, store: Channel, pk: int) -> Return | None:
    """One return of this store (or one requested online that nobody holds yet, which the
    customer may bring here); None when out of scope, exactly like one that does not exist."""
    online = Q(location__isnull=True, status=Return.Status.REQUESTED) & ~Q(
        channel__kind=Channel.Kind.STORE
    )
    return (
        returns_for_staff(user=user, handing_in=True)
        .filter(_at_store(store) | online)
        .select_related("order__customer", "order__channel")
        .filter(pk=pk)
        .first()
    )


@dataclass
class ExchangeOption:
    variant_id: int
    sku: str
    name: str
    price: Decimal
    here: int  # sellable units at this store


@dataclass
class ReturnableLine:
    line: OrderLine
    paid_each: Decimal  # what the customer paid per unit (discounts honoured)
    left: int  # units that can still be returned
    exchanges: list[ExchangeOption] = field(default_factory=list)


@dataclass
class OrderForReturn:
    order: Order
    lines: list[ReturnableLine]
    returns: list[Return]
    window_open: bool
    refundable: Decimal  # captured less refunded, over the order's payments
    paid_with: list[str]  # the payments' gateways, as shown to the clerk


def _gateway_label(code: str) -> str:
    gateway = GATEWAYS.get(code)
    return str(gateway.label) if gateway is not None else code


def _label(variant) -> str:
    names = [value.name for value in variant.attribute_values.all()]
    return " / ".join(names) or variant.sku


def order_for_return(*, order: Order, location: StockLocation | None) -> OrderForReturn:
    """Everything the order page shows, in a fixed number of queries whatever the lines."""
    lines = list(OrderLine.objects.filter(order=order).select_related("variant").order_by("id"))
    claimed = dict(
        ReturnLine.objects.filter(
            return_request__order_id=order.pk, return_request__status=Return.Status.REQUESTED
        )
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
        .values_list("order_line_id", "units")
    )
    products = {line.variant.product_id for line in lines if line.variant_id}
    prices = list(
        VariantChannelPrice.objects.filter(
            channel_id=order.channel_id, variant__product_id__in=products
        )
        .select_related("variant")
        .prefetch_related(
            Prefetch(
                "variant__attribute_values",
                queryset=AttributeValue.objects.select_related("attribute").order_by(
                    "attribute__sort_order", "sort_order"
                ),
            )
        )
        .order_by("variant__sort_order", "variant_id")
    )
    here: dict[int, int] = {}
    if location is not None and prices:
        here = {
            variant_id: max(on_hand - allocated, 0)
            for variant_id, on_hand, allocated in Stock.objects.filter(
                location=location, variant_id__in=[p.variant_id for p in prices]
            ).values_list("variant_id", "on_hand", "allocated")
        }
    by_product: dict[int, list[VariantChannelPrice]] = defaultdict(list)
    for price in prices:
        by_product[price.variant.product_id].append(price)
    shown = []
    for line in lines:
        options = [
            ExchangeOption(
                variant_id=p.variant_id,
                sku=p.variant.sku,
                name=_label(p.variant),
                price=p.price,
                here=here.get(p.variant_id, 0),
            )
            for p in by_product.get(line.variant.product_id if line.variant_id else 0, [])
            if p.variant_id != line.variant_id
        ]
        left = line.quantity_shipped - line.quantity_returned - claimed.get(line.pk, 0)
        shown.append(
            ReturnableLine(
                line=line,
                paid_each=line.line_total / line.quantity if line.quantity else ZERO,
                left=max(left, 0),
                exchanges=options,
            )
        )
    payments = list(
        Payment.objects.filter(order=order, amount_captured__gt=0).values_list(
            "gateway", "amount_captured", "amount_refunded"
        )
    )
    return OrderForReturn(
        order=order,
        lines=shown,
        returns=list(returns_query().filter(order=order).order_by("-id")),
        window_open=return_window_open(order=order),
        refundable=sum((captured - refunded for _g, captured, refunded in payments), ZERO),
        paid_with=sorted({_gateway_label(gateway) for gateway, _c, _r in payments}),
    )


def search(*, q: str) -> tuple[Order | None, list[CustomerOrders]]:
    """The find box: an order number (typed or scanned) first, else customers. A query too
    short for a customer search is a field error on "q"."""
    order = order_by_number(number=q)
    if order is not None:
        return order, []
    return None, customers_with_orders(q=q)
