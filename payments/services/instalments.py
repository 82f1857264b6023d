"""Instalments (taksit): what a card may pay an order in, asked of the gateway by the card's
BIN, and the one check of a shopper's choice that payment_start makes before it takes money."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from omni.errors import Conflict, ValidationError
from orders.models import Order
from payments import selectors
from payments.gateways.base import (
    Gateway,
    GatewayError,
    InstalmentOption,
    InstalmentPlan,
    single_payment,
)
from payments.services.core import GatewayUnavailable, _require_payable
from sales_channels.models import Channel

MAX_INSTALMENTS = 12
BIN_LENGTH = 6


def bin_clean(value: str, *, field: str = "bin_number") -> str:
    """The card's BIN, its first six digits (spaces and dashes allowed); a field error
    otherwise."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not re.fullmatch(r"\d{6,19}", digits):
        raise ValidationError.for_field(
            field, _("Enter the card's first six digits."), code="invalid_bin"
        )
    return digits[:BIN_LENGTH]


def _plan(gateway: Gateway, *, bin_number: str, amount: Decimal, currency: str) -> InstalmentPlan:
    if not gateway.online or gateway.code in selectors.LEDGER_GATEWAYS:
        return single_payment(bin_number=bin_number, amount=amount, currency=currency)
    try:
        return gateway.instalments(bin_number=bin_number, amount=amount, currency=currency)
    except GatewayError:
        raise GatewayUnavailable() from None


def instalment_options(
    *,
    order: Order,
    gateway_code: str,
    bin_number: str,
    channel: Channel | None = None,
) -> InstalmentPlan:
    """The instalment options, with their totals, of the card whose number starts with
    `bin_number` for what is still due on `order`, as gateway `gateway_code` of `channel`
    (default: the order's) offers them. The single payment comes first; a gateway without
    instalments offers only it. Raises ValidationError ("bin_number", "gateway"), Conflict
    (cancelled, or nothing due), GatewayUnavailable."""
    gateway = selectors.gateway_for(channel or order.channel, gateway_code)
    bin_number = bin_clean(bin_number)
    _require_payable(order)
    due = selectors.order_amount_due(order=order)
    if due <= 0:
        raise Conflict(_("Nothing is due on this order."), code="nothing_due")
    return _plan(gateway, bin_number=bin_number, amount=due, currency=order.currency)


def instalment_choice(
    *, gateway: Gateway, card_number: str, amount: Decimal, currency: str, count: int
) -> InstalmentOption:
    """The option of `count` instalments for this card and amount, asked of the provider again
    (whatever a page showed earlier): a count it does not offer is a field error on
    "instalments"."""
    if not 1 <= count <= MAX_INSTALMENTS:
        raise ValidationError.for_field(
            "instalments",
            _("Choose between 1 and %(max)s instalments.") % {"max": MAX_INSTALMENTS},
            code="invalid_instalments",
        )
    plan = _plan(
        gateway, bin_number=bin_clean(card_number, field="card"), amount=amount, currency=currency
    )
    option = plan.option(count)
    if option is None:
        raise ValidationError.for_field(
            "instalments",
            _("This card cannot be paid in %(count)s instalments.") % {"count": count},
            code="invalid_instalments",
        )
    return option
