"""Loyalty points as a means of payment, through the same path as store credit: the order is
locked, the points are spent from the customer's account (customers.loyalty.spend, which locks
the account and refuses a balance below zero), and the payment is captured at once. A refund
of a points payment gives the points back (spend_reversed)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from customers.loyalty import spend as loyalty
from omni.errors import ValidationError
from orders.locks import order_lock
from orders.models import Order
from payments import selectors
from payments.gateways.base import GatewayResult, Status
from payments.gateways.loyalty import CODE as LOYALTY
from payments.models import Payment
from payments.services.answers import _apply
from payments.services.core import _require_amount, _require_payable
from sales_channels.models import Channel


def _loyalty_pay(
    *, order: Order, amount: Decimal | None, actor: User | None, channel: Channel
) -> tuple[Payment, GatewayResult]:
    with transaction.atomic():
        order = order_lock(order)
        _require_payable(order)
        if order.customer_id is None:
            raise ValidationError.for_field(
                "gateway", _("Only a known customer has loyalty points."), code="no_customer"
            )
        due = selectors.order_amount_due(order=order)
        amount = _require_amount(order=order, amount=due if amount is None else amount, due=due)
        payment = Payment.objects.create(
            order=order,
            channel=channel,
            gateway=LOYALTY,
            kind=Payment.Kind.LOYALTY,
            amount=amount,
            currency=order.currency,
            created_by=actor if actor and actor.pk else None,
        )
        entry = loyalty.loyalty_spend(
            customer_id=order.customer_id,
            currency=order.currency,
            amount=amount,
            key=f"spend:{payment.reference}",
            order_number=order.number,
        )
        result = GatewayResult(
            status=Status.CAPTURED,
            provider_reference=f"loyalty:{entry.pk}",
            amount=amount,
            currency=payment.currency,
            raw={"entry": entry.pk, "points": -entry.points},
        )
        _apply(order, payment, result)
    return payment, result


def _loyalty_refund(*, payment: Payment, amount: Decimal, key: str) -> GatewayResult:
    """Give back the points of `amount` of a points payment (inside the refund's transaction)."""
    entry = loyalty.loyalty_spend_reverse(
        payment_ref=f"spend:{payment.reference}", amount=amount, key=f"spend_reversed:{key}"
    )
    return GatewayResult(
        status=Status.REFUNDED,
        provider_reference=f"loyalty:{entry.pk}" if entry else "loyalty",
        amount=amount,
        raw={"entry": entry.pk if entry else None},
    )
