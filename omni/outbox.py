"""The transactional outbox: record an event in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from omni.db import WriteBatch, insert_many
from omni.models import OutboxEvent


class OutboxOutsideTransaction(RuntimeError):
    """An event written outside a transaction could survive a change that failed."""


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    key: str
    payload: dict[str, Any]
    version: int = 0
    channel_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise OutboxOutsideTransaction(
            "outbox events must be recorded inside the transaction of the change they describe"
        )


_relay_trigger: Callable[[], None] | None = None


def outbox_set_relay_trigger(trigger: Callable[[], None] | None) -> None:
    """What runs after a commit that recorded events (sales_channels sets its relay)."""
    global _relay_trigger
    _relay_trigger = trigger


def _relay_after_commit() -> None:
    if _relay_trigger is not None:
        _relay_trigger()


def _trigger_on_commit() -> None:
    """Once per transaction, however many events it records: the relay takes them all."""
    if _relay_trigger is None:
        return
    conn = transaction.get_connection()
    if any(entry[1] is _relay_after_commit for entry in conn.run_on_commit):
        return
    transaction.on_commit(_relay_after_commit, robust=True)


def outbox_record(
    *,
    topic: str,
    key: str,
    payload: dict[str, Any],
    version: int = 0,
    channel_id: int | None = None,
) -> OutboxEvent:
    _require_transaction()
    event = OutboxEvent.objects.create(
        topic=topic, key=key, payload=payload, version=version, channel_id=channel_id
    )
    _trigger_on_commit()
    return event


def outbox_record_many(
    events: Iterable[Event], *, batch: WriteBatch | None = None
) -> list[OutboxEvent]:
    """Record many events with one INSERT (bulk price changes, imports), or add them to a
    write batch that the caller executes in the same transaction."""
    _require_transaction()
    rows = [
        OutboxEvent(
            topic=e.topic, key=e.key, payload=e.payload, version=e.version, channel_id=e.channel_id
        )
        for e in events
    ]
    if rows:
        _trigger_on_commit()
    if batch is not None:
        batch.insert(OutboxEvent, rows)
        return rows
    for start in range(0, len(rows), 500):
        insert_many(OutboxEvent, rows[start : start + 500])
    return rows


def outbox_recorded_in_sql() -> None:
    """A statement of the caller's own inserted outbox rows (a set-based INSERT ... SELECT):
    have the relay run after the commit, as outbox_record does."""
    _require_transaction()
    _trigger_on_commit()
