"""The counter sale in the browser: a scanned barcode paid in cash with change, and a split of
cash and a payment link the customer pays on their phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from orders.models import Order
from payments.models import ChannelGateway
from tests.e2e.staff_support import TABLET, staff_sign_in
from tests.payments.support import APPROVE, provider  # noqa: F401 (a fixture)
from tests.staff.support import build_retailer


def test_a_counter_sale_with_a_scanned_barcode_paid_in_cash(page):
    retailer = build_retailer(products=2, variants=1)
    variant = retailer.variant(0, 0)
    staff_sign_in(page, "kasa@example.com", next_path="/staff/pos/")
    page.wait_for_url("**/staff/pos/")
    page.wait_for_load_state()  # htmx and pos.js are deferred scripts
    scan = page.get_by_label("Barcode or SKU")
    expect(scan).to_be_focused()
    page.shot("empty-sale")

    # The camera: the vendored scanner loads under the Content-Security-Policy (the headless
    # browser has no camera, so it says why it cannot read), and closing it gives the focus back.
    page.get_by_role("button", name="Scan with camera").click()
    expect(page.locator("#camera")).to_be_visible()
    page.wait_for_function("() => window.ZXing !== undefined")
    page.shot("camera")
    page.get_by_role("button", name="Close camera").click()
    expect(page.locator("#camera")).to_be_hidden()
    expect(scan).to_be_focused()

    # A keyboard-wedge scanner: a burst of digits and Enter, into the field that has focus.
    page.keyboard.type(variant.barcode, delay=5)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sale-line")).to_have_count(1)
    expect(page.get_by_test_id("sale-line")).to_contain_text(variant.sku)
    expect(page.get_by_test_id("sale-line")).to_contain_text("Here: 3")
    expect(scan).to_be_focused()
    page.keyboard.type(variant.barcode, delay=5)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sale-line")).to_contain_text("2")
    expect(page.get_by_test_id("sale-total")).to_have_text("₺200.00")
    page.shot("scanned")

    # An unknown barcode: a clear message, nothing added.
    page.keyboard.type("8690000000000", delay=5)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sale-error")).to_contain_text("No item has the barcode")
    expect(page.get_by_test_id("sale-line")).to_have_count(1)
    page.shot("unknown-barcode")

    page.get_by_role("button", name="Take payment").click()
    page.get_by_role("button", name="Cash").click()
    page.get_by_label("Cash received").fill("250")
    expect(page.locator("output[data-change]")).to_have_text("50.00")
    page.shot("cash")
    page.get_by_role("button", name="Complete sale").click()

    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    expect(page.get_by_test_id("receipt-change")).to_have_text("₺50.00")
    expect(page.get_by_test_id("receipt-barcode")).to_be_visible()
    page.shot("receipt")
    order.refresh_from_db()
    assert (order.status, order.total) == ("collected", 200)

    page.set_viewport_size(TABLET)
    page.get_by_role("link", name="New sale").click()
    expect(page.get_by_label("Barcode or SKU")).to_be_focused()
    page.shot("new-sale-tablet")


def test_a_split_payment_with_pay_by_link(page, browser, provider):  # noqa: F811
    retailer = build_retailer(products=2, variants=1)
    ChannelGateway.objects.get_or_create(channel=retailer.kadikoy, gateway="test")
    staff_sign_in(page, "kasa@example.com", next_path="/staff/pos/")
    page.wait_for_url("**/staff/pos/")
    page.wait_for_load_state()  # htmx and pos.js are deferred scripts

    # Search by name and pick with the keyboard.
    page.get_by_label("Search by name or SKU").fill("Gömlek 1")
    pick = page.locator("#search-results button.pick").first
    expect(pick).to_be_visible()
    page.shot("search")
    page.get_by_label("Search by name or SKU").press("ArrowDown")
    expect(pick).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sale-line")).to_have_count(1)
    expect(page.get_by_test_id("sale-total")).to_have_text("₺150.00")
    page.shot("picked")

    page.get_by_role("button", name="Take payment").click()
    page.get_by_role("button", name="Cash").click()
    page.get_by_label("Amount").fill("50.00")
    page.get_by_label("Cash received").fill("50.00")
    page.get_by_role("button", name="Complete sale").click()
    expect(page.get_by_test_id("still-due")).to_have_text("₺100.00")
    page.shot("cash-part")

    page.get_by_role("button", name="Pay by link").click()
    page.get_by_role("button", name="Show the payment link").click()
    expect(page.get_by_role("img", name="QR code of the payment link")).to_be_visible()
    page.shot("qr-code")
    url = page.get_by_test_id("payment-link-url").inner_text()
    path = re.sub(r"^https?://[^/]+", "", url)

    # The customer pays the link on their phone.
    phone = page.context.new_page()
    phone.goto(path)
    phone.get_by_label("Name on the card").fill("Ayşe Kaya")
    phone.get_by_label("Card number").fill(APPROVE)
    phone.get_by_label("Expiry month (MM)").fill("12")
    phone.get_by_label("Expiry year (YYYY)").fill("2030")
    phone.get_by_label("Security code").fill("123")
    phone.get_by_role("button", name=re.compile("^Pay")).click()
    phone.wait_for_load_state()
    phone.close()

    # The till sees it paid (polled) and completes the sale.
    expect(page.get_by_test_id("paid-in-full")).to_be_visible(timeout=15_000)
    page.shot("paid")
    page.get_by_role("button", name="Complete sale").click()
    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    page.shot("receipt")
    order.refresh_from_db()
    assert order.status == "collected"
    paid = order.payments.exclude(status__in=["cancelled", "failed", "declined"])
    assert sorted(p.gateway for p in paid) == ["cash", "test"]
