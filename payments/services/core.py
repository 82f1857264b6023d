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
from omni.errors import Conflict, OmniError, ValidationError
from omni.money import quantize
from omni.outbox import outbox_record
from omni.state import StateMachine
from orders.locks import order_lock
from orders.models import Order
from orders.services.lifecycle import order_event
from payments import selectors
from payments.gateways.base import Gateway, GatewayResult, PaymentRef, Status
from payments.gateways.store_credit import CODE as STORE_CREDIT
from payments.locks import payment_lock, payments_lock
from payments.models import Payment, PaymentTransaction
from payments.redact import redact

# One logger for the package, under the name it has always had.
logger = logging.getLogger("payments.services")

ZERO = Decimal(0)
TOPIC_PAYMENT = "payments.payment.status_changed"
# A provider's word that makes a payment's money count towards its order.
MONEY_STATUSES = frozenset({Status.AUTHORISED, Status.CAPTURED})

PaymentStatus = Payment.Status

# The payment's one table of allowed moves (PAYMENT_MACHINE below applies it).
TRANSITIONS: dict[str, set[str]] = {
    PaymentStatus.PENDING: {
        PaymentStatus.ACTION_REQUIRED,
        PaymentStatus.AUTHORISED,
        PaymentStatus.CAPTURED,
        PaymentStatus.DECLINED,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELLED,
    },
    PaymentStatus.ACTION_REQUIRED: {
        PaymentStatus.PENDING,
        PaymentStatus.AUTHORISED,
        PaymentStatus.CAPTURED,
        PaymentStatus.DECLINED,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELLED,
    },
    PaymentStatus.AUTHORISED: {PaymentStatus.CAPTURED, PaymentStatus.VOIDED},
    PaymentStatus.CAPTURED: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
    PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
    PaymentStatus.CANCELLED: {PaymentStatus.AUTHORISED, PaymentStatus.CAPTURED},
    PaymentStatus.FAILED: {PaymentStatus.AUTHORISED, PaymentStatus.CAPTURED},
    PaymentStatus.REFUNDED: set(),
    PaymentStatus.VOIDED: set(),
    PaymentStatus.DECLINED: set(),
}

_KIND = {
    "cash": Payment.Kind.CASH,
    "terminal": Payment.Kind.TERMINAL,
    STORE_CREDIT: Payment.Kind.STORE_CREDIT,
}
_FROM_GATEWAY = {
    Status.AUTHORISED: PaymentStatus.AUTHORISED,
    Status.CAPTURED: PaymentStatus.CAPTURED,
    Status.ACTION_REQUIRED: PaymentStatus.ACTION_REQUIRED,
    Status.PENDING: PaymentStatus.PENDING,
    Status.DECLINED: PaymentStatus.DECLINED,
    Status.VOIDED: PaymentStatus.VOIDED,
    Status.FAILED: PaymentStatus.FAILED,
}


class GatewayUnavailable(OmniError):
    status_code = 503
    code = "gateway_unavailable"
    default_message = "The payment provider cannot be reached; try again in a moment."


# --- the state machine ----------------------------------------------------------------------


def _payment_refused(payment: Payment, to: str) -> str:
    return _("Payment %(reference)s is %(status)s and cannot become %(to)s.") % {
        "reference": payment.reference,
        "status": payment.status,
        "to": to,
    }


def _payment_status_recorded(
    payment: Payment,
    before: str,
    to: str,
    *,
    order: Order,
    actor: User | None = None,
    message: str = "",
    data: dict | None = None,
) -> None:
    """A payment's change: the order event "payment_<status>", and the other channels told
    (outbox)."""
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
            "gateway": payment.gateway,
            "status": to,
            "previous": before,
            "amount": str(payment.amount),
            "currency": payment.currency,
        },
    )


PAYMENT_MACHINE: StateMachine[Payment, None] = StateMachine(
    "payment",
    states=PaymentStatus,
    transitions=TRANSITIONS,
    refused=_payment_refused,
    record=_payment_status_recorded,
)


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
    PAYMENT_MACHINE.move(payment, to, order=order, actor=actor, message=message, data=data)


# --- helpers --------------------------------------------------------------------------------


def _locked(payment: Payment | int) -> tuple[Order, Payment]:
    """The payment's order and the payment, locked in that order, read again under the locks."""
    pk = payment if isinstance(payment, int) else payment.pk
    order_id = Payment.objects.filter(pk=pk).values_list("order_id", flat=True).get()
    order = order_lock(order_id)
    return order, payment_lock(pk)


def _payments_locked(order: Order) -> list[Payment]:
    return payments_lock(order_id=order.pk, with_channel=True)


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
        instalments=payment.instalments,
        instalment_total=payment.instalment_total,
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
    PaymentTransaction.objects.filter(
        idempotency_key=txn_key, status=PaymentTransaction.Status.PENDING
    ).update(
        status=PaymentTransaction.Status.SUCCEEDED if ok else PaymentTransaction.Status.FAILED,
        provider_reference=result.provider_reference[:100],
        raw=redact(result.raw),
        error_code=result.error_code[:60],
        error_message=result.error_message[:300],
    )


def _pending(payment: Payment, kind: str) -> Decimal:
    return (
        PaymentTransaction.objects.filter(
            payment=payment, kind=kind, status=PaymentTransaction.Status.PENDING
        ).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
