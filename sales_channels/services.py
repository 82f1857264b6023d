"""Channel sync: relay committed outbox events into per-endpoint deliveries, send them through
each endpoint's connector, keep the books (retries, dead letters, failing endpoints), and the
merchant's operations on it (retry dead letters, rotate a secret, resync a channel).

The relay and the sender each hold a transaction only for their own short bookkeeping: no
transaction is open while a connector talks to the network.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.db import (
    WriteBatch,
    in_list,
    insert_fields,
    json_from_text,
    rows_batches,
    rows_select,
    select_one,
    session_lock,
)
from omni.errors import ValidationError
from omni.models import OutboxEvent
from omni.outbox import outbox_record_many
from omni.tasks import enqueue_after_commit
from sales_channels import consumers
from sales_channels.connectors.base import CONNECTORS, Change, Connector, Outcome
from sales_channels.locks import deliveries_claim, endpoint_lock, outbox_claim
from sales_channels.models import Channel, ChannelEndpoint, ConsumerRetry, Delivery
from sales_channels.resync import channel_state_events

logger = logging.getLogger(__name__)

RELAY_BATCH = 500


def _setting(name: str, default):
    return getattr(settings, name, default)


def retry_window() -> timedelta:
    return timedelta(hours=_setting("OMNI_SYNC_RETRY_HOURS", 72))


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> float:
    """Seconds before the next try after `attempts` failed ones: exponential from
    OMNI_SYNC_BACKOFF_BASE_SECONDS, capped at OMNI_SYNC_BACKOFF_MAX_SECONDS, with jitter
    (between half and all of it) so that a recovered receiver is not hit by everyone at once."""
    base = float(_setting("OMNI_SYNC_BACKOFF_BASE_SECONDS", 5))
    cap = float(_setting("OMNI_SYNC_BACKOFF_MAX_SECONDS", 3600))
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay * (0.5 + 0.5 * (rng or random).random())


# --- endpoints ------------------------------------------------------------------------------


def connector_for(endpoint: ChannelEndpoint) -> Connector | None:
    cls = CONNECTORS.get(endpoint.kind)
    return cls(endpoint) if cls is not None else None


def endpoint_validate(*, endpoint: ChannelEndpoint) -> None:
    """Field errors of an endpoint's kind and configuration, as one ValidationError."""
    connector = connector_for(endpoint)
    if connector is None:
        raise ValidationError.for_field(
            "kind",
            _("Unknown connector kind: %(kind)s.") % {"kind": endpoint.kind},
            code="unknown_kind",
        )
    errors = connector.check_config()
    if errors:
        raise ValidationError(fields=errors)


def endpoint_rotate_secret(
    *, endpoint: ChannelEndpoint, grace: timedelta = timedelta(hours=24)
) -> ChannelEndpoint:
    """A new signing secret; the old one keeps signing (a second v1) for `grace`, so receivers
    can switch without losing a delivery."""
    with transaction.atomic():
        locked = endpoint_lock(endpoint.pk)
        if locked.signing_secret:
            locked.previous_secret = locked.signing_secret
            locked.previous_secret_expires_at = timezone.now() + grace
        locked.signing_secret = "whsec_" + secrets.token_urlsafe(32)
        locked.save(
            update_fields=[
                "signing_secret",
                "previous_secret",
                "previous_secret_expires_at",
                "updated_at",
            ]
        )
    return locked


# --- the relay: outbox events -> deliveries --------------------------------------------------


@dataclass
class RelayResult:
    events: int = 0
    deliveries: int = 0
    endpoint_ids: set[int] = field(default_factory=set)


def _subscribers() -> list[tuple[ChannelEndpoint, Connector]]:
    found = []
    for endpoint in ChannelEndpoint.objects.filter(is_active=True, channel__is_active=True):
        connector = connector_for(endpoint)
        if connector is None:
            logger.warning("endpoint %s has no connector of kind %r", endpoint.pk, endpoint.kind)
            continue
        found.append((endpoint, connector))
    return found


# Apps above that read outbox events for themselves (customers' timeline): sales_channels.consumers.
relay_consumer_register = consumers.relay_consumer_register


def outbox_relay_batch(*, limit: int = RELAY_BATCH) -> RelayResult:
    """Move up to `limit` committed, unpublished outbox events into deliveries, in one short
    transaction. Rows another relay holds are skipped (SKIP LOCKED), so several can run.

    Payloads pass through as the database's JSON text: the relay folds on topic, key and
    version only, and decoding each payload to encode it again was most of its cost
    (bench/sync.py)."""
    result = RelayResult()
    with transaction.atomic(), connection.cursor() as cursor:
        events = outbox_claim(limit=limit)
        if not events:
            return result
        subscribers = [
            (endpoint.pk, endpoint.channel_id, connector) for endpoint, connector in _subscribers()
        ]
        # Fold the batch per (endpoint, topic, key): the highest version wins (the later event
        # on a tie); occurred_at is the oldest folded in.
        folded: dict[tuple[int, str, str], list] = {}
        for _id, topic, key, version, channel_id, payload, created_at in events:
            for endpoint_id, endpoint_channel_id, connector in subscribers:
                if channel_id is not None and channel_id != endpoint_channel_id:
                    continue
                if not connector.wants(topic):
                    continue
                slot = (endpoint_id, topic, key)
                row = folded.get(slot)
                if row is None:
                    folded[slot] = [version, payload, channel_id, created_at]
                    continue
                if version >= row[0]:
                    row[0], row[1] = version, payload
                if created_at < row[3]:
                    row[3] = created_at
        _deliveries_upsert(folded)
        consumers.consume(events)
        published, params = in_list("id", [event[0] for event in events])
        cursor.execute(
            f"UPDATE {OutboxEvent._meta.db_table} SET published_at = %s,"  # noqa: S608
            f" attempts = attempts + 1 WHERE {published}",
            [connection.ops.adapt_datetimefield_value(timezone.now()), *params],
        )
    result.events = len(events)
    result.deliveries = len(folded)
    result.endpoint_ids = {slot[0] for slot in folded}
    return result


# The values of each delivery, as rows_select() names and types them, and the column of the
# model each one fills.
_UPSERT_ROW = (
    ("e", "bigint"), ("d", "uuid"), ("t", "text"), ("k", "text"), ("v", "bigint"),
    ("c", "bigint"), ("p", "text"), ("o", "timestamptz"),
)  # fmt: skip
_UPSERT_PER_ROW = {
    "endpoint": "e", "delivery_id": "d", "topic": "t", "key": "k", "version": "v",
    "channel_id": "c", "payload": "p", "occurred_at": "o",
}  # fmt: skip


def _deliveries_upsert(folded: dict[tuple[int, str, str], list]) -> None:
    """INSERT the deliveries, folding each into its key's never-tried pending delivery when
    there is one (ON CONFLICT on the partial unique index delivery_coalesce). Rows go in key
    order, so two relays folding the same keys wait for each other instead of deadlocking.

    `folded` maps (endpoint id, topic, key) to [version, payload as JSON text, channel id,
    occurred at]. Values are prepared for the database once per batch where they are the same
    for every row, and only the delivery id and time per row."""
    if not folded:
        return
    quote = connection.ops.quote_name
    table = quote(Delivery._meta.db_table)
    now = timezone.now()
    adapt_time = connection.ops.adapt_datetimefield_value
    now_db = adapt_time(now)
    native_uuid = connection.features.has_native_uuid_field
    # Every column of the model (insert_fields): a row's own value, one value for the whole
    # batch, or, for a field not named here, its default; a field added to Delivery is written
    # with no other edit.
    per_batch = {
        "status": Delivery.Status.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now_db,
        "retry_until": adapt_time(now + retry_window()),
        "last_error": "",
        "created_at": now_db,
    }
    fields = insert_fields(Delivery)
    picked: list[str] = []
    constants: list[Any] = []
    for f in fields:
        if f.name in _UPSERT_PER_ROW:
            name = _UPSERT_PER_ROW[f.name]
            picked.append(json_from_text(name) if f.name == "payload" else name)
            continue
        picked.append("%s")
        constants.append(
            per_batch[f.name]
            if f.name in per_batch
            else f.get_db_prep_save(f.get_default(), connection)
        )

    def newer(column: str, when: str, compare: str) -> str:
        """`column` of the row folded in where its `when` compares so to the stored one's."""
        stored, excluded = f"{table}.{quote(when)}", f"EXCLUDED.{quote(when)}"
        return (
            f"{quote(column)} = CASE WHEN {excluded} {compare} {stored}"
            f" THEN EXCLUDED.{quote(column)} ELSE {table}.{quote(column)} END"
        )

    # Built from the model's own table and column names, never from input. The outer SELECT
    # has a WHERE: SQLite would read ON CONFLICT as a join's ON without one.
    head = (
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)})"  # noqa: S608
        f" SELECT {', '.join(picked)} FROM ("
    )
    tail = (
        ") AS u WHERE true"
        f" ON CONFLICT ({quote('endpoint_id')}, {quote('topic')}, {quote('key')})"
        # The index's own condition, word for word: SQLite matches it literally.
        f" WHERE ({quote('attempts')} = 0 AND {quote('status')} = 'pending')"
        f" DO UPDATE SET {newer('payload', 'version', '>=')}, {newer('version', 'version', '>')},"
        f" {newer('occurred_at', 'occurred_at', '<')}"
    )
    with connection.cursor() as cursor:
        for batch in rows_batches(sorted(folded.items())):
            rows = []
            for (endpoint_id, topic, key), (version, payload, channel_id, occurred) in batch:
                delivery_id = uuid.uuid4()
                rows.append(
                    (
                        endpoint_id, delivery_id if native_uuid else delivery_id.hex, topic,
                        key, version, channel_id, payload, adapt_time(occurred),
                    )
                )  # fmt: skip
            source, params = rows_select(_UPSERT_ROW, rows)
            cursor.execute(f"{head}{source}{tail}", [*constants, *params])


# --- the sender: deliveries -> the endpoint's connector ------------------------------------


def _endpoint_lock(endpoint_id: int) -> AbstractContextManager[bool]:
    """One sender per endpoint at a time (a session advisory lock, released when the sender
    ends or its connection dies): the endpoint's rate limit holds across workers and its
    deliveries leave in order."""
    return session_lock(_LOCK_SPACE, endpoint_id)


_LOCK_SPACE = 0x0D1  # advisory-lock namespace of endpoint senders


def _any_due(endpoint_id: int) -> bool:
    """Whether a delivery of the endpoint is due now (what _due(...).exists() asks, without
    compiling a query each time a sender looks)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Delivery._meta.db_table} WHERE endpoint_id = %s"  # noqa: S608
            " AND status = %s AND next_attempt_at <= %s LIMIT 1",
            [
                endpoint_id,
                Delivery.Status.PENDING.value,
                connection.ops.adapt_datetimefield_value(timezone.now()),
            ],
        )
        return cursor.fetchone() is not None


def _change(delivery: Delivery) -> Change:
    return Change(
        delivery_id=str(delivery.delivery_id),
        topic=delivery.topic,
        key=delivery.key,
        version=delivery.version,
        payload=delivery.payload,
        channel_id=delivery.channel_id,
        occurred_at=delivery.occurred_at,
    )


@dataclass
class SendResult:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    retry_after: float | None = None


def deliveries_record(
    *, endpoint: ChannelEndpoint, deliveries: list[Delivery], outcomes: Iterable[Outcome]
) -> SendResult:
    """Book what the connector said: delivered; failed and due again after a backoff (or the
    receiver's Retry-After); or dead (refused for good, or failing past its retry window). The
    endpoint is flagged after OMNI_SYNC_FAILING_AFTER failures in a row, and cleared by a
    success."""
    now = timezone.now()
    by_id = {str(d.delivery_id): d for d in deliveries}
    said = {o.delivery_id: o for o in outcomes if o.delivery_id in by_id}
    result = SendResult()
    delivered, retried, dead = [], [], []
    for delivery_id, delivery in by_id.items():
        outcome = said.get(delivery_id) or Outcome(
            delivery_id, ok=False, error="the connector gave no outcome"
        )
        if outcome.ok:
            delivered.append(delivery.id)
            continue
        delivery.last_error = (outcome.error or "failed")[:2000]
        if not outcome.retry or now >= delivery.retry_until:
            delivery.status = Delivery.Status.DEAD
            dead.append(delivery)
            continue
        wait = retry_delay(delivery.attempts)
        if outcome.retry_after is not None:
            wait = max(outcome.retry_after, 0.0)
            result.retry_after = max(result.retry_after or 0.0, wait)
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        retried.append(delivery)
    result.delivered, result.failed, result.dead = len(delivered), len(retried), len(dead)
    adapt = connection.ops.adapt_datetimefield_value
    now_db = adapt(now)
    # The receiver asked us to wait (429 Retry-After): nothing is sent to it before then.
    paused_until = now + timedelta(seconds=result.retry_after) if result.retry_after else None
    # The delivered ones and the endpoint's success: one statement on PostgreSQL, no
    # transaction to open and commit when all went well.
    batch = WriteBatch()
    if delivered:
        ids, id_params = in_list("id", delivered)
        batch.update(
            f"UPDATE {Delivery._meta.db_table} SET status = %s, delivered_at = %s,"  # noqa: S608
            f" last_error = '' WHERE status = %s AND {ids}",
            [Delivery.Status.DELIVERED.value, now_db, Delivery.Status.PENDING.value, *id_params],
        )
        batch.update(
            f"UPDATE {ChannelEndpoint._meta.db_table} SET last_success_at = %s,"  # noqa: S608
            " consecutive_failures = 0, is_failing = %s, failing_since = NULL,"
            " paused_until = COALESCE(%s, paused_until) WHERE id = %s",
            [now_db, False, adapt(paused_until) if paused_until else None, endpoint.pk],
        )
    with transaction.atomic() if retried or dead else nullcontext():
        batch.execute()
        if retried:
            Delivery.objects.bulk_update(retried, ["next_attempt_at", "last_error"])
        if dead:
            Delivery.objects.bulk_update(dead, ["status", "last_error"])
        failures = result.failed + result.dead
        if failures and not delivered:
            threshold = int(_setting("OMNI_SYNC_FAILING_AFTER", 10))
            paused = {"paused_until": paused_until} if paused_until else {}
            ChannelEndpoint.objects.filter(pk=endpoint.pk).update(
                consecutive_failures=F("consecutive_failures") + failures, **paused
            )
            ChannelEndpoint.objects.filter(
                pk=endpoint.pk, is_failing=False, consecutive_failures__gte=threshold
            ).update(is_failing=True, failing_since=now)
    return result


def _lease_seconds(endpoint: ChannelEndpoint, connector: Connector, count: int) -> float:
    parallel = int((endpoint.config or {}).get("parallel", 1) or 1)
    rounds = -(-count // max(1, parallel))
    margin = float(_setting("OMNI_SYNC_LEASE_MARGIN_SECONDS", 30))
    return rounds * float(endpoint.timeout_seconds or 10) + margin


@dataclass
class DrainResult:
    busy: bool = False  # another sender has the endpoint
    sent: SendResult = field(default_factory=SendResult)
    more: bool = False  # due deliveries remain (the time budget ran out)


def endpoint_drain(*, endpoint_id: int, budget_seconds: float = 20.0) -> DrainResult:
    """Send the endpoint's due deliveries, batch after batch, within its rate limit, until none
    is due or the budget is spent. Nothing is held open while the connector works."""
    result = DrainResult()
    deadline = time.monotonic() + budget_seconds
    while True:
        with _endpoint_lock(endpoint_id) as got:
            if not got:
                result.busy = True
                return result
            out_of_time = _drain_locked(endpoint_id, deadline, result.sent)
        if out_of_time:
            result.more = True
            return result
        # A delivery committed while this sender was finishing found the lock taken and left
        # it to us: look once more after letting go.
        if not _any_due(endpoint_id) or time.monotonic() >= deadline:
            return result


def _drain_locked(endpoint_id: int, deadline: float, total: SendResult) -> bool:
    """True when the budget ran out with work left."""
    endpoint = select_one(ChannelEndpoint, "id = %s AND is_active = %s", [endpoint_id, True])
    if endpoint is None:
        return False
    connector = connector_for(endpoint)
    if connector is None:
        return False
    rate = endpoint.rate_limit_per_second
    limit = max(1, min(connector.batch_size, rate or connector.batch_size))
    while True:
        if endpoint.paused_until and endpoint.paused_until > timezone.now():
            return False
        if time.monotonic() >= deadline:
            return _any_due(endpoint_id)
        claimed = deliveries_claim(
            endpoint=endpoint, limit=limit, lease=_lease_seconds(endpoint, connector, limit)
        )
        if not claimed:
            return False
        started = time.monotonic()
        try:
            outcomes = connector.send([_change(d) for d in claimed])
        except Exception as exc:
            logger.exception("connector %s of endpoint %s failed", endpoint.kind, endpoint.pk)
            outcomes = [
                Outcome(str(d.delivery_id), ok=False, error=f"{type(exc).__name__}: {exc}")
                for d in claimed
            ]
        sent = deliveries_record(endpoint=endpoint, deliveries=claimed, outcomes=outcomes)
        total.delivered += sent.delivered
        total.failed += sent.failed
        total.dead += sent.dead
        if sent.retry_after is not None:
            total.retry_after = sent.retry_after
            return False
        if (sent.failed or sent.dead) and not sent.delivered:
            return False  # the receiver is struggling: the rest waits for the backoff and sweep
        if rate:
            pause = len(claimed) / rate - (time.monotonic() - started)
            if pause > 0:
                time.sleep(pause)
        if len(claimed) < limit:
            # All that was due went out; endpoint_drain looks once more after letting go.
            return False


def endpoints_due(*, now: datetime | None = None) -> list[int]:
    """Active endpoints with a delivery due now (what the beat sweep sends)."""
    now = now or timezone.now()
    return sorted(
        ChannelEndpoint.objects.filter(is_active=True)
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
        .filter(
            id__in=Delivery.objects.filter(
                status=Delivery.Status.PENDING, next_attempt_at__lte=now
            ).values("endpoint_id")
        )
        .values_list("id", flat=True)
    )


# --- merchant operations --------------------------------------------------------------------


def deliveries_retry(*, delivery_ids: Iterable[int]) -> int:
    """Send dead letters again, now, with a new retry window (the same delivery ids, so a
    receiver that did get one drops it)."""
    now = timezone.now()
    return Delivery.objects.filter(id__in=list(delivery_ids), status=Delivery.Status.DEAD).update(
        status=Delivery.Status.PENDING,
        next_attempt_at=now,
        retry_until=now + retry_window(),
    )


def outbox_prune(*, now: datetime | None = None, chunk: int = 5000) -> int:
    """Delete relayed outbox events older than OMNI_OUTBOX_KEEP_DAYS and delivered (or
    superseded) deliveries older than OMNI_SYNC_DELIVERED_KEEP_DAYS, a chunk at a time (short
    transactions, walking the primary key from the oldest)."""
    now = now or timezone.now()
    events_before = now - timedelta(days=_setting("OMNI_OUTBOX_KEEP_DAYS", 7))
    deliveries_before = now - timedelta(days=_setting("OMNI_SYNC_DELIVERED_KEEP_DAYS", 7))
    total = 0
    while True:
        ids = list(
            OutboxEvent.objects.filter(published_at__isnull=False, created_at__lt=events_before)
            .exclude(Exists(ConsumerRetry.objects.filter(event_id=OuterRef("id"))))
            .order_by("id")
            .values_list("id", flat=True)[:chunk]
        )
        if ids:
            total += OutboxEvent.objects.filter(id__in=ids).delete()[0]
        more = list(
            Delivery.objects.filter(
                status__in=[Delivery.Status.DELIVERED, Delivery.Status.SUPERSEDED],
                created_at__lt=deliveries_before,
            )
            .order_by("id")
            .values_list("id", flat=True)[:chunk]
        )
        if more:
            total += Delivery.objects.filter(id__in=more).delete()[0]
        if len(ids) < chunk and len(more) < chunk:
            return total


def channel_resync(*, channel: Channel, chunk: int = 500) -> int:
    """Record the current state of every variant on the channel (its availability with the
    current stock version, its price, its product's publication) as outbox events, so that
    they reach the channel's endpoints through the normal pipeline. A receiver that already
    has a state drops it by version. Returns the number of events recorded."""
    total = 0
    for events in channel_state_events(channel=channel, chunk=chunk):
        with transaction.atomic():
            outbox_record_many(events)
        total += len(events)
    return total


def channel_resync_request(*, channel: Channel) -> None:
    """Have a task resync the channel after the commit (a large catalogue takes minutes, longer
    than a request may). The request stays recorded on the channel until a run of it finishes,
    so the beat (tasks.channel_resyncs_pending) queues again one whose message was lost."""
    Channel.objects.filter(pk=channel.pk).update(resync_requested_at=timezone.now())
    from sales_channels.tasks import channel_resync as task

    enqueue_after_commit(task, channel.pk)


def channel_resync_queued(*, channel_id: int, requested_at: datetime) -> None:
    """The beat queued a resync again: its request is stamped now, so the next sweep waits for
    its run as for a new one (unless a run started meanwhile and stamped it already)."""
    Channel.objects.filter(pk=channel_id, resync_requested_at=requested_at).update(
        resync_requested_at=timezone.now()
    )


def channel_resync_run(*, channel_id: int) -> int:
    """A requested resync: the request is stamped with the run's start (the beat then leaves it
    alone for as long as a run may take), the state recorded (channel_resync), and the request
    forgotten unless another was made since the run started. 0 for a channel that is gone."""
    started = timezone.now()
    if not Channel.objects.filter(pk=channel_id).update(resync_requested_at=started):
        return 0
    total = channel_resync(channel=Channel.objects.get(pk=channel_id))
    Channel.objects.filter(pk=channel_id, resync_requested_at__lte=started).update(
        resync_requested_at=None
    )
    return total
