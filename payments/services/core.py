"""What every payment service shares: the payment's states and the one function that moves
it (payment_transition), its locks, the gateway that took it, the amount checks and the
transaction ledger's rows."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from omni.errors import Conflict, InvalidTransition, OmniError, ValidationError
from omni.money import quantize
from omni.outbox import outbox_record
from orders.models import Order
from orders.services.lifecycle import order_event, order_locked
from payments import selectors
from payments.gateways.base import Gateway, GatewayResult, PaymentRef, Status
from payments.gateways.store_credit import CODE as STORE_CREDIT
from payments.models import Payment, PaymentTransaction
from payments.redact import redact

# One logger for the package, under the name it has always had.
logger = logging.getLogger("payments.services")

P = Payment.Status
T = PaymentTransaction
ZERO = Decimal(0)
TOPIC_PAYMENT = "payments.payment.status_changed"
# A provider's word that makes a payment's money count towards its order.
MONEY_STATUSES = frozenset({Status.AUTHORISED, Status.CAPTURED})

TRANSITIONS: dict[str, set[str]] = {
    P.PENDING: {P.ACTION_REQUIRED, P.AUTHORISED, P.CAPTURED, P.DECLINED, P.FAILED, P.CANCELLED},
    P.ACTION_REQUIRED: {P.PENDING, P.AUTHORISED, P.CAPTURED, P.DECLINED, P.FAILED, P.CANCELLED},
    P.AUTHORISED: {P.CAPTURED, P.VOIDED},
    P.CAPTURED: {P.PARTIALLY_REFUNDED, P.REFUNDED},
    P.PARTIALLY_REFUNDED: {P.PARTIALLY_REFUNDED, P.REFUNDED},
    P.CANCELLED: {P.AUTHORISED, P.CAPTURED},
    P.FAILED: {P.AUTHORISED, P.CAPTURED},
    P.REFUNDED: set(),
    P.VOIDED: set(),
    P.DECLINED: set(),
}

_KIND = {
    "cash": Payment.Kind.CASH,
    "terminal": Payment.Kind.TERMINAL,
    STORE_CREDIT: Payment.Kind.STORE_CREDIT,
}
_FROM_GATEWAY = {
    Status.AUTHORISED: P.AUTHORISED,
    Status.CAPTURED: P.CAPTURED,
    Status.ACTION_REQUIRED: P.ACTION_REQUIRED,
    Status.PENDING: P.PENDING,
    Status.DECLINED: P.DECLINED,
    Status.VOIDED: P.VOIDED,
    Status.FAILED: P.FAILED,
}


class GatewayUnavailable(OmniError):
    status_code = 503
    code = "gateway_unavailable"
    default_message = "The payment provider cannot be reached; try again in a moment."


# --- the state machine ----------------------------------------------------------------------


def payment_transition(
    payment: Payment,
    to: str,
    *,
    order: Order,
    actor: User | None = None,
    message: str = "",
    data: dict | None = None,
) -> None:
    """Move a locked payment to `to`, or raise InvalidTransition and change nothing. Saves the
    status (callers save the other fields they changed with it), records an order event
    "payment_<status>" and tells the other channels (outbox), in the caller's transaction."""
    if to not in TRANSITIONS[payment.status]:
        raise InvalidTransition(
            _("Payment %(reference)s is %(status)s and cannot become %(to)s.")
            % {"reference": payment.reference, "status": payment.status, "to": to},
            fields={"status": [_("Not allowed from %(status)s.") % {"status": payment.status}]},
        )
    before = payment.status
    payment.status = to
    payment.save(update_fields=["status", "updated_at"])
    order_event(
        order,
        f"payment_{to}",
        actor=actor,
        channel=payment.channel,
        message=message,
        data={
            "payment": payment.reference,
            "gateway": payment.gateway,
            "from": before,
            "amount": str(payment.amount),
            **(data or {}),
        },
    )
    outbox_record(
        topic=TOPIC_PAYMENT,
        key=f"payment:{payment.pk}",
        channel_id=order.channel_id,
        payload={
            "order": order.number,
            "payment": payment.reference,
            "status": to,
            "previous": before,
            "amount": str(payment.amount),
            "currency": payment.currency,
        },
    )


# --- helpers --------------------------------------------------------------------------------


def _locked(payment: Payment | int) -> tuple[Order, Payment]:
    """The payment's order and the payment, locked in that order, read again under the locks."""
    pk = payment if isinstance(payment, int) else payment.pk
    order_id = Payment.objects.filter(pk=pk).values_list("order_id", flat=True).get()
    order = order_locked(order_id)
    return order, Payment.objects.select_for_update().select_related("channel").get(pk=pk)


def _payments_locked(order: Order) -> list[Payment]:
    return list(
        Payment.objects.select_for_update()
        .select_related("channel")
        .filter(order=order)
        .order_by("pk")
    )


def _gateway(payment: Payment) -> Gateway:
    """The gateway that took the payment, configured as its channel has it (or its defaults when
    the channel no longer offers it: money already taken must still be handed back)."""
    try:
        return selectors.gateway_for(payment.channel, payment.gateway)
    except selectors.GatewayRefused:
        raise
    except ValidationError:
        return selectors.gateway_build(payment.gateway, selectors.gateway_defaults(payment.gateway))


def _ref(payment: Payment) -> PaymentRef:
    return PaymentRef(
        reference=payment.reference,
        provider_reference=payment.provider_reference,
        amount=payment.amount,
        currency=payment.currency,
        captured=payment.amount_captured,
        refunded=payment.amount_refunded,
        data=dict(payment.data or {}),
    )


def _require_amount(
    *, order: Order, amount: Any, due: Decimal, field: str = "amount", refund: bool = False
) -> Decimal:
    try:
        amount = Decimal(str(amount))
    except Exception:
        raise ValidationError.for_field(field, _("Enter an amount."), code="invalid") from None
    if not amount.is_finite() or amount <= 0 or quantize(amount, order.currency) != amount:
        raise ValidationError.for_field(
            field,
            _("Enter a positive amount in %(currency)s, to the cent.")
            % {"currency": order.currency},
            code="invalid_amount",
        )
    if amount > due and refund:
        raise ValidationError.for_field(
            field,
            _("At most %(left)s %(currency)s of order %(number)s can be refunded.")
            % {"left": due, "currency": order.currency, "number": order.number},
            code="refund_exceeds_captured",
        )
    if amount > due:
        raise ValidationError.for_field(
            field,
            _("Only %(due)s %(currency)s is still due on order %(number)s.")
            % {"due": due, "currency": order.currency, "number": order.number},
            code="amount_exceeds_due",
        )
    return amount


def _require_payable(order: Order) -> None:
    if order.status == Order.Status.CANCELLED:
        raise Conflict(
            _("Order %(number)s is cancelled and cannot be paid.") % {"number": order.number},
            code="order_cancelled",
        )


def _txn(payment: Payment, kind: str, amount: Decimal, key: str, **fields) -> PaymentTransaction:
    return PaymentTransaction.objects.create(
        payment=payment,
        kind=kind,
        amount=amount,
        currency=payment.currency,
        idempotency_key=key,
        **fields,
    )


def _settle_txn(txn_key: str, result: GatewayResult, *, ok: bool) -> None:
    PaymentTransaction.objects.filter(idempotency_key=txn_key, status=T.Status.PENDING).update(
        status=T.Status.SUCCEEDED if ok else T.Status.FAILED,
        provider_reference=result.provider_reference[:100],
        raw=redact(result.raw),
        error_code=result.error_code[:60],
        error_message=result.error_message[:300],
    )


def _pending(payment: Payment, kind: str) -> Decimal:
    return (
        PaymentTransaction.objects.filter(
            payment=payment, kind=kind, status=T.Status.PENDING
        ).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
