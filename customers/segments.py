"""Segments: their writes, the preview of a rule, and keeping membership current.

Membership is kept by one set-based statement per segment (segment_sync): the customers the
rule matches that are not members yet are inserted, members it no longer matches are deleted,
and each entry and exit is appended to SegmentMembershipChange and recorded as an outbox event
(customers.segment.entered / customers.segment.exited) - all in one INSERT/DELETE with CTEs,
with no loop over customers in Python. The same statement serves

- the full recompute of a segment (the beat, `manage.py segments_recompute`, and after the
  segment is saved), over every customer, and
- the incremental path: a change to a customer's data (a timeline event, a consent, an order's
  event through the relay) marks them pending (segments_customers_changed); a task queued after
  the commit evaluates every active segment for the pending customers only.

Two syncs of one segment never run at once (a transaction-level advisory lock per segment), and
the unique (segment, customer) stands behind it: a change is recorded once, however often or
concurrently a sync runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from customers.locks import segment_pending_take, segment_sync_lock
from customers.models import (
    Customer,
    Segment,
    SegmentMembership,
    SegmentMembershipChange,
    SegmentPending,
)
from customers.segment_rules import rules_compile, rules_validate
from omni.models import OutboxEvent
from omni.outbox import Event, outbox_record_many, outbox_recorded_in_sql

ENTERED_TOPIC = "customers.segment.entered"
EXITED_TOPIC = "customers.segment.exited"
PREVIEW_SAMPLE = 20


# --- reads ------------------------------------------------------------------------------------


def segment_matching(*, rules: dict, now: dt.datetime | None = None) -> QuerySet[Customer]:
    """The customers a valid rule matches now: one query, however complex the rule. A profile
    merged into another is in no segment (its survivor is)."""
    condition = rules_compile(rules, now=now or timezone.now())
    return Customer.objects.filter(merged_into__isnull=True).filter(condition)


@dataclass(frozen=True, slots=True)
class SegmentPreview:
    count: int
    sample: list[Customer]


def segment_preview(*, rules: Any, sample: int = PREVIEW_SAMPLE) -> SegmentPreview:
    """How many customers a rule (saved or not) matches, and the newest few of them; two
    queries. An invalid rule is a ValidationError with its nodes' paths."""
    rules_validate(rules)
    matching = segment_matching(rules=rules)
    return SegmentPreview(
        count=matching.count(), sample=list(matching.order_by("-id")[: max(0, sample)])
    )


def segment_members(*, segment: Segment) -> QuerySet[SegmentMembership]:
    """The segment's members, who entered last first, with their profiles (one query a page)."""
    return (
        SegmentMembership.objects.filter(segment=segment)
        .select_related("customer")
        .order_by("-entered_at", "-id")
    )


def segment_changes(*, segment: Segment) -> QuerySet[SegmentMembershipChange]:
    return SegmentMembershipChange.objects.filter(segment=segment).order_by("-at", "-id")


# --- membership -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncResult:
    entered: int
    exited: int


def segment_recompute(*, segment_id: int, now: dt.datetime | None = None) -> SyncResult:
    """The full recompute of one active segment over every customer. A segment gone or
    inactive is left as it is."""
    with transaction.atomic():
        segment = Segment.objects.filter(pk=segment_id, is_active=True).first()
        if segment is None:
            return SyncResult(0, 0)
        segment_sync_lock(segment_id=segment.pk)
        result = segment_sync(segment=segment, now=now)
        Segment.objects.filter(pk=segment.pk).update(
            recomputed_at=timezone.now(),
            member_count=SegmentMembership.objects.filter(segment=segment).count(),
        )
    return result


def segments_recompute_all() -> dict[int, SyncResult]:
    """Every active segment, each in its own transaction."""
    ids = Segment.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    return {pk: segment_recompute(segment_id=pk) for pk in list(ids)}


_SYNC_SQL = """
WITH target(id) AS MATERIALIZED ({matching}),
entered AS (
    INSERT INTO {membership} (segment_id, customer_id, entered_at)
    SELECT %s, target.id, %s FROM target
    ON CONFLICT (segment_id, customer_id) DO NOTHING
    RETURNING customer_id
),
exited AS (
    DELETE FROM {membership} AS m
    WHERE m.segment_id = %s {only_members}
      AND NOT EXISTS (SELECT 1 FROM target WHERE target.id = m.customer_id)
    RETURNING customer_id
),
changes AS (
    INSERT INTO {change} (segment_id, customer_id, kind, at)
    SELECT %s, customer_id, 'entered', %s FROM entered
    UNION ALL
    SELECT %s, customer_id, 'exited', %s FROM exited
    RETURNING customer_id, kind
),
events AS (
    INSERT INTO {outbox} (topic, key, version, channel_id, payload, created_at, attempts)
    SELECT 'customers.segment.' || kind, 'customer:' || customer_id, 0, NULL,
           jsonb_build_object('segment', %s::bigint, 'customer', customer_id,
                              'change', kind, 'at', %s::timestamptz),
           %s, 0
    FROM changes
)
SELECT count(*) FILTER (WHERE kind = 'entered'), count(*) FILTER (WHERE kind = 'exited')
FROM changes
"""


def segment_sync(
    *, segment: Segment, customer_ids: Sequence[int] | None = None, now: dt.datetime | None = None
) -> SyncResult:
    """Bring the segment's membership in line with its rule - for every customer, or for
    `customer_ids` only - in one statement, recording each entry and exit (a change row and an
    outbox event). Runs inside the caller's transaction, which holds the segment's lock."""
    now = now or timezone.now()
    matching = segment_matching(rules=segment.rules, now=now)
    if customer_ids is not None:
        matching = matching.filter(pk__in=list(customer_ids))
    if connection.vendor != "postgresql":  # the SQLite demo (make run): one writer at a time
        return _sync_portable(segment, matching, customer_ids, now)
    matching_sql, matching_params = matching.order_by().values("pk").query.sql_with_params()
    only = "AND m.customer_id = ANY(%s)" if customer_ids is not None else ""
    pk = segment.pk
    params = [
        *matching_params,
        *(pk, now),  # entered
        pk,
        *([list(customer_ids)] if customer_ids is not None else []),  # exited
        *(pk, now, pk, now),  # changes
        *(pk, now, now),  # events
    ]
    statement = _SYNC_SQL.format(
        matching=matching_sql,
        membership=SegmentMembership._meta.db_table,
        change=SegmentMembershipChange._meta.db_table,
        outbox=OutboxEvent._meta.db_table,
        only_members=only,
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        entered, exited = cursor.fetchone()
    if entered or exited:
        outbox_recorded_in_sql()
    return SyncResult(entered, exited)


def _sync_portable(
    segment: Segment,
    matching: QuerySet[Customer],
    customer_ids: Sequence[int] | None,
    now: dt.datetime,
) -> SyncResult:
    """segment_sync on a database without data-modifying CTEs (SQLite, make run's demo): the
    same rule and the same rows and events, in a few statements instead of one."""
    target = set(matching.order_by().values_list("pk", flat=True))
    members = SegmentMembership.objects.filter(segment=segment)
    if customer_ids is not None:
        members = members.filter(customer_id__in=list(customer_ids))
    current = set(members.values_list("customer_id", flat=True))
    entered, exited = sorted(target - current), sorted(current - target)
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(segment=segment, customer_id=pk, entered_at=now) for pk in entered]
    )
    members.filter(customer_id__in=exited).delete()
    changes = [(pk, "entered") for pk in entered] + [(pk, "exited") for pk in exited]
    SegmentMembershipChange.objects.bulk_create(
        [
            SegmentMembershipChange(segment=segment, customer_id=pk, kind=k, at=now)
            for pk, k in changes
        ]
    )
    outbox_record_many(
        Event(
            topic=f"customers.segment.{kind}",
            key=f"customer:{pk}",
            payload={"segment": segment.pk, "customer": pk, "change": kind, "at": now.isoformat()},
        )
        for pk, kind in changes
    )
    return SyncResult(len(entered), len(exited))


def segments_mark_pending(*, customer_ids: Iterable[int | None]) -> bool:
    """These customers' data changed: mark them pending, in one statement; whether one of them
    was not pending yet (then the caller queues the refresh: customers.services'
    segments_customers_changed). The upsert locks a pending row, so a refresh taking it waits
    for this transaction and then sees its change."""
    ids = sorted({pk for pk in customer_ids if pk is not None})
    if not ids:
        return False
    if connection.vendor != "postgresql":  # the SQLite demo (make run): one writer at a time
        return _mark_pending_portable(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SegmentPending._meta.db_table} (customer_id, marked_at)"
            " SELECT unnest(%s::bigint[]), %s"
            " ON CONFLICT (customer_id) DO UPDATE SET marked_at = EXCLUDED.marked_at"
            " RETURNING (xmax = 0)",
            [ids, timezone.now()],
        )
        return any(row[0] for row in cursor.fetchall())


def _mark_pending_portable(ids: list[int]) -> bool:
    now = timezone.now()
    held = set(
        SegmentPending.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True)
    )
    SegmentPending.objects.bulk_create(
        [SegmentPending(customer_id=pk, marked_at=now) for pk in ids],
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=["marked_at"],
    )
    return bool(set(ids) - held)


PENDING_BATCH = 500


def segments_refresh_pending(*, limit: int = PENDING_BATCH) -> int:
    """Evaluate every active segment for up to `limit` pending customers, in one transaction
    that takes their pending rows (rows another worker holds are skipped); returns how many
    customers were evaluated."""
    with transaction.atomic():
        ids = segment_pending_take(limit=limit)
        if not ids:
            return 0
        now = timezone.now()
        for segment in Segment.objects.filter(is_active=True).order_by("pk"):
            segment_sync_lock(segment_id=segment.pk)
            result = segment_sync(segment=segment, customer_ids=ids, now=now)
            if result.entered or result.exited:
                Segment.objects.filter(pk=segment.pk).update(
                    member_count=F("member_count") + result.entered - result.exited
                )
    return len(ids)


def segments_of(*, customer: Customer) -> QuerySet[Segment]:
    """The segments a customer is in now."""
    return Segment.objects.filter(memberships__customer=customer).order_by("name")
