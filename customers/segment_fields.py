"""The fields a segment rule may name: for each, the operators it takes, the type of its value
and how it becomes a condition on Customer (a Q, often an EXISTS over another table), so that
a whole rule tree is one WHERE clause of one query (customers.segment_rules).

Adding a field is one entry in FIELDS. A leaf is {"field", "op", "value"}; behaviour fields also
take "days" (only what happened in the last N days counts; without it, ever).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Concat, Lower
from django.utils.translation import gettext_lazy as _

from customers.iys import iys_enabled
from customers.models import (
    Address,
    ConsentDecision,
    ConsentStatus,
    ConsentType,
    CustomerIdentity,
    IdentityKind,
    PushState,
    RecipientType,
    RfmSegment,
    TimelineEvent,
    TimelineKind,
)
from sales_channels.models import Channel

# Value types a leaf's value is checked against (customers.segment_rules). NUMBER is an amount
# or a count with decimals: a JSON integer or a decimal string ("250.50"), read as Decimal.
BOOL, INT, NUMBER, TEXT, CHOICE = "bool", "int", "number", "text", "choice"
# Operators: a list value for "in", one value for the rest.
COMPARE_OPS = ("eq", "ne", "in")
NUMBER_OPS = ("lt", "lte", "gt", "gte")

# (op, value, days, now) -> the condition on Customer
Builder = Callable[[str, Any, int | None, dt.datetime], Q]


@dataclass(frozen=True, slots=True)
class SegmentField:
    label: Any  # a lazy translation
    value_type: str
    ops: tuple[str, ...]
    build: Builder
    # Behaviour fields: a leaf may add "days".
    days: bool = False
    # For CHOICE: the allowed values, read when a rule is checked (channels come and go).
    choices: Callable[[], Sequence[str]] | None = None


def _compare(lookup: str, op: str, value: Any) -> Q:
    """A plain column compared (eq, ne, in, lt, lte, gt, gte)."""
    if op == "ne":
        return ~Q(**{lookup: value})
    suffix = "" if op == "eq" else f"__{op}"
    return Q(**{lookup + suffix: value})


def _days_ago(op: str, days: int, now: dt.datetime, lookup: str) -> Q:
    """ "joined N days ago or less" and the like, as a comparison of the timestamp: fewer days
    ago is a later time."""
    moment = now - dt.timedelta(days=days)
    flipped = {"lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte"}[op]
    return Q(**{f"{lookup}__{flipped}": moment})


def _exists(query: Any, value: bool = True) -> Q:
    return Q(Exists(query)) if value else ~Q(Exists(query))


# --- profile ----------------------------------------------------------------------------------


def _is_guest(op: str, value: bool, days: int | None, now: dt.datetime) -> Q:
    return Q(user__isnull=value)


def _joined_days_ago(op: str, value: int, days: int | None, now: dt.datetime) -> Q:
    return _days_ago(op, value, now, "created_at")


def _city(op: str, value: Any, days: int | None, now: dt.datetime) -> Q:
    """The city of the default address, compared without regard to case."""
    names = value if op == "in" else [value]
    match = Q()
    for name in names:
        match |= Q(city__iexact=name.strip())
    found = Exists(Address.objects.filter(match, customer=OuterRef("pk"), is_default=True))
    return ~Q(found) if op == "ne" else Q(found)


def _language(op: str, value: Any, days: int | None, now: dt.datetime) -> Q:
    return _compare("language", op, value)


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


# --- identities -------------------------------------------------------------------------------


def _verified(kind: str) -> Builder:
    def build(op: str, value: bool, days: int | None, now: dt.datetime) -> Q:
        held = CustomerIdentity.objects.filter(
            customer=OuterRef("pk"), kind=kind, verified_at__isnull=False
        )
        return _exists(held, value)

    return build


# --- consents ---------------------------------------------------------------------------------


def _consent(consent_type: str) -> Builder:
    """customers.selectors.message_allowed for a commercial message to an individual, as SQL:
    the latest decision on the channel is ONAY, for the address the profile has now, and (with
    IYS on) known to IYS. "The latest" is "no later decision" (an anti-join on the
    consent_current index)."""

    def build(op: str, value: bool, days: int | None, now: dt.datetime) -> Q:
        later = ConsentDecision.objects.filter(
            customer=OuterRef("customer"),
            type=consent_type,
            recipient_type=RecipientType.BIREYSEL,
        ).filter(
            Q(decided_at__gt=OuterRef("decided_at"))
            | Q(decided_at=OuterRef("decided_at"), id__gt=OuterRef("id"))
        )
        given = ConsentDecision.objects.filter(
            _current_address(consent_type),
            customer=OuterRef("pk"),
            type=consent_type,
            recipient_type=RecipientType.BIREYSEL,
            status=ConsentStatus.ONAY,
        ).filter(~Exists(later))
        if iys_enabled():
            given = given.exclude(push_state__in=[PushState.PENDING, PushState.REJECTED])
        return _exists(given, value)

    return build


def _current_address(consent_type: str) -> Q:
    """The decision is about the address the profile has now, as customers.iys_rules'
    recipient_for reads it: the e-mail in lower case; the phone in E.164, which a profile holds
    as such, or (from before identities) as typed 0532..., 532... or 90532...."""
    if consent_type == ConsentType.EPOSTA:
        return Q(recipient=Lower(OuterRef("email")))
    phone = OuterRef("phone")
    typed = Q(recipient=phone)
    for prefix in ("+9", "+90", "+"):
        typed |= Q(recipient=Concat(Value(prefix), phone, output_field=CharField()))
    return typed


# --- behaviour (the timeline) ------------------------------------------------------------------

ORDER_KINDS = (TimelineKind.ORDER_PLACED, TimelineKind.COUNTER_SALE)


def _events(kinds: Sequence[str], days: int | None, now: dt.datetime, **where: Any) -> Any:
    """The customer's timeline events of these kinds (in the last `days` days)."""
    rows = TimelineEvent.objects.filter(customer=OuterRef("pk"), kind__in=list(kinds), **where)
    if days is not None:
        rows = rows.filter(occurred_at__gte=now - dt.timedelta(days=days))
    return rows


def _ordered(op: str, value: bool, days: int | None, now: dt.datetime) -> Q:
    return _exists(_events(ORDER_KINDS, days, now), value)


def _bought_on(lookup: str) -> Builder:
    def build(op: str, value: Any, days: int | None, now: dt.datetime) -> Q:
        codes = value if op == "in" else [value]
        return _exists(_events(ORDER_KINDS, days, now, **{f"{lookup}__in": codes}))

    return build


def _viewed_category(op: str, value: Any, days: int | None, now: dt.datetime) -> Q:
    slugs = value if op == "in" else [value]
    return _exists(
        _events([TimelineKind.PRODUCT_VIEWED], days, now, data__category__in=list(slugs))
    )


def _searched(op: str, value: str, days: int | None, now: dt.datetime) -> Q:
    lookup = "data__query__icontains" if op == "contains" else "data__query__iexact"
    return _exists(_events([TimelineKind.SEARCH], days, now, **{lookup: value}))


def _cart_abandoned(op: str, value: bool, days: int | None, now: dt.datetime) -> Q:
    return _exists(_events([TimelineKind.CART_ABANDONED], days, now), value)


def _channel_codes() -> list[str]:
    return list(Channel.objects.order_by("code").values_list("code", flat=True))


def _channel_kinds() -> list[str]:
    return [kind.value for kind in Channel.Kind]


# --- metrics (customers.CustomerMetrics; a customer without a row has none yet: no orders) ---

_HOLDS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "in": lambda a, b: a in b,
}


def _metric(name: str, default: Any, *, number: bool = False) -> Builder:
    """A column of the customer's metrics row. A customer without a row counts as its default
    (0 orders, no revenue, the "none" RFM segment), so "fewer than 2 orders" finds them too;
    with no default (None), such a customer matches nothing."""

    def build(op: str, value: Any, days: int | None, now: dt.datetime) -> Q:
        if number:
            value = [Decimal(str(v)) for v in value] if op == "in" else Decimal(str(value))
        condition = _compare(f"metrics__{name}", op, value)
        if default is not None and _HOLDS[op](default, value):
            condition |= Q(metrics__isnull=True)
        return condition

    return build


def _metric_days_ago(name: str) -> Builder:
    """Days since a purchase time of the metrics row; a customer who never bought matches no
    comparison."""

    def build(op: str, value: int, days: int | None, now: dt.datetime) -> Q:
        return _days_ago(op, value, now, f"metrics__{name}")

    return build


def _loyalty_tier(op: str, value: Any, days: int | None, now: dt.datetime) -> Q:
    """The tier (by id) of the customer's loyalty account; "ne" includes those with no tier."""
    condition = _compare("loyalty_account__tier_id", op, value)
    if op == "ne":
        condition |= Q(loyalty_account__tier__isnull=True)
    return condition


def _loyalty_points(op: str, value: int, days: int | None, now: dt.datetime) -> Q:
    """Available points; a customer with no account has 0."""
    condition = _compare("loyalty_account__available", op, value)
    if _HOLDS[op](0, value):
        condition |= Q(loyalty_account__isnull=True)
    return condition


def _rfm_segments() -> list[str]:
    return list(RfmSegment.values)


FIELDS: dict[str, SegmentField] = {
    "is_guest": SegmentField(_("is a guest (no account)"), BOOL, ("eq",), _is_guest),
    "joined_days_ago": SegmentField(
        _("days since the profile was made"), INT, NUMBER_OPS, _joined_days_ago
    ),
    "city": SegmentField(_("city of the default address"), TEXT, COMPARE_OPS, _city),
    "language": SegmentField(_("language"), CHOICE, COMPARE_OPS, _language, choices=_languages),
    "has_verified_email": SegmentField(
        _("has a verified e-mail address"), BOOL, ("eq",), _verified(IdentityKind.EMAIL)
    ),
    "has_verified_phone": SegmentField(
        _("has a verified phone number"), BOOL, ("eq",), _verified(IdentityKind.PHONE)
    ),
    "may_email": SegmentField(
        _("may be sent commercial e-mail"), BOOL, ("eq",), _consent(ConsentType.EPOSTA)
    ),
    "may_sms": SegmentField(
        _("may be sent commercial SMS"), BOOL, ("eq",), _consent(ConsentType.MESAJ)
    ),
    "may_call": SegmentField(
        _("may be called commercially"), BOOL, ("eq",), _consent(ConsentType.ARAMA)
    ),
    "ordered": SegmentField(_("placed an order"), BOOL, ("eq",), _ordered, days=True),
    "bought_on_channel": SegmentField(
        _("bought on the channel"),
        CHOICE,
        ("eq", "in"),
        _bought_on("channel__code"),
        days=True,
        choices=_channel_codes,
    ),
    "bought_on_channel_kind": SegmentField(
        _("bought on a channel of the kind"),
        CHOICE,
        ("eq", "in"),
        _bought_on("channel__kind"),
        days=True,
        choices=_channel_kinds,
    ),
    "viewed_category": SegmentField(
        _("viewed a product of the category"), TEXT, ("eq", "in"), _viewed_category, days=True
    ),
    "searched": SegmentField(_("searched for"), TEXT, ("eq", "contains"), _searched, days=True),
    "cart_abandoned": SegmentField(
        _("abandoned a cart"), BOOL, ("eq",), _cart_abandoned, days=True
    ),
    "orders_count": SegmentField(
        _("orders"), NUMBER, ("eq", *NUMBER_OPS), _metric("orders_count", 0, number=True)
    ),
    "revenue_net": SegmentField(
        _("net revenue"), NUMBER, NUMBER_OPS, _metric("revenue_net", 0, number=True)
    ),
    "average_order_value": SegmentField(
        _("average order value"), NUMBER, NUMBER_OPS, _metric("average_order_value", 0, number=True)
    ),
    "clv_historic": SegmentField(
        _("lifetime value to date"), NUMBER, NUMBER_OPS, _metric("clv_historic", 0, number=True)
    ),
    "clv_predicted": SegmentField(
        _("predicted value, next 12 months"),
        NUMBER,
        NUMBER_OPS,
        _metric("clv_predicted", 0, number=True),
    ),
    "purchase_frequency_days": SegmentField(
        _("days between orders"),
        NUMBER,
        NUMBER_OPS,
        _metric("purchase_frequency_days", None, number=True),
    ),
    "first_purchase_days_ago": SegmentField(
        _("days since the first purchase"),
        INT,
        NUMBER_OPS,
        _metric_days_ago("first_purchase_at"),
    ),
    "last_purchase_days_ago": SegmentField(
        _("days since the last purchase"), INT, NUMBER_OPS, _metric_days_ago("last_purchase_at")
    ),
    "rfm_segment": SegmentField(
        _("RFM segment"),
        CHOICE,
        COMPARE_OPS,
        _metric("rfm_segment", RfmSegment.NONE.value),
        choices=_rfm_segments,
    ),
    "favourite_store": SegmentField(
        _("favourite store"), INT, ("eq", "in"), _metric("favourite_store", None)
    ),
    "loyalty_tier": SegmentField(_("loyalty tier (id)"), INT, COMPARE_OPS, _loyalty_tier),
    "loyalty_points": SegmentField(_("available loyalty points"), INT, NUMBER_OPS, _loyalty_points),
}
