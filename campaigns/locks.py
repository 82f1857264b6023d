"""Every lock of campaigns: a customer's claims on promotions and codes.

Uses and budgets are claimed with conditional UPDATEs (campaigns.services.redemption), which
need no lock of their own: PostgreSQL re-checks the condition on the row a concurrent claim
just changed. A per-customer limit counts the customer's redemptions, rows that do not exist
yet, so the customer's claims are serialised by a lock on the customer instead. A release locks
the order's redemptions, so that it gives each use back once.

Order inside order placement: the cart (orders.locks), then this customer lock, then the
promotion rows by id, then the code rows by id, then stock (inventory.locks). A release (on
cancel or refund) takes the order, the order's redemptions, then promotions and codes in the
same order, before any stock. A change of a promotion by the merchant (campaigns.services.
promotions) locks its row alone, so two changes at once (an admin save and an API pause) apply
one after the other and each records the event of what it changed from. Each function must run
inside a transaction; the lock is held until it ends.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from campaigns.models import Promotion, Redemption

# pg_advisory_xact_lock(space, customer id): one claim under a per-customer limit at a time.
_CUSTOMER_CLAIM_SPACE = 0xCA3


def customer_claims_lock(*, customer_id: int) -> None:
    """Wait for, and hold until the transaction ends, the right to claim promotion and code
    uses for the customer: two orders of one customer at once count each other's redemptions
    (the second counts after the first commits). An advisory lock, not the customer's row, so
    nothing else that writes the customer (profile, loyalty, merges) waits for a checkout."""
    assert connection.in_atomic_block, "customer_claims_lock() must run inside a transaction"
    if connection.vendor != "postgresql":  # SQLite (make run's demo) has one writer at a time
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CUSTOMER_CLAIM_SPACE, customer_id])


def redemptions_unreleased_lock(*, order_id: int) -> list[tuple[int, int, int | None, Decimal]]:
    """The order's redemptions not yet released, locked in id order, as (id, promotion, code,
    amount): two releases of one order at once (a cancel and a refund, a retried task) give
    each use back once, the second finding them released."""
    assert connection.in_atomic_block, "redemptions_unreleased_lock() must run inside a transaction"
    return list(
        Redemption.objects.select_for_update()
        .filter(order_id=order_id, released_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "promotion_id", "code_id", "amount")
    )


def promotion_lock(*, promotion_id: int) -> Promotion:
    """The promotion, locked for a change by the merchant."""
    assert connection.in_atomic_block, "promotion_lock() must run inside a transaction"
    return Promotion.objects.select_for_update().get(pk=promotion_id)
