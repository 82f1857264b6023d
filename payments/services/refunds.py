"""Refunds: to the original payments, to store credit or in cash at a store's till, once per
idempotency key; sending them to the providers; and the refund of a received return."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from accounts.models import User
from omni.errors import Unprocessable, ValidationError
from omni.tasks import enqueue_after_commit
from orders.locks import order_lock
from orders.models import Notification, Order, Return
from orders.services.lifecycle import notify, order_event
from payments.gateways.base import GatewayError, GatewayResult, Status
from payments.gateways.gift_card import CODE as GIFT_CARD
from payments.gateways.loyalty import CODE as LOYALTY
from payments.gateways.offline import CashGateway
from payments.gateways.store_credit import CODE as STORE_CREDIT
from payments.locks import payment_transaction_lock
from payments.models import (
    ChannelGateway,
    Payment,
    PaymentTransaction,
    Refund,
    StoreCreditEntry,
)
from payments.services.core import (
    ZERO,
    _gateway,
    _locked,
    _payments_locked,
    _ref,
    _require_amount,
    _settle_txn,
    _txn,
    logger,
    payment_transition,
)
from payments.services.gift_cards import _gift_card_refund
from payments.services.loyalty import _loyalty_refund
from payments.services.store_credit import _store_credit_account, _store_credit_move
from sales_channels.models import Channel

CASH = CashGateway.code

# --- refunds --------------------------------------------------------------------------------


def refund_create(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    to: str = Refund.Destination.ORIGINAL,
    idempotency_key: str,
    actor: User | None = None,
    return_request: Return | None = None,
    channel: Channel | None = None,
) -> Refund:
    """Refund `amount` of what was captured for `order`: to the original payments (newest
    first; a store-credit payment goes back to the balance at once, the others through their
    provider after commit), `to="store_credit"` to the customer's balance at once, or
    `to="cash"` handed back from the till of `channel` (a store that takes cash), recorded as
    refunded at once (points and gift cards still go back where they came from).

    Idempotent: the same `idempotency_key` returns the first refund and moves nothing (another
    order, amount or destination under a used key is Unprocessable). More than is left to
    refund (captured less refunded less refunds in flight) is a field error on "amount"; two
    concurrent refunds can never exceed it (the order is locked, then its payments)."""
    return _refund_create(
        order=order,
        amount=amount,
        reason=reason,
        to=to,
        idempotency_key=idempotency_key,
        actor=actor,
        return_request=return_request,
        channel=channel,
        tell_customer=return_request is None,
    )


def _refund_create(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    to: str,
    idempotency_key: str,
    actor: User | None = None,
    return_request: Return | None = None,
    channel: Channel | None = None,
    only: list[int] | None = None,
    tell_customer: bool = False,
) -> Refund:
    """refund_create, and order_payments_release's refund of one payment (`only`): checked,
    then under the order's lock the refund row, its ledger rows spread over the payments and
    the order's event; the providers are called after commit (refund_process)."""
    key = _refund_key(idempotency_key, to)
    replay = _refund_replay(key, order=order, amount=amount, to=to)
    if replay is not None:
        return replay
    if to == Refund.Destination.CASH:
        _require_cash_till(channel)
    try:
        with transaction.atomic():
            order = order_lock(order)
            replay = _refund_replay(key, order=order, amount=amount, to=to)
            if replay is not None:
                return replay
            payments, left = _refundable(order, only=only)
            amount = _require_amount(
                order=order, amount=amount, due=max(sum(left.values(), ZERO), ZERO), refund=True
            )
            if to == Refund.Destination.STORE_CREDIT and order.customer_id is None:
                raise ValidationError.for_field(
                    "to", _("Only a known customer can get store credit."), code="no_customer"
                )
            refund = Refund.objects.create(
                order=order,
                return_request=return_request,
                idempotency_key=key,
                amount=amount,
                currency=order.currency,
                destination=to,
                reason=(reason or "")[:300],
                created_by=actor if actor and actor.pk else None,
                channel=channel,
            )
            queued = _refund_spread(order, refund, payments, left, actor=actor)
            _refund_record(
                order,
                refund,
                queued=queued,
                reason=reason,
                actor=actor,
                return_request=return_request,
                tell_customer=tell_customer,
            )
    except IntegrityError:
        # The same key, committed by someone else meanwhile (on another order's lock).
        replay = _refund_replay(key, order=order, amount=amount, to=to)
        if replay is None:
            raise
        return replay
    return refund


def _refund_key(idempotency_key: str, to: str) -> str:
    """The refund's idempotency key, stripped; a missing or too long key, or an unknown
    destination, is a field error."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 120:
        raise ValidationError.for_field(
            "idempotency_key",
            _("Send an idempotency key (at most 120 characters)."),
            code="required",
        )
    if to not in Refund.Destination.values:
        raise ValidationError.for_field(
            "to",
            _("Refund to the original payment, to store credit or in cash."),
            code="invalid_choice",
        )
    return key


def _require_cash_till(channel: Channel | None) -> None:
    """Cash is handed back only from the till of a store that takes cash."""
    if channel is None or channel.kind != Channel.Kind.STORE:
        raise ValidationError.for_field(
            "to", _("Cash is handed back only at a store's till."), code="cash_not_here"
        )
    if not ChannelGateway.objects.filter(channel=channel, gateway=CASH, is_active=True).exists():
        raise ValidationError.for_field(
            "to",
            _("%(store)s does not take cash.") % {"store": channel.name},
            code="cash_not_taken",
        )


def _refundable(
    order: Order, *, only: list[int] | None
) -> tuple[list[Payment], dict[int, Decimal]]:
    """The (locked) order's payments, locked (those in `only`, when given), and what is left to
    refund of each: captured, less refunded, less refunds in flight."""
    payments = [p for p in _payments_locked(order) if only is None or p.pk in only]
    pending = dict(
        PaymentTransaction.objects.filter(
            payment__order=order,
            kind=PaymentTransaction.Kind.REFUND,
            status=PaymentTransaction.Status.PENDING,
        )
        .values("payment_id")
        .annotate(s=Sum("amount"))
        .values_list("payment_id", "s")
    )
    left = {p.pk: p.amount_captured - p.amount_refunded - pending.get(p.pk, ZERO) for p in payments}
    return payments, left


def _refund_spread(
    order: Order,
    refund: Refund,
    payments: list[Payment],
    left: dict[int, Decimal],
    *,
    actor: User | None,
) -> bool:
    """Spread the refund over the payments, newest first, one pending ledger row each. A points
    payment gives its points back, a gift-card payment goes back onto its card, and store credit (as the destination, or a store-credit
    payment) moves the balance; both settle at once; the rest waits for its provider. Returns whether any part waits."""
    to = refund.destination
    remaining, queued = refund.amount, False
    for payment in sorted(payments, key=lambda p: p.pk, reverse=True):
        part = min(remaining, left[payment.pk])
        if part <= 0:
            continue
        remaining -= part
        txn = _txn(
            payment,
            PaymentTransaction.Kind.REFUND,
            part,
            f"refund:{refund.idempotency_key}:{payment.reference}",
            refund=refund,
        )
        if payment.gateway == LOYALTY:
            # Points go back to the points account, whatever the destination asked: points
            # never turn into store credit.
            result = _loyalty_refund(payment=payment, amount=part, key=str(txn.pk))
            _refund_settle(order, payment, txn, result)
        elif payment.gateway == GIFT_CARD:
            # Back onto the card it came from, whatever the destination asked: a gift card's
            # value never turns into store credit (or cash).
            result = _gift_card_refund(
                payment=payment, amount=part, key=str(txn.pk), refund=refund, actor=actor
            )
            _refund_settle(order, payment, txn, result)
        elif to == Refund.Destination.CASH:
            # Handed back from the till now: the payment counts it refunded at once, as a
            # cash payment's refund to the original payment does.
            result = GatewayResult(
                status=Status.REFUNDED,
                provider_reference=f"cash:{refund.pk}",
                amount=part,
                raw={"recorded": True, "handed_back": True, "cash": True},
            )
            _refund_settle(order, payment, txn, result)
        elif to == Refund.Destination.STORE_CREDIT or payment.gateway == STORE_CREDIT:
            account = _store_credit_account(order.customer_id, order.currency)
            entry = _store_credit_move(
                account=account,
                amount=part,
                kind=StoreCreditEntry.Kind.REFUND
                if to == Refund.Destination.STORE_CREDIT
                else StoreCreditEntry.Kind.REVERSAL,
                payment=payment,
                refund=refund,
                channel=order.channel,
                actor=actor,
            )
            result = GatewayResult(
                status=Status.REFUNDED,
                provider_reference=f"store-credit:{entry.pk}",
                amount=part,
                raw={"entry": entry.pk},
            )
            _refund_settle(order, payment, txn, result)
        else:
            queued = True
        if remaining <= 0:
            break
    return queued


def _refund_record(
    order: Order,
    refund: Refund,
    *,
    queued: bool,
    reason: str,
    actor: User | None,
    return_request: Return | None,
    tell_customer: bool,
) -> None:
    """The refund done at once (nothing waits for a provider) succeeds; the order's event, the
    customer's notification when asked, and the providers' work queued after commit."""
    if not queued:
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.SUCCEEDED)
        refund.status = Refund.Status.SUCCEEDED
    order_event(
        order,
        "refund",
        actor=actor,
        message=reason,
        data={
            "refund": refund.pk,
            "amount": str(refund.amount),
            "to": refund.destination,
            "return": return_request.pk if return_request else None,
            "channel": refund.channel.code if refund.channel else None,
        },
    )
    if tell_customer:
        notify(
            order,
            Notification.Kind.REFUNDED,
            subject=f"refund:{refund.pk}",
            context={"amount": str(refund.amount), "currency": order.currency},
        )
    if queued:
        from payments.tasks import refund_process as task

        enqueue_after_commit(task, refund.pk)


def _refund_replay(key: str, *, order: Order, amount: Any, to: str) -> Refund | None:
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    try:
        same_amount = Decimal(str(amount)) == existing.amount
    except Exception:
        same_amount = False
    if existing.order_id != order.pk or not same_amount or existing.destination != to:
        raise Unprocessable(
            _("This idempotency key was used for another refund."), code="idempotency_key_reused"
        )
    return existing


def _refund_settle(
    order: Order, payment: Payment, txn: PaymentTransaction, result: GatewayResult
) -> None:
    """Record a refund transaction's answer on the locked payment."""
    ok = result.status == Status.REFUNDED
    _settle_txn(txn.idempotency_key, result, ok=ok)
    if not ok:
        return
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=F("amount_refunded") + txn.amount)
    payment.refresh_from_db(fields=["amount_refunded", "amount_captured"])
    to = (
        Payment.Status.REFUNDED
        if payment.amount_refunded >= payment.amount_captured
        else Payment.Status.PARTIALLY_REFUNDED
    )
    payment_transition(payment, to, order=order, data={"refunded": str(txn.amount)})


def refund_process(*, refund: Refund | int) -> Refund:
    """Send a refund's pending transactions to their providers (outside any transaction) and
    record each answer. Safe to run again: the provider refunds once per transaction key, and a
    transaction already settled is skipped. Raises GatewayError when a provider is down (the
    task retries); the other transactions are still sent."""
    refund_id = refund if isinstance(refund, int) else refund.pk
    unreachable = None
    for txn in PaymentTransaction.objects.select_related("payment__channel").filter(
        refund_id=refund_id, status=PaymentTransaction.Status.PENDING
    ):
        payment = txn.payment
        try:
            result = _gateway(payment).refund(
                _ref(payment), txn.amount, reference=txn.idempotency_key
            )
        except GatewayError as error:
            unreachable = error
            continue
        with transaction.atomic():
            order, locked = _locked(payment)
            current = payment_transaction_lock(txn.pk)
            if current.status == PaymentTransaction.Status.PENDING:
                _refund_settle(order, locked, current, result)
    statuses = set(
        PaymentTransaction.objects.filter(refund_id=refund_id).values_list("status", flat=True)
    )
    if PaymentTransaction.Status.PENDING not in statuses:
        final = (
            Refund.Status.FAILED
            if PaymentTransaction.Status.FAILED in statuses
            else Refund.Status.SUCCEEDED
        )
        Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).update(status=final)
    if unreachable is not None:
        raise unreachable
    return Refund.objects.get(pk=refund_id)


def return_refund_create(
    *,
    return_request: Return | int,
    to: str = Refund.Destination.ORIGINAL,
    channel: Channel | None = None,
    actor: User | None = None,
) -> Refund | None:
    """The refund of a received return, once (key "return:<id>"): to the original payments
    (the task after orders.refund.due), or where the clerk chose at the counter (store credit,
    cash from `channel`'s till). A return already refunded keeps its refund, wherever it went.
    Nothing when it refunds nothing or, to the original payments, when the order was never
    paid through Omni."""
    pk = return_request if isinstance(return_request, int) else return_request.pk
    found = Return.objects.select_related("order").get(pk=pk)
    if found.refund_amount <= 0:
        return None
    made = Refund.objects.filter(return_request_id=pk).first()
    if made is not None:
        return made
    if (
        to == Refund.Destination.ORIGINAL
        and not Payment.objects.filter(order_id=found.order_id, amount_captured__gt=0).exists()
    ):
        logger.info("return %s: order %s has no payment to refund", pk, found.order_id)
        return None
    return refund_create(
        order=found.order,
        amount=found.refund_amount,
        reason=_("Return %(id)s") % {"id": found.pk},
        to=to,
        idempotency_key=f"return:{found.pk}",
        actor=actor,
        return_request=found,
        channel=channel,
    )
