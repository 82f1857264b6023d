"""Earning, maturing, expiring, taking back and adjusting points. Each service owns its
transaction, locks the account, and is idempotent by its entry's key: an outbox event or a
task run twice writes nothing new."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.loyalty import ledger
from customers.models import Customer, LoyaltyAccount, LoyaltyEntry, LoyaltyProgramme
from omni.errors import ValidationError

K = ledger.K


def loyalty_earn(
    *,
    customer_id: int,
    amount: Decimal,
    currency: str,
    order_number: str,
    key: str,
    return_window_days: int,
    at: dt.datetime | None = None,
) -> LoyaltyEntry | None:
    """Points on `amount` paid for an order, pending until the return window ends (the
    programme's pending days, or the channel's return window). The tier is recomputed with
    this spend first, so the payment that lifts a customer into a tier earns at its rate.
    None when there is no programme in the currency, or the key was seen."""
    programme = ledger.programme_for(currency)
    if programme is None or amount <= 0:
        return None
    at = at or timezone.now()
    account = ledger.account_ensure(customer_id=customer_id, programme=programme)
    with transaction.atomic():
        account = ledger.account_lock(account.pk)
        if account.programme_id != programme.pk or ledger.entry_seen(key):
            return None
        tier = ledger.tier_for(programme, ledger.spend_12m(account, now=at) + amount)
        multiplier = tier.earn_multiplier if tier else Decimal(1)
        points = int((amount * programme.earn_rate * multiplier).to_integral_value(ROUND_DOWN))
        days = programme.pending_days if programme.pending_days is not None else return_window_days
        entry = ledger.entry_write(
            account,
            kind=K.EARN_PENDING,
            key=key,
            pending=points,
            open_pending=points,
            amount=amount,
            order_number=order_number,
            available_at=at + dt.timedelta(days=days),
            created_at=at,
        )
        ledger.tier_refresh(account, now=at)
    return entry


def loyalty_lot_mature(*, entry_id: int, now: dt.datetime | None = None) -> bool:
    """Credit a pending lot whose return window has ended: its points become available and
    start to age (they expire after the programme's months)."""
    now = now or timezone.now()

    def credit(account: LoyaltyAccount, lot: LoyaltyEntry, points: int) -> None:
        ledger.entry_write(
            account,
            kind=K.EARN,
            key=f"earn:{lot.pk}",
            points=points,
            pending=-points,
            open_points=points,
            order_number=lot.order_number,
            expires_at=ledger.months_later(now, account.programme.expiry_months),
        )

    return _lot_close(
        entry_id, now, open_field="open_pending", due_field="available_at", write=credit
    )


def loyalty_lot_expire(*, entry_id: int, now: dt.datetime | None = None) -> bool:
    """Expire what is left of a lot past its expiry date."""

    def expire(account: LoyaltyAccount, lot: LoyaltyEntry, points: int) -> None:
        ledger.entry_write(
            account,
            kind=K.EXPIRE,
            key=f"expire:{lot.pk}",
            points=-points,
            order_number=lot.order_number,
        )

    return _lot_close(
        entry_id,
        now or timezone.now(),
        open_field="open_points",
        due_field="expires_at",
        write=expire,
    )


def _lot_close(
    entry_id: int,
    now: dt.datetime,
    *,
    open_field: str,
    due_field: str,
    write: Callable[[LoyaltyAccount, LoyaltyEntry, int], None],
) -> bool:
    """Close what is open of a lot (`open_field`) once its `due_field` time has come, under the
    account's lock, and `write` the entry that moves those points; False when nothing is due
    (gone, already closed, or not yet)."""
    lot = LoyaltyEntry.objects.filter(pk=entry_id).first()
    if lot is None:
        return False
    with transaction.atomic():
        account = ledger.account_lock(lot.account_id)
        lot.refresh_from_db(fields=[open_field])
        points = getattr(lot, open_field)
        due = getattr(lot, due_field)
        if points == 0 or due is None or due > now:
            return False
        LoyaltyEntry.objects.filter(pk=lot.pk).update(**{open_field: 0})
        write(account, lot, points)
    return True


def loyalty_take_back(
    *,
    customer_id: int,
    order_number: str,
    share: Decimal,
    amount: Decimal,
    key: str,
    return_ref: str = "",
) -> LoyaltyEntry | None:
    """Take back the points a return's lines earned: `share` of what the order earned (the
    refund over the order's total), never more than the order has left. Pending points of the
    order are cancelled first, then available points (the order's own lots first). If the
    balance is short, the take-back stops at the balance and the rest is recorded on the entry
    (`shortfall`) and written off: a balance never goes negative."""
    account = LoyaltyAccount.objects.filter(customer_id=customer_id).first()
    if account is None:
        return None
    with transaction.atomic():
        account = ledger.account_lock(account.pk)
        if ledger.entry_seen(key):
            return None
        of_order = LoyaltyEntry.objects.filter(order_number=order_number)
        earned = of_order.filter(kind=K.EARN_PENDING).aggregate(n=Sum("pending"))["n"] or 0
        taken = of_order.filter(kind=K.TAKE_BACK).aggregate(
            p=Sum("points"), q=Sum("pending"), s=Sum("shortfall")
        )
        already = -(taken["p"] or 0) - (taken["q"] or 0) + (taken["s"] or 0)
        want = min(ledger.points_of(earned * min(share, Decimal(1))), earned - already)
        if want <= 0:
            return None
        from_pending = ledger.pending_consume(account, want, order_number=order_number)
        from_available = min(want - from_pending, account.available)
        ledger.lots_consume(account, from_available, order_number=order_number)
        entry = ledger.entry_write(
            account,
            kind=K.TAKE_BACK,
            key=key,
            points=-from_available,
            pending=-from_pending,
            shortfall=want - from_pending - from_available,
            amount=amount,
            order_number=order_number,
            return_ref=return_ref,
        )
        ledger.tier_refresh(account)
    return entry


def loyalty_adjust(
    *, customer: Customer, points: int, reason: str, actor: User | None, key: str = ""
) -> LoyaltyEntry:
    """Staff add (a goodwill gesture) or remove points, with a reason. Added points are a lot
    that expires like earned ones; removing more than the balance is refused."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError.for_field("reason", _("Say why the points change."), code="required")
    if points == 0:
        raise ValidationError.for_field("points", _("Give a number of points."), code="invalid")
    account = LoyaltyAccount.objects.filter(customer=customer).first()
    if account is None:
        programme = ledger.programme_default()
        if programme is None:
            raise ValidationError.for_field(
                "points", _("There is no loyalty programme."), code="no_programme"
            )
        account = ledger.account_ensure(customer_id=customer.pk, programme=programme)
    now = timezone.now()
    with transaction.atomic():
        account = ledger.account_lock(account.pk)
        key = key or f"adjust:{account.pk}:{now.isoformat()}"
        if (seen := ledger.entry_seen(key)) is not None:
            return seen
        if points < 0:
            if account.available < -points:
                raise ledger.insufficient(account.available, -points)
            ledger.lots_consume(account, -points)
        return ledger.entry_write(
            account,
            kind=K.ADJUST,
            key=key,
            points=points,
            open_points=max(points, 0),
            expires_at=ledger.months_later(now, account.programme.expiry_months)
            if points > 0
            else None,
            reason=reason[:200],
            actor=actor if actor and actor.pk else None,
        )


def loyalty_tier_refresh(*, account_id: int) -> None:
    """Recompute one account's 12-month spend and tier (the daily task: spend ages out)."""
    with transaction.atomic():
        ledger.tier_refresh(ledger.account_lock(account_id))


PROGRAMME_FIELDS = (
    "name",
    "earn_rate",
    "point_value",
    "expiry_months",
    "pending_days",
    "is_active",
)


def loyalty_programme_update(*, programme: LoyaltyProgramme, **changes: object) -> LoyaltyProgramme:
    """Change a programme's terms (the merchant API and the admin's form). New rates apply to
    what is earned or spent from now on; entries already written keep theirs."""
    unknown = sorted(set(changes) - set(PROGRAMME_FIELDS))
    if unknown:
        raise ValidationError.for_field(unknown[0], _("This field cannot be changed."))
    if "point_value" in changes and Decimal(str(changes["point_value"])) <= 0:
        raise ValidationError.for_field("point_value", _("A point must be worth more than 0."))
    if "earn_rate" in changes and Decimal(str(changes["earn_rate"])) < 0:
        raise ValidationError.for_field("earn_rate", _("The earn rate cannot be negative."))
    for name, value in changes.items():
        setattr(programme, name, value)
    if changes:
        programme.save(update_fields=list(changes))
    return programme
