"""Delivery: how the shopper wants the order (home, ship from store, click and collect), the
address a courier needs, the channel's shipping methods, and what a cart can choose.

Placing the order (orders.services.placement) and allocating its stock
(orders.services.allocation) take the Delivery built here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import POSTAL_FIELDS
from inventory import selectors as inventory_selectors
from inventory.geo import city_position
from inventory.models import StockLocation
from omni.cache import ProcessCache
from omni.errors import ValidationError
from orders import pricing
from orders.models import Cart, Order, ShippingMethod
from orders.services.carts import lines_info
from sales_channels.models import Channel

# How long before a click-and-collect order is ready: from the store's own stock, and when the
# units come by transfer from a distribution centre.
PICKUP_READY_HOURS = 2
TRANSFER_DAYS = 2

# What a shopper chooses on the web and in the app: home delivery or click and collect. Ship
# from store is the merchant's way of fulfilling a home delivery (staff place such orders for a
# customer), never a shopper's option.
SHOPPER_DELIVERIES = (Order.Delivery.HOME, Order.Delivery.PICKUP)

ADDRESS_FIELDS = POSTAL_FIELDS
ADDRESS_REQUIRED = ("full_name", "phone", "line1", "city")


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
    shopper: bool = False,
) -> Delivery:
    """A Delivery from the codes a client sends, with a field-level error for each bad one
    (an address error names `address_field`, as the client called it). A `shopper` chooses
    among SHOPPER_DELIVERIES only."""
    if shopper and method not in SHOPPER_DELIVERIES:
        raise ValidationError.for_field(
            "delivery",
            _("Choose home delivery or click and collect."),
            code="invalid_choice",
        )
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


def delivery_options(
    *, cart: Cart, channel: Channel, country: str = "TR", city: str = "", shopper: bool = False
) -> dict:
    """What can be chosen: home delivery (and, unless for a `shopper`, ship-from-store) methods
    with their price for this cart, and the stores where it can be collected, with when it
    will be ready."""
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
        if not shopper or m.kind == ShippingMethod.Kind.HOME
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
