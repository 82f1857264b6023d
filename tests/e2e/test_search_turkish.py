"""A Turkish shopper searches the way people type, without Turkish letters and in any case,
on a desktop and on a 390 px phone: suggestions as they type, then the results."""

from __future__ import annotations

from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.conftest import SCREENSHOTS
from tests.storefront.support import build_shop


def shop_with_shirts():
    shop = build_shop()
    for name in ("Keten Gömlek", "Oduncu Gömlek", "İçlik Atlet"):
        f.product(channels=[shop.web], name=name, in_category=shop.dresses, price="499.90")
    return shop


def test_gomlek_finds_gomlek_on_a_desktop(page):
    shop_with_shirts()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/tr/")
    box = page.locator("#site-search")
    box.press_sequentially("gomlek", delay=40)
    suggestions = page.get_by_test_id("search-suggestions")
    expect(suggestions.get_by_role("link", name="Gömlek")).to_have_count(2)
    expect(suggestions).to_contain_text("“gomlek” için tüm sonuçlar")
    expect(suggestions).not_to_contain_text("İçlik")
    page.shot("desktop-suggestions")

    box.press("Enter")
    expect(page.locator(".grid .card")).to_have_count(2)
    expect(page.locator(".grid")).to_contain_text("Keten Gömlek")
    page.shot("desktop-results")

    # In capitals, with a typo: the same shirts.
    page.goto("/tr/search/?q=GOMLK")
    expect(page.locator(".grid .card")).to_have_count(2)


def test_iclik_finds_iclik_on_a_phone(browser, live_server):
    shop_with_shirts()
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="tr-TR",
    )
    context.set_default_timeout(10_000)
    phone = context.new_page()
    blocked: list[str] = []
    phone.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        phone.goto("/tr/")
        box = phone.locator("#site-search")
        box.tap()
        box.press_sequentially("ICLIK", delay=40)
        suggestions = phone.get_by_test_id("search-suggestions")
        link = suggestions.get_by_role("link", name="İçlik Atlet")
        expect(link).to_be_visible()
        # The list fits the phone's width.
        box_width = suggestions.bounding_box()["width"]
        assert box_width <= 390
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(SCREENSHOTS / "search-turkish-phone-01-suggestions.png"))
        link.tap()
        expect(phone.get_by_role("heading", level=1)).to_have_text("İçlik Atlet")
        phone.screenshot(path=str(SCREENSHOTS / "search-turkish-phone-02-product.png"))
    finally:
        context.close()
    assert blocked == [], "blocked by the Content-Security-Policy"
