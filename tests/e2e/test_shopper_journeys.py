"""A shopper's journeys in a real browser: browse, filter, add to cart, sign in, check out with
home delivery and a card, find the order in the account; a cart started in the app found on the
web after signing in, checked out with click and collect; the language switch."""

from __future__ import annotations

import json
import urllib.request

from playwright.sync_api import expect

from orders.models import Order
from payments.models import ChannelGateway
from tests import factories as f
from tests.payments.support import APPROVE, provider  # noqa: F401 (a fixture)
from tests.storefront.support import PASSWORD, build_shop


def sign_in(page, email: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()


def test_browse_filter_cart_sign_in_pay_and_see_the_order(page, provider):  # noqa: F811
    shop = build_shop()
    ChannelGateway.objects.get_or_create(channel=shop.web, gateway="test")
    f.UserFactory(email="ayse@example.com")

    page.goto("/")
    assert page.url.endswith("/en/")  # the browser's language
    page.shot("home")
    page.get_by_role("link", name="Kadın", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kadın")  # no English name: Turkish
    page.locator('a[data-facet="renk:kirmizi"]').click()
    expect(page.locator(".grid .card")).to_have_count(1)
    page.shot("filtered")
    page.get_by_role("link", name="Keten Elbise 1").click()
    expect(page.get_by_test_id("price")).to_contain_text("₺110.00")
    page.shot("product")
    page.locator("form.add").get_by_role("button", name="Add to cart").click()
    expect(page.locator("table.cart tbody tr")).to_have_count(1)
    page.shot("cart")

    page.locator("header").get_by_role("link", name="Sign in").click()
    sign_in(page, "ayse@example.com")
    page.goto("/en/cart/")
    expect(page.locator("table.cart tbody tr")).to_have_count(1)  # the guest cart merged
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Home delivery").check()
    page.get_by_label("Standard", exact=False).check()
    page.get_by_label("Full name").fill("Ayşe Kaya")
    page.locator("#id_address_phone").fill("+905551112233")
    page.locator("#id_line1").fill("Moda Caddesi No:12")
    page.get_by_label("City").fill("İstanbul")
    page.shot("checkout")
    page.get_by_role("button", name="Place order and pay").click()

    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    page.get_by_label("Name on the card").fill("Ayşe Kaya")
    page.get_by_label("Card number").fill(APPROVE)
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YYYY)").fill("2030")
    page.get_by_label("Security code").fill("123")
    page.locator("#accept-agreements-card").check()  # the legal forms (test_legal_checkout)
    page.shot("payment")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_test_id("order-number")).to_contain_text(order.number)
    page.shot("confirmation")

    page.get_by_role("link", name="Your account").click()
    expect(page.locator(f'tr[data-order="{order.number}"]')).to_contain_text("Confirmed")
    page.get_by_role("link", name=order.number).click()
    expect(page.locator("ol.timeline")).to_contain_text("Confirmed")
    page.shot("account-order")
    order.refresh_from_db()
    assert order.status == "confirmed" and order.delivery == "home"


def _api(base: str, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
    request = urllib.request.Request(  # noqa: S310 (the local live server)
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Omni-Channel": "app"}
        | ({"Authorization": f"Token {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


def test_cart_from_the_app_is_on_the_web_and_collected_in_store(page, live_server):
    shop = build_shop()
    app = f.ChannelFactory(code="app", name="App", kind="app")
    f.sells_from(app, shop.dc)
    from catalog import services as catalog_services

    variant = shop.variant(shop.products[0])
    catalog_services.prices_set(
        channel=app,
        changes=[
            catalog_services.PriceChange(variant.pk, variant.channel_prices.get().price, None)
        ],
    )
    catalog_services.product_listing_set(product=shop.products[0], channel=app, is_published=True)
    f.UserFactory(email="app@example.com")
    token = _api(live_server.url, "POST", "/api/v1/auth/token/",
                 {"email": "app@example.com", "password": PASSWORD})["token"]  # fmt: skip
    _api(live_server.url, "POST", "/api/v1/cart/lines/", {"sku": variant.sku, "quantity": 1}, token)

    page.goto("/en/account/sign-in/")
    sign_in(page, "app@example.com")
    page.goto("/en/cart/")
    expect(page.locator(f'tr[data-sku="{variant.sku}"]')).to_have_count(1)
    page.shot("web-cart-from-app")
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Click and collect").check()
    page.get_by_label("Kadıköy Mağaza", exact=False).check()
    page.shot("click-and-collect")
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.get_by_test_id("payment-pending")).to_be_visible()  # no gateway on this web
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_test_id("order-number")).to_be_visible()
    page.shot("collect-confirmation")
    order = Order.objects.get()
    assert order.delivery == "pickup" and order.pickup_location == shop.store
    assert order.origin_channel.code == "app" and order.channel.code == "web"


def test_switch_language(page):
    shop = build_shop(products=1)
    page.goto(f"/tr/p/{shop.products[0].slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    page.shot("turkish")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert f"/en/p/{shop.products[0].slug}/" in page.url
    page.get_by_role("button", name="Türkçe").focus()
    page.keyboard.press("Enter")  # by keyboard
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    page.shot("back-to-turkish")
