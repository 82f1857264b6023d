"""The frame of the shop in Chromium: the storefront's main pages load with no console message
and no failed or refused request (a 404 for a favicon, an unknown Permissions-Policy feature, a
blocked script would each show here); the footer names the retailer; the cookie notice greets a
first visit, is put away in place and stays away; the browser then holds only the essential
cookies the notice and the cookie policy name. Screenshots at desktop and phone size."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from catalog.models import ProductImage
from sales_channels.demo import RETAILER, seed_retailer
from storefront.content import COOKIE_NOTICE_COOKIE
from storefront.demo import PAGES, seed_pages
from tests.e2e.conftest import SCREENSHOTS
from tests.omni.test_media_proxy import PNG
from tests.storefront.support import build_shop

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ESSENTIAL = {
    settings.SESSION_COOKIE_NAME,
    settings.CSRF_COOKIE_NAME,
    settings.LANGUAGE_COOKIE_NAME,
    COOKIE_NOTICE_COOKIE,
}


@pytest.fixture
def frame_shop(db):
    shop = build_shop(products=2)
    ProductImage.objects.create(
        product=shop.products[0], image=SimpleUploadedFile("elbise.png", PNG, "image/png")
    )
    seed_retailer()
    seed_pages()
    return shop


@pytest.fixture
def first_visit(browser, live_server):
    """A browser that has never seen the shop (the `page` fixture's has read the notice)."""
    contexts = []

    def open_page(viewport: dict, locale: str = "tr-TR"):
        context = browser.new_context(base_url=live_server.url, viewport=viewport, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on(
            "console",
            lambda message: page.problems.append(f"{page.url}: {message.type}: {message.text}"),
        )
        page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
        page.on(
            "requestfailed",
            lambda request: page.problems.append(f"failed: {request.url} {request.failure}"),
        )
        page.on(
            "response",
            lambda response: (
                page.problems.append(f"{response.status}: {response.url}")
                if response.status >= 400
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"shop-frame-{name}.png"), full_page=True)


def test_the_main_pages_load_with_a_clean_console_and_no_failed_request(first_visit, frame_shop):
    page = first_visit(DESKTOP)
    product = frame_shop.products[0]
    pages = [
        "/tr/",
        "/tr/c/kadin/",
        f"/tr/p/{product.slug}/",
        "/tr/search/?q=elbise",
        "/tr/cart/",
        "/tr/account/sign-in/",
        "/tr/account/sign-up/",
        *(f"/tr/page/{slug}/" for slug, *_ in PAGES),
        "/en/",
        f"/en/p/{product.slug}/",
        "/en/page/cerez-politikasi/",
    ]
    for url in pages:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        expect(page.get_by_test_id("retailer-details")).to_contain_text(RETAILER["mersis_number"])
    page.goto(f"/tr/p/{product.slug}/")
    page.locator("form.add").get_by_role("button").click()  # the cart's htmx requests too
    page.goto("/tr/cart/")
    page.wait_for_load_state("networkidle")

    assert page.problems == []
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    answer = page.request.get(icon)
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg")
    assert page.request.get("/favicon.ico").status == 200  # asked for by pages without a link


def test_the_cookie_notice_greets_a_first_visit_goes_away_in_place_and_stays_away(
    first_visit, frame_shop
):
    page = first_visit(DESKTOP, locale="en-US")
    page.goto("/en/")
    notice = page.get_by_test_id("cookie-notice")
    expect(notice).to_contain_text("No advertising or analytics cookies")
    notice.get_by_role("link", name="Cookie policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cookie policy")
    shot(page, "desktop-cookie-policy")

    notice.get_by_role("button", name="Got it").click()

    expect(notice).to_have_count(0)
    assert page.url.endswith("/en/page/cerez-politikasi/")  # htmx: no page load
    page.goto(f"/en/p/{frame_shop.products[0].slug}/")
    page.locator("form.add").get_by_role("button").click()
    page.locator("header").get_by_role("button", name="Türkçe").click()
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.get_by_test_id("cookie-notice")).to_have_count(0)
    names = {cookie["name"] for cookie in page.context.cookies()}
    assert names <= ESSENTIAL, names - ESSENTIAL
    assert {COOKIE_NOTICE_COOKIE, settings.SESSION_COOKIE_NAME} <= names
    assert page.problems == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_footer_a_policy_page_and_the_notice_at_desktop_and_phone_size(
    first_visit, frame_shop, size
):
    page = first_visit(DESKTOP if size == "desktop" else PHONE)
    page.goto("/tr/")
    footer = page.get_by_test_id("site-footer")
    expect(footer).to_contain_text(RETAILER["legal_name"])
    expect(footer.get_by_role("link", name="KVKK Aydınlatma Metni")).to_be_visible()
    notice = page.get_by_test_id("cookie-notice")
    expect(notice).to_be_in_viewport()  # it sticks to the bottom of the window
    page.screenshot(path=str(SCREENSHOTS / f"shop-frame-{size}-home-notice.png"))
    shot(page, f"{size}-home")
    footer.get_by_role("link", name="İade ve Değişim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("İade ve Değişim")
    notice.get_by_role("button", name="Tamam").click()
    expect(notice).to_have_count(0)
    shot(page, f"{size}-returns-page")
    # Nothing wider than the window (a phone never scrolls sideways).
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert page.problems == []


def test_the_journeys_shopper_has_read_the_notice(page, frame_shop):
    """The `page` fixture's shopper (every other journey) sees no notice in either language."""
    for url in ("/tr/", "/en/page/teslimat/"):
        page.goto(url)
        expect(page.get_by_test_id("site-footer")).to_be_visible()
        expect(page.get_by_test_id("cookie-notice")).to_have_count(0)
