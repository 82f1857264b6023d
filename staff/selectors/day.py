"""The end-of-day report of a store: each staff member's till and the store's total for a
business day (the figures are payments.selectors.till_totals'), with names and the columns the
day needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import User
from inventory import selectors as inventory
from inventory.models import StockDiscrepancy, StockLocation
from payments import selectors as payments
from payments.models import Payment, Refund
from sales_channels.models import Channel

# The columns in this order, those of the day only (cash always: it is counted).
METHODS = [
    Payment.Kind.CASH,
    Payment.Kind.TERMINAL,
    Payment.Kind.CARD,
    Payment.Kind.LINK,
    Payment.Kind.STORE_CREDIT,
    Payment.Kind.LOYALTY,
    Payment.Kind.GIFT_CARD,
]
DESTINATIONS = [payments.CASH, Refund.Destination.ORIGINAL, Refund.Destination.STORE_CREDIT]


def method_label(kind: str) -> str:
    if kind == Payment.Kind.CARD:  # a card on the store's channel: paid by link
        return _("Card (pay-by-link)")
    return str(Payment.Kind(kind).label) if kind in Payment.Kind.values else kind


def destination_label(destination: str) -> str:
    if destination == payments.CASH:
        return _("Cash")
    if destination in Refund.Destination.values:
        return str(Refund.Destination(destination).label)
    return destination


@dataclass
class Column:
    key: str
    label: str


@dataclass
class TillRow:
    name: str
    totals: payments.TillTotals
    is_me: bool = False
    counted: Any = None  # Decimal, None before a count
    difference: Any = None  # counted less expected now
    sales: list[list] = field(default_factory=list)  # [count, amount] per method column
    refunds: list[list] = field(default_factory=list)  # per destination column


@dataclass
class DayReport:
    store: Channel
    day: date
    currency: str
    methods: list[Column]
    destinations: list[Column]
    rows: list[TillRow]
    total: TillRow
    mine: payments.TillTotals | None
    uncounted: int  # tills that hold cash and were not counted (not in the store's difference)
    # The store's open stock discrepancies raised that day (the offline till's sales of stock
    # that was gone): inventory.selectors.stock_discrepancies.
    stock_discrepancies: list[StockDiscrepancy] = field(default_factory=list)


def _cells(values: dict[str, list], columns: list[Column]) -> list[list]:
    return [values.get(column.key, [0, payments.ZERO]) for column in columns]


def stock_discrepancies_for_day(
    *, location: StockLocation | None, day: date
) -> list[StockDiscrepancy]:
    """The store's discrepancies raised on `day` that are still open (units its till handed
    over that its stock did not hold: inventory.selectors.stock_discrepancies), oldest first,
    each with its variant. One query."""
    if location is None:
        return []
    start, end = payments.business_day_bounds(day)
    return list(
        inventory.stock_discrepancies(location=location, since=start).filter(created_at__lt=end)
    )


def day_report(*, store: Channel, day: date, user: User) -> DayReport:
    """The store's tills on `day`: one row per staff member (by name), the store's total,
    and the signed-in user's own till, and the day's open stock discrepancies. Six queries
    whatever the number of payments."""
    tills = payments.till_totals(channel=store, day=day)
    ids = [pk for pk in tills if pk is not None]
    users = User.objects.in_bulk(ids) if ids else {}
    total = payments.TillTotals(None)
    counted: Decimal | None = None
    difference: Decimal | None = None
    uncounted = 0
    for totals in tills.values():
        total.add(totals)
        if totals.count is None:
            uncounted += 1 if totals.cash_expected else 0
            continue
        counted = (counted or payments.ZERO) + totals.count.counted
        difference = (difference or payments.ZERO) + (totals.count.counted - totals.cash_expected)
    kinds = {kind for totals in tills.values() for kind in totals.sales}
    methods = [Column(k, method_label(k)) for k in METHODS if k in kinds or k == "cash"]
    methods += [Column(k, method_label(k)) for k in sorted(kinds - set(METHODS))]
    found = {d for totals in tills.values() for d in totals.refunds}
    destinations = [Column(d, destination_label(d)) for d in DESTINATIONS if d in found]
    destinations += [Column(d, destination_label(d)) for d in sorted(found - set(DESTINATIONS))]

    def name(staff_id: int | None) -> str:
        person = users.get(staff_id) if staff_id is not None else None
        if person is None:
            return _("Not recorded by staff")
        return person.get_full_name() or person.email

    rows = [
        TillRow(
            name=name(staff_id),
            totals=totals,
            is_me=staff_id == user.pk,
            sales=_cells(totals.sales, methods),
            refunds=_cells(totals.refunds, destinations),
            counted=totals.cash_counted,
            difference=totals.cash_difference,
        )
        for staff_id, totals in tills.items()
    ]
    rows.sort(key=lambda row: (row.totals.staff_id is None, row.name.casefold()))
    return DayReport(
        store=store,
        day=day,
        currency=store.currency,
        methods=methods,
        destinations=destinations,
        rows=rows,
        total=TillRow(
            _("Store total"),
            total,
            sales=_cells(total.sales, methods),
            refunds=_cells(total.refunds, destinations),
            counted=counted,
            difference=difference,
        ),
        uncounted=uncounted,
        mine=tills.get(user.pk),
        stock_discrepancies=stock_discrepancies_for_day(
            location=getattr(store, "store_location", None), day=day
        ),
    )
