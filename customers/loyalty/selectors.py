"""Reads of the loyalty programme: a customer's summary and history, and the work the beat
tasks find."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from customers.models import (
    Customer,
    CustomerIdentity,
    IdentityKind,
    LoyaltyAccount,
    LoyaltyEntry,
    LoyaltyTier,
)

TASK_BATCH = 1000


@dataclass(frozen=True, slots=True)
class LoyaltySummary:
    available: int
    pending: int
    currency: str
    point_value: Decimal
    spend_12m: Decimal
    tier: LoyaltyTier | None
    next_tier: LoyaltyTier | None
    to_next_tier: Decimal | None
    card_number: str

    @property
    def value(self) -> Decimal:
        """What the available points pay at checkout."""
        return self.available * self.point_value


def loyalty_summary(*, customer: Customer) -> LoyaltySummary | None:
    """The customer's balance, pending points, tier and what is left to spend for the next
    one, and their card number; None when there is no account (no programme, or none yet)."""
    card = CustomerIdentity.objects.filter(
        customer_id=OuterRef("customer_id"), kind=IdentityKind.LOYALTY_CARD
    ).values("value")[:1]
    account = (
        LoyaltyAccount.objects.select_related("programme", "tier")
        .annotate(card=Subquery(card))
        .filter(customer=customer)
        .first()
    )
    if account is None:
        return None
    next_tier = (
        LoyaltyTier.objects.filter(
            programme_id=account.programme_id, min_spend__gt=account.spend_12m
        )
        .order_by("min_spend")
        .first()
    )
    return LoyaltySummary(
        available=account.available,
        pending=account.pending,
        currency=account.programme.currency,
        point_value=account.programme.point_value,
        spend_12m=account.spend_12m,
        tier=account.tier,
        next_tier=next_tier,
        to_next_tier=next_tier.min_spend - account.spend_12m if next_tier else None,
        card_number=account.card or "",
    )


def loyalty_history(*, customer: Customer) -> QuerySet[LoyaltyEntry]:
    """The customer's entries, newest first (paginated by the caller)."""
    return LoyaltyEntry.objects.filter(account__customer=customer).order_by("-created_at", "-id")


def lots_to_mature(*, now: dt.datetime | None = None) -> list[int]:
    return list(
        LoyaltyEntry.objects.filter(open_pending__gt=0, available_at__lte=now or timezone.now())
        .order_by("available_at")
        .values_list("pk", flat=True)[:TASK_BATCH]
    )


def lots_to_expire(*, now: dt.datetime | None = None) -> list[int]:
    return list(
        LoyaltyEntry.objects.filter(open_points__gt=0, expires_at__lte=now or timezone.now())
        .order_by("expires_at")
        .values_list("pk", flat=True)[:TASK_BATCH]
    )


def accounts_to_refresh() -> QuerySet[LoyaltyAccount, int]:
    """Accounts with a spend or a tier: one of their entries may have left the 12 months."""
    return (
        LoyaltyAccount.objects.filter(Q(spend_12m__gt=0) | Q(tier__isnull=False))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
