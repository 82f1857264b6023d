"""Shared by the gift-card tests: a card issued by staff (with its PIN), a gift-card product,
and an order of several variants placed through the real order service."""

from __future__ import annotations

from decimal import Decimal

from orders.services import carts, checkout
from payments.models import GiftCardProduct
from payments.services.gift_cards import gift_card_issue
from tests import factories as f


def issued(amount: str = "100.00", **kwargs):
    """A staff-issued card and its PIN."""
    staff = kwargs.pop("actor", None) or f.merchant("payments.add_giftcard")
    return gift_card_issue(
        amount=Decimal(amount), currency="TRY", reason="goodwill", actor=staff, **kwargs
    )


def gift_card_variant(channel, *, price: str = "250.00", amount: str | None = None):
    variant = f.product(channels=[channel], price=price).variants.get()
    f.stocked(channel, variant, quantity=50)
    GiftCardProduct.objects.create(variant=variant, amount=Decimal(amount) if amount else None)
    return variant


def plain_variant(channel, *, price: str = "100.00"):
    variant = f.product(channels=[channel], price=price).variants.get()
    f.stocked(channel, variant, quantity=50)
    return variant


def place_lines(channel, customer, lines: list[tuple[object, int]]):
    """An order of these (variant, quantity) lines, delivered home at no shipping cost, its
    legal forms accepted (as the shopper does before paying)."""
    method = f.ShippingMethodFactory(channel=channel, price=Decimal("0.00"))
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    for variant, quantity in lines:
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    delivery = checkout.delivery_build(
        channel=channel, method="home", shipping_method=method.code, address=f.ADDRESS
    )
    order = checkout.order_place(cart=cart, channel=channel, delivery=delivery, customer=customer)
    return f.forms_accepted(order)
