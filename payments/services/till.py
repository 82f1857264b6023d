"""The cash count of a staff member's till at the end of a business day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from omni.errors import ValidationError
from omni.money import MAX_DIGITS, minor_unit, to_decimal
from payments import selectors
from payments.models import TillCount
from sales_channels.models import Channel

# The largest amount an AmountField holds, a cent below 10^(MAX_DIGITS - 2).
_MAX_COUNTED = Decimal(10) ** (MAX_DIGITS - 2)


def till_count_clean(value: object, *, currency: str) -> Decimal:
    """A counted amount as typed: a number, not negative, at most the currency's minor unit.
    A field error on "counted" otherwise."""
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationError.for_field(
            "counted", _("Enter the cash counted as a number, e.g. 1250.50."), code="invalid"
        ) from None
    if amount < 0:
        raise ValidationError.for_field(
            "counted", _("The cash counted cannot be negative."), code="min_value"
        )
    if amount != amount.quantize(minor_unit(currency)):
        raise ValidationError.for_field(
            "counted", _("Enter the cash counted to the cent."), code="max_decimal_places"
        )
    if amount >= _MAX_COUNTED:
        raise ValidationError.for_field(
            "counted", _("That is more cash than a till holds."), code="max_value"
        )
    return amount


def till_count_record(
    *,
    channel: Channel,
    staff: User,
    business_date: date,
    counted: object,
    note: str = "",
) -> TillCount:
    """Record the cash `staff` counted in their till at the store `channel` at the end of
    `business_date`, with what the till should hold now and the difference.

    One count per staff member, store and day is in force: counting again (a recount, a typing
    mistake) records a new entry that replaces the earlier one in the report, which keeps the
    earlier ones as history. A day in the future, a channel that is not a store, or an amount
    that is not a non-negative number to the cent is a field error, and nothing is written."""
    if channel.kind != Channel.Kind.STORE:
        raise ValidationError.for_field(
            "channel", _("Cash is counted at a store."), code="not_a_store"
        )
    if business_date > timezone.localdate():
        raise ValidationError.for_field(
            "date", _("A day that has not come yet cannot be counted."), code="future"
        )
    amount = till_count_clean(counted, currency=channel.currency)
    with transaction.atomic():
        expected = selectors.till_cash_expected(channel=channel, staff=staff, day=business_date)
        return TillCount.objects.create(
            channel=channel,
            staff=staff,
            business_date=business_date,
            currency=channel.currency,
            counted=amount,
            expected=expected,
            difference=amount - expected,
            note=(note or "").strip()[:300],
        )
