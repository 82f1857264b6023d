"""Points as a means of payment (payments' "loyalty" gateway calls these inside its own
transaction, after locking the order) and moving a customer's points in a merge."""

from __future__ import annotations

from decimal import ROUND_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.locks import loyalty_accounts_lock
from customers.loyalty import ledger
from customers.models import Customer, LoyaltyAccount, LoyaltyEntry
from omni.errors import ValidationError

K = ledger.K


def loyalty_points_for(*, currency: str, amount: Decimal) -> int:
    """How many points pay `amount` (rounded up to a whole point)."""
    programme = ledger.programme_for(currency)
    if programme is None:
        raise ValidationError.for_field(
            "gateway", _("There is no loyalty programme in %s.") % currency, code="no_programme"
        )
    return int((amount / programme.point_value).to_integral_value(ROUND_UP))


def loyalty_spend(
    *, customer_id: int, currency: str, amount: Decimal, key: str, order_number: str = ""
) -> LoyaltyEntry:
    """Pay `amount` with points: the account is locked and its balance taken down with a
    conditional UPDATE, so two spends of the last points at once give one success and one
    `insufficient_points` error (400). The same key again returns the first entry."""
    points = loyalty_points_for(currency=currency, amount=amount)
    if points <= 0:
        raise ValidationError.for_field("amount", _("Pay a positive amount."), code="invalid")
    with transaction.atomic():
        account = LoyaltyAccount.objects.filter(customer_id=customer_id).first()
        if account is not None:
            account = ledger.account_lock(account.pk)
        if account is None or account.programme.currency != currency:
            raise ledger.insufficient(0, points)
        if (seen := ledger.entry_seen(key)) is not None:
            return seen
        if account.available < points:
            raise ledger.insufficient(account.available, points)
        ledger.lots_consume(account, points)
        return ledger.entry_write(
            account,
            kind=K.SPEND,
            key=key,
            points=-points,
            amount=amount,
            order_number=order_number,
            payment_ref=key,
        )


def loyalty_spend_reverse(*, payment_ref: str, amount: Decimal, key: str) -> LoyaltyEntry | None:
    """Give back the points a loyalty payment spent, for `amount` of it refunded (all of it:
    every point). The points are a new lot that ages from now. None if nothing was spent under
    `payment_ref` or it is all given back already, or the key was seen."""
    spent = LoyaltyEntry.objects.filter(kind=K.SPEND, payment_ref=payment_ref).first()
    if spent is None or spent.amount <= 0:
        return None
    with transaction.atomic():
        account = ledger.account_lock(spent.account_id)
        if ledger.entry_seen(key):
            return None
        given = (
            LoyaltyEntry.objects.filter(kind=K.SPEND_REVERSED, payment_ref=payment_ref).aggregate(
                n=Sum("points")
            )["n"]
            or 0
        )
        points = min(ledger.points_of(-spent.points * amount / spent.amount), -spent.points - given)
        if points <= 0:
            return None
        return ledger.entry_write(
            account,
            kind=K.SPEND_REVERSED,
            key=key,
            points=points,
            open_points=points,
            amount=amount,
            order_number=spent.order_number,
            payment_ref=payment_ref,
            expires_at=ledger.months_later(timezone.now(), account.programme.expiry_months),
        )


def loyalty_merge(*, source: Customer, target: Customer) -> int:
    """Move `source`'s points to `target` (a customer merge): every open lot, available or
    pending, with its dates and order, and the 12-month spend, as merge_out / merge_in
    entries. Returns the points moved (available + pending); 0 when there is nothing to move,
    so a merge run again is harmless."""
    src = LoyaltyAccount.objects.filter(customer=source).first()
    if src is None or source.pk == target.pk:
        return 0
    tgt = ledger.account_ensure(customer_id=target.pk, programme=src.programme)
    with transaction.atomic():
        locked = {a.pk: a for a in loyalty_accounts_lock(pks=[src.pk, tgt.pk])}
        src, tgt = locked[src.pk], locked[tgt.pk]
        if src.programme_id != tgt.programme_id:
            raise ValidationError.for_field(
                "target",
                _("The two customers' points are in different currencies."),
                code="currency_mismatch",
            )
        if src.available == 0 and src.pending == 0 and src.spend_12m == 0:
            return 0
        marker = f"{src.pk}>{tgt.pk}:{src.entries.order_by('-pk').values_list('pk', flat=True)[0]}"
        moved = src.available + src.pending
        spend = src.spend_12m
        for lot in src.entries.filter(open_points__gt=0) | src.entries.filter(open_pending__gt=0):
            ledger.entry_write(
                tgt,
                kind=K.MERGE_IN,
                key=f"merge_in:{marker}:{lot.pk}",
                points=lot.open_points,
                pending=lot.open_pending,
                open_points=lot.open_points,
                open_pending=lot.open_pending,
                order_number=lot.order_number,
                available_at=lot.available_at,
                expires_at=lot.expires_at,
            )
        src.entries.update(open_points=0, open_pending=0)
        ledger.entry_write(
            tgt,
            kind=K.MERGE_IN,
            key=f"merge_in:{marker}",
            amount=spend,
            reason=f"customer {source.pk}",
        )
        ledger.entry_write(
            src,
            kind=K.MERGE_OUT,
            key=f"merge_out:{marker}",
            points=-src.available,
            pending=-src.pending,
            amount=spend,
            reason=f"customer {target.pk}",
        )
        ledger.tier_refresh(src)
        ledger.tier_refresh(tgt)
    return moved


def loyalty_merge_mover(source: Customer, target: Customer) -> int:
    """customers.merge's mover: the points, in the merge's transaction."""
    return loyalty_merge(source=source, target=target)
