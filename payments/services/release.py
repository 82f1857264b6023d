"""Handing back what an order does not need (a cancelled or overpaid order), and the
handlers orders calls through orders.hooks."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from omni.tasks import enqueue_after_commit
from orders.locks import order_lock
from orders.models import Order, Return
from payments.models import Payment, PaymentTransaction, Refund
from payments.services.capture import _void
from payments.services.core import ZERO, _payments_locked
from payments.services.gift_card_ledger import gift_cards_cancel_for_order
from payments.services.refunds import _refund_create

# --- handing back what an order does not need -----------------------------------------------


def order_payments_release(*, order: Order | int) -> list[Refund]:
    """Give back what the order's payments hold beyond what it needs: everything for a
    cancelled order, the excess for an overpaid one (newest payments first). What is only
    authorised is voided, what was captured refunded to where it came from. Idempotent: a
    refund already made or in flight is not made again."""
    order_id = order if isinstance(order, int) else order.pk
    voids: list[Payment] = []
    refunds: list[Refund] = []
    with transaction.atomic():
        locked = order_lock(order_id)
        payments = _payments_locked(locked)
        target = ZERO if locked.status == Order.Status.CANCELLED else locked.total
        pending = dict(
            PaymentTransaction.objects.filter(
                payment__order=locked,
                kind=PaymentTransaction.Kind.REFUND,
                status=PaymentTransaction.Status.PENDING,
            )
            .values("payment_id")
            .annotate(s=Sum("amount"))
            .values_list("payment_id", "s")
        )

        def held(p: Payment) -> Decimal:
            if p.status == Payment.Status.AUTHORISED:
                return p.amount_authorised - p.amount_captured
            if p.status in (Payment.Status.CAPTURED, Payment.Status.PARTIALLY_REFUNDED):
                return p.amount_captured - p.amount_refunded - pending.get(p.pk, ZERO)
            return ZERO

        excess = sum((held(p) for p in payments), ZERO) - target
        for payment in sorted(payments, key=lambda p: p.pk, reverse=True):
            if excess <= 0:
                break
            amount = held(payment)
            if amount <= 0:
                continue
            if payment.status == Payment.Status.AUTHORISED:
                if amount <= excess:  # a partial void is a capture of the rest, left to staff
                    voids.append(payment)
                    excess -= amount
                continue
            part = min(amount, excess)
            excess -= part
            refunds.append(
                _refund_create(
                    order=locked,
                    amount=part,
                    reason=_("Order cancelled") if not target else _("Paid twice"),
                    to=Refund.Destination.ORIGINAL,
                    idempotency_key=f"release:{payment.reference}:{payment.amount_refunded + pending.get(payment.pk, ZERO)}",
                    only=[payment.pk],
                )
            )
    for payment in voids:
        _void(payment)
    return refunds


# --- hooks called by orders -----------------------------------------------------------------


def on_order_cancelled(*, order: Order) -> None:
    """orders.services.lifecycle.order_cancel: the gift cards it sold stopped at once (in the
    cancel's transaction), the money handed back after the commit."""
    from payments.tasks import order_payments_release as task

    gift_cards_cancel_for_order(order=order)
    enqueue_after_commit(task, order.pk)


def on_refund_due(*, return_request: Return) -> None:
    """orders.services.returns.return_refund: refund the return after the commit."""
    from payments.tasks import return_refund as task

    enqueue_after_commit(task, return_request.pk)
