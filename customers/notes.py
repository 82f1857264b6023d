"""Staff notes on a customer: what a clerk wrote (the size they wear, what they asked for), at
which store. Each note is a StaffNote row and an event on the customer's timeline."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from customers.models import Customer, StaffNote, TimelineEvent
from customers.timeline import note_text_clean, timeline_note_add
from sales_channels.models import Channel

STAFF_NOTES_SHOWN = 20


@dataclass(frozen=True)
class NoteAdded:
    note: StaffNote
    event: TimelineEvent  # the note on the customer's timeline


def staff_note_add(
    *, customer: Customer, author: User, text: str, store: Channel | None = None
) -> NoteAdded:
    """Record a note (trimmed, not empty, at most customers.timeline.NOTE_MAX_CHARS: a field
    error `text` otherwise, and nothing is written) and the timeline's staff-note event, in one
    transaction. The staff screens and the staff API both add notes here."""
    text = note_text_clean(text)
    with transaction.atomic():
        note = StaffNote.objects.create(customer=customer, author=author, store=store, text=text)
        event = timeline_note_add(
            customer=customer,
            author=author,
            text=text,
            channel=store,
            event_id=f"note-{note.pk}",
        )
    return NoteAdded(note=note, event=event)


def staff_notes_of(*, customer: Customer, limit: int = STAFF_NOTES_SHOWN) -> list[StaffNote]:
    """The customer's latest notes, newest first, with author and store: one query."""
    return list(staff_notes_query(customer=customer)[:limit])


def staff_notes_query(*, customer: Customer) -> QuerySet[StaffNote]:
    return (
        StaffNote.objects.filter(customer=customer)
        .select_related("author", "store")
        .order_by("-created_at", "-id")
    )
