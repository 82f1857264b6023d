"""Store credit: paying from the customer's balance, and moving a balance with its ledger
entry (refunds to store credit and reversals go through here)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer
from omni.errors import Conflict, ValidationError
from orders.locks import order_lock
from orders.models import Order
from payments import selectors
from payments.gateways.base import GatewayResult, Status
from payments.gateways.store_credit import CODE as STORE_CREDIT
from payments.locks import customer_store_credit_lock, store_credit_account_lock
from payments.models import Payment, Refund, StoreCreditAccount, StoreCreditEntry
from payments.services.answers import _apply
from payments.services.core import _require_amount, _require_payable
from sales_channels.models import Channel

# --- store credit ---------------------------------------------------------------------------


def _store_credit_pay(
    *, order: Order, amount: Decimal | None, actor: User | None, channel: Channel
) -> tuple[Payment, GatewayResult]:
    with transaction.atomic():
        order = order_lock(order)
        _require_payable(order)
        if order.customer_id is None:
            raise ValidationError.for_field(
                "gateway", _("Only a known customer has store credit."), code="no_customer"
            )
        due = selectors.order_amount_due(order=order)
        amount = _require_amount(order=order, amount=due if amount is None else amount, due=due)
        account = customer_store_credit_lock(order.customer_id)
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
    account = store_credit_account_lock(account.pk)
    if account.currency != currency:
        raise ValidationError.for_field(
            "to",
            _("The customer's store credit is in %(currency)s.") % {"currency": account.currency},
            code="currency_mismatch",
        )
    return account


def store_credit_customer(*, customer: Customer) -> StoreCreditAccount | None:
    return StoreCreditAccount.objects.filter(customer=customer).first()


def store_credit_merge(source: Customer, target: Customer) -> int:
    """Two profiles merged into one (customers.merge, registered in PaymentsConfig.ready()):
    the source's store credit becomes the target's. Its account moves over when the target has
    none; otherwise its balance moves by two `merge` entries, one on each ledger. A balance in
    another currency is refused (409), so the merge changes nothing. Returns the accounts
    moved (0 or 1)."""
    mine = customer_store_credit_lock(source.pk)
    if mine is None:
        return 0
    theirs = customer_store_credit_lock(target.pk)
    if theirs is None:
        StoreCreditAccount.objects.filter(pk=mine.pk).update(customer=target)
        return 1
    if mine.balance:
        if mine.currency != theirs.currency:
            raise Conflict(
                _("The two profiles hold store credit in different currencies."),
                code="currency_mismatch",
            )
        amount = mine.balance
        _store_credit_move(account=mine, amount=-amount, kind=StoreCreditEntry.Kind.MERGE)
        _store_credit_move(account=theirs, amount=amount, kind=StoreCreditEntry.Kind.MERGE)
    return 1
