"""Applying a provider's answer about a payment's authorisation: the state step, the totals,
the ledger and the order's confirmation, under the order's and the payment's locks."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from omni.tasks import enqueue_after_commit
from orders.models import Order
from orders.services.lifecycle import order_confirm
from payments import selectors
from payments.gateways.base import GatewayResult
from payments.models import Payment, PaymentTransaction
from payments.redact import redact
from payments.services.core import (
    _FROM_GATEWAY,
    PAYMENT_MACHINE,
    _locked,
    _settle_txn,
    _txn,
    logger,
    payment_transition,
)
from payments.services.gift_card_ledger import gift_cards_issue_for_order

# --- applying a provider's answer -----------------------------------------------------------


def _apply(
    order: Order,
    payment: Payment,
    result: GatewayResult,
    *,
    occurred_at: float | None = None,
    currency: str = "",
) -> str:
    """Apply the provider's answer about a payment's authorisation to the locked payment: the
    state step, the totals and the ledger, the order's confirmation. Returns what happened:
    "applied", "no_change", "ignored" (not an allowed step: late or out of order), "stale"
    (older than what was applied), or "rejected_amount"/"rejected_currency" (the provider
    speaks of another amount or currency than ours: nothing moves, staff must look)."""
    to = _FROM_GATEWAY.get(result.status)
    if to is None:
        return "ignored"
    if occurred_at is not None and occurred_at < payment.provider_updated_at:
        return "stale"
    if to == payment.status:
        if result.provider_reference and not payment.provider_reference:
            # The provider's id arrives with a "pending" answer too: keep it, so that the
            # provider can be asked about the payment later (webhook_handle).
            payment.provider_reference = result.provider_reference[:100]
            payment.save(update_fields=["provider_reference", "updated_at"])
        return "no_change"
    if not PAYMENT_MACHINE.allows(payment.status, to):
        return "ignored"
    if (
        payment.status == Payment.Status.AUTHORISED
        and PaymentTransaction.objects.filter(
            payment=payment, kind=PaymentTransaction.Kind.CAPTURE
        ).exists()
    ):
        return "no_change"  # payment_capture records its own captures
    succeeded = to in (Payment.Status.AUTHORISED, Payment.Status.CAPTURED)
    refused = _refusal(payment, result, succeeded=succeeded, currency=currency or result.currency)
    if refused:
        return refused
    fields = _answer_take(payment, to, result, occurred_at=occurred_at, succeeded=succeeded)
    payment.save(update_fields=sorted(set(fields)))
    _answer_ledger(payment, to, result, succeeded=succeeded)
    payment_transition(payment, to, order=order, message=result.error_message)
    if succeeded:
        _after_success(order)
    return "applied"


def _refusal(
    payment: Payment, result: GatewayResult, *, succeeded: bool, currency: str
) -> str | None:
    """ "rejected_amount" or "rejected_currency" (logged and kept on the payment's error) when
    the answer speaks of another amount or currency than the payment's; None when it may move
    the payment."""
    if succeeded:
        # Money counts towards the order only when the provider states how much, in which
        # currency, and both are the payment's: an answer or notification that leaves either
        # out is refused like one that names another (or that names no number: a NaN or an
        # infinity, whose comparison would raise).
        amount = result.amount
        if amount is None or not amount.is_finite() or amount != payment.amount:
            _reject(payment, "amount_mismatch", f"provider says {result.amount}")
            return "rejected_amount"
        if currency != payment.currency:
            _reject(payment, "currency_mismatch", f"provider says {currency or 'nothing'}")
            return "rejected_currency"
    elif currency and currency != payment.currency:
        _reject(payment, "currency_mismatch", f"provider says {currency}")
        return "rejected_currency"
    return None


def _answer_take(
    payment: Payment,
    to: str,
    result: GatewayResult,
    *,
    occurred_at: float | None,
    succeeded: bool,
) -> list[str]:
    """Copy what the answer says onto the payment (not saved); returns the fields changed."""
    fields = ["updated_at"]
    if result.provider_reference and not payment.provider_reference:
        payment.provider_reference = result.provider_reference[:100]
        fields.append("provider_reference")
    if result.data:
        payment.data = {**(payment.data or {}), **redact(result.data)}
        fields.append("data")
    if occurred_at is not None:
        payment.provider_updated_at = occurred_at
        fields.append("provider_updated_at")
    if to == Payment.Status.ACTION_REQUIRED:
        payment.redirect_url = result.redirect_url[:500]
        payment.data = {**(payment.data or {}), "html": bool(result.html)}
        fields += ["redirect_url", "data"]
    if to in (Payment.Status.DECLINED, Payment.Status.FAILED):
        payment.error_code = (result.error_code or to)[:60]
        payment.error_message = result.error_message[:300]
        fields += ["error_code", "error_message"]
    if succeeded:
        payment.amount_authorised = payment.amount
        fields.append("amount_authorised")
        if to == Payment.Status.CAPTURED:
            payment.amount_captured = payment.amount
            fields.append("amount_captured")
        payment.error_code = payment.error_message = ""
        fields += ["error_code", "error_message"]
    return fields


def _answer_ledger(payment: Payment, to: str, result: GatewayResult, *, succeeded: bool) -> None:
    """The authorisation's ledger row settled by the answer, and a capture's row written."""
    key = f"{payment.reference}:authorise"
    if to not in (Payment.Status.PENDING, Payment.Status.ACTION_REQUIRED, Payment.Status.CANCELLED):
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            _txn(payment, PaymentTransaction.Kind.AUTHORISE, payment.amount, key)
        _settle_txn(key, result, ok=succeeded)
    if to == Payment.Status.CAPTURED:
        _txn(
            payment,
            PaymentTransaction.Kind.CAPTURE,
            payment.amount,
            f"{payment.reference}:capture:1",
            status=PaymentTransaction.Status.SUCCEEDED,
            provider_reference=result.provider_reference[:100],
            raw=redact(result.raw),
        )


def _reject(payment: Payment, code: str, message: str) -> None:
    logger.error("payment %s: %s (%s)", payment.reference, code, message)
    payment.error_code, payment.error_message = code, message[:300]
    payment.save(update_fields=["error_code", "error_message", "updated_at"])


def _after_success(order: Order) -> None:
    """Money is now held for the (locked) order: confirm it when covered; hand back what a
    cancelled or already covered order does not need, after commit."""
    covered = selectors.order_amount_covered(order=order)
    if order.status == Order.Status.PENDING and covered >= order.total:
        order_confirm(
            order=order,
            message=_("Paid"),
            told={"payments": selectors.order_payments_told(order=order)},
        )
    if covered >= order.total and order.status != Order.Status.CANCELLED:
        # Paid in full: the order's gift-card lines become cards (once, whatever the retries).
        gift_cards_issue_for_order(order=order)
    if order.status == Order.Status.CANCELLED or covered > order.total:
        from payments.tasks import order_payments_release as task

        enqueue_after_commit(task, order.pk)


def _record(payment: Payment, result: GatewayResult, **kwargs) -> tuple[Payment, str]:
    with transaction.atomic():
        order, locked = _locked(payment)
        outcome = _apply(order, locked, result, **kwargs)
    return locked, outcome
