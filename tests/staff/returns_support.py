"""Orders to take back at the counter, built through the services: a web order paid by card
(the fake provider: the `provider` fixture of tests/payments/support.py) and delivered."""

from __future__ import annotations

from decimal import Decimal

from catalog.models import ProductVariant, VariantChannelPrice
from orders.models import Fulfilment, Order
from orders.services import carts, checkout, fulfilment, lifecycle
from payments import services as payments
from tests import factories as f
from tests.payments.support import card
from tests.staff.support import Retailer


def delivered_web_order(
    retailer: Retailer, lines: dict[ProductVariant, int] | None = None
) -> Order:
    """The customer's web order of `lines` ({variant: units}; one of the first shirt by
    default), paid by card, shipped and delivered."""
    channel = retailer.web
    cart = carts.cart_for_customer(customer=retailer.customer, channel=channel)
    for variant, quantity in (lines or {retailer.variant(0, 0): 1}).items():
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    delivery = checkout.delivery_build(
        channel=channel, method="home", shipping_method="standart", address=f.ADDRESS
    )
    order = checkout.order_place(
        cart=cart, channel=channel, delivery=delivery, customer=retailer.customer
    )
    f.forms_accepted(order)  # the legal forms of a web order, accepted before paying
    payment, _next = payments.payment_start(order=order, gateway_code="test", card=card())
    assert payment.status == "captured", payment.status
    order.refresh_from_db()
    if order.status == Order.Status.PENDING:
        lifecycle.order_confirm(order=order)
    for each in Fulfilment.objects.filter(order=order):
        fulfilment.fulfilment_pack(fulfilment=each)
        fulfilment.fulfilment_ship(fulfilment=each, carrier="Yurtiçi", tracking_number="YK1")
        fulfilment.fulfilment_deliver(fulfilment=each)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    return order


def priced(variant: ProductVariant, channel, price: str) -> None:
    VariantChannelPrice.objects.filter(variant=variant, channel=channel).update(
        price=Decimal(price)
    )
