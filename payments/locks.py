"""Every row lock of payments: an order's payments, a refund's ledger row, a store-credit
account, a gift card.

Locks are taken in one order everywhere: the order row (orders.locks.order_lock), then its
payments by id, then a refund's ledger row, then the customer's store-credit account, then a
gift card, so two
writers never deadlock. No provider is called while they are held. Each function must run
inside a transaction; the lock is held until it ends.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db import connection

from payments.models import GiftCard, Payment, PaymentTransaction, StoreCreditAccount


def payment_lock(pk: int) -> Payment:
    """The payment with its channel, read again under its lock, after its order's: a provider's
    answer, a capture, a void or a refund is applied to it one at a time. Only the payment's
    row is locked (of self): the channel is read with it, and locking it too would make every
    payment of the channel, and any edit of the channel, wait for this one."""
    assert connection.in_atomic_block, "payment_lock() must run inside a transaction"
    return Payment.objects.select_for_update(of=("self",)).select_related("channel").get(pk=pk)


def payments_lock(
    *, order_id: int, statuses: Collection[str] | None = None, with_channel: bool = False
) -> list[Payment]:
    """The order's payments (in these statuses, if given), locked in id order, after the order:
    what is paid, captured and refundable is summed under the lock. `with_channel`: each is read
    with its channel, which is not locked (of self), as in payment_lock()."""
    assert connection.in_atomic_block, "payments_lock() must run inside a transaction"
    payments = Payment.objects.select_for_update(of=("self",))
    if with_channel:
        payments = payments.select_related("channel")
    payments = payments.filter(order_id=order_id)
    if statuses is not None:
        payments = payments.filter(status__in=statuses)
    return list(payments.order_by("pk"))


def payment_transaction_lock(pk: int) -> PaymentTransaction:
    """The ledger row, read again under its lock (after its payment's): a pending refund is
    settled once, however many workers learn its answer."""
    assert connection.in_atomic_block, "payment_transaction_lock() must run inside a transaction"
    return PaymentTransaction.objects.select_for_update().get(pk=pk)


def store_credit_account_lock(pk: int) -> StoreCreditAccount:
    """The account, read again under its lock: its balance moves by one entry at a time."""
    assert connection.in_atomic_block, "store_credit_account_lock() must run inside a transaction"
    return StoreCreditAccount.objects.select_for_update().get(pk=pk)


def customer_store_credit_lock(customer_id: int) -> StoreCreditAccount | None:
    """The customer's store-credit account, read again under its lock, or None if they have
    none: a payment from it is checked against its balance under the lock."""
    assert connection.in_atomic_block, "customer_store_credit_lock() must run inside a transaction"
    return StoreCreditAccount.objects.select_for_update().filter(customer_id=customer_id).first()


def gift_card_lock(pk: int) -> GiftCard:
    """The gift card, read again under its lock, after the order's and its payments': its
    balance moves by one entry at a time, and a spend is checked against it under the lock."""
    assert connection.in_atomic_block, "gift_card_lock() must run inside a transaction"
    return GiftCard.objects.select_for_update().get(pk=pk)


def gift_card_claim_unsent(pk: int) -> GiftCard | None:
    """A sold card whose code and PIN are still to be e-mailed, claimed under its lock, or None
    when it was sent, has no address, or another worker holds it (SKIP LOCKED): each card's
    e-mail is made and sent once."""
    assert connection.in_atomic_block, "gift_card_claim_unsent() must run inside a transaction"
    return (
        GiftCard.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, pin_sent_at__isnull=True)
        .exclude(recipient_email="")
        .first()
    )
