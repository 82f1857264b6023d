"""The transactional outbox: record an event in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterable
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


def outbox_record(
    *,
    topic: str,
    key: str,
    payload: dict[str, Any],
    version: int = 0,
    channel_id: int | None = None,
) -> OutboxEvent:
    _require_transaction()
    return OutboxEvent.objects.create(
        topic=topic, key=key, payload=payload, version=version, channel_id=channel_id
    )


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
    if batch is not None:
        batch.insert(OutboxEvent, rows, _COLUMNS)
        return rows
    for start in range(0, len(rows), 500):
        insert_many(OutboxEvent, rows[start : start + 500], _COLUMNS)
    return rows


_COLUMNS = (
    "topic",
    "key",
    "version",
    "channel_id",
    "payload",
    "created_at",
    "published_at",
    "attempts",
)


def on_commit(func, *, using: str | None = None) -> None:
    """Run `func` after the current transaction commits (at once if there is none)."""
    transaction.on_commit(func, using=using)
