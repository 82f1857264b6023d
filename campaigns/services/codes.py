"""Promotion codes on a cart: entered once, kept on the cart, so every channel (web, app, the
store counter) prices the cart with them."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Code
from customers.models import Customer
from omni.errors import ValidationError
from orders.models import Cart
from orders.services.carts import cart_codes_set
from sales_channels.models import Channel


def code_normalise(code: str) -> str:
    return "".join(str(code).split()).upper()


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError.for_field("code", message, code=code)


def code_check(*, code: str, channel: Channel, customer: Customer | None = None) -> Code:
    """The live code behind `code`, or a ValidationError on the field "code" saying why not
    (unknown, not yet valid, expired, used up, not on this channel)."""
    normalised = code_normalise(code)
    if not normalised:
        raise _refuse(_("Enter a code."), "required")
    found = Code.objects.select_related("promotion").filter(code=normalised).first()
    if found is None or not found.is_active or not found.promotion.is_active:
        raise _refuse(_("This code is not valid."), "promotion_code_invalid")
    promotion, now = found.promotion, timezone.now()
    if promotion.starts_at and promotion.starts_at > now:
        raise _refuse(_("This code is not valid yet."), "promotion_code_not_started")
    if promotion.ends_at and promotion.ends_at <= now:
        raise _refuse(_("This code has expired."), "promotion_code_expired")
    if (found.usage_limit is not None and found.times_used >= found.usage_limit) or (
        promotion.usage_limit is not None and promotion.times_used >= promotion.usage_limit
    ):
        raise _refuse(_("This code has been used up."), "promotion_code_used_up")
    if promotion.budget is not None and promotion.spent >= promotion.budget:
        raise _refuse(_("This code has been used up."), "promotion_code_used_up")
    if not (not promotion.channels.exists() or promotion.channels.filter(pk=channel.pk).exists()):
        raise _refuse(_("This code is not valid here."), "promotion_code_wrong_channel")
    return found


def cart_code_apply(
    *, cart: Cart, code: str, channel: Channel, customer: Customer | None = None
) -> Cart:
    """Put a code on the cart after checking it; a refused code leaves the cart unchanged."""
    found = code_check(code=code, channel=channel, customer=customer or cart.customer)
    if found.code in cart.codes:
        return cart
    return cart_codes_set(cart=cart, channel=channel, codes=[*cart.codes, found.code])


def cart_code_remove(*, cart: Cart, code: str, channel: Channel) -> Cart:
    normalised = code_normalise(code)
    if normalised not in cart.codes:
        return cart
    return cart_codes_set(
        cart=cart, channel=channel, codes=[c for c in cart.codes if c != normalised]
    )
