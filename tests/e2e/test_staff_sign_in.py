"""A manager of two stores signs in to the staff screens and picks a store."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.staff_support import staff_sign_in
from tests.staff.support import build_retailer


def test_a_manager_signs_in_and_picks_a_store(page):
    build_retailer(products=1, variants=1)
    staff_sign_in(page, "mudur@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your store")
    page.shot("store-picker")
    page.get_by_role("button", name="Kızılay Mağaza").click()
    expect(page.get_by_test_id("current-store")).to_contain_text("Kızılay Mağaza")
    page.shot("home")
