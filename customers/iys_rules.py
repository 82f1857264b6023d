"""What IYS (İleti Yönetim Sistemi) asks of a consent, apart from talking to it.

- The push deadline. A consent the retailer collects must reach IYS within 3 business days
  (Ticari İletişim ve Ticari Elektronik İletiler Hakkında Yönetmelik; IYS refuses an upload whose
  consentDate is more than 3 business days back). The day of the decision does not count; the
  deadline is the end (24:00, Istanbul time) of the third business day after it. A business day is
  Monday to Friday that is not a Turkish public holiday (the `holidays` library's Turkey calendar,
  with the moving religious holidays). A half-day eve (arife: Ramazan and Kurban Bayramı eves,
  28 October) counts as a business day: its morning is worked, and counting it makes our deadline
  the earlier of the two readings, so we are never late by the other one.
- The recipient: an e-mail address in lower case, or a phone number in E.164 (+90...); a Turkish
  number typed 0532..., 532... or +90 532... is one number.
- The source codes IYS takes (HS_WEB, HS_MOBIL, HS_FIZIKSEL_ORTAM, ...).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

import holidays

from customers.identity import phone_normalise_or_blank
from customers.models import ConsentSource, ConsentType

ISTANBUL = ZoneInfo("Europe/Istanbul")  # IYS takes every time as GMT+3
PUSH_BUSINESS_DAYS = 3

# Our sources as IYS names them. A marketplace and an import of consents collected
# electronically are HS_EORTAM ("electronic medium"); a decision made in IYS is never pushed.
IYS_SOURCES = {
    ConsentSource.WEB: "HS_WEB",
    ConsentSource.APP: "HS_MOBIL",
    ConsentSource.STORE: "HS_FIZIKSEL_ORTAM",
    ConsentSource.TRENDYOL: "HS_EORTAM",
    ConsentSource.IMPORT: "HS_EORTAM",
}


@functools.cache
def _turkish_holidays(year: int) -> frozenset[dt.date]:
    """Whole-day public holidays only: the half-day eves are business days (module doc)."""
    return frozenset(holidays.country_holidays("TR", years=year, categories=("public",)).keys())


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _turkish_holidays(day.year)


def push_deadline(decided_at: dt.datetime) -> dt.datetime:
    """The end of the PUSH_BUSINESS_DAYS-th business day after the day of the decision, as an
    aware datetime (the start of the next day, Istanbul time)."""
    day = decided_at.astimezone(ISTANBUL).date()
    counted = 0
    while counted < PUSH_BUSINESS_DAYS:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ISTANBUL)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def phone_e164(value: str) -> str:
    """A Turkish number in E.164, as customers.identity normalises every phone, or "" when it
    is not a valid one: IYS takes Turkish numbers only."""
    number = phone_normalise_or_blank(value)
    return number if number.startswith("+90") else ""


def recipient_for(*, consent_type: str, email: str, phone: str) -> str:
    """The address a decision on this channel is about, as IYS keys it; "" when the profile
    has none that IYS would take."""
    if consent_type == ConsentType.EPOSTA:
        email = (email or "").strip().lower()
        return email if _EMAIL.match(email) else ""
    return phone_e164(phone)


def iys_time(value: dt.datetime) -> str:
    """IYS's date and time: "YYYY-MM-DD HH:MM:SS", Istanbul time."""
    return value.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")


def iys_time_parse(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ISTANBUL)
