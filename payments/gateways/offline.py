"""Money taken at the counter and recorded by staff: cash, and the store's own card terminal
(which is not connected to Omni; staff type in its slip number). Nothing is sent anywhere."""

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


class OfflineGateway(Gateway):
    online = False

    def authorise(self, request: PaymentRequest) -> GatewayResult:
        return GatewayResult(
            status=Status.CAPTURED,
            provider_reference=request.reference,
            amount=request.amount,
            currency=request.currency,
            raw={"recorded": True},
        )

    def capture(self, payment: PaymentRef, amount: Decimal) -> GatewayResult:
        return GatewayResult(status=Status.CAPTURED, amount=amount, raw={"recorded": True})

    def void(self, payment: PaymentRef) -> GatewayResult:
        return GatewayResult(status=Status.VOIDED, raw={"recorded": True})

    def refund(self, payment: PaymentRef, amount: Decimal, *, reference: str) -> GatewayResult:
        """Handed back at the counter (cash) or refunded on the terminal by staff."""
        return GatewayResult(
            status=Status.REFUNDED,
            provider_reference=reference,
            amount=amount,
            raw={"recorded": True, "handed_back": True},
        )


@register
class CashGateway(OfflineGateway):
    code = "cash"
    label = _("Cash")


@register
class TerminalGateway(OfflineGateway):
    code = "terminal"
    label = _("Card terminal")
