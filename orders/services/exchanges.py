"""Exchanges: the exchange order placed when a return is received, and dropping an exchange
before receipt. See orders.services.returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import VariantChannelPrice
from inventory.models import StockLocation
from omni.errors import InvalidTransition
from omni.money import quantize
from omni.outbox import outbox_record
from orders import pricing
from orders.models import Notification, Order, OrderLine, Return, ReturnLine
from orders.services.allocation import order_allocate
from orders.services.delivery import Delivery
from orders.services.lifecycle import notify, order_event, order_transition
from orders.services.placement import _next_number
from orders.services.return_rules import ZERO, LineSettlement, _locked
from sales_channels.models import Channel


def _exchange_delivery(order: Order, location: StockLocation) -> Delivery:
    """How the exchange reaches the customer: collected where the return was handed in when
    that store offers click and collect; otherwise as the original order was delivered."""
    if location.click_and_collect and location.is_active:
        return Delivery(method=Order.Delivery.PICKUP, pickup_location=location)
    if order.delivery == Order.Delivery.PICKUP and order.pickup_location_id:
        return Delivery(method=Order.Delivery.PICKUP, pickup_location=order.pickup_location)
    return Delivery(
        method=order.delivery,
        shipping_method=order.shipping_method,
        address=dict(order.shipping_address),
    )


def _exchange_quote(
    order: Order,
    lines: Sequence[ReturnLine],
    settled: Mapping[int, LineSettlement],
    prices: Mapping[int, VariantChannelPrice],
) -> pricing.Quote:
    """The exchange variants priced on the order's channel, less the original discount per
    unit kept (see line_settlement)."""
    inputs, discounts = [], []
    for ln in lines:
        variant = prices[ln.exchange_variant_id].variant
        key = str(ln.pk)
        inputs.append(
            pricing.LineInput(
                key,
                variant.sku,
                ln.quantity,
                prices[ln.exchange_variant_id].price,
                variant.product.tax_class.rate,
            )
        )
        if settled[ln.pk].exchange_discount:
            discounts.append(pricing.Discount(key, settled[ln.pk].exchange_discount, "exchange"))
    return pricing.price(currency=order.currency, lines=inputs, discounts=discounts)


def _exchange_lines(
    exchange: Order,
    lines: Sequence[ReturnLine],
    prices: Mapping[int, VariantChannelPrice],
    quote: pricing.Quote,
) -> list[OrderLine]:
    """The exchange order's lines, as priced by the quote."""
    priced = {line.key: line for line in quote.lines}
    return OrderLine.objects.bulk_create(
        OrderLine(
            order=exchange,
            variant_id=ln.exchange_variant_id,
            sku=priced[str(ln.pk)].sku,
            product_name=prices[ln.exchange_variant_id].variant.product.name,
            variant_name=" / ".join(
                v.name for v in prices[ln.exchange_variant_id].variant.attribute_values.all()
            ),
            quantity=ln.quantity,
            unit_price=priced[str(ln.pk)].unit_price,
            discount=priced[str(ln.pk)].discount,
            line_total=priced[str(ln.pk)].total,
            tax_rate=priced[str(ln.pk)].tax_rate,
            tax_amount=priced[str(ln.pk)].tax,
        )
        for ln in lines
    )


def _exchange_announced(
    exchange: Order,
    order: Order,
    return_request: Return,
    created: Sequence[OrderLine],
    owed: Decimal,
    actor: User | None,
    channel: Channel | None,
) -> None:
    """The exchange order's "placed" event and its orders.order.placed message."""
    order_event(
        exchange,
        "placed",
        actor=actor,
        channel=channel,
        to_status=exchange.status,
        data={"exchange_for": order.number, "return": return_request.pk, "total": str(owed)},
    )
    outbox_record(
        topic="orders.order.placed",
        key=f"order:{exchange.pk}",
        channel_id=exchange.channel_id,
        payload={
            "order": exchange.number,
            "channel": order.channel.code,
            "origin_channel": return_request.channel_id,
            "total": str(owed),
            "currency": exchange.currency,
            "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in created],
            "exchange_for": order.number,
        },
    )


def _exchange_place(
    *,
    order: Order,
    return_request: Return,
    lines: Sequence[ReturnLine],
    settled: Mapping[int, LineSettlement],
    prices: Mapping[int, VariantChannelPrice],
    location: StockLocation,
    channel: Channel | None,
    actor: User | None,
) -> Order:
    """The exchange order, placed in the receipt's transaction on the original order's channel:
    the new variants at their price there less the original discount per unit kept (see
    line_settlement), no shipping, and a total of what the customer still owes (usually 0).
    Confirmed at once, allocated and fulfilled like any order (checkout.order_allocate)."""
    quote = _exchange_quote(order, lines, settled, prices)
    owed = quantize(sum((settled[ln.pk].owed for ln in lines), ZERO), order.currency)
    delivery = _exchange_delivery(order, location)
    exchange = Order.objects.create(
        number=_next_number(),
        channel=order.channel,
        origin_channel=return_request.channel,
        customer_id=order.customer_id,
        email=order.email,
        phone=order.phone,
        language=order.language,
        delivery=delivery.method,
        shipping_method=delivery.shipping_method,
        shipping_address=delivery.address,
        billing_address=order.billing_address,
        pickup_location=delivery.pickup_location,
        currency=order.currency,
        subtotal=quote.subtotal,
        discount_total=quote.discount_total,
        shipping_total=ZERO,
        tax_total=quote.tax_total,
        total=owed,
        pricing={
            **quote.as_dict(),
            "total": str(owed),
            "exchange": {
                "return": return_request.pk,
                "order": order.number,
                "goods": str(quote.total),
                "credit": str(quote.total - owed),
            },
        },
        placed_by=actor if actor and (actor.is_store_staff or actor.is_merchant_staff) else None,
    )
    created = _exchange_lines(exchange, lines, prices, quote)
    _exchange_announced(exchange, order, return_request, created, owed, actor, channel)
    order_allocate(
        order=exchange, lines=created, channel=order.channel, delivery=delivery, actor=actor
    )
    order_transition(
        exchange,
        Order.Status.CONFIRMED,
        actor=actor,
        channel=channel,
        message=_("Exchange for return %(id)s of order %(number)s")
        % {"id": return_request.pk, "number": order.number},
    )
    notify(exchange, Notification.Kind.CONFIRMED)
    return exchange


def return_drop_exchange(
    *, return_request: Return, actor: User | None = None, channel: Channel | None = None
) -> Return:
    """Before receipt: the exchange lines become refund lines (the exchange variant is out of
    stock, or the customer changed their mind)."""
    with transaction.atomic():
        order, locked = _locked(return_request)
        if locked.status != Return.Status.REQUESTED:
            raise InvalidTransition(
                _("Return %(id)s is %(status)s: its exchange can no longer be changed.")
                % {"id": locked.pk, "status": locked.get_status_display().lower()},
                fields={"status": [_("Not allowed from %(status)s.") % {"status": locked.status}]},
            )
        dropped = list(
            locked.lines.filter(exchange_variant__isnull=False).values_list("pk", flat=True)
        )
        if dropped:
            ReturnLine.objects.filter(pk__in=dropped).update(exchange_variant=None)
            order_event(
                order,
                "return_exchange_dropped",
                actor=actor,
                channel=channel,
                data={"return": locked.pk, "lines": dropped},
            )
    return locked
