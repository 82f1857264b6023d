"""Orders built through the real services, for the fulfilment, pickup, notification and staff
API tests: a web channel selling from a distribution centre, and stores that are channels of
their own with a stock location and staff."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import User
from catalog.models import ProductVariant
from customers.models import Customer
from inventory import services as inventory
from inventory.models import StockLocation
from orders.models import Order
from orders.services import carts, checkout, lifecycle
from sales_channels.models import Channel
from tests import factories as f


def web_channel() -> Channel:
    return f.ChannelFactory(code="web", kind="web")


def distribution_centre(code: str = "dc-gebze") -> StockLocation:
    return f.StockLocationFactory(
        code=code,
        name="Gebze DM",
        city="Kocaeli",
        latitude=Decimal("40.80"),
        longitude=Decimal("29.43"),
        ships_to_customers=True,
    )


def store(code: str = "kadikoy", name: str = "Kadıköy", city: str = "İstanbul") -> StockLocation:
    """A store: a sales channel of its own (paid at the counter) and its stock location."""
    channel = f.ChannelFactory(code=f"store-{code}", kind="store", pay_later=True)
    return f.StockLocationFactory(
        code=code,
        name=name,
        kind="store",
        city=city,
        channel=channel,
        click_and_collect=True,
        ships_to_customers=False,
    )


def store_staff(*locations: StockLocation, email: str | None = None) -> User:
    extra = {"email": email} if email else {}
    user = f.UserFactory(role=User.Role.STORE_STAFF, **extra)
    user.stores.add(*[location.channel for location in locations])
    return user


def variant(*channels: Channel, price: str = "100.00") -> ProductVariant:
    return f.product(channels=list(channels), price=price).variants.get()


def receive(location: StockLocation, *variants: ProductVariant, quantity: int = 10) -> None:
    inventory.stock_receive_many(location=location, lines={v.pk: quantity for v in variants})


def home_delivery(channel: Channel) -> checkout.Delivery:
    method = f.ShippingMethodFactory(channel=channel)
    return checkout.delivery_build(
        channel=channel, method="home", shipping_method=method.code, address=f.ADDRESS
    )


def pickup_delivery(channel: Channel, location: StockLocation) -> checkout.Delivery:
    return checkout.delivery_build(channel=channel, method="pickup", pickup_location=location.code)


def place(
    channel: Channel,
    items: dict[ProductVariant, int],
    *,
    delivery: checkout.Delivery | None = None,
    customer: Customer | None = None,
    confirm: bool = True,
    actor: User | None = None,
    language: str | None = None,
) -> Order:
    """An order placed through checkout (and confirmed, as payment would, unless told not to)."""
    customer = customer or f.CustomerFactory()
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    for item, quantity in items.items():
        carts.cart_add(cart=cart, channel=channel, variant_id=item.pk, quantity=quantity)
    order = checkout.order_place(
        cart=cart,
        channel=channel,
        delivery=delivery or home_delivery(channel),
        customer=customer,
        actor=actor,
        language=language,
    )
    if confirm and order.status == Order.Status.PENDING:
        lifecycle.order_confirm(order=order)
    return Order.objects.get(pk=order.pk)
