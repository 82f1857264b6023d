"""A provider's signed notification about a payment."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from payments import selectors
from payments.gateways.base import GatewayError, GatewayResult, Status
from payments.models import Payment, WebhookReceipt
from payments.redact import redact
from payments.services.answers import _apply
from payments.services.core import (
    MONEY_STATUSES,
    GatewayUnavailable,
    _gateway,
    _locked,
    _ref,
    logger,
)

# --- webhooks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookOutcome:
    outcome: str  # applied, no_change, ignored, stale, duplicate, unknown_payment, rejected_*
    payment: Payment | None = None


def webhook_handle(*, gateway_code: str, headers: dict[str, str], body: bytes) -> WebhookOutcome:
    """A provider's notification. The gateway verifies it (InvalidSignature: nothing changes,
    the view answers 400); one already handled (same event id) is a "duplicate" and changes
    nothing; one that is not an allowed step, or older than the last applied, is ignored.

    A notification that would make money count (authorised, captured) must state the
    payment's amount and currency, for every gateway. One that does not (iyzico's never do) is
    checked with the provider: gateway.retrieve, outside any transaction, as the 3-D Secure
    return is, and the provider's signed answer is applied in its place. A provider that
    cannot be asked leaves the notification refused ("rejected_amount"); one that cannot be
    reached raises GatewayUnavailable (the view answers 503, the provider sends it again).
    Every refusal is logged, and kept on the receipt and on the payment's error."""
    gateway = selectors.gateway_for_webhooks(gateway_code)
    event = gateway.parse_webhook(headers, body)
    payment = None
    if event.reference:
        payment = Payment.objects.filter(reference=event.reference, gateway=gateway_code).first()
    if payment is None and event.provider_reference:
        payment = Payment.objects.filter(
            gateway=gateway_code, provider_reference=event.provider_reference
        ).first()
    result = GatewayResult(
        status=event.status,
        provider_reference=event.provider_reference,
        amount=event.amount,
        currency=event.currency,
        raw=event.raw,
    )
    unconfirmed = False
    if (
        payment is not None
        and event.status in MONEY_STATUSES
        and (event.amount is None or not event.currency)
        and not WebhookReceipt.objects.filter(
            gateway=gateway_code, event_id=event.event_id[:120]
        ).exists()
    ):
        asked = _ask_provider(payment)
        if asked is None:
            pass  # cannot be asked: _apply refuses a success without an amount
        elif asked.status == Status.FAILED:
            unconfirmed = True
        else:
            result = asked
    with transaction.atomic():
        try:
            with transaction.atomic():
                receipt = WebhookReceipt.objects.create(
                    gateway=gateway_code,
                    event_id=event.event_id[:120],
                    status=str(event.status),
                    occurred_at=event.occurred_at,
                    outcome="received",
                    raw=redact(event.raw),
                )
        except IntegrityError:
            return WebhookOutcome("duplicate")
        outcome = "unknown_payment"
        if payment is not None and unconfirmed:
            outcome = "rejected_unconfirmed"
            logger.error(
                "%s webhook %s for payment %s: the provider did not confirm it",
                gateway_code,
                event.event_id,
                payment.reference,
            )
        elif payment is not None:
            order, payment = _locked(payment)
            outcome = _apply(order, payment, result, occurred_at=event.occurred_at)
        receipt.outcome, receipt.payment = outcome, payment
        receipt.save(update_fields=["outcome", "payment"])
    if outcome == "unknown_payment":
        logger.warning("%s webhook %s for an unknown payment", gateway_code, event.event_id)
    elif outcome.startswith("rejected"):
        logger.error("%s webhook %s refused: %s", gateway_code, event.event_id, outcome)
    return WebhookOutcome(outcome, payment)


def _ask_provider(payment: Payment) -> GatewayResult | None:
    """How the provider says the payment stands (None: this provider cannot be asked)."""
    try:
        return _gateway(payment).retrieve(_ref(payment))
    except NotImplementedError:
        return None
    except GatewayError:
        raise GatewayUnavailable() from None
