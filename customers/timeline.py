"""The customer timeline's writes: events the app and the storefront send (the ingest API),
other apps' outbox events (orders' placed, status and refund events, through the channel relay),
and a visitor's anonymous events joined to the profile on sign-in.

Every write is one INSERT ... ON CONFLICT DO NOTHING on (source, event_id): a batch sent twice,
or an outbox event relayed twice, stores nothing new.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer, TimelineEvent, TimelineKind
from customers.services import customer_for_user, segments_customers_changed
from customers.visitors import visitor_token_read
from omni.errors import ValidationError
from sales_channels.models import Channel

logger = logging.getLogger(__name__)

INGEST_BATCH_MAX = 500
# What a client may send; the rest is recorded by the app that owns the change.
INGEST_KINDS = (
    TimelineKind.PRODUCT_VIEWED,
    TimelineKind.SEARCH,
    TimelineKind.CART_STARTED,
    TimelineKind.CART_CHANGED,
    TimelineKind.CART_ABANDONED,
)
OUTBOX_SOURCE = "outbox"


@dataclass(frozen=True, slots=True)
class IngestEvent:
    """One client event that passed the boundary's checks."""

    event_id: str
    kind: str
    occurred_at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)


def timeline_ingest(
    *,
    events: Sequence[IngestEvent],
    channel: Channel,
    customer: Customer | None,
    visitor_id: UUID | None,
) -> None:
    """Store a client's batch in one statement. The source is the channel's code: a client's
    event id is unique on its channel, and a replay stores nothing new."""
    if not events:
        return
    if customer is None and visitor_id is None:
        raise ValueError("an anonymous event needs the visitor's id")
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                customer=customer,
                visitor_id=visitor_id,
                kind=event.kind,
                channel=channel,
                occurred_at=event.occurred_at,
                data=event.data,
                source=channel.code,
                event_id=event.event_id,
            )
            for event in events
        ],
        ignore_conflicts=True,
    )
    if customer is not None:
        segments_customers_changed(customer_ids=[customer.pk])


def timeline_join_visitor(*, customer: Customer, visitor_id: UUID) -> int:
    """Give a visitor's anonymous events to the profile they signed in to; returns how many.
    Rows already joined (to this or another profile) stay as they are."""
    joined = TimelineEvent.objects.filter(visitor_id=visitor_id, customer__isnull=True).update(
        customer=customer
    )
    if joined:
        segments_customers_changed(customer_ids=[customer.pk])
    return joined


def on_signed_in(*, user: User, visitor_token: str | None = None, **_: Any) -> None:
    """accounts.hooks.signed_in: the app signed in with the visitor token it sent events
    under (customers.visitors): only a token the server issued names a visitor to join."""
    visitor_id = visitor_token_read(visitor_token)
    if visitor_id is None:
        return
    timeline_join_visitor(customer=customer_for_user(user=user), visitor_id=visitor_id)


# --- other apps' outbox events ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderOwner:
    """Whose an order is, as the app that owns orders answers it."""

    customer_id: int | None
    channel_id: int | None
    store_id: int | None
    # Placed at a store's counter (on a store's own channel), not online.
    counter_sale: bool = False


# order numbers -> their owners; orders registers its selector in its AppConfig.ready().
OrderOwnersReader = Callable[[Iterable[str]], dict[str, OrderOwner]]
_order_owners: OrderOwnersReader | None = None


def timeline_set_order_owners(reader: OrderOwnersReader | None) -> None:
    global _order_owners
    _order_owners = reader


# The outbox topics orders records (orders.services: placement, lifecycle, return_rules) and the
# kind of timeline event each becomes.
ORDER_TOPICS = {
    "orders.order.placed": TimelineKind.ORDER_PLACED,
    "orders.order.status_changed": TimelineKind.ORDER_STATUS,
    "orders.refund.due": TimelineKind.RETURN,
}
_ORDER_DATA = ("order", "status", "previous", "total", "currency", "return", "amount")


def timeline_from_outbox(events: Sequence[tuple]) -> int:
    """Relay consumer (sales_channels.services.relay_consumer_register): orders' events as
    timeline rows, one INSERT for the batch, in the relay's transaction; the outbox event's id
    is the event id, so an event relayed twice is stored once. Events of orders without a
    customer (a guest with no profile) are skipped. Each event is (id, topic, key, version,
    channel_id, payload JSON text, created_at). Returns how many rows were offered."""
    if _order_owners is None or not events:
        return 0
    decoded = [(row[0], row[1], json.loads(row[5]), row[6]) for row in events]
    owners = _order_owners({str(payload.get("order")) for _i, _t, payload, _c in decoded})
    rows = []
    for event_id, topic, payload, created_at in decoded:
        owner = owners.get(str(payload.get("order")))
        if owner is None or owner.customer_id is None:
            continue
        data = {name: payload[name] for name in _ORDER_DATA if name in payload}
        if "lines" in payload:
            data["lines"] = len(payload["lines"])
        kind = ORDER_TOPICS[topic]
        if kind == TimelineKind.ORDER_PLACED and owner.counter_sale:
            kind = TimelineKind.COUNTER_SALE
        rows.append(
            TimelineEvent(
                customer_id=owner.customer_id,
                kind=kind,
                channel_id=owner.channel_id,
                store_id=owner.store_id,
                occurred_at=created_at,
                data=data,
                source=OUTBOX_SOURCE,
                event_id=str(event_id),
            )
        )
    if rows:
        TimelineEvent.objects.bulk_create(rows, ignore_conflicts=True)
        segments_customers_changed(customer_ids=[row.customer_id for row in rows])
    return len(rows)


# Customers' own outbox topics that the timeline shows (recorded by customers.services).
CONSENT_TOPICS = ("customers.consent.decided",)
_CONSENT_DATA = ("type", "recipient_type", "status", "source")


def timeline_from_consents(events: Sequence[tuple]) -> int:
    """Relay consumer: each consent decision (given in a form, at a till, in IYS) as a timeline
    row, one INSERT per batch, idempotent by the outbox event's id like orders' events."""
    rows = []
    for event_id, _topic, _key, _version, _channel, payload_text, created_at in events:
        payload = json.loads(payload_text)
        if not payload.get("customer_id"):
            continue
        rows.append(
            TimelineEvent(
                customer_id=payload["customer_id"],
                kind=TimelineKind.CONSENT,
                occurred_at=_when(payload.get("decided_at")) or created_at,
                data={name: payload[name] for name in _CONSENT_DATA if name in payload},
                source=OUTBOX_SOURCE,
                event_id=str(event_id),
            )
        )
    if rows:
        TimelineEvent.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _when(text: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


NOTE_MAX_CHARS = 2000


def note_text_clean(text: str) -> str:
    """A staff note's text as kept: trimmed, not empty, at most NOTE_MAX_CHARS."""
    text = (text or "").strip()
    if not text:
        raise ValidationError.for_field("text", _("Write the note."), code="required")
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError.for_field(
            "text",
            _("Keep the note under %(max)d characters.") % {"max": NOTE_MAX_CHARS},
            code="max_length",
        )
    return text


def timeline_note_add(
    *,
    customer: Customer,
    author: User,
    text: str,
    channel: Channel | None = None,
    event_id: str | None = None,
) -> TimelineEvent:
    """A staff member's note on a customer's timeline (what they asked for at the counter, a
    size they wear), signed with who wrote it, at the store `channel` when given."""
    text = note_text_clean(text)
    return TimelineEvent.objects.create(
        customer=customer,
        kind=TimelineKind.STAFF_NOTE,
        channel=channel,
        occurred_at=timezone.now(),
        data={"text": text, "author_id": author.pk, "author": author.get_full_name() or ""},
        source="staff_note",
        event_id=event_id or uuid4().hex,
    )


def timeline_record(
    *,
    customer_id: int,
    kind: str,
    occurred_at: dt.datetime,
    source: str,
    event_id: str,
    channel: Channel | None = None,
    store_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """One event the CRM itself records (a store visit, a loyalty movement), once per (source,
    id), and the customer's segments marked for a refresh."""
    with transaction.atomic():
        TimelineEvent.objects.bulk_create(
            [
                TimelineEvent(
                    customer_id=customer_id,
                    kind=kind,
                    channel=channel,
                    store_id=store_id,
                    occurred_at=occurred_at,
                    data=data or {},
                    source=source,
                    event_id=event_id,
                )
            ],
            ignore_conflicts=True,
        )
        segments_customers_changed(customer_ids=[customer_id])


def order_owners_read(numbers: Iterable[str]) -> dict[str, OrderOwner]:
    """Whose each order is, from the reader orders registered (empty before it has): the
    loyalty programme reads orders' and payments' events with it too."""
    return _order_owners(numbers) if _order_owners is not None else {}
