"""Gift cards as a way to pay, on any channel. The card and its ledger live in Omni's own
database (payments.models_gift_cards), so payments.services.gift_cards debits and credits it
inside the payment's transaction, as store credit does; this class only gives the method its
code and its place behind the interface."""

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

CODE = "gift_card"


@register
class GiftCardGateway(Gateway):
    code = CODE
    label = cast(str, _("Gift card"))  # translated when shown
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
