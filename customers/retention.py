"""KVKK periodic destruction: personal data past its retention period is deleted or anonymised
by a run at most every 6 months (the beat runs it monthly), and each run writes one
DestructionLog row per category, kept for 3 years (README, "Periodic destruction").

Each category of data is registered with its default retention and a destroyer: customers
registers its own below; apps above (orders, payments) register theirs in their
AppConfig.ready() through destroyer_register, as they do for erasure. `OMNI_KVKK_RETENTION_DAYS`
overrides a category's period. A destroyer is set-based (one DELETE or UPDATE per category, not
a loop over rows), runs in the run's transaction for its category, and is idempotent: what it
destroyed is no longer past retention, so a second run finds nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from customers.models import (
    DestructionLog,
    DestructionMethod,
    IdentityClaim,
    TimelineEvent,
    TimelineKind,
)
from omni.db import session_lock

logger = logging.getLogger(__name__)


class Destroyer(Protocol):
    def __call__(self, *, before: datetime, dry_run: bool) -> int:
        """Destroy (or with dry_run, count) what is older than `before`; the rows affected."""
        ...


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    method: str  # DestructionMethod
    default_days: int
    destroyer: Destroyer
    # The period is the law's, not the retailer's (the log itself): no setting overrides it.
    fixed: bool = False


_categories: dict[str, Category] = {}


def destroyer_register(
    *, category: str, method: str, default_days: int, destroyer: Destroyer, fixed: bool = False
) -> None:
    """An app hands in how it destroys one category of personal data past retention."""
    _categories[category] = Category(category, method, default_days, destroyer, fixed)


def retention_categories() -> list[Category]:
    return [_categories[name] for name in sorted(_categories)]


def retention_days(category: Category) -> int:
    if category.fixed:
        return category.default_days
    overrides: dict[str, Any] = getattr(settings, "OMNI_KVKK_RETENTION_DAYS", {})
    return int(overrides.get(category.name, category.default_days))


def queryset_destroy(queryset: QuerySet[Any], *, dry_run: bool) -> int:
    """Delete the rows (or count them): the helper most destroyers need."""
    if dry_run:
        return queryset.count()
    return queryset.delete()[1].get(queryset.model._meta.label, 0)


@dataclass(frozen=True, slots=True)
class Destroyed:
    category: str
    method: str
    rows: int
    retention_days: int
    cutoff: datetime


_LOCK_SPACE = 0x4B564B  # "KVK": one destruction run at a time


def destruction_run(
    *,
    triggered_by: str,
    user: User | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> list[Destroyed] | None:
    """Destroy every registered category past its retention, one transaction and one log row
    per category. Returns what was destroyed (counted only, with dry_run: nothing changes and
    nothing is logged), or None when another run holds the lock."""
    now = now or timezone.now()
    run_id = uuid.uuid4()
    done: list[Destroyed] = []
    with session_lock(_LOCK_SPACE, 1) as taken:
        if not taken:
            logger.warning("a KVKK destruction run is under way; this one stops")
            return None
        for category in retention_categories():
            days = retention_days(category)
            cutoff = now - timedelta(days=days)
            started = timezone.now()
            with transaction.atomic():
                rows = category.destroyer(before=cutoff, dry_run=dry_run)
                if not dry_run:
                    DestructionLog.objects.create(
                        run_id=run_id,
                        category=category.name,
                        method=category.method,
                        rows=rows,
                        retention_days=days,
                        cutoff=cutoff,
                        started_at=started,
                        finished_at=timezone.now(),
                        triggered_by=triggered_by,
                        triggered_by_user=user,
                    )
            done.append(Destroyed(category.name, category.method, rows, days, cutoff))
            logger.info(
                "KVKK destruction %s: %s %s rows older than %s%s",
                category.name,
                category.method,
                rows,
                f"{cutoff:%Y-%m-%d}",
                " (dry run)" if dry_run else "",
            )
    return done


# --- customers' own categories --------------------------------------------------------------

BEHAVIOUR_KINDS = (
    TimelineKind.PRODUCT_VIEWED,
    TimelineKind.SEARCH,
    TimelineKind.CART_STARTED,
    TimelineKind.CART_CHANGED,
    TimelineKind.CART_ABANDONED,
)


def visitor_timeline_destroy(*, before: datetime, dry_run: bool) -> int:
    """A visitor's anonymous events that never joined a profile."""
    rows = TimelineEvent.objects.filter(customer__isnull=True, recorded_at__lt=before)
    return queryset_destroy(rows, dry_run=dry_run)


def behaviour_timeline_destroy(*, before: datetime, dry_run: bool) -> int:
    """Product views, searches and cart events of known customers: behaviour, which no law
    keeps; orders, returns, consents and staff notes stay on the timeline."""
    rows = TimelineEvent.objects.filter(kind__in=BEHAVIOUR_KINDS, occurred_at__lt=before)
    return queryset_destroy(rows, dry_run=dry_run)


def identity_claims_destroy(*, before: datetime, dry_run: bool) -> int:
    """Claims to an e-mail or phone (customers.verification) made before `before`: a code lives
    10 minutes, and a proven claim lives on as the identity itself."""
    return queryset_destroy(IdentityClaim.objects.filter(created_at__lt=before), dry_run=dry_run)


def destruction_log_destroy(*, before: datetime, dry_run: bool) -> int:
    return queryset_destroy(DestructionLog.objects.filter(started_at__lt=before), dry_run=dry_run)


# The log is kept 3 years (the regulation on erasure, destruction and anonymisation, art. 7-12).
DESTRUCTION_LOG_DAYS = 3 * 365

REGISTER: list[tuple[str, int, Callable[..., int], bool]] = [
    ("visitor_timeline", 180, visitor_timeline_destroy, False),
    ("behaviour_timeline", 730, behaviour_timeline_destroy, False),
    ("identity_claims", 30, identity_claims_destroy, False),
    ("destruction_log", DESTRUCTION_LOG_DAYS, destruction_log_destroy, True),
]


def register_own() -> None:
    for name, days, destroyer, fixed in REGISTER:
        destroyer_register(
            category=name,
            method=DestructionMethod.DELETED,
            default_days=days,
            destroyer=destroyer,
            fixed=fixed,
        )
