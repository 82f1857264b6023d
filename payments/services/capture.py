"""Capturing what was only authorised, and voiding it: each reserves a ledger row under the
locks, calls the provider outside any transaction, then records the answer."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from omni.errors import Conflict, InvalidTransition
from payments.gateways.base import GatewayError, Status
from payments.models import Payment, PaymentTransaction
from payments.services.core import (
    ZERO,
    GatewayUnavailable,
    _gateway,
    _locked,
    _pending,
    _ref,
    _settle_txn,
    _txn,
    payment_transition,
)


def payment_capture(
    *, payment: Payment, amount: Decimal | None = None, actor: User | None = None
) -> Payment:
    """Capture (part of) what was authorised; twice at once, only one gets it."""
    with transaction.atomic():
        order, locked = _locked(payment)
        if locked.status != Payment.Status.AUTHORISED:
            raise InvalidTransition(
                _("Payment %(reference)s is %(status)s: there is nothing to capture.")
                % {"reference": locked.reference, "status": locked.status},
            )
        left = (
            locked.amount_authorised
            - locked.amount_captured
            - _pending(locked, PaymentTransaction.Kind.CAPTURE)
        )
        amount = left if amount is None else Decimal(str(amount))
        if amount <= 0 or amount > left:
            raise Conflict(
                _("At most %(left)s %(currency)s can be captured.")
                % {"left": max(left, ZERO), "currency": locked.currency},
                code="capture_exceeds_authorised",
                fields={"amount": [_("Too much.")]},
            )
        count = PaymentTransaction.objects.filter(
            payment=locked, kind=PaymentTransaction.Kind.CAPTURE
        ).count()
        key = f"{locked.reference}:capture:{count + 1}"
        _txn(locked, PaymentTransaction.Kind.CAPTURE, amount, key)
    try:
        result = _gateway(locked).capture(_ref(locked), amount)
    except GatewayError:
        raise GatewayUnavailable() from None  # the row stays pending; a retry settles it
    with transaction.atomic():
        order, locked = _locked(locked)
        ok = result.status == Status.CAPTURED
        _settle_txn(key, result, ok=ok)
        if ok:
            Payment.objects.filter(pk=locked.pk).update(
                amount_captured=F("amount_captured") + amount
            )
            locked.refresh_from_db(fields=["amount_captured"])
            payment_transition(locked, Payment.Status.CAPTURED, order=order, actor=actor)
    return locked


def _void(payment: Payment, *, actor: User | None = None) -> None:
    """Void an authorised payment: reserve, call the provider, record (idempotent)."""
    key = f"{payment.reference}:void"
    with transaction.atomic():
        order, locked = _locked(payment)
        if locked.status != Payment.Status.AUTHORISED:
            return
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            _txn(locked, PaymentTransaction.Kind.VOID, locked.amount_authorised, key)
    result = _gateway(locked).void(_ref(locked))  # GatewayError: the task retries
    with transaction.atomic():
        order, locked = _locked(locked)
        ok = result.status == Status.VOIDED
        _settle_txn(key, result, ok=ok)
        if ok and locked.status == Payment.Status.AUTHORISED:
            payment_transition(locked, Payment.Status.VOIDED, order=order, actor=actor)
