"""The end of the day at Kadıköy: the clerk's cash and terminal sales are on the report, the
clerk counts the cash in the till, sees what was expected against what was counted, and prints
the report."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import expect

from payments import services as payments
from payments.models import TillCount
from tests.e2e.staff_support import TABLET, TILL, staff_sign_in
from tests.staff.day_support import counter_sale
from tests.staff.support import build_retailer


def test_the_end_of_day_report(page):
    retailer = build_retailer(products=2, variants=1)
    clerk = retailer.clerk
    counter_sale(retailer.kadikoy, clerk, retailer.variant(0).pk, paid_by="cash")  # 100.00
    counter_sale(retailer.kadikoy, clerk, retailer.variant(1).pk, paid_by="cash")  # 150.00
    paid_by_card = counter_sale(
        retailer.kadikoy, clerk, retailer.variant(0).pk, paid_by="terminal", reference="SLIP-7"
    )
    refunded = counter_sale(retailer.kadikoy, clerk, retailer.variant(1).pk, paid_by="cash")
    payments.refund_create(
        order=refunded, amount=Decimal("20.00"), reason="", idempotency_key="e2e-1", actor=clerk
    )
    assert paid_by_card.payments.get().kind == "terminal"

    staff_sign_in(page, "kasa@example.com")
    page.get_by_role("navigation", name="Staff screens").get_by_role(
        "link", name="End of day"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("End of day")
    sales = page.get_by_test_id("sales-table")
    expect(sales.get_by_role("row", name=re.compile("Kerem Demir"))).to_contain_text(
        "₺400.00"  # cash: 100 + 150 + 150
    )
    expect(sales.get_by_test_id("sales-total")).to_contain_text("₺500.00")
    expect(page.get_by_test_id("my-expected")).to_have_text("₺380.00")  # 400 less 20 back
    page.shot("report")

    page.get_by_label("Cash counted (TRY)").fill("375,50")
    page.get_by_label("Note").fill("Bozuk para eksik")
    page.shot("count-filled")
    page.get_by_role("button", name="Record the count").click()

    expect(page.get_by_role("status").first).to_contain_text("Your cash count is recorded.")
    row = page.get_by_test_id("cash-row").filter(has_text="Kerem Demir")
    expect(row.get_by_test_id("cash-expected")).to_have_text("₺380.00")
    expect(row.get_by_test_id("cash-counted")).to_contain_text("₺375.50")
    expect(row.get_by_test_id("cash-difference")).to_have_text("Short ₺4.50")
    assert TillCount.objects.get().difference == Decimal("-4.50")
    page.locator("#cash").scroll_into_view_if_needed()
    page.shot("counted")
    page.set_viewport_size(TABLET)
    page.shot("counted-tablet")
    page.set_viewport_size(TILL)

    page.get_by_role("link", name="Print view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("End-of-day report")
    expect(page.get_by_test_id("cash-total")).to_contain_text("₺375.50")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    page.shot("print-view")
    page.emulate_media(media="print")
    page.shot("print-media")
    # Printed on A4 (the sheet's @page), kept beside the screenshots.
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    page.shots[-1].with_suffix(".pdf").write_bytes(pdf)
