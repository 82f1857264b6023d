"""Checkout and placing an order: one service for every channel.

The web storefront, the app, store staff at the counter or for a walk-in customer (endless
aisle) and marketplace imports all place orders through order_place(). It re-prices the cart
on the channel, refuses if prices or availability changed since the shopper saw them, allocates
the stock through inventory routing (all lines or none) in the same transaction as the order,
and records prices and taxes as they were. Its number of queries does not grow with the lines.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import POSTAL_FIELDS, Customer
from inventory import selectors as inventory_selectors
from inventory import services as inventory
from inventory.geo import city_position
from inventory.models import StockLocation
from omni.cache import ProcessCache
from omni.db import WriteBatch, create, insert_many, savepoint, select_one
from omni.errors import Conflict, InsufficientStock, OmniError, Unprocessable, ValidationError
from omni.outbox import Event, outbox_record_many
from orders import pricing
from orders.models import (
    Cart,
    Fulfilment,
    FulfilmentLine,
    IdempotencyKey,
    Notification,
    Order,
    OrderEvent,
    OrderLine,
    ShippingMethod,
)
from orders.services.carts import CartChange, LineInfo, lines_info
from orders.services.fulfilment import (
    order_hand_over,
    pickup_code,  # noqa: F401 (still importable from here)
)
from orders.services.lifecycle import notify, order_event_build, order_transition
from sales_channels.models import Channel

# How long before a click-and-collect order is ready: from the store's own stock, and when the
# units come by transfer from a distribution centre.
PICKUP_READY_HOURS = 2
TRANSFER_DAYS = 2

ADDRESS_FIELDS = POSTAL_FIELDS
ADDRESS_REQUIRED = ("full_name", "phone", "line1", "city")


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


# --- delivery -------------------------------------------------------------------------------


@dataclass
class Delivery:
    """How the shopper wants the order: home (or ship-from-store) with a shipping method and an
    address, or click and collect at a store."""

    method: str  # Order.Delivery
    shipping_method: ShippingMethod | None = None
    address: dict[str, str] = field(default_factory=dict)
    pickup_location: StockLocation | None = None

    def destination(self) -> tuple[float, float] | None:
        if self.pickup_location is not None:
            return float(self.pickup_location.latitude), float(self.pickup_location.longitude)
        return city_position(self.address.get("city", "")) if self.address else None


def address_clean(
    data: dict[str, Any] | None, *, field_name: str = "shipping_address"
) -> dict[str, str]:
    """A postal address, trimmed, with what a courier needs; errors name each field."""
    data = data or {}
    clean = {name: str(data.get(name) or "").strip()[:200] for name in ADDRESS_FIELDS}
    clean["country"] = (clean["country"] or "TR").upper()
    missing = {
        f"{field_name}.{name}": [_("This field is required.")]
        for name in ADDRESS_REQUIRED
        if not clean[name]
    }
    if missing:
        raise ValidationError(fields=missing)
    return clean


_methods: ProcessCache[list[ShippingMethod]] = ProcessCache("OMNI_CHANNEL_CACHE_SECONDS")


def shipping_methods_cache_clear(**_kwargs) -> None:
    """Forget the shipping methods this process keeps (one was saved here)."""
    _methods.clear()


def shipping_methods_active(channel: Channel) -> list[ShippingMethod]:
    """The channel's active shipping methods (copies), kept per process for
    OMNI_CHANNEL_CACHE_SECONDS like the channels themselves: every quote and order needs them
    and they change rarely (one saved in this process is forgotten at once)."""
    kept = _methods.get(
        channel.pk, lambda: list(ShippingMethod.objects.filter(channel=channel, is_active=True))
    )
    return [copy.copy(m) for m in kept]


def delivery_build(
    *,
    channel: Channel,
    method: str,
    shipping_method: str | None = None,
    address: dict | None = None,
    pickup_location: str | None = None,
    address_field: str = "shipping_address",
) -> Delivery:
    """A Delivery from the codes a client sends, with a field-level error for each bad one
    (an address error names `address_field`, as the client called it)."""
    if method == Order.Delivery.PICKUP:
        store = StockLocation.objects.filter(
            code=pickup_location or "", is_active=True, click_and_collect=True
        ).first()
        if store is None:
            raise ValidationError.for_field(
                "pickup_location",
                _("Choose a store that offers click and collect."),
                code="invalid_store",
            )
        return Delivery(method=method, pickup_location=store)
    if method not in (Order.Delivery.HOME, Order.Delivery.SHIP_FROM_STORE):
        raise ValidationError.for_field(
            "delivery", _("Unknown delivery method."), code="invalid_choice"
        )
    clean = address_clean(address, field_name=address_field)
    kind = (
        ShippingMethod.Kind.HOME
        if method == Order.Delivery.HOME
        else ShippingMethod.Kind.SHIP_FROM_STORE
    )
    chosen = next(
        (
            m
            for m in shipping_methods_active(channel)
            if m.code == (shipping_method or "")
            and m.kind == kind
            and m.country == clean["country"]
        ),
        None,
    )
    if chosen is None:
        raise ValidationError.for_field(
            "shipping_method",
            _("Choose a shipping method offered to this address."),
            code="invalid_shipping_method",
        )
    return Delivery(method=method, shipping_method=chosen, address=clean)


def delivery_options(*, cart: Cart, channel: Channel, country: str = "TR", city: str = "") -> dict:
    """What the shopper can choose: home delivery and ship-from-store methods with their price
    for this cart, and the stores where it can be collected, with when it will be ready."""
    info = lines_info(cart=cart, channel=channel)
    demand = {i.variant_id: i.quantity for i in info}
    goods = sum((i.price * i.quantity for i in info if i.price is not None), Decimal(0))
    methods = [
        {
            "code": m.code,
            "name": m.name,
            "kind": m.kind,
            "price": pricing.shipping_cost(method=m, goods_total=goods),
            "currency": channel.currency,
            "min_days": m.min_days,
            "max_days": m.max_days,
        }
        for m in ShippingMethod.objects.filter(
            channel=channel, country=country.upper(), is_active=True
        )
    ]
    origin = city_position(city) if city else None
    stores = []
    if demand:
        now = timezone.now()
        by_store = inventory_selectors.availability_by_store(
            variant_ids=list(demand), origin=origin
        )
        reachable = inventory_selectors.availability_for_channel(
            channel=channel,
            variant_ids=list(demand),
            exclude_reservation=cart.reservation_reference,
        )
        can_transfer = all(reachable.get(vid, 0) >= qty for vid, qty in demand.items())
        for store in by_store:
            in_store = all(store.by_variant.get(vid, 0) >= qty for vid, qty in demand.items())
            if in_store:
                ready = now + timedelta(hours=PICKUP_READY_HOURS)
            elif can_transfer:
                ready = now + timedelta(days=TRANSFER_DAYS)
            else:
                continue
            stores.append(
                {
                    "code": store.code,
                    "name": store.name,
                    "city": store.city,
                    "distance_km": store.distance_km,
                    "ready_by": ready,
                    "from_store_stock": in_store,
                }
            )
    return {"shipping_methods": methods, "pickup_stores": stores}


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
) -> pricing.Quote:
    """Price loaded cart lines on the channel (its price now; the price seen for a line no
    longer sold there), with discounts and, given a method, shipping. The cart shows this
    without shipping; checkout with the chosen method. No queries of its own."""
    inputs = [
        pricing.LineInput(
            str(i.variant_id),
            i.sku,
            i.quantity,
            i.price if i.price is not None else i.seen_price,
            i.tax_rate,
        )
        for i in info
    ]
    discounts = pricing.discounts_for(channel=channel, customer=customer, lines=inputs)
    goods = sum((line.unit_price * line.quantity for line in inputs), Decimal(0)) - sum(
        (d.amount for d in discounts), Decimal(0)
    )
    return pricing.price(
        currency=channel.currency,
        lines=inputs,
        shipping=pricing.shipping_cost(method=shipping_method, goods_total=goods),
        shipping_tax_rate=shipping_method.tax_rate if shipping_method else Decimal(20),
        discounts=discounts,
    )


def checkout_prepare(
    *, cart: Cart, channel: Channel, delivery: Delivery, customer: Customer | None = None
) -> Checkout:
    """Price the cart on the channel for this delivery (shipping, discounts, VAT) and say
    what changed since the lines were added."""
    info = lines_info(cart=cart, channel=channel)
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
        info=info, channel=channel, customer=customer, shipping_method=delivery.shipping_method
    )
    return Checkout(
        cart=cart, channel=channel, lines=info, delivery=delivery, quote=quote, changes=changes
    )


# --- idempotency ----------------------------------------------------------------------------


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


# A key freed again (its request failed on bad input) between our failed claim and our look at
# it is claimed again, this many times at most before the request is told it is in flight.
_CLAIM_ATTEMPTS = 3


def idempotency_begin(*, scope: str, key: str, fingerprint: str) -> IdempotencyKey:
    """Claim a client's Idempotency-Key (in a transaction of its own, so that a concurrent
    request with the same key sees it at once). A replay of a finished request gets its record
    back (state DONE); the same key with another body is a 422; one still in flight a 409."""
    key = (key or "").strip()
    if not key or len(key) > 120:
        raise ValidationError.for_field(
            "Idempotency-Key",
            _("Send an Idempotency-Key header of 1 to 120 characters."),
            code="idempotency_key_required",
        )
    record = None
    for _attempt in range(_CLAIM_ATTEMPTS):
        try:
            with savepoint():
                return create(IdempotencyKey, scope=scope, key=key, request_hash=fingerprint)
        except IntegrityError:
            # Taken; but the request that took it may free it (idempotency_forget) before
            # this read, which then finds nothing, and the key is free to claim again.
            record = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if record is not None:
            break
    if record is not None and record.request_hash != fingerprint:
        raise Unprocessable(
            _("This Idempotency-Key was used for a different request."),
            code="idempotency_key_reused",
        )
    if record is None or record.state == IdempotencyKey.State.IN_FLIGHT:
        raise Conflict(
            _("A request with this Idempotency-Key is still being processed."),
            code="request_in_flight",
        )
    return record


def idempotency_fail(*, record: IdempotencyKey, error: OmniError) -> None:
    """A request that failed for a reason a replay would meet again is remembered as failed;
    the same key then returns the same error."""
    IdempotencyKey.objects.filter(pk=record.pk, state=IdempotencyKey.State.IN_FLIGHT).update(
        state=IdempotencyKey.State.DONE,
        response_status=error.status_code,
        response_body=error.as_dict(),
        updated_at=timezone.now(),
    )


def idempotency_forget(*, record: IdempotencyKey) -> None:
    """The request failed before doing anything (bad input): the key may be used again."""
    IdempotencyKey.objects.filter(pk=record.pk, state=IdempotencyKey.State.IN_FLIGHT).delete()


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
) -> Order:
    """Place the order for a cart on a channel, all or nothing.

    - Prices and availability are checked again; any change is a CartChanged (409) and nothing
      is placed: the shopper reviews the cart (cart_refresh) and places it again.
    - Stock is allocated through inventory routing in the same transaction as the order; a
      shortage is InsufficientStock naming the variant and nothing is placed.
    - A channel that is paid later (a store counter, pay at pickup) confirms the order at once;
      others wait for the payment (payments confirm it).
    - `handed_over`: a counter sale, paid and handed over at once at the staff's store.
    - `idempotency`: the client's claimed key, marked done with the order in its transaction,
      with the answer `respond` gives for the order (the body of the 201, a JSON value; it is
      given a PlacedOrder, the rows just written), so that a replay returns the answer first
      given (the record in hand is updated too).
    """
    customer = customer or cart.customer
    if not (email or (customer and customer.email) or phone or (customer and customer.phone)):
        raise ValidationError.for_field(
            "email", _("An e-mail address or a phone number is required."), code="required"
        )
    checkout = checkout_prepare(cart=cart, channel=channel, delivery=delivery, customer=customer)
    if checkout.changes:
        raise CartChanged(checkout.changes)
    quote = checkout.quote
    pay_later = channel.pay_later if pay_later is None else pay_later
    if handed_over and not (
        delivery.pickup_location and delivery.pickup_location.channel_id == channel.pk
    ):
        raise ValidationError.for_field(
            "delivery",
            _("Only a sale at the store's own counter can be handed over at once."),
            code="not_counter",
        )
    now = timezone.now()
    with transaction.atomic():
        locked_cart = select_one(Cart, "id = %s", [cart.pk], lock=True)
        if locked_cart is None or locked_cart.status != Cart.Status.ACTIVE:
            raise Conflict(_("This cart has already been ordered."), code="cart_closed")
        order = create(
            Order,
            number=_next_number(),
            channel=channel,
            origin_channel_id=cart.origin_channel_id,
            customer=customer,
            email=email or (customer.email if customer else ""),
            phone=phone or (customer.phone if customer else ""),
            language=language or (customer.language if customer else channel.default_language),
            delivery=delivery.method,
            shipping_method=delivery.shipping_method,
            shipping_address=delivery.address,
            billing_address=address_clean(billing_address, field_name="billing_address")
            if billing_address
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
        priced = {line.key: line for line in quote.lines}
        lines = [
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
        # Only a cart that held stock has reservations to turn into the order's allocation (an
        # expired one's are ignored by availability and deleted by a beat task).
        holds_stock = locked_cart.reserved_until is not None
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
        # The lines, the cart's closing, the event and the outbox record: one round trip.
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
                        "origin_channel": cart.origin_channel_id,
                        "total": order.total,
                        "currency": order.currency,
                        "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in lines],
                    },
                )
            ],
            batch=batch,
        )
        batch.execute()
        # Last of the writes that need no stock: the variants stay locked from here to commit.
        fulfilments, allocated = order_allocate(
            order=order,
            lines=lines,
            channel=channel,
            delivery=delivery,
            reservation_reference=cart.reservation_reference if holds_stock else None,
            actor=actor,
            now=now,
        )
        events = [placed, allocated]
        if pay_later or order.total == 0:
            confirmed = order_transition(
                order,
                Order.Status.CONFIRMED,
                actor=actor,
                channel=channel,
                message=_("Paid later") if pay_later else "",
            )
            notify(order, Notification.Kind.CONFIRMED)
            events.append(confirmed)
        if handed_over:
            order_hand_over(order=order, actor=actor, channel=channel, locked=True)
        if not handed_over and order.origin_channel_id == channel.pk:
            order.origin_channel = channel  # as the answer shows it, without a query
        if idempotency is not None:
            # What the answer shows: the rows just written, or, when the hand-over changed
            # them since, the order to be read again.
            result = order if handed_over else PlacedOrder(order, lines, fulfilments, events)
            _idempotency_done(idempotency, order, respond(result) if respond else None, now)
    return order


def _idempotency_done(record: IdempotencyKey, order: Order, body: Any, now: datetime) -> None:
    """Mark the key done with its order and first answer: one plain UPDATE (the ORM's
    update() spends longer compiling it than the database running it; bench/checkout.py).
    Conflict if another request completed it meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {IdempotencyKey._meta.db_table} SET state = %s, order_id = %s,"  # noqa: S608
            " response_status = 201, response_body = %s, updated_at = %s"
            " WHERE id = %s AND state = %s",
            [
                IdempotencyKey.State.DONE.value,
                order.pk,
                None if body is None else connection.ops.adapt_json_value(body, DjangoJSONEncoder),
                connection.ops.adapt_datetimefield_value(now),
                record.pk,
                IdempotencyKey.State.IN_FLIGHT.value,
            ],
        )
        updated = cursor.rowcount
    if not updated:
        raise Conflict(
            _("A request with this Idempotency-Key was already completed."),
            code="request_in_flight",
        )
    record.state, record.order, record.updated_at = IdempotencyKey.State.DONE, order, now
    record.response_status, record.response_body = 201, body


def order_allocate(
    *,
    order: Order,
    lines: list[OrderLine],
    channel: Channel,
    delivery: Delivery,
    reservation_reference: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> tuple[list[Fulfilment], OrderEvent]:
    """Hold the order's stock and open a fulfilment per location the plan ships from. Click and
    collect takes the chosen store's own stock, or, when it lacks some, the channel's nearest
    stock brought by transfer (the order is then ready later). Used by order_place and by an
    exchange (orders.services.returns), so both are allocated and fulfilled alike. Returns the
    fulfilments opened (with their locations) and the event recorded."""
    now = now or timezone.now()
    requests = [
        inventory.LineRequest(line.variant_id, line.quantity, line.line_ref) for line in lines
    ]
    reservation = reservation_reference
    store = delivery.pickup_location
    transfer_needed = False
    if store is not None:
        try:
            # stock_allocate's own savepoint makes a store without the stock not an error.
            result = inventory.stock_allocate(
                channel=channel,
                reference=order.reference,
                lines=requests,
                pickup_location=store,
                reservation_reference=reservation,
                actor=actor,
                savepoint=True,
            )
        except OmniError:  # not all at the store: route from the channel's stock, then transfer
            result = inventory.stock_allocate(
                channel=channel,
                reference=order.reference,
                lines=requests,
                destination=delivery.destination(),
                reservation_reference=reservation,
                actor=actor,
            )
            transfer_needed = True
    else:
        result = inventory.stock_allocate(
            channel=channel,
            reference=order.reference,
            lines=requests,
            destination=delivery.destination(),
            reservation_reference=reservation,
            actor=actor,
            savepoint=False,  # a shortage fails the whole order
            # Ship from store: the parcel leaves one of the channel's stores, not a warehouse.
            from_kind=StockLocation.Kind.STORE
            if delivery.method == Order.Delivery.SHIP_FROM_STORE
            else None,
        )
    by_variant = {line.variant_id: line for line in lines}
    fulfilments, parts = [], []
    if store is not None:
        fulfilments.append(Fulfilment(order=order, location=store))
        parts.append(
            [
                (by_variant[vid], qty)
                for shipment in result.plan.shipments
                for vid, qty in shipment.items.items()
            ]
        )
        if transfer_needed:
            ready = now + timedelta(days=TRANSFER_DAYS)
            locations = StockLocation.objects.in_bulk(
                [s.location_id for s in result.plan.shipments]
            )
            for shipment in result.plan.shipments:
                if shipment.location_id != store.pk:
                    inventory.transfer_for_order(
                        source=locations[shipment.location_id],
                        destination=store,
                        lines=shipment.items,
                        order_reference=order.reference,
                        expected_at=ready,
                        actor=actor,
                    )
        else:
            ready = now + timedelta(hours=PICKUP_READY_HOURS)
        order.pickup_ready_by = ready
        order.save(update_fields=["pickup_ready_by"])
    else:
        known = inventory.channel_config().locations
        for shipment in result.plan.shipments:
            fulfilment = Fulfilment(order=order, location_id=shipment.location_id)
            if shipment.location_id in known:
                fulfilment.location = known[shipment.location_id]
            fulfilments.append(fulfilment)
            parts.append([(by_variant[vid], qty) for vid, qty in shipment.items.items()])
    event = order_event_build(
        order,
        "allocated",
        actor=actor,
        channel=channel,
        data={"plan": result.plan.explanation},
        at=now,
    )
    batch = WriteBatch()
    batch.insert(Fulfilment, fulfilments)
    batch.insert(OrderEvent, [event])
    batch.execute()
    insert_many(
        FulfilmentLine,
        [
            FulfilmentLine(fulfilment=fulfilment, order_line=line, quantity=qty)
            for fulfilment, part in zip(fulfilments, parts, strict=True)
            for line, qty in part
        ],
    )
    return fulfilments, event


def order_replay(record: IdempotencyKey) -> Order | None:
    return Order.objects.filter(pk=record.order_id).first() if record.order_id else None


def order_place_once(
    *, scope: str, key: str, fingerprint: str, place: Callable[[IdempotencyKey], Order]
) -> Order:
    """Place an order at most once per client Idempotency-Key (`place` calls order_place with
    the record). A replay of a placed order returns that order; a replay of a request that
    failed for a reason it would meet again (the cart changed, stock ran short) raises that
    error again; any other failure (bad input, ...) frees the key for another try. The API
    answers with order_place_answered instead."""
    record, order = _claim_and_place(scope=scope, key=key, fingerprint=fingerprint, place=place)
    if order is None:
        order = order_replay(record)
    if order is not None:
        return order
    body = record.response_body or {}
    error = OmniError(body.get("message"), code=body.get("code"), fields=body.get("fields"))
    error.status_code = record.response_status or Conflict.status_code
    raise error


@dataclass(frozen=True)
class Answer:
    """The answer to a request under an Idempotency-Key: its HTTP status and JSON body, the
    same on every replay (`replayed`)."""

    status: int
    body: Any
    replayed: bool = False


def order_place_answered(
    *,
    scope: str,
    key: str,
    fingerprint: str,
    place: Callable[[IdempotencyKey], Order],
    respond: Callable[[Order], Any],
) -> Answer:
    """order_place_once for the API: `place` passes `respond` on to order_place, which
    stores the answer it gives for the new order (the body of the 201) with the key as the
    order commits. A replay gets the answer first given, status and body, whatever became of
    the order since, as Stripe does and the IETF's Idempotency-Key draft asks; a failure
    remembered (the cart changed, stock ran short) is answered as it was."""
    record, order = _claim_and_place(scope=scope, key=key, fingerprint=fingerprint, place=place)
    if order is not None:
        body = record.response_body if record.response_body is not None else respond(order)
        return Answer(201, body)
    if record.response_body is None:  # placed without an answer kept (the storefront's form)
        order = order_replay(record)
        return Answer(201, respond(order) if order else None, replayed=True)
    return Answer(record.response_status or 201, record.response_body, replayed=True)


def _claim_and_place(
    *, scope: str, key: str, fingerprint: str, place: Callable[[IdempotencyKey], Order]
) -> tuple[IdempotencyKey, Order | None]:
    """The claimed key and the order placed now, or a finished key's record and None."""
    record = idempotency_begin(scope=scope, key=key, fingerprint=fingerprint)
    if record.state == IdempotencyKey.State.DONE:
        return record, None
    try:
        return record, place(record)
    except (CartChanged, InsufficientStock) as error:
        idempotency_fail(record=record, error=error)
        raise
    except BaseException:
        idempotency_forget(record=record)
        raise
