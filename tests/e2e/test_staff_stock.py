"""A clerk looks up a product's stock by its barcode, sees it in the other store and in the
distribution centre, and asks for two units to come from the DC to their store."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from inventory.models import Transfer
from tests.e2e.staff_support import TABLET, TILL, staff_sign_in
from tests.staff.support import build_retailer


def test_a_stock_lookup_with_a_transfer_request(page):
    retailer = build_retailer()
    variant = retailer.variant(0, 0)
    staff_sign_in(page, "kasa@example.com")
    page.get_by_role("navigation", name="Staff screens").get_by_role("link", name="Stock").click()
    scan = page.get_by_label("Barcode, SKU or name")
    expect(scan).to_be_focused()
    page.shot("stock-empty")

    # A keyboard-wedge scanner types the barcode and Enter.
    scan.fill(variant.barcode)
    scan.press("Enter")
    found = page.locator(f'[data-testid="variant"][data-sku="{variant.sku}"]')
    expect(found).to_have_class("variant scanned")
    expect(found.get_by_test_id("here")).to_contain_text("Here: 3 free")
    kizilay = found.locator('[data-location="kizilay"]')
    expect(kizilay).to_contain_text("Kızılay Mağaza")
    expect(kizilay).to_contain_text("344 km")
    dc = found.locator('[data-location="dc-gebze"]')
    expect(dc).to_contain_text("Gebze DC")
    expect(dc).to_contain_text("20")
    expect(found.get_by_role("link", name="Sell for home delivery")).to_have_attribute(
        "href", f"/staff/pos/?add={variant.sku}"
    )
    page.shot("found")

    found.get_by_label("From").select_option(label="Gebze DC (20 free)")
    found.get_by_label("Quantity").fill("2")
    page.shot("transfer-filled")
    found.get_by_role("button", name="Request transfer").click()

    transfer = Transfer.objects.get()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Transfer {transfer.pk} requested: 2 from Gebze DC."
    )
    listed = page.get_by_test_id("transfer")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(f"Incoming · T{transfer.pk}")
    expect(listed).to_contain_text("Requested")
    expect(listed).to_contain_text(f"2 \u00d7 Keten Gömlek 0 {variant.sku}")
    expect(
        page.locator(
            f'[data-testid="variant"][data-sku="{variant.sku}"] [data-location="dc-gebze"]'
        )
    ).to_contain_text("18")
    page.shot("transfer-listed")
    page.set_viewport_size(TABLET)
    page.shot("transfer-listed-tablet")
    page.set_viewport_size(TILL)

    # Endless aisle: the item goes onto the counter sale, which offers home delivery.
    page.locator(f'[data-testid="variant"][data-sku="{variant.sku}"]').get_by_role(
        "link", name="Sell for home delivery"
    ).click()
    expect(page).to_have_url(re.compile(r"/staff/pos/$"))
    expect(page.get_by_test_id("sale-line")).to_have_count(1)
    expect(page.get_by_test_id("sale-line")).to_contain_text(variant.sku)
    page.shot("on-the-counter-sale")
