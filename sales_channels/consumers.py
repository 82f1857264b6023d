"""Relay consumers: apps above that read outbox events for themselves (customers' timeline)
register the topics they want and a function the relay hands those events to, inside the
relay's transaction (outbox_relay_batch).

A consumer that fails is rolled back alone (a savepoint), so the channels' sync never waits for
it, and each event it was given is recorded as a ConsumerRetry in the relay's transaction: the
event is published and its retry recorded together, so nothing is lost. The beat's
`relay_consumers_retry` hands the due ones to the consumer again, with backoff (30 s doubling
to an hour), until it succeeds. Consumers must be idempotent by the event's id: an event can
reach them again after a crash, or in a retry after a success that was not recorded.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from omni.db import converted, in_list, json_text
from omni.models import OutboxEvent
from sales_channels.locks import consumer_retries_claim
from sales_channels.models import ConsumerRetry

logger = logging.getLogger(__name__)

RelayConsumer = Callable[[list[tuple]], object]
# name -> (topics, consumer)
_consumers: dict[str, tuple[frozenset[str], RelayConsumer]] = {}

RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600


def consumer_name(consumer: RelayConsumer) -> str:
    return f"{consumer.__module__}.{getattr(consumer, '__qualname__', repr(consumer))}"


def relay_consumer_register(
    *, topics: Iterable[str], consumer: RelayConsumer, name: str | None = None
) -> None:
    """Hand `consumer` every relayed event of these topics, as (id, topic, key, version,
    channel_id, payload JSON text, created_at) rows, in the relay's transaction, so an event is
    consumed with its publication; one it fails on is retried (above). Registered in the app's
    AppConfig.ready(); `name` (the function's dotted path by default) keys its retries."""
    _consumers[name or consumer_name(consumer)] = (frozenset(topics), consumer)


def _error_text() -> str:
    return traceback.format_exc(limit=5)[-2000:]


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def consume(events: list[tuple]) -> None:
    """The relay's step: each consumer its events, each in a savepoint; a failure becomes
    retries (in the caller's transaction)."""
    for name, (topics, consumer) in list(_consumers.items()):
        wanted = [event for event in events if event[1] in topics]
        if not wanted:
            continue
        try:
            with transaction.atomic():
                consumer(wanted)
        except Exception:
            logger.exception("relay consumer %s failed on %d events; retried", name, len(wanted))
            now = timezone.now()
            ConsumerRetry.objects.bulk_create(
                [
                    ConsumerRetry(
                        consumer=name,
                        event_id=event[0],
                        next_attempt_at=now + _backoff(1),
                        last_error=_error_text(),
                    )
                    for event in wanted
                ],
                ignore_conflicts=True,
            )


_FIELDS = ("id", "topic", "key", "version", "channel_id", "payload", "created_at")


def _events_by_id(ids: list[int]) -> list[tuple]:
    """The outbox events, in id order, as the relay hands them (the payload as JSON text)."""
    fields = [f for name in _FIELDS for f in OutboxEvent._meta.concrete_fields if f.attname == name]
    quote = connection.ops.quote_name
    names = [quote(f.column) for f in fields]
    names[5] = json_text(names[5])
    where, params = in_list("id", ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(names)} FROM {quote(OutboxEvent._meta.db_table)}"  # noqa: S608
            f" WHERE {where} ORDER BY id",
            params,
        )
        return [(*row[:6], *converted(row[6:], fields[6:])) for row in cursor.fetchall()]


def relay_consumers_retry(*, now: datetime | None = None, limit: int = 500) -> int:
    """Hand each consumer its due retries again, oldest first, in one transaction; the rows are
    locked (SKIP LOCKED: two runs share the work). Done ones are deleted; a failure waits longer.
    An event the outbox no longer holds cannot be retried: logged and dropped. Returns how many
    events were consumed."""
    now = now or timezone.now()
    consumed = 0
    with transaction.atomic():
        due = consumer_retries_claim(now=now, limit=limit)
        by_consumer: dict[str, list[ConsumerRetry]] = {}
        for retry in due:
            by_consumer.setdefault(retry.consumer, []).append(retry)
        for name, retries in by_consumer.items():
            registered = _consumers.get(name)
            if registered is None:
                continue  # a consumer not loaded in this process: left for one that has it
            events = _events_by_id([retry.event_id for retry in retries])
            found = {event[0] for event in events}
            gone = [retry.pk for retry in retries if retry.event_id not in found]
            if gone:
                logger.error("relay consumer %s: %d events left the outbox", name, len(gone))
            try:
                with transaction.atomic():
                    if events:
                        registered[1](events)
            except Exception:
                logger.exception("relay consumer %s failed again on %d events", name, len(events))
                error = _error_text()
                for retry in retries:
                    if retry.event_id in found:
                        retry.attempts += 1
                        retry.next_attempt_at = now + _backoff(retry.attempts)
                        retry.last_error = error
                ConsumerRetry.objects.bulk_update(
                    [r for r in retries if r.event_id in found],
                    ["attempts", "next_attempt_at", "last_error"],
                )
                ConsumerRetry.objects.filter(pk__in=gone).delete()
                continue
            ConsumerRetry.objects.filter(pk__in=[retry.pk for retry in retries]).delete()
            consumed += len(events)
    return consumed
