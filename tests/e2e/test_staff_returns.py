"""A clerk takes back a web order at the Kadıköy counter and exchanges it for another size."""

from __future__ import annotations

from playwright.sync_api import expect

from orders.models import Order, Return
from tests.e2e.staff_support import TABLET, TILL, staff_sign_in
from tests.payments.support import provider  # noqa: F401 (a fixture)
from tests.staff.returns_support import delivered_web_order
from tests.staff.support import build_retailer


def test_a_return_with_exchange_of_a_web_order(page, provider):  # noqa: F811
    shop = build_retailer()
    order = delivered_web_order(shop)  # one "Keten Gömlek 0" in the first size, paid by card
    other = shop.variant(0, 1)

    staff_sign_in(page, "kasa@example.com", next_path="/staff/returns/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Returns")
    page.shot("find")

    # The receipt's barcode, as a keyboard-wedge scanner types it: the number, then Enter.
    page.get_by_label("Order number, receipt barcode or customer").fill(order.number)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    page.shot("order")

    row = page.get_by_test_id("return-line").first
    row.get_by_label("Units to return").fill("1")
    row.get_by_label("Reason").select_option(label="Wrong size")
    row.get_by_label("Exchange for").select_option(value=str(other.pk))
    row.get_by_label("Condition").select_option(label="Restock here")
    page.shot("chosen")

    page.get_by_role("button", name="Review").click()
    expect(page.get_by_test_id("return-summary")).to_be_visible()
    expect(page.get_by_test_id("exchange-even")).to_be_visible()
    page.shot("review")
    page.set_viewport_size(TABLET)
    page.shot("review-tablet")
    page.set_viewport_size(TILL)

    page.get_by_role("button", name="Complete return").click()
    expect(page.get_by_test_id("return-status")).to_have_text("Refunded")
    made = Return.objects.get(order=order)
    exchange = Order.objects.get(pk=made.exchange_order_id)
    expect(page.get_by_test_id("exchange-order")).to_contain_text(exchange.number)
    page.shot("done")

    assert made.received_at is not None and made.location == shop.kadikoy.store_location
    assert list(exchange.lines.values_list("variant_id", "quantity")) == [(other.pk, 1)]
    assert exchange.status == Order.Status.COLLECTED  # the new size left with the customer
