"""Reads of the customer profile: the consents in force, whether a message may be sent, the
timeline, its identities, and the staff's customer search."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Expression, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from customers.identity import loyalty_number_valid, phone_normalise_or_blank
from customers.iys import iys_enabled
from customers.iys_rules import recipient_for
from customers.loyalty.selectors import loyalty_summary
from customers.metrics import customer_metrics_of
from customers.models import (
    Address,
    ConsentDecision,
    ConsentStatus,
    ConsentType,
    Customer,
    CustomerIdentity,
    CustomerMetrics,
    DataRequest,
    IdentityKind,
    PushState,
    RecipientType,
    Segment,
    TimelineEvent,
)
from customers.sections import TYPED_SECTIONS, CustomerOrders, customer_360_sections
from customers.segments import segments_of
from omni.errors import NotFound, ValidationError
from omni.search import search_words, words_match

# The channels campaigns and notifications speak of, as IYS names them.
CHANNEL_TYPES = {"email": ConsentType.EPOSTA, "sms": ConsentType.MESAJ, "call": ConsentType.ARAMA}


def consents_current(*, customer: Customer) -> list[ConsentDecision]:
    """The decision in force per (channel, recipient type): the latest of each, one query (the
    consent_current index, read newest first per group)."""
    ranked = (
        ConsentDecision.objects.filter(customer=customer)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("type"), F("recipient_type")],
                order_by=[F("decided_at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
        .order_by("type", "recipient_type")
    )
    return list(ranked)


def consent_current(
    *, customer: Customer, consent_type: str, recipient_type: str = RecipientType.BIREYSEL
) -> ConsentDecision | None:
    return (
        ConsentDecision.objects.filter(
            customer=customer, type=consent_type, recipient_type=recipient_type
        )
        .order_by("-decided_at", "-id")
        .first()
    )


@dataclass(frozen=True, slots=True)
class MessagePermission:
    allowed: bool
    # transactional | consent | no_consent | withdrawn | pending_iys | rejected_by_iys |
    # address_changed | no_address
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def message_allowed(
    *,
    customer: Customer,
    channel: str,
    commercial: bool,
    recipient_type: str = RecipientType.BIREYSEL,
) -> MessagePermission:
    """May we send this person a message on this channel ("email", "sms" or "call") now?

    - A transactional message (an order, its shipping, a pickup) needs no commercial consent.
    - A commercial one needs the current decision to be ONAY, for the address the profile has
      now: a consent given for one e-mail address or number does not follow the profile to
      another.
    - A RET takes effect at once. An ONAY the retailer collected counts once IYS holds it (pushed,
      or made in IYS): operators check commercial SMS and calls against IYS, and a message sent
      on a consent IYS does not know of is unprovable if the person complains. A push normally
      takes seconds; while IYS is switched off (IYS_ENABLED) nothing is pushed and the ONAY
      counts as recorded.
    """
    consent_type = CHANNEL_TYPES.get(channel)
    if consent_type is None:
        raise ValueError(f"unknown channel {channel!r}; one of {', '.join(CHANNEL_TYPES)}")
    address = recipient_for(consent_type=consent_type, email=customer.email, phone=customer.phone)
    if not address:
        return MessagePermission(False, "no_address")
    if not commercial:
        return MessagePermission(True, "transactional")
    return consent_permission(
        consent_current(
            customer=customer, consent_type=consent_type, recipient_type=recipient_type
        ),
        address=address,
        iys_required=iys_enabled(),
    )


def messages_allowed(
    *, customer: Customer, consents: Sequence[ConsentDecision] | None = None
) -> dict[str, MessagePermission]:
    """message_allowed for a commercial message to the person (BIREYSEL) on each channel
    ("email", "sms", "call"), from the decisions in force (consents_current's, read here in
    one query when not handed in: the staff profile hands in the 360's)."""
    decisions = consents if consents is not None else consents_current(customer=customer)
    in_force = {(d.type, d.recipient_type): d for d in decisions}
    allowed = {}
    for channel, consent_type in CHANNEL_TYPES.items():
        address = recipient_for(
            consent_type=consent_type, email=customer.email, phone=customer.phone
        )
        allowed[channel] = (
            consent_permission(
                in_force.get((consent_type, RecipientType.BIREYSEL)),
                address=address,
                iys_required=iys_enabled(),
            )
            if address
            else MessagePermission(False, "no_address")
        )
    return allowed


def consent_permission(
    decision: ConsentDecision | None, *, address: str, iys_required: bool
) -> MessagePermission:
    """The rule of message_allowed for a commercial message, given the decision in force."""
    if decision is None:
        return MessagePermission(False, "no_consent")
    if decision.status == ConsentStatus.RET:
        return MessagePermission(False, "withdrawn")
    if decision.recipient != address:
        return MessagePermission(False, "address_changed")
    if iys_required and decision.push_state in (PushState.PENDING, PushState.REJECTED):
        reason = "pending_iys" if decision.push_state == PushState.PENDING else "rejected_by_iys"
        return MessagePermission(False, reason)
    return MessagePermission(True, "consent")


def consents_overdue(*, now: dt.datetime | None = None) -> QuerySet[ConsentDecision]:
    """Decisions not yet in IYS past their legal deadline (the consent_push_pending index)."""
    return ConsentDecision.objects.filter(
        push_state=PushState.PENDING, push_due_at__lt=now or timezone.now()
    )


def consents_to_push(*, limit: int = 500) -> list[int]:
    """Pending decisions, the nearest deadline first."""
    return list(
        ConsentDecision.objects.filter(push_state=PushState.PENDING)
        .order_by("push_due_at", "id")
        .values_list("id", flat=True)[:limit]
    )


# --- the timeline -------------------------------------------------------------------------------

TIMELINE_PAGE_MAX = 100


@dataclass(frozen=True, slots=True)
class TimelinePage:
    events: list[TimelineEvent]
    # Opaque: the position after the last event of this page, or None on the last page.
    next_cursor: str | None


def _cursor_encode(event: TimelineEvent) -> str:
    raw = f"{event.occurred_at.isoformat()}|{event.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = raw.split("|")
        occurred_at = dt.datetime.fromisoformat(when)
        if occurred_at.tzinfo is None:
            raise ValueError("naive")
        return occurred_at, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError.for_field(
            "cursor", "This is not a cursor this list gave.", code="invalid_cursor"
        ) from None


def timeline_read(
    customer: Customer,
    *,
    cursor: str | None = None,
    kinds: Sequence[str] = (),
    channels: Sequence[str] = (),
    limit: int = 50,
) -> TimelinePage:
    """One page of the customer's timeline, newest first, in one query: keyset pagination on
    (occurred_at, id), which the index timeline_customer_recent serves in order, so a page deep in
    a long stream costs what the first does and events that share a time neither repeat nor go
    missing between pages. `kinds` and `channels` (codes) narrow it."""
    limit = max(1, min(limit, TIMELINE_PAGE_MAX))
    rows = TimelineEvent.objects.filter(customer=customer)
    if cursor:
        occurred_at, pk = _cursor_decode(cursor)
        rows = rows.filter(
            Q(occurred_at__lt=occurred_at) | Q(occurred_at=occurred_at, id__lt=pk),
            occurred_at__lte=occurred_at,
        )
    if kinds:
        rows = rows.filter(kind__in=list(kinds))
    if channels:
        rows = rows.filter(channel__code__in=list(channels))
    events = list(rows.select_related("channel").order_by("-occurred_at", "-id")[: limit + 1])
    more = len(events) > limit
    events = events[:limit]
    return TimelinePage(events=events, next_cursor=_cursor_encode(events[-1]) if more else None)


# --- identities and staff search ---------------------------------------------------------------


def user_may_view_customers(user: User) -> bool:
    """Store staff, and merchant staff with the customers.view_customer permission, may see
    customers: find them and read their timeline."""
    if not (user and user.is_authenticated):
        return False
    return user.is_store_staff or (
        user.is_merchant_staff and user.has_perm("customers.view_customer")
    )


def user_may_open_data_requests(user: User) -> bool:
    """Merchant staff with the customers.add_datarequest permission (customer service) may
    record a KVKK request on a person's behalf; store staff may not."""
    if not (user and user.is_authenticated):
        return False
    return user.is_merchant_staff and user.has_perm("customers.add_datarequest")


def identities_of(*, customer: Customer) -> QuerySet[CustomerIdentity]:
    return CustomerIdentity.objects.filter(customer=customer).order_by("kind", "id")


def customers_search(*, query: str) -> QuerySet[Customer]:
    """Profiles a staff member looks for, newest first (customers_matching). An empty query
    finds nobody. One query."""
    match = customers_matching(query=query)
    if match is None:
        return Customer.objects.none()
    return Customer.objects.filter(match).order_by("-id")


def customers_matching(*, query: str) -> Q | None:
    """The condition on Customer for a staff search: by phone typed any way (0532 123 45 67,
    +90 532..., 532...), e-mail address, loyalty card or marketplace buyer id (an identity's
    exact value, or the profile's own e-mail and phone for a profile that has no identity yet),
    or by name (every word the start of the first or last name, Turkish folded: omni.search). None for an empty query.
    Identities are read in subqueries by their unique index, so the search stays one query. A
    profile merged into another is never found: its survivor is, also by what only the
    merged-away profile's own fields still hold."""
    match = _matching(query)
    if match is None:
        return None
    merged_away = Customer.objects.filter(match, merged_into__isnull=False)
    return (match & Q(merged_into__isnull=True)) | Q(pk__in=merged_away.values("merged_into"))


def _matching(query: str) -> Q | None:
    text = " ".join((query or "").split())
    if not text:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if "@" in text:
        email = text.lower()
        return Q(email__iexact=email) | _holding(IdentityKind.EMAIL, email)
    match = _holding(IdentityKind.MARKETPLACE_BUYER, text)
    if digits and not any(ch.isalpha() for ch in text):
        phone = phone_normalise_or_blank(text)
        if phone:
            match |= Q(phone__in=_typed_forms(phone)) | _holding(IdentityKind.PHONE, phone)
        if loyalty_number_valid(digits):
            match |= _holding(IdentityKind.LOYALTY_CARD, digits)
        return match
    # Every word the start of the first or last name, Turkish folded: "ayse" finds "Ayşe",
    # "IŞIK" finds "Işık" (omni.search; trigram-indexed on PostgreSQL, migration 0013).
    # In a subquery of its own, which PostgreSQL answers from those indexes alone: ORed with
    # the identity conditions it would fold every profile's name.
    named = words_match(["first_name", "last_name"], search_words(text), prefix=True)
    if named is None:
        return match
    return match | Q(pk__in=Customer.objects.filter(named).values("pk"))


def _typed_forms(phone: str) -> list[str]:
    """The ways a profile from before identities may hold a Turkish number as typed."""
    if not phone.startswith("+90"):
        return [phone]
    national = phone[3:]
    return [phone, "0" + national, national, phone[1:]]


def _holding(kind: str, value: str) -> Q:
    return Q(pk__in=CustomerIdentity.objects.filter(kind=kind, value=value).values("customer_id"))


# --- the 360 view -------------------------------------------------------------------------------

CUSTOMER_360_TIMELINE = 20
CUSTOMER_360_DATA_REQUESTS = 20


@dataclass(frozen=True)
class Customer360:
    """Everything staff see about one person, read once: the profile and what customers holds,
    then the sections other apps hand in (customers.sections). A section not registered (yet)
    is None."""

    customer: Customer
    identities: list[CustomerIdentity]
    addresses: list[Address]
    # The decision in force per (channel, recipient type).
    consents: list[ConsentDecision]
    timeline: TimelinePage
    data_requests: list[DataRequest]
    orders: CustomerOrders | None = None  # recent orders and carts in progress, every channel
    metrics: CustomerMetrics | None = None  # None until first computed
    segments: list[Segment] | None = None  # the segments the customer is in now
    loyalty: Any = None  # a customers.loyalty.selectors.LoyaltySummary; None: not enrolled
    extra: dict[str, Any] = field(default_factory=dict)


def customer_360_get(*, pk: int | Expression) -> Customer:
    """The customer with what the 360 shows of its own row, in one query. `pk` may be an
    expression: the staff API passes customers.merge.customer_resolved_pk, so a merged-away id
    reads the survivor (merge imports this module, so it is handed in, not imported)."""
    customer = (
        Customer.objects.select_related("first_channel", "user", "metrics").filter(Q(pk=pk)).first()
    )
    if customer is None:
        raise NotFound("No such customer.", code="customer_not_found")
    return customer


def customer_360(
    *,
    customer: Customer,
    timeline_kinds: Sequence[str] = (),
    timeline_channels: Sequence[str] = (),
    cursor: str | None = None,
) -> Customer360:
    """The 360 view in a fixed number of queries: identities, addresses, consents, a timeline
    page (the first, or the one after `cursor`, narrowed by kind and channel) and data requests
    (one query each), then each registered section's own fixed count."""
    page = timeline_read(
        customer,
        cursor=cursor,
        kinds=timeline_kinds,
        channels=timeline_channels,
        limit=CUSTOMER_360_TIMELINE,
    )
    sections: dict[str, Any] = {}
    for section in customer_360_sections():
        sections[section.name] = section.reader(customer)
    typed = {name: sections.pop(name) for name in TYPED_SECTIONS if name in sections}
    # Customers keeps the metrics itself (customers.metrics): no query when the customer was
    # read with select_related("metrics"), as customer_360_get and the admin read it.
    typed.setdefault("metrics", customer_metrics_of(customer=customer))
    # And the segments the customer is in now (customers.segments), one query.
    typed.setdefault("segments", list(segments_of(customer=customer)))
    # And the loyalty account (customers.loyalty), three queries.
    typed.setdefault("loyalty", loyalty_summary(customer=customer))
    return Customer360(
        customer=customer,
        identities=list(identities_of(customer=customer)),
        addresses=list(Address.objects.filter(customer=customer)),
        consents=consents_current(customer=customer),
        timeline=page,
        data_requests=list(
            DataRequest.objects.filter(customer=customer)
            .select_related("requested_by")
            .order_by("-requested_at", "-id")[:CUSTOMER_360_DATA_REQUESTS]
        ),
        extra=sections,
        **typed,
    )
