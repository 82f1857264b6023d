"""The end-of-day report: each staff member's till at this store (sales by payment method,
refunds, cash expected against counted) and the store's total; the cash count; the print view."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory import services as inventory
from payments import services as payments
from payments.models import TillCount
from staff.selectors.day import day_report
from tests.queries import assert_num_queries
from tests.staff.day_support import counter_sale
from tests.staff.support import build_retailer, staff_client

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
D = Decimal


@pytest.fixture
def retailer():
    return build_retailer(products=2, variants=1, in_store=5)


@pytest.fixture
def day(retailer):
    """Kerem (the clerk) sells 100 in cash twice and 150 on the terminal, and hands back 40
    of a cash sale; Selin (the manager) sells 100 on the terminal here and 100 in cash at
    Kızılay, another store."""
    shirt, other = retailer.variant(0), retailer.variant(1)  # 100.00 and 150.00
    clerk, manager = retailer.clerk, retailer.manager
    counter_sale(retailer.kadikoy, clerk, shirt.pk, paid_by="cash")
    counter_sale(retailer.kadikoy, clerk, other.pk, paid_by="terminal", reference="SLIP-1")
    refunded = counter_sale(retailer.kadikoy, clerk, shirt.pk, paid_by="cash")
    payments.refund_create(
        order=refunded, amount=D("40.00"), reason="stain", idempotency_key="r-1", actor=clerk
    )
    counter_sale(retailer.kadikoy, manager, shirt.pk, paid_by="terminal", reference="SLIP-2")
    counter_sale(retailer.kizilay, manager, shirt.pk, paid_by="cash")
    return retailer


def _text(answer) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.content.decode()))


def test_the_report_sums_each_tills_sales_refunds_and_cash(day):
    report = day_report(store=day.kadikoy, day=timezone.localdate(), user=day.clerk)

    assert [c.key for c in report.methods] == ["cash", "terminal"]
    assert [(r.name, r.sales, r.totals.sales_total) for r in report.rows] == [
        ("Kerem Demir", [[2, D("200.00")], [1, D("150.00")]], D("350.00")),
        ("Selin Aydın", [[0, D(0)], [1, D("100.00")]], D("100.00")),
    ]
    kerem, selin = report.rows
    assert kerem.totals.refunds == {"original": [1, D("40.00")]}
    assert (kerem.totals.cash_in, kerem.totals.cash_out, kerem.totals.cash_expected) == (
        D("200.00"),
        D("40.00"),
        D("160.00"),
    )
    assert selin.totals.cash_expected == 0  # her cash sale was at Kızılay
    assert report.total.sales == [[2, D("200.00")], [2, D("250.00")]]
    assert report.total.totals.sales_total == D("450.00")
    assert report.total.totals.cash_expected == D("160.00")
    assert report.stock_discrepancies == []


def test_the_days_open_stock_discrepancies_are_on_the_report(retailer):
    shirt = retailer.variant(0)  # 5 at Kadıköy
    inventory.handed_over_record(
        location=retailer.kadikoy.store_location, lines={shirt.pk: 7}, reference="till:T1-0007"
    )
    inventory.handed_over_record(  # another store's
        location=retailer.kizilay.store_location, lines={shirt.pk: 4}, reference="till:T2-0001"
    )

    answer = staff_client(retailer.clerk, retailer.kadikoy).get(
        "/staff/day/", HTTP_ACCEPT_LANGUAGE="en"
    )
    yesterday = day_report(
        store=retailer.kadikoy, day=timezone.localdate() - timedelta(days=1), user=retailer.clerk
    )

    assert f"{shirt.sku} 2 till:T1-0007" in _text(answer)
    assert "T2-0001" not in _text(answer)
    assert yesterday.stock_discrepancies == []


def test_the_page_shows_only_this_stores_tills(day):
    answer = staff_client(day.clerk, day.kadikoy).get("/staff/day/", HTTP_ACCEPT_LANGUAGE="en")

    assert answer.status_code == 200
    text = _text(answer)
    assert "Kerem Demir ₺200.00 2 payments ₺150.00 1 payment ₺350.00 3 payments" in text
    assert "Store total ₺200.00 2 payments ₺250.00 2 payments ₺450.00 4 payments" in text
    assert "Kerem Demir ₺200.00 ₺40.00 ₺160.00 Not counted" in text
    # Kızılay's cash sale (100.00 by Selin) is nowhere.
    assert "₺550.00" not in text and "₺300.00" not in text


def test_a_refund_in_cash_at_the_counter_is_cash_handed_back(day):
    paid_at_kizilay = counter_sale(
        day.kizilay, day.manager, day.variant(1).pk, paid_by="terminal", reference="K-1"
    )
    payments.refund_create(
        order=paid_at_kizilay, amount=D("10.00"), reason="", to="cash",
        idempotency_key="cash-1", actor=day.clerk, channel=day.kadikoy,
    )  # fmt: skip

    report = day_report(store=day.kadikoy, day=timezone.localdate(), user=day.clerk)

    kerem = report.rows[0]
    assert kerem.totals.refunds["cash"] == [1, D("10.00")]
    assert kerem.totals.cash_out == D("50.00")  # 40 to a cash payment, 10 in cash
    assert kerem.totals.cash_expected == D("150.00")
    assert [c.label for c in report.destinations] == ["Cash", "Original payment method"]
    # At Kızılay, where that order was paid, the cash left Kadıköy's till, not theirs.
    there = day_report(store=day.kizilay, day=timezone.localdate(), user=day.manager)
    assert all(row.totals.cash_out == 0 for row in there.rows)


def test_the_clerk_counts_their_cash_and_sees_the_difference(day):
    client = staff_client(day.clerk, day.kadikoy)
    today = timezone.localdate()

    answer = client.post("/staff/day/count/", {"date": today.isoformat(), "counted": "150,00"})

    assert answer.status_code == 302
    count = TillCount.objects.get()
    assert (count.staff, count.channel, count.business_date) == (day.clerk, day.kadikoy, today)
    assert (count.counted, count.expected, count.difference) == (
        D("150.00"),
        D("160.00"),
        D("-10.00"),
    )
    text = _text(client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en"))
    assert "Kerem Demir ₺200.00 ₺40.00 ₺160.00 ₺150.00" in text
    assert "Short ₺10.00" in text

    # A recount replaces it in the report; the first is kept.
    client.post("/staff/day/count/", {"date": today.isoformat(), "counted": "160"})
    report = day_report(store=day.kadikoy, day=today, user=day.clerk)
    assert (report.rows[0].counted, report.rows[0].difference) == (D("160.00"), D("0.00"))
    assert report.rows[0].totals.corrections == 1
    assert TillCount.objects.count() == 2
    assert "corrected 1 time" in _text(client.get("/staff/day/", HTTP_ACCEPT_LANGUAGE="en"))


@pytest.mark.parametrize(
    ("counted", "message"),
    [
        ("-5", "The cash counted cannot be negative."),
        ("abc", "Enter the cash counted as a number, e.g. 1250.50."),
        ("12.345", "Enter the cash counted to the cent."),
        ("", "This field is required."),
        ("NaN", "Enter the cash counted as a number, e.g. 1250.50."),
    ],
)
def test_a_count_that_is_not_a_non_negative_amount_is_refused(day, counted, message):
    answer = staff_client(day.clerk, day.kadikoy).post(
        "/staff/day/count/",
        {"date": timezone.localdate().isoformat(), "counted": counted},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert answer.status_code == 400
    assert message in _text(answer)
    assert TillCount.objects.count() == 0


def test_a_day_not_yet_come_cannot_be_counted(day):
    tomorrow = timezone.localdate() + timedelta(days=1)
    answer = staff_client(day.clerk, day.kadikoy).post(
        "/staff/day/count/", {"date": tomorrow.isoformat(), "counted": "10"}
    )
    assert answer.status_code == 400
    assert TillCount.objects.count() == 0


def test_another_day_is_chosen_with_the_date_picker(day):
    client = staff_client(day.clerk, day.kadikoy)
    yesterday = timezone.localdate() - timedelta(days=1)

    text = _text(
        client.get("/staff/day/", {"date": yesterday.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    )
    bad = client.get("/staff/day/", {"date": "32.13.2026"}, HTTP_ACCEPT_LANGUAGE="en")

    assert "No sales, refunds or counts on this day." in text
    assert bad.status_code == 400 and "Enter a valid day." in _text(bad)


def test_the_print_view_is_the_report_on_a4(day):
    answer = staff_client(day.clerk, day.kadikoy).get(
        "/staff/day/print/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 200
    text = _text(answer)
    assert "End-of-day report" in text and "Kadıköy Mağaza" in text
    assert "Store total ₺200.00 2 payments ₺250.00 2 payments ₺450.00 4 payments" in text
    assert "Count your cash" not in text


def test_the_day_page_runs_a_fixed_number_of_queries(retailer):
    client = staff_client(retailer.clerk, retailer.kadikoy)
    shirt = retailer.variant(0)
    counter_sale(retailer.kadikoy, retailer.clerk, shirt.pk)
    client.get("/staff/day/")
    # session, user, stores; sales, refunds, cash handed back, counts; the staff's names;
    # the stock discrepancies
    with assert_num_queries(9):
        assert client.get("/staff/day/").status_code == 200

    for n in range(4):
        order = counter_sale(retailer.kadikoy, retailer.manager, shirt.pk, paid_by="cash")
        payments.refund_create(
            order=order, amount=D("5.00"), reason="", idempotency_key=f"k{n}", actor=retailer.clerk
        )
    counter_sale(retailer.kadikoy, retailer.clerk, retailer.variant(1).pk, paid_by="terminal")
    payments.till_count_record(
        channel=retailer.kadikoy, staff=retailer.clerk, business_date=timezone.localdate(),
        counted="10",
    )  # fmt: skip
    inventory.handed_over_record(
        location=retailer.kadikoy.store_location,
        lines={shirt.pk: 10, retailer.variant(1).pk: 9},
        reference="till:T1-0001",
    )
    with assert_num_queries(9):
        assert client.get("/staff/day/").status_code == 200
    with assert_num_queries(9):
        assert client.get("/staff/day/print/").status_code == 200


def test_a_business_day_is_istanbuls(retailer):
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from payments.models import Payment

    late, early = (
        counter_sale(retailer.kadikoy, retailer.clerk, retailer.variant(n).pk) for n in (0, 1)
    )
    istanbul = ZoneInfo("Europe/Istanbul")
    day = timezone.localdate() - timedelta(days=3)
    at = datetime.combine(day, time(23, 30), tzinfo=istanbul)  # 20:30 UTC: still that day
    Payment.objects.filter(order=late).update(created_at=at)
    Payment.objects.filter(order=early).update(created_at=at + timedelta(hours=1))  # the next

    report = day_report(store=retailer.kadikoy, day=day, user=retailer.clerk)

    assert report.total.totals.sales_total == D("100.00")
