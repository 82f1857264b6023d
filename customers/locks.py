"""Every row lock of customers: one of a customer's addresses, the cursor of the IYS pull, a
KVKK data request with its customer, customers' metrics rows, the two profiles of a merge, an
identity claim and the identity it takes, the customers pending a segment refresh, and a segment's sync.

Each function must run inside a transaction; the lock is held until it ends.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from customers.models import (
    Address,
    Customer,
    CustomerIdentity,
    CustomerMetrics,
    DataRequest,
    IdentityClaim,
    IysPullCursor,
    LoyaltyAccount,
    SegmentPending,
)


def address_lock(*, customer_id: int, pk: int) -> Address | None:
    """The customer's address, read again under its lock, or None if it is not theirs (or
    gone): two edits of one address (say, from two devices) are applied one after the
    other."""
    assert connection.in_atomic_block, "address_lock() must run inside a transaction"
    return Address.objects.select_for_update().filter(customer_id=customer_id, pk=pk).first()


def iys_pull_cursor_lock(*, brand_code: str) -> IysPullCursor:
    """The brand's IYS pull cursor, read again under its lock (taken after IYS has answered,
    never while it is asked): a page is written only if the cursor is still the one it was read
    after, so two pulls at once write it once."""
    assert connection.in_atomic_block, "iys_pull_cursor_lock() must run inside a transaction"
    return IysPullCursor.objects.select_for_update().get(brand_code=brand_code)


def data_request_lock(*, pk: int) -> DataRequest | None:
    """A data request read again under its lock, then its customer's: a request answered by
    the task and by the admin's "process now" at once is answered once, and an erasure holds
    the profile while it rewrites it. Always the request first, then the customer."""
    assert connection.in_atomic_block, "data_request_lock() must run inside a transaction"
    return DataRequest.objects.select_for_update().filter(pk=pk).first()


def customer_lock(*, pk: int) -> Customer:
    """The customer, read again under its lock."""
    assert connection.in_atomic_block, "customer_lock() must run inside a transaction"
    return Customer.objects.select_for_update().get(pk=pk)


def customer_metrics_lock(*, customer_ids: list[int]) -> dict[int, datetime]:
    """The existing metrics rows of these customers, locked in primary-key order (FOR UPDATE OF
    the rows alone): {customer id: computed_at}. Two recomputes of one customer (a task and the
    full run) write one after the other, and the later snapshot wins."""
    assert connection.in_atomic_block, "customer_metrics_lock() must run inside a transaction"
    return dict(
        CustomerMetrics.objects.select_for_update(of=("self",))
        .filter(customer_id__in=customer_ids)
        .order_by("customer_id")
        .values_list("customer_id", "computed_at")
    )


def customers_lock(*, pks: list[int]) -> dict[int, Customer]:
    """The customers, read again under their locks taken in pk order (of=self), by pk: two
    merges of the same pair at once, either way round, are applied one after the other and
    never deadlock."""
    assert connection.in_atomic_block, "customers_lock() must run inside a transaction"
    rows = Customer.objects.select_for_update(of=("self",)).filter(pk__in=sorted(set(pks)))
    return {customer.pk: customer for customer in rows.order_by("pk")}


def identity_claim_lock(*, customer_id: int, pk: int) -> IdentityClaim | None:
    """The customer's identity claim, read again under its lock, or None if it is not theirs:
    two tries of a code at once count as two attempts."""
    assert connection.in_atomic_block, "identity_claim_lock() must run inside a transaction"
    return IdentityClaim.objects.select_for_update().filter(customer_id=customer_id, pk=pk).first()


def identity_lock(*, kind: str, value: str) -> CustomerIdentity | None:
    """The identity (not a marketplace's) with this value, read again under its lock, or None
    when nobody holds it: a proven claim takes it from a guest one at a time."""
    assert connection.in_atomic_block, "identity_lock() must run inside a transaction"
    return (
        CustomerIdentity.objects.select_for_update()
        .filter(kind=kind, marketplace="", value=value)
        .first()
    )


# pg_advisory_xact_lock(space, segment id): one sync of a segment at a time.
_SEGMENT_LOCK_SPACE = 0x5E6


def segment_sync_lock(*, segment_id: int) -> None:
    """Wait for, and hold until the transaction ends, the right to sync the segment's
    membership: two recomputes, or a recompute and a refresh, of one segment run one after the
    other (customers.segments). A transaction taking several takes them by segment id."""
    assert connection.in_atomic_block, "segment_sync_lock() must run inside a transaction"
    if connection.vendor != "postgresql":  # SQLite (make run's demo) has one writer at a time
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_SEGMENT_LOCK_SPACE, segment_id])


def segment_pending_take(*, limit: int) -> list[int]:
    """Up to `limit` customers pending a segment refresh, the longest waiting first, their rows
    deleted and held until the transaction ends (a rollback leaves them pending); rows another
    refresh holds are skipped, so several run side by side."""
    assert connection.in_atomic_block, "segment_pending_take() must run inside a transaction"
    if connection.vendor != "postgresql":  # SQLite (make run's demo): one writer at a time
        ids = list(
            SegmentPending.objects.order_by("marked_at").values_list("customer_id", flat=True)[
                :limit
            ]
        )
        SegmentPending.objects.filter(customer_id__in=ids).delete()
        return ids
    table = SegmentPending._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            # Chosen once (MATERIALIZED): a LIMIT ... SKIP LOCKED subquery the planner rescans
            # takes the next rows on each rescan (sales_channels.locks._claim_sql).
            f"WITH taken AS MATERIALIZED (SELECT customer_id FROM {table}"  # noqa: S608
            " ORDER BY marked_at FOR UPDATE SKIP LOCKED LIMIT %s)"
            f" DELETE FROM {table} WHERE customer_id IN (SELECT customer_id FROM taken)"
            " RETURNING customer_id",
            [limit],
        )
        return [row[0] for row in cursor.fetchall()]


def loyalty_accounts_lock(*, pks: list[int]) -> list[LoyaltyAccount]:
    """Loyalty accounts read again under their locks, in id order (a merge locks two): a
    balance moves by one writer at a time, and two spends of the last points are one after
    the other (the second finds the balance spent)."""
    assert connection.in_atomic_block, "loyalty_accounts_lock() must run inside a transaction"
    return list(
        LoyaltyAccount.objects.select_for_update(of=("self",))
        .select_related("programme")
        .filter(pk__in=sorted(set(pks)))
        .order_by("pk")
    )
