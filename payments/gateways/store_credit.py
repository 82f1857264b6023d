"""Store credit as a way to pay, on any channel. The balance lives in Omni's own database
(payments.models.StoreCreditAccount), so the services debit and credit it inside their
transaction; this class only gives the method its code and its place behind the interface."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from payments.gateways.base import (
    Gateway,
    GatewayResult,
    PaymentRef,
    PaymentRequest,
    Status,
    register,
)

CODE = "store_credit"


@register
class StoreCreditGateway(Gateway):
    code = CODE
    label = _("Store credit")
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
