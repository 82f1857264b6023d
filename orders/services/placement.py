"""Placing an order, step by step, as django-oscar's OrderCreator does it: check the cart and
the request (checkout_prepare: re-priced on the channel, what changed), lock and close the cart,
create the order, build its lines from the quote, write them with the cart's closing, the
"placed" event and the outbox record in one batch, allocate the stock (orders.services.allocation,
last, so the variants stay locked only briefly), confirm an order paid later, and mark the
Idempotency-Key done with the answer.

What the steps need is loaded once, before the transaction, into a Checkout (the cart, the
channel, the priced lines, the delivery, the quote) and passed down: no step queries again, and
the number of queries does not grow with the lines (16 for a home delivery, with 1 line and
with 20: tests/orders/test_checkout.py pins it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer
from omni.db import WriteBatch, create
from omni.errors import Conflict, ValidationError
from omni.outbox import Event, outbox_record_many
from orders import hooks, pricing
from orders.locks import cart_lock
from orders.models import (
    Cart,
    Fulfilment,
    IdempotencyKey,
    Notification,
    Order,
    OrderEvent,
    OrderLine,
    ShippingMethod,
)
from orders.services.allocation import order_allocate, order_fulfil_unallocated
from orders.services.carts import CartChange, LineInfo, lines_info
from orders.services.delivery import Delivery, address_clean
from orders.services.fulfilment import order_hand_over
from orders.services.idempotency import idempotency_done
from orders.services.lifecycle import notify, order_event_build, order_transition
from sales_channels.models import Channel


class CartChanged(Conflict):
    """The cart's prices or availability changed since the shopper saw them."""

    code = "cart_changed"

    def __init__(self, changes: list[CartChange]) -> None:
        self.changes = changes
        super().__init__(
            _(
                "Some items changed since they were added; review the cart and place the order again."
            ),
            fields={
                f"lines.{c.line_id}": [
                    _("%(sku)s: %(change)s (%(before)s → %(after)s)")
                    % {"sku": c.sku, "change": c.kind, "before": c.before, "after": c.after}
                ]
                for c in changes
            },
        )


class PlacementRefused(Conflict):
    """An order_placing handler's refusal (campaigns: a promotion or code used up meanwhile):
    the placement rolls back and nothing is placed. Then, in a transaction of its own,
    order_place lets the refusal repair the cart (cart_repair: say, drop the code), so that the
    cart the shopper reviews is priced as it can now be placed. Every face answers it as it
    answers CartChanged."""

    code = "placement_refused"

    def cart_repair(self, *, cart: Cart, channel: Channel) -> None:
        """Change the cart after the rollback (nothing by default)."""


@contextmanager
def _repaired_on_refusal(cart: Cart, channel: Channel) -> Iterator[None]:
    try:
        yield
    except PlacementRefused as refused:
        refused.cart_repair(cart=cart, channel=channel)
        raise


# --- the quote ------------------------------------------------------------------------------


@dataclass
class Checkout:
    """Everything placing the order needs, loaded once and passed down."""

    cart: Cart
    channel: Channel
    lines: list[LineInfo]
    delivery: Delivery
    quote: pricing.Quote
    changes: list[CartChange]


def lines_quote(
    *,
    info: list[LineInfo],
    channel: Channel,
    customer: Customer | None = None,
    shipping_method: ShippingMethod | None = None,
    codes: Sequence[str] = (),
    promotions: bool = True,
) -> pricing.Quote:
    """Price loaded cart lines on the channel (its price now; the price seen for a line no
    longer sold there), with the promotions they earn (and the cart's `codes`) and, given a
    method, shipping. The cart shows this without shipping; checkout with the chosen method.
    No queries of its own (the discount provider's are constant in the lines). Without
    `promotions` (a sale already made, at the prices it was made at) none is asked for."""
    inputs = [
        pricing.LineInput(
            str(i.variant_id),
            i.sku,
            i.quantity,
            i.price if i.price is not None else i.seen_price,
            i.tax_rate,
            product_id=i.product_id,
            brand_id=i.brand_id,
            category_path=i.category_path,
            attribute_values=i.attribute_values,
        )
        for i in info
    ]
    benefits = (
        pricing.benefits_for(channel=channel, customer=customer, lines=inputs, codes=codes)
        if promotions
        else pricing.Benefits()
    )
    goods = sum((line.unit_price * line.quantity for line in inputs), Decimal(0)) - sum(
        (d.amount for d in benefits.discounts), Decimal(0)
    )
    return pricing.price(
        currency=channel.currency,
        lines=inputs,
        shipping=pricing.shipping_cost(method=shipping_method, goods_total=goods),
        shipping_tax_rate=shipping_method.tax_rate if shipping_method else Decimal(20),
        benefits=benefits,
    )


def checkout_prepare(
    *,
    cart: Cart,
    channel: Channel,
    delivery: Delivery,
    customer: Customer | None = None,
    as_sold: bool = False,
) -> Checkout:
    """Price the cart on the channel for this delivery (shipping, discounts, VAT) and say
    what changed since the lines were added. `as_sold`: a sale already made (a till's, kept
    while offline): each line at the price seen, whatever the channel's price is now, and
    nothing has changed; no promotion applies again (the till's prices had them)."""
    info = lines_info(cart=cart, channel=channel)
    if as_sold:
        for i in info:
            i.price, i.published = i.seen_price, True
    if not info:
        raise ValidationError.for_field("cart", _("The cart is empty."), code="empty_cart")
    changes = [
        CartChange(i.line.pk, i.sku, "unavailable", str(i.quantity), "0")
        for i in info
        if not i.sellable
    ] + [
        CartChange(
            i.line.pk,
            i.sku,
            "price_up" if i.price > i.seen_price else "price_down",
            str(i.seen_price),
            str(i.price),
        )
        for i in info
        if i.sellable and i.price != i.seen_price
    ]
    quote = lines_quote(
        info=info,
        channel=channel,
        customer=customer,
        shipping_method=delivery.shipping_method,
        codes=cart.codes,
        promotions=not as_sold,
    )
    return Checkout(
        cart=cart, channel=channel, lines=info, delivery=delivery, quote=quote, changes=changes
    )


# --- placing the order ----------------------------------------------------------------------


def _next_number() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval('orders_order_number_seq')")
            number = cursor.fetchone()[0]
        else:  # SQLite serialises writers; the last number plus one is free
            cursor.execute("SELECT COALESCE(MAX(id), 0) + 1001 FROM orders_order")
            number = cursor.fetchone()[0]
    return f"{settings.OMNI_ORDER_PREFIX}{number}"


@dataclass(frozen=True)
class PlacedOrder:
    """An order just placed with the rows order_place wrote for it, as they were written:
    what the answer to the request shows, without reading them back."""

    order: Order
    lines: list[OrderLine]
    fulfilments: list[Fulfilment]
    events: list[OrderEvent]


@dataclass(frozen=True)
class _Contact:
    """What the request says of the customer's contact, as given (empty: the customer's own)."""

    email: str
    phone: str
    language: str | None
    billing_address: dict | None


def order_place(
    *,
    cart: Cart,
    channel: Channel,
    delivery: Delivery,
    email: str = "",
    phone: str = "",
    billing_address: dict | None = None,
    customer: Customer | None = None,
    actor: User | None = None,
    idempotency: IdempotencyKey | None = None,
    respond: Callable[[Order | PlacedOrder], Any] | None = None,
    pay_later: bool | None = None,
    handed_over: bool = False,
    language: str | None = None,
    as_sold: bool = False,
    allocate: bool = True,
) -> Order:
    """Place the order for a cart on a channel, all or nothing.

    - Prices and availability are checked again; any change is a CartChanged (409) and nothing
      is placed: the shopper reviews the cart (cart_refresh) and places it again.
    - Stock is allocated through inventory routing in the same transaction as the order; a
      shortage is InsufficientStock naming the variant and nothing is placed.
    - A channel that is paid later (a store counter, pay at pickup) confirms the order at once;
      others wait for the payment (payments confirm it).
    - `handed_over`: a counter sale, paid and handed over at once at the staff's store. It needs
      no e-mail or phone (the customer leaves with the goods).
    - `as_sold` and `allocate=False`, only for a till's sale kept while the server was
      unreachable (staff.services.till_sync), handed over at once: the lines at the prices the
      till charged, and no stock allocated (the goods left already: the caller records them
      through inventory's movements made outside Omni, raising any shortfall).
    - `idempotency`: the client's claimed key, marked done with the order in its transaction,
      with the answer `respond` gives for the order (the body of the 201, a JSON value; it is
      given a PlacedOrder, the rows just written), so that a replay returns the answer first
      given (the record in hand is updated too).
    """
    if not allocate and not handed_over:
        raise ValueError("Only an order handed over at once is placed without stock allocated.")
    customer = customer or cart.customer
    contact = _Contact(email, phone, language, billing_address)
    checkout = _order_place_check(
        cart=cart,
        channel=channel,
        delivery=delivery,
        customer=customer,
        contact=contact,
        handed_over=handed_over,
        as_sold=as_sold,
    )
    pay_later = channel.pay_later if pay_later is None else pay_later
    now = timezone.now()
    with _repaired_on_refusal(cart, channel), transaction.atomic():
        locked_cart = cart_lock(cart.pk)
        if locked_cart is None or locked_cart.status != Cart.Status.ACTIVE:
            raise Conflict(_("This cart has already been ordered."), code="cart_closed")
        order = _order_create(checkout, customer=customer, actor=actor, contact=contact)
        lines = _order_lines_build(order, checkout)
        # Only a cart that held stock has reservations to turn into the order's allocation (an
        # expired one's are ignored by availability and deleted by a beat task).
        holds_stock = locked_cart.reserved_until is not None
        placed = _order_placed_write(
            order, lines, locked_cart, channel=channel, actor=actor, now=now
        )
        # Campaigns redeems the promotions and codes the quote used (race-safe: a code used
        # up meanwhile raises PlacementRefused, nothing is placed and the cart is repaired).
        hooks.order_placing.send(
            order=order, quote=checkout.quote, customer=customer, channel=channel
        )
        # Last of the writes that need no stock: the variants stay locked from here to commit.
        if allocate:
            fulfilments, allocated = order_allocate(
                order=order,
                lines=lines,
                channel=channel,
                delivery=delivery,
                reservation_reference=cart.reservation_reference if holds_stock else None,
                actor=actor,
                now=now,
            )
        else:
            fulfilments, allocated = order_fulfil_unallocated(
                order=order, lines=lines, channel=channel, delivery=delivery, actor=actor, now=now
            )
        events = [placed, allocated]
        if pay_later or order.total == 0:
            events.append(_order_confirm(order, channel=channel, actor=actor, pay_later=pay_later))
        if handed_over:
            order_hand_over(
                order=order, actor=actor, channel=channel, locked=True, allocated=allocate
            )
        elif order.origin_channel_id == channel.pk:
            order.origin_channel = channel  # as the answer shows it, without a query
        if idempotency is not None:
            # What the answer shows: the rows just written, or, when the hand-over changed
            # them since, the order to be read again.
            result = order if handed_over else PlacedOrder(order, lines, fulfilments, events)
            body = respond(result) if respond else None
            idempotency_done(record=idempotency, order=order, body=body, now=now)
    return order


def _order_place_check(
    *,
    cart: Cart,
    channel: Channel,
    delivery: Delivery,
    customer: Customer | None,
    contact: _Contact,
    handed_over: bool,
    as_sold: bool = False,
) -> Checkout:
    """What must hold before anything is written: a way to reach the customer, the cart as the
    shopper saw it, and a hand-over only at the store's own counter. The Checkout every later
    step reads."""
    email, phone = contact.email, contact.phone
    # A sale at the store's own counter needs no way to reach the buyer: they stand at the
    # counter and take the receipt (an anonymous till sale).
    at_counter = bool(
        delivery.pickup_location and delivery.pickup_location.channel_id == channel.pk
    )
    if not at_counter and not (
        email or (customer and customer.email) or phone or (customer and customer.phone)
    ):
        raise ValidationError.for_field(
            "email", _("An e-mail address or a phone number is required."), code="required"
        )
    checkout = checkout_prepare(
        cart=cart, channel=channel, delivery=delivery, customer=customer, as_sold=as_sold
    )
    if checkout.changes:
        raise CartChanged(checkout.changes)
    if handed_over and not (
        delivery.pickup_location and delivery.pickup_location.channel_id == channel.pk
    ):
        raise ValidationError.for_field(
            "delivery",
            _("Only a sale at the store's own counter can be handed over at once."),
            code="not_counter",
        )
    return checkout


def _order_create(
    checkout: Checkout, *, customer: Customer | None, actor: User | None, contact: _Contact
) -> Order:
    """The order row, numbered, with its addresses and the quote's totals and snapshot."""
    cart, channel, delivery, quote = (
        checkout.cart,
        checkout.channel,
        checkout.delivery,
        checkout.quote,
    )
    billing = contact.billing_address
    return create(
        Order,
        number=_next_number(),
        channel=channel,
        origin_channel_id=cart.origin_channel_id,
        customer=customer,
        email=contact.email or (customer.email if customer else ""),
        phone=contact.phone or (customer.phone if customer else ""),
        language=contact.language or (customer.language if customer else channel.default_language),
        delivery=delivery.method,
        shipping_method=delivery.shipping_method,
        shipping_address=delivery.address,
        billing_address=address_clean(billing, field_name="billing_address")
        if billing
        else delivery.address,
        pickup_location=delivery.pickup_location,
        currency=quote.currency,
        subtotal=quote.subtotal,
        discount_total=quote.discount_total,
        shipping_total=quote.shipping,
        tax_total=quote.tax_total,
        total=quote.total,
        pricing=quote.as_dict(),
        cart=cart,
        placed_by=actor
        if actor and actor.pk and (actor.is_store_staff or actor.is_merchant_staff)
        else None,
    )


def _order_lines_build(order: Order, checkout: Checkout) -> list[OrderLine]:
    """The order's lines (not saved yet), each priced as the quote priced it."""
    priced = {line.key: line for line in checkout.quote.lines}
    return [
        OrderLine(
            order=order,
            variant_id=i.variant_id,
            sku=i.sku,
            product_name=i.product_name,
            variant_name=i.variant_name,
            quantity=i.quantity,
            unit_price=priced[str(i.variant_id)].unit_price,
            discount=priced[str(i.variant_id)].discount,
            line_total=priced[str(i.variant_id)].total,
            tax_rate=i.tax_rate,
            tax_amount=priced[str(i.variant_id)].tax,
        )
        for i in checkout.lines
    ]


def _order_placed_write(
    order: Order,
    lines: list[OrderLine],
    locked_cart: Cart,
    *,
    channel: Channel,
    actor: User | None,
    now: datetime,
) -> OrderEvent:
    """The lines, the cart's closing, the "placed" event and the outbox record: one round trip.
    Returns the event."""
    locked_cart.status = Cart.Status.ORDERED
    locked_cart.reserved_until = None
    locked_cart.updated_at = now
    placed = order_event_build(
        order,
        "placed",
        actor=actor,
        channel=channel,
        to_status=order.status,
        data={"total": str(order.total), "lines": len(lines)},
        at=now,
    )
    batch = WriteBatch()
    batch.insert(OrderLine, lines)
    batch.update(
        f"UPDATE {Cart._meta.db_table} SET status = %s, reserved_until = NULL,"  # noqa: S608
        " updated_at = %s WHERE id = %s",
        [Cart.Status.ORDERED.value, now, locked_cart.pk],
    )
    batch.insert(OrderEvent, [placed])
    outbox_record_many(
        [
            Event(
                topic="orders.order.placed",
                key=f"order:{order.pk}",
                channel_id=channel.pk,
                payload={
                    "order": order.number,
                    "channel": channel.code,
                    "origin_channel": order.origin_channel_id,
                    "total": order.total,
                    "currency": order.currency,
                    "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in lines],
                },
            )
        ],
        batch=batch,
    )
    batch.execute()
    return placed


def _order_confirm(
    order: Order, *, channel: Channel, actor: User | None, pay_later: bool
) -> OrderEvent:
    """Confirm an order that is paid later, or costs nothing, at once; the customer is told."""
    confirmed = order_transition(
        order,
        Order.Status.CONFIRMED,
        actor=actor,
        channel=channel,
        message=_("Paid later") if pay_later else "",
    )
    notify(order, Notification.Kind.CONFIRMED, context={"pay_later": True} if pay_later else None)
    return confirmed
