"""Every row lock of the channel sync: an endpoint, and the claims of the relay and the sender.

A claim takes a batch of rows and skips those another worker holds (SKIP LOCKED), so several
relays and senders run side by side; it never waits for a row, so its order cannot deadlock,
and each keeps the order its work needs (oldest first). Where the database has no SKIP LOCKED
(SQLite, the `make run` default), its one writer at a time does the same. Each function but
deliveries_claim (which owns its transaction) must run inside a transaction; the lock is held
until it ends.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from omni.db import columns, converted, from_row, json_text
from omni.models import OutboxEvent
from sales_channels.models import ChannelEndpoint, ConsumerRetry, Delivery


def endpoint_lock(pk: int) -> ChannelEndpoint:
    """The endpoint, read again under its lock: its signing secrets are rotated one change at
    a time."""
    assert connection.in_atomic_block, "endpoint_lock() must run inside a transaction"
    return ChannelEndpoint.objects.select_for_update().get(pk=pk)


# --- the relay's claim ----------------------------------------------------------------------


def outbox_claim(*, limit: int) -> list[tuple]:
    """The oldest `limit` unpublished outbox events, locked, skipping those another relay holds,
    in id order (oldest first, the order they were recorded in), each as (id, topic, key,
    version, channel id, payload as JSON text, created at). The payload stays JSON text:
    the relay folds on topic, key and version only; only the time needs converting (on
    SQLite)."""
    assert connection.in_atomic_block, "outbox_claim() must run inside a transaction"
    with connection.cursor() as cursor:
        cursor.execute(_unpublished_sql(connection.vendor), [limit])
        return [(*row[:6], *converted(row[6:], _EVENT_FIELDS[6:])) for row in cursor.fetchall()]


# The columns the relay reads, in its order (by attribute name, so each is a concrete field).
_EVENT_FIELDS = tuple(
    field
    for name in ("id", "topic", "key", "version", "channel_id", "payload", "created_at")
    for field in OutboxEvent._meta.concrete_fields
    if field.attname == name
)


@functools.cache
def _unpublished_sql(vendor: str) -> str:
    """The oldest unpublished events, locked, skipping those another relay holds; the payload
    as JSON text (on SQLite it is stored as text)."""
    quote = connection.ops.quote_name
    names = [quote(f.column) for f in _EVENT_FIELDS]
    names[5] = json_text(names[5])
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    # The model's own table and columns.
    return (
        f"SELECT {', '.join(names)} FROM {quote(OutboxEvent._meta.db_table)}"  # noqa: S608
        f" WHERE published_at IS NULL ORDER BY id LIMIT %s{lock}"
    )


# --- the sender's claim ---------------------------------------------------------------------


def _due(endpoint_id: int, now: datetime):
    return Delivery.objects.filter(
        endpoint_id=endpoint_id,
        status=Delivery.Status.PENDING,
        next_attempt_at__lte=now,
    )


def deliveries_claim(*, endpoint: ChannelEndpoint, limit: int, lease: float) -> list[Delivery]:
    """Take up to `limit` due deliveries of the endpoint: count the try and move their next
    attempt past the lease, atomically. A sender that dies mid-send leaves them to be picked up
    again once the lease is over (same delivery id: the receiver dedupes).

    A due delivery with a newer one of its key for the endpoint (a higher version, or the same
    version made later), whatever that one's state, is marked superseded and not returned: the
    newer one carries the key's state, so an older state never leaves after it (a delivery
    whose sender died mid-send, a retry after a backoff, a stale event relayed late, a dead
    letter retried by hand). The newest delivery of a key is never superseded, so the latest
    state always goes out. On PostgreSQL this is one statement (UPDATE ... RETURNING over the
    rows SKIP LOCKED lets it take, each with one probe of the delivery_key index).

    In the order they fell due, not by id: a delivery retried after a backoff goes behind those
    due before it. A claim never waits for a row (SKIP LOCKED), so its order cannot deadlock.
    It owns its transaction: the lease it writes, not a lock, keeps the rows while they are
    sent, and no transaction is open while a connector talks to the network."""
    now = timezone.now()
    until = now + timedelta(seconds=lease)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _claim_sql(),
                [
                    endpoint.pk, Delivery.Status.PENDING.value, now, limit,
                    Delivery.Status.SUPERSEDED.value, until,
                ],
            )  # fmt: skip
            rows = cursor.fetchall()
        rows.sort(key=lambda row: row[-2:])  # the order they fell due in: was_due, then id
        return [from_row(Delivery, row[:-3]) for row in rows if not row[-3]]
    with transaction.atomic():
        taken = list(
            _due(endpoint.pk, now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "id")[:limit]
        )
        if not taken:
            return []
        newest: dict[tuple[str, str], tuple[int, int]] = {}
        for topic, key, version, id_ in Delivery.objects.filter(
            endpoint_id=endpoint.pk, key__in={d.key for d in taken}
        ).values_list("topic", "key", "version", "id"):
            newest[topic, key] = max(newest.get((topic, key), (version, id_)), (version, id_))
        claimed = [d for d in taken if newest[d.topic, d.key] == (d.version, d.id)]
        superseded = [d.id for d in taken if newest[d.topic, d.key] != (d.version, d.id)]
        if superseded:
            Delivery.objects.filter(id__in=superseded).update(status=Delivery.Status.SUPERSEDED)
        if claimed:
            Delivery.objects.filter(id__in=[d.id for d in claimed]).update(
                attempts=F("attempts") + 1, next_attempt_at=until
            )
    for delivery in claimed:
        delivery.attempts += 1
    return claimed


@functools.cache
def _claim_sql() -> str:
    """The claim on PostgreSQL: a superseded row changes only its status; each row comes back
    with whether it was superseded and when it fell due. The table's own name and columns,
    never input.

    The rows to take are chosen once, in a MATERIALIZED CTE: as a subquery of UPDATE ... FROM,
    the planner may rescan it once per row it joins (a nested loop), and each rescan with SKIP
    LOCKED skips the rows the earlier ones locked and takes the next ones, so the claim took
    far more than `limit` (all 20 due deliveries for a limit of 5, a whole backlog past the
    endpoint's rate limit) once the table's statistics made that plan the cheaper one."""
    table = Delivery._meta.db_table
    return (
        "WITH due AS MATERIALIZED (SELECT c.id, c.next_attempt_at AS was_due, EXISTS ("  # noqa: S608
        f"SELECT 1 FROM {table} AS n WHERE n.endpoint_id = c.endpoint_id"
        " AND n.topic = c.topic AND n.key = c.key"
        " AND (n.version, n.id) > (c.version, c.id)) AS superseded"
        f" FROM {table} AS c WHERE c.endpoint_id = %s AND c.status = %s"
        " AND c.next_attempt_at <= %s ORDER BY c.next_attempt_at, c.id LIMIT %s"
        " FOR UPDATE OF c SKIP LOCKED) "
        f"UPDATE {table} AS d SET"
        " status = CASE WHEN due.superseded THEN %s ELSE d.status END,"
        " attempts = CASE WHEN due.superseded THEN d.attempts ELSE d.attempts + 1 END,"
        " next_attempt_at = CASE WHEN due.superseded THEN d.next_attempt_at ELSE %s END"
        f" FROM due WHERE d.id = due.id RETURNING {columns(Delivery, 'd')}, due.superseded,"
        " due.was_due, d.id"
    )


def consumer_retries_claim(*, now: datetime, limit: int) -> list[ConsumerRetry]:
    """Relay consumers' retries due by `now`, soonest first, locked; those another retry run
    holds are skipped, so two runs share the work (sales_channels.consumers)."""
    assert connection.in_atomic_block, "consumer_retries_claim() must run inside a transaction"
    return list(
        ConsumerRetry.objects.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .select_for_update(skip_locked=True)[:limit]
    )
