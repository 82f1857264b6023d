"""Payments: every write about money goes through here.

Public services (keyword-only; pay-by-link and the API call these):

- payment_start(order, gateway_code, ...)      an online payment (or store credit) for an order
- payment_complete(payment, params)            after the shopper came back from 3-D Secure
- payment_capture(payment, amount)             capture what was only authorised
- payment_record_offline(order, "cash"|"terminal", amount, ...)   staff at the counter
- webhook_handle(gateway_code, headers, body)  a provider's signed notification
- refund_create(order, amount, reason, to, idempotency_key, ...)  to the original payments or
  as store credit; once per idempotency key
- order_payments_release(order)                give back what a cancelled (or overpaid) order
  holds: void what is only authorised, refund what was captured

A payment's states (TRANSITIONS; a result that is not an allowed step is ignored, so a
notification that arrives late or out of order never moves a payment backwards):

    pending ◄─► action_required ──► authorised ──► captured ──► partially_refunded ──► refunded
       │              │                 │               └───────────────────────────────►┘
       └──────────────┴──► declined, failed, cancelled (abandoned)      authorised ──► voided
    cancelled, failed ──► authorised, captured   (the provider took it after all: recorded,
                                                  and handed back if the order does not need it)

Rules
- A provider is never called inside a database transaction: a service reserves what it is
  about to do (a pending ledger row, which counts against the totals under the lock), calls the
  provider, then records the answer in a short transaction.
- Locks, always in this order: the order row (orders.services.lifecycle.order_locked), its
  payments by id, a refund's ledger row, the customer's store-credit account.
- The order is confirmed (lifecycle.order_confirm) in the transaction that makes its payments
  cover its total; a payment that succeeds for a cancelled or already covered order is handed
  back after commit (order_payments_release).
- Card data goes to the gateway in `Card` and nowhere else; every `raw` answer is redacted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer
from omni.errors import Conflict, InvalidTransition, OmniError, Unprocessable, ValidationError
from omni.money import quantize
from omni.outbox import outbox_record
from orders.models import Notification, Order, OrderLine, Return
from orders.services.lifecycle import notify, order_confirm, order_event, order_locked
from payments import selectors
from payments.gateways.base import (
    Buyer,
    Card,
    Gateway,
    GatewayError,
    GatewayResult,
    Item,
    PaymentRef,
    PaymentRequest,
    Status,
)
from payments.gateways.store_credit import CODE as STORE_CREDIT
from payments.models import (
    Payment,
    PaymentTransaction,
    Refund,
    StoreCreditAccount,
    StoreCreditEntry,
    WebhookReceipt,
)
from payments.redact import redact
from sales_channels.models import Channel

logger = logging.getLogger(__name__)

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


def _buyer(order: Order) -> Buyer:
    address = order.billing_address or order.shipping_address or {}
    customer = order.customer
    full = (address.get("full_name") or "").split()
    first = (customer.first_name if customer else "") or (full[0] if full else "-")
    last = (customer.last_name if customer else "") or (
        " ".join(full[1:]) if len(full) > 1 else "-"
    )
    return Buyer(
        id=str(order.customer_id or order.number),
        name=first,
        surname=last,
        email=order.email or (customer.email if customer else ""),
        phone=order.phone,
        city=address.get("city", ""),
        country=address.get("country", "TR"),
        address=" ".join(p for p in (address.get("line1"), address.get("district")) if p),
    )


def _items(order: Order) -> tuple[Item, ...]:
    return tuple(
        Item(id=ln.sku, name=ln.product_name, category="", price=ln.line_total)
        for ln in OrderLine.objects.filter(order_id=order.pk).order_by("id")
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


def return_url_for(payment: Payment) -> str:
    return settings.OMNI_PUBLIC_URL.rstrip("/") + reverse(
        "payments:return", kwargs={"reference": payment.reference}
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
    if to not in TRANSITIONS[payment.status]:
        return "ignored"
    if (
        payment.status == P.AUTHORISED
        and PaymentTransaction.objects.filter(payment=payment, kind=T.Kind.CAPTURE).exists()
    ):
        return "no_change"  # payment_capture records its own captures
    succeeded = to in (P.AUTHORISED, P.CAPTURED)
    currency = currency or result.currency
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
    if to == P.ACTION_REQUIRED:
        payment.redirect_url = result.redirect_url[:500]
        payment.data = {**(payment.data or {}), "html": bool(result.html)}
        fields += ["redirect_url", "data"]
    if to in (P.DECLINED, P.FAILED):
        payment.error_code = (result.error_code or to)[:60]
        payment.error_message = result.error_message[:300]
        fields += ["error_code", "error_message"]
    if succeeded:
        payment.amount_authorised = payment.amount
        fields.append("amount_authorised")
        if to == P.CAPTURED:
            payment.amount_captured = payment.amount
            fields.append("amount_captured")
        payment.error_code = payment.error_message = ""
        fields += ["error_code", "error_message"]
    payment.save(update_fields=sorted(set(fields)))
    key = f"{payment.reference}:authorise"
    if to not in (P.PENDING, P.ACTION_REQUIRED, P.CANCELLED):
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            _txn(payment, T.Kind.AUTHORISE, payment.amount, key)
        _settle_txn(key, result, ok=succeeded)
    if to == P.CAPTURED:
        _txn(
            payment,
            T.Kind.CAPTURE,
            payment.amount,
            f"{payment.reference}:capture:1",
            status=T.Status.SUCCEEDED,
            provider_reference=result.provider_reference[:100],
            raw=redact(result.raw),
        )
    payment_transition(payment, to, order=order, message=result.error_message)
    if succeeded:
        _after_success(order)
    return "applied"


def _reject(payment: Payment, code: str, message: str) -> None:
    logger.error("payment %s: %s (%s)", payment.reference, code, message)
    payment.error_code, payment.error_message = code, message[:300]
    payment.save(update_fields=["error_code", "error_message", "updated_at"])


def _after_success(order: Order) -> None:
    """Money is now held for the (locked) order: confirm it when covered; hand back what a
    cancelled or already covered order does not need, after commit."""
    covered = selectors.order_amount_covered(order=order)
    if order.status == Order.Status.PENDING and covered >= order.total:
        order_confirm(order=order, message=_("Paid"))
    if order.status == Order.Status.CANCELLED or covered > order.total:
        from payments.tasks import order_payments_release as task

        order_id = order.pk
        transaction.on_commit(lambda: task.delay(order_id), robust=True)


def _record(payment: Payment, result: GatewayResult, **kwargs) -> tuple[Payment, str]:
    with transaction.atomic():
        order, locked = _locked(payment)
        outcome = _apply(order, locked, result, **kwargs)
    return locked, outcome


# --- starting and completing a payment ------------------------------------------------------


def payment_start(
    *,
    order: Order,
    gateway_code: str,
    amount: Decimal | None = None,
    card: Card | None = None,
    return_url: str = "",
    actor: User | None = None,
    channel: Channel | None = None,
) -> tuple[Payment, GatewayResult]:
    """Start an online payment for `order` with a gateway `channel` offers (default: the
    order's channel), for `amount` (default: what is still due; more than that is refused).

    Returns the payment and the gateway's answer: captured or authorised (the order is
    confirmed when covered), action_required (send the shopper to `redirect_url` or show
    `html`; they come back to `return_url`, default our /payments/return/<reference>/, and
    payment_complete finishes it), pending (a webhook brings the result), declined or failed.
    Earlier attempts of the order still waiting (3-D Secure never finished) are abandoned.
    "store_credit" pays from the customer's balance at once, on any channel.
    Raises ValidationError (field "gateway", "amount"), Conflict (cancelled order),
    GatewayUnavailable (the provider cannot be reached; the payment is marked failed)."""
    channel = channel or order.channel
    gateway = selectors.gateway_for(channel, gateway_code)
    if gateway_code == STORE_CREDIT:
        return _store_credit_pay(order=order, amount=amount, actor=actor, channel=channel)
    if not gateway.online:
        raise ValidationError.for_field(
            "gateway",
            _("%(gateway)s payments are recorded by staff at the counter.")
            % {"gateway": gateway.label},
            code="gateway_offline",
        )
    with transaction.atomic():
        order = order_locked(order)
        _require_payable(order)
        due = selectors.order_amount_due(order=order)
        amount = _require_amount(order=order, amount=due if amount is None else amount, due=due)
        for stale in (
            Payment.objects.select_for_update()
            .filter(order=order, status__in=selectors.IN_FLIGHT)
            .order_by("pk")
        ):
            payment_transition(stale, P.CANCELLED, order=order, actor=actor, message=_("Abandoned"))
        payment = Payment(
            order=order,
            channel=channel,
            gateway=gateway_code,
            kind=Payment.Kind.CARD,
            amount=amount,
            currency=order.currency,
            card_last4=card.last4 if card else "",
            created_by=actor if actor and actor.pk else None,
        )
        payment.return_url = (return_url or return_url_for(payment))[:500]
        payment.save()
        _txn(payment, T.Kind.AUTHORISE, amount, f"{payment.reference}:authorise")
        order_event(
            order,
            "payment_started",
            actor=actor,
            channel=channel,
            data={"payment": payment.reference, "gateway": gateway_code, "amount": str(amount)},
        )
    request = PaymentRequest(
        reference=payment.reference,
        amount=amount,
        currency=payment.currency,
        order_number=order.number,
        buyer=_buyer(order),
        items=_items(order),
        return_url=payment.return_url,
        card=card,
    )
    try:
        result = gateway.authorise(request)
    except GatewayError as error:
        failed = GatewayResult(
            status=Status.FAILED, error_code="gateway_unavailable", error_message=str(error)
        )
        _record(payment, failed)
        raise GatewayUnavailable() from None
    payment, _outcome = _record(payment, result)
    return payment, result


def payment_complete(*, payment: Payment, params: dict[str, Any]) -> Payment:
    """Finish a payment after the shopper came back from 3-D Secure. `params` are what the
    browser brought; the result is asked of the provider, never taken from them. A payment no
    longer waiting (a webhook was faster) is returned as it is."""
    if payment.status != P.ACTION_REQUIRED:
        return payment
    try:
        result = _gateway(payment).complete(_ref(payment), dict(params))
    except GatewayError:
        raise GatewayUnavailable() from None
    payment, _outcome = _record(payment, result)
    return payment


def payment_capture(
    *, payment: Payment, amount: Decimal | None = None, actor: User | None = None
) -> Payment:
    """Capture (part of) what was authorised; twice at once, only one gets it."""
    with transaction.atomic():
        order, locked = _locked(payment)
        if locked.status != P.AUTHORISED:
            raise InvalidTransition(
                _("Payment %(reference)s is %(status)s: there is nothing to capture.")
                % {"reference": locked.reference, "status": locked.status},
            )
        left = locked.amount_authorised - locked.amount_captured - _pending(locked, T.Kind.CAPTURE)
        amount = left if amount is None else Decimal(str(amount))
        if amount <= 0 or amount > left:
            raise Conflict(
                _("At most %(left)s %(currency)s can be captured.")
                % {"left": max(left, ZERO), "currency": locked.currency},
                code="capture_exceeds_authorised",
                fields={"amount": [_("Too much.")]},
            )
        count = PaymentTransaction.objects.filter(payment=locked, kind=T.Kind.CAPTURE).count()
        key = f"{locked.reference}:capture:{count + 1}"
        _txn(locked, T.Kind.CAPTURE, amount, key)
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
            payment_transition(locked, P.CAPTURED, order=order, actor=actor)
    return locked


def _void(payment: Payment, *, actor: User | None = None) -> None:
    """Void an authorised payment: reserve, call the provider, record (idempotent)."""
    key = f"{payment.reference}:void"
    with transaction.atomic():
        order, locked = _locked(payment)
        if locked.status != P.AUTHORISED:
            return
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            _txn(locked, T.Kind.VOID, locked.amount_authorised, key)
    result = _gateway(locked).void(_ref(locked))  # GatewayError: the task retries
    with transaction.atomic():
        order, locked = _locked(locked)
        ok = result.status == Status.VOIDED
        _settle_txn(key, result, ok=ok)
        if ok and locked.status == P.AUTHORISED:
            payment_transition(locked, P.VOIDED, order=order, actor=actor)


# --- store credit ---------------------------------------------------------------------------


def _store_credit_pay(
    *, order: Order, amount: Decimal | None, actor: User | None, channel: Channel
) -> tuple[Payment, GatewayResult]:
    with transaction.atomic():
        order = order_locked(order)
        _require_payable(order)
        if order.customer_id is None:
            raise ValidationError.for_field(
                "gateway", _("Only a known customer has store credit."), code="no_customer"
            )
        due = selectors.order_amount_due(order=order)
        amount = _require_amount(order=order, amount=due if amount is None else amount, due=due)
        account = (
            StoreCreditAccount.objects.select_for_update()
            .filter(customer_id=order.customer_id)
            .first()
        )
        if account is None or account.currency != order.currency or account.balance < amount:
            raise ValidationError.for_field(
                "amount",
                _("The store credit balance (%(balance)s) does not cover %(amount)s.")
                % {
                    "balance": f"{account.balance} {account.currency}" if account else "0",
                    "amount": f"{amount} {order.currency}",
                },
                code="insufficient_store_credit",
            )
        payment = Payment.objects.create(
            order=order,
            channel=channel,
            gateway=STORE_CREDIT,
            kind=Payment.Kind.STORE_CREDIT,
            amount=amount,
            currency=order.currency,
            created_by=actor if actor and actor.pk else None,
        )
        entry = _store_credit_move(
            account=account,
            amount=-amount,
            kind=StoreCreditEntry.Kind.SPEND,
            payment=payment,
            channel=channel,
            actor=actor,
        )
        result = GatewayResult(
            status=Status.CAPTURED,
            provider_reference=f"store-credit:{entry.pk}",
            amount=amount,
            currency=payment.currency,
            raw={"entry": entry.pk, "balance_after": str(entry.balance_after)},
        )
        _apply(order, payment, result)
    return payment, result


def _store_credit_move(
    *,
    account: StoreCreditAccount,
    amount: Decimal,
    kind: str,
    payment: Payment | None = None,
    refund: Refund | None = None,
    channel: Channel | None = None,
    actor: User | None = None,
) -> StoreCreditEntry:
    """Change a (locked) balance and write its ledger entry; the CHECK refuses a negative
    balance whatever happens."""
    StoreCreditAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
    account.refresh_from_db(fields=["balance"])
    return StoreCreditEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=account.balance,
        payment=payment,
        refund=refund,
        channel=channel,
        actor=actor if actor and actor.pk else None,
    )


def _store_credit_account(customer_id: int, currency: str) -> StoreCreditAccount:
    account, _created = StoreCreditAccount.objects.get_or_create(
        customer_id=customer_id, defaults={"currency": currency}
    )
    account = StoreCreditAccount.objects.select_for_update().get(pk=account.pk)
    if account.currency != currency:
        raise ValidationError.for_field(
            "to",
            _("The customer's store credit is in %(currency)s.") % {"currency": account.currency},
            code="currency_mismatch",
        )
    return account


# --- offline payments -----------------------------------------------------------------------


def payment_record_offline(
    *,
    order: Order,
    gateway_code: str,
    amount: Decimal,
    actor: User | None,
    channel: Channel,
    reference: str = "",
) -> Payment:
    """Staff record money taken at the counter: cash, or the store's own card terminal
    (`reference`: its slip number). Recording the same reference again returns the first
    payment. The order is confirmed when covered."""
    gateway = selectors.gateway_for(channel, gateway_code)
    if gateway.online or gateway_code == STORE_CREDIT:
        raise ValidationError.for_field(
            "gateway",
            _("Only cash and card-terminal payments are recorded by staff."),
            code="gateway_online",
        )
    reference = (reference or "").strip()[:100]
    if reference:
        existing = Payment.objects.filter(
            order=order, gateway=gateway_code, provider_reference=reference
        ).first()
        if existing is not None:
            return existing
    with transaction.atomic():
        order = order_locked(order)
        _require_payable(order)
        due = selectors.order_amount_due(order=order)
        amount = _require_amount(order=order, amount=amount, due=due)
        payment = Payment.objects.create(
            order=order,
            channel=channel,
            gateway=gateway_code,
            kind=_KIND.get(gateway_code, Payment.Kind.CARD),
            amount=amount,
            currency=order.currency,
            provider_reference=reference,
            created_by=actor if actor and actor.pk else None,
        )
        result = gateway.authorise(  # offline: nothing leaves Omni
            PaymentRequest(
                reference=payment.reference,
                amount=amount,
                currency=order.currency,
                order_number=order.number,
                buyer=_buyer(order),
            )
        )
        _apply(order, payment, result)
    return payment


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
) -> Refund:
    """Refund `amount` of what was captured for `order`: to the original payments (newest
    first; a store-credit payment goes back to the balance at once, the others through their
    provider after commit) or, `to="store_credit"`, to the customer's balance at once.

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
    only: list[int] | None = None,
    tell_customer: bool = False,
) -> Refund:
    key = (idempotency_key or "").strip()
    if not key or len(key) > 120:
        raise ValidationError.for_field(
            "idempotency_key",
            _("Send an idempotency key (at most 120 characters)."),
            code="required",
        )
    if to not in Refund.Destination.values:
        raise ValidationError.for_field(
            "to", _("Refund to the original payment or to store credit."), code="invalid_choice"
        )
    replay = _refund_replay(key, order=order, amount=amount, to=to)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            order = order_locked(order)
            replay = _refund_replay(key, order=order, amount=amount, to=to)
            if replay is not None:
                return replay
            payments = [p for p in _payments_locked(order) if only is None or p.pk in only]
            pending = dict(
                PaymentTransaction.objects.filter(
                    payment__order=order, kind=T.Kind.REFUND, status=T.Status.PENDING
                )
                .values("payment_id")
                .annotate(s=Sum("amount"))
                .values_list("payment_id", "s")
            )
            left = {
                p.pk: p.amount_captured - p.amount_refunded - pending.get(p.pk, ZERO)
                for p in payments
            }
            available = sum(left.values(), ZERO)
            amount = _require_amount(
                order=order, amount=amount, due=max(available, ZERO), refund=True
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
            )
            remaining, queued = amount, False
            for payment in sorted(payments, key=lambda p: p.pk, reverse=True):
                part = min(remaining, left[payment.pk])
                if part <= 0:
                    continue
                remaining -= part
                txn = _txn(
                    payment,
                    T.Kind.REFUND,
                    part,
                    f"refund:{key}:{payment.reference}",
                    refund=refund,
                )
                if to == Refund.Destination.STORE_CREDIT or payment.gateway == STORE_CREDIT:
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
                    "amount": str(amount),
                    "to": to,
                    "return": return_request.pk if return_request else None,
                },
            )
            if tell_customer:
                notify(
                    order,
                    Notification.Kind.REFUNDED,
                    subject=f"refund:{refund.pk}",
                    context={"amount": str(amount), "currency": order.currency},
                )
            if queued:
                from payments.tasks import refund_process as task

                refund_id = refund.pk
                transaction.on_commit(lambda: task.delay(refund_id), robust=True)
    except IntegrityError:
        # The same key, committed by someone else meanwhile (on another order's lock).
        replay = _refund_replay(key, order=order, amount=amount, to=to)
        if replay is None:
            raise
        return replay
    return refund


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
    to = P.REFUNDED if payment.amount_refunded >= payment.amount_captured else P.PARTIALLY_REFUNDED
    payment_transition(payment, to, order=order, data={"refunded": str(txn.amount)})


def refund_process(*, refund: Refund | int) -> Refund:
    """Send a refund's pending transactions to their providers (outside any transaction) and
    record each answer. Safe to run again: the provider refunds once per transaction key, and a
    transaction already settled is skipped. Raises GatewayError when a provider is down (the
    task retries); the other transactions are still sent."""
    refund_id = refund if isinstance(refund, int) else refund.pk
    unreachable = None
    for txn in PaymentTransaction.objects.select_related("payment__channel").filter(
        refund_id=refund_id, status=T.Status.PENDING
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
            current = PaymentTransaction.objects.select_for_update().get(pk=txn.pk)
            if current.status == T.Status.PENDING:
                _refund_settle(order, locked, current, result)
    statuses = set(
        PaymentTransaction.objects.filter(refund_id=refund_id).values_list("status", flat=True)
    )
    if T.Status.PENDING not in statuses:
        final = Refund.Status.FAILED if T.Status.FAILED in statuses else Refund.Status.SUCCEEDED
        Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).update(status=final)
    if unreachable is not None:
        raise unreachable
    return Refund.objects.get(pk=refund_id)


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
        locked = order_locked(order_id)
        payments = _payments_locked(locked)
        target = ZERO if locked.status == Order.Status.CANCELLED else locked.total
        pending = dict(
            PaymentTransaction.objects.filter(
                payment__order=locked, kind=T.Kind.REFUND, status=T.Status.PENDING
            )
            .values("payment_id")
            .annotate(s=Sum("amount"))
            .values_list("payment_id", "s")
        )

        def held(p: Payment) -> Decimal:
            if p.status == P.AUTHORISED:
                return p.amount_authorised - p.amount_captured
            if p.status in (P.CAPTURED, P.PARTIALLY_REFUNDED):
                return p.amount_captured - p.amount_refunded - pending.get(p.pk, ZERO)
            return ZERO

        excess = sum((held(p) for p in payments), ZERO) - target
        for payment in sorted(payments, key=lambda p: p.pk, reverse=True):
            if excess <= 0:
                break
            amount = held(payment)
            if amount <= 0:
                continue
            if payment.status == P.AUTHORISED:
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
    """orders.services.lifecycle.order_cancel: hand the money back after the commit."""
    from payments.tasks import order_payments_release as task

    order_id = order.pk
    transaction.on_commit(lambda: task.delay(order_id), robust=True)


def on_refund_due(*, return_request: Return) -> None:
    """orders.services.returns.return_refund: refund the return after the commit."""
    from payments.tasks import return_refund as task

    return_id = return_request.pk
    transaction.on_commit(lambda: task.delay(return_id), robust=True)


def return_refund_create(*, return_request: Return | int) -> Refund | None:
    """The refund of a received return, to the original payments, once (key "return:<id>").
    Nothing when it refunds nothing or the order was never paid through Omni."""
    pk = return_request if isinstance(return_request, int) else return_request.pk
    found = Return.objects.select_related("order").get(pk=pk)
    if found.refund_amount <= 0:
        return None
    if not Payment.objects.filter(order_id=found.order_id, amount_captured__gt=0).exists():
        logger.info("return %s: order %s has no payment to refund", pk, found.order_id)
        return None
    return refund_create(
        order=found.order,
        amount=found.refund_amount,
        reason=_("Return %(id)s") % {"id": found.pk},
        to=Refund.Destination.ORIGINAL,
        idempotency_key=f"return:{found.pk}",
        return_request=found,
    )


def store_credit_customer(*, customer: Customer) -> StoreCreditAccount | None:
    return StoreCreditAccount.objects.filter(customer=customer).first()
