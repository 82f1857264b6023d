"""Counter sales for the end-of-day tests, made as the counter makes them: a cart at the
store, the order placed and handed over at once, paid through payments' offline service."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import User
from orders.models import Order
from orders.services import carts, checkout
from payments import services as payments
from sales_channels.models import Channel
from tests import factories as f


def counter_sale(
    store: Channel, clerk: User, variant_id: int, *, paid_by: str = "cash", reference: str = ""
) -> Order:
    """One unit of a variant sold at `store` by `clerk`, paid in full by cash or terminal."""
    customer = f.CustomerFactory()
    cart = carts.cart_for_customer(customer=customer, channel=store)
    carts.cart_add(cart=cart, channel=store, variant_id=variant_id)
    delivery = checkout.delivery_build(
        channel=store, method="pickup", pickup_location=store.store_location.code
    )
    order = checkout.order_place(
        cart=cart, channel=store, delivery=delivery, customer=customer, actor=clerk,
        handed_over=True,
    )  # fmt: skip
    payments.payment_record_offline(
        order=order,
        gateway_code=paid_by,
        amount=Decimal(order.total),
        actor=clerk,
        channel=store,
        reference=reference,
    )
    return order
