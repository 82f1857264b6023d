"""Loyalty points as a way to pay, on any channel. The points ledger lives in customers
(customers.loyalty); payments.services.loyalty debits and credits it inside its own
transaction, as store credit does. This class only gives the method its code and its place
behind the interface."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django.utils.translation import gettext_lazy as _

from payments.gateways.base import (
    Gateway,
    GatewayResult,
    PaymentRef,
    PaymentRequest,
    Status,
    register,
)

CODE = "loyalty"


@register
class LoyaltyGateway(Gateway):
    code = CODE
    label = cast(str, _("Loyalty points"))  # translated when shown
    online = False

    def authorise(self, request: PaymentRequest) -> GatewayResult:
        return GatewayResult(
            status=Status.CAPTURED,
            amount=request.amount,
            currency=request.currency,
            raw={"ledger": True},
        )

    def refund(self, payment: PaymentRef, amount: Decimal, *, reference: str) -> GatewayResult:
        return GatewayResult(status=Status.REFUNDED, amount=amount, raw={"ledger": True})
