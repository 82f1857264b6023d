"""Every move of a loyalty balance goes through `entry_write`: one entry, and one conditional
UPDATE of the account that refuses to take a balance below zero (the CHECK constraint is the
last guard). Callers hold the account's lock (customers.locks.loyalty_accounts_lock).

Each entry is also a `loyalty` row on the customer's timeline, and marks their segments for a
refresh (a rule may name the points or the tier).

Lots: an entry that adds points keeps what of it is open (`open_points`, `open_pending`).
Spending, taking back and adjusting down consume open lots, the soonest to expire first, so
expiry takes only what is really left of the oldest points.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.locks import loyalty_accounts_lock
from customers.models import (
    LoyaltyAccount,
    LoyaltyEntry,
    LoyaltyEntryKind,
    LoyaltyProgramme,
    LoyaltyTier,
    TimelineKind,
)
from customers.timeline import timeline_record
from omni.errors import ValidationError

K = LoyaltyEntryKind
SPEND_WINDOW = dt.timedelta(days=365)
# Entries whose amount counts towards the 12-month spend (+) or against it (-).
_SPEND_PLUS = (K.EARN_PENDING, K.MERGE_IN)
_SPEND_MINUS = (K.TAKE_BACK, K.MERGE_OUT)


def months_later(at: dt.datetime, months: int) -> dt.datetime:
    """The same moment `months` calendar months later (the 31st becomes the month's last)."""
    month0 = at.month - 1 + months
    year, month = at.year + month0 // 12, month0 % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


def points_of(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def programme_for(currency: str) -> LoyaltyProgramme | None:
    return LoyaltyProgramme.objects.filter(currency=currency, is_active=True).first()


def programme_default() -> LoyaltyProgramme | None:
    """The one active programme (Omni sells in one currency at a time); None if there is none."""
    return LoyaltyProgramme.objects.filter(is_active=True).order_by("pk").first()


def account_ensure(*, customer_id: int, programme: LoyaltyProgramme) -> LoyaltyAccount:
    """The customer's account, opened in `programme` if they have none (two openings at once
    open one)."""
    account = LoyaltyAccount.objects.filter(customer_id=customer_id).first()
    if account is None:
        try:
            with transaction.atomic():
                # Opened in the tier that asks for no spend, if the programme has one.
                account = LoyaltyAccount.objects.create(
                    customer_id=customer_id,
                    programme=programme,
                    tier=tier_for(programme, Decimal(0)),
                )
        except IntegrityError:
            account = LoyaltyAccount.objects.get(customer_id=customer_id)
    return account


def account_lock(pk: int) -> LoyaltyAccount:
    return loyalty_accounts_lock(pks=[pk])[0]


def insufficient(available: int, wanted: int) -> ValidationError:
    return ValidationError.for_field(
        "amount",
        _("%(wanted)s points are needed; %(available)s are available.")
        % {"wanted": wanted, "available": available},
        code="insufficient_points",
    )


def entry_seen(key: str) -> LoyaltyEntry | None:
    return LoyaltyEntry.objects.filter(key=key).first()


def entry_write(
    account: LoyaltyAccount,
    *,
    kind: str,
    key: str,
    points: int = 0,
    pending: int = 0,
    **fields: Any,
) -> LoyaltyEntry:
    """Write one entry and move the (locked) account's balances by it, with one UPDATE whose
    WHERE refuses a negative result: a caller's mistake is an error, never a negative balance."""
    moved = LoyaltyAccount.objects.filter(
        pk=account.pk, available__gte=-points, pending__gte=-pending
    ).update(available=F("available") + points, pending=F("pending") + pending)
    if not moved:
        raise insufficient(account.available, -points)
    account.available += points
    account.pending += pending
    entry = LoyaltyEntry.objects.create(
        account=account, kind=kind, key=key, points=points, pending=pending, **fields
    )
    _entry_seen_by_crm(account, entry)
    return entry


def _entry_seen_by_crm(account: LoyaltyAccount, entry: LoyaltyEntry) -> None:
    """The movement on the customer's timeline, and their segments (points, tier) refreshed."""
    data: dict[str, Any] = {"entry": entry.kind, "points": entry.points, "pending": entry.pending}
    if entry.order_number:
        data["order"] = entry.order_number
    if entry.reason:
        data["reason"] = entry.reason
    timeline_record(
        customer_id=account.customer_id,
        kind=TimelineKind.LOYALTY,
        occurred_at=entry.created_at,
        data=data,
        source="loyalty",
        event_id=str(entry.pk),
    )


def lots_consume(account: LoyaltyAccount, points: int, *, order_number: str = "") -> None:
    """Close `points` of the account's open lots: the order's own first (a take-back), then
    the soonest to expire."""
    if points <= 0:
        return
    open_lots = LoyaltyEntry.objects.filter(account=account, open_points__gt=0).order_by(
        F("expires_at").asc(nulls_last=True), "pk"
    )
    lots = list(open_lots)
    if order_number:
        lots.sort(key=lambda lot: lot.order_number != order_number)  # stable: FIFO kept
    for lot in lots:
        take = min(points, lot.open_points)
        LoyaltyEntry.objects.filter(pk=lot.pk).update(open_points=F("open_points") - take)
        points -= take
        if points == 0:
            return
    raise insufficient(account.available, points)  # lots and balance disagree: refuse


def pending_consume(account: LoyaltyAccount, points: int, *, order_number: str) -> int:
    """Cancel up to `points` of the order's pending lots; returns how many were cancelled."""
    done = 0
    for lot in LoyaltyEntry.objects.filter(
        account=account, order_number=order_number, open_pending__gt=0
    ).order_by("pk"):
        take = min(points - done, lot.open_pending)
        LoyaltyEntry.objects.filter(pk=lot.pk).update(open_pending=F("open_pending") - take)
        done += take
        if done == points:
            break
    return done


def spend_12m(account: LoyaltyAccount, *, now: dt.datetime | None = None) -> Decimal:
    since = (now or timezone.now()) - SPEND_WINDOW
    sums = LoyaltyEntry.objects.filter(account=account, created_at__gte=since).aggregate(
        plus=Sum("amount", filter=Q(kind__in=_SPEND_PLUS)),
        minus=Sum("amount", filter=Q(kind__in=_SPEND_MINUS)),
    )
    return max(Decimal(0), (sums["plus"] or Decimal(0)) - (sums["minus"] or Decimal(0)))


def tier_for(programme: LoyaltyProgramme, spend: Decimal) -> LoyaltyTier | None:
    return (
        LoyaltyTier.objects.filter(programme=programme, min_spend__lte=spend)
        .order_by("-min_spend")
        .first()
    )


def tier_refresh(account: LoyaltyAccount, *, now: dt.datetime | None = None) -> LoyaltyTier | None:
    """Recompute the account's 12-month spend and tier from its ledger (the caller holds the
    lock)."""
    spend = spend_12m(account, now=now)
    tier = tier_for(account.programme, spend)
    if spend != account.spend_12m or (tier.pk if tier else None) != account.tier_id:
        LoyaltyAccount.objects.filter(pk=account.pk).update(spend_12m=spend, tier=tier)
        account.spend_12m, account.tier = spend, tier
    return tier
