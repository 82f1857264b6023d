"""The checkout in a real browser: only the chosen delivery's block shows (no script), and the
card step lists the card's instalments as its first six digits are typed, at desktop and at
phone size; the order is paid in three and records it. Only the BIN leaves the page before
the payment form is sent."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from orders.models import Order
from payments.models import ChannelGateway, Payment
from tests.payments.support import APPROVE, provider  # noqa: F401 (a fixture)
from tests.storefront.support import build_shop

PHONE = {"width": 390, "height": 844}


def test_the_card_step_offers_instalments_and_the_order_records_the_choice(page, provider):  # noqa: F811
    shop = build_shop()
    ChannelGateway.objects.get_or_create(channel=shop.web, gateway="test")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    page.goto(f"/tr/p/{shop.products[0].slug}/")
    page.locator("form.add").get_by_role("button").click()
    page.goto("/tr/checkout/")
    home, stores = page.get_by_test_id("home-delivery"), page.get_by_test_id("pickup-stores")
    expect(home).to_be_visible()
    expect(stores).to_be_hidden()
    expect(home).to_contain_text("Standart Kargo")
    expect(home).not_to_contain_text("Mağazadan Kargo")  # ship from store: not for shoppers
    page.shot("checkout-home")
    page.locator('input[name="delivery"][value="pickup"]').check()
    expect(home).to_be_hidden()
    expect(stores).to_be_visible()
    page.shot("checkout-pickup")
    page.locator('input[name="delivery"][value="home"]').check()
    page.locator("#id_email").fill("taksit@example.com")
    page.locator('input[name="shipping_method"][value="standart"]').check()
    page.locator("#id_full_name").fill("Ayşe Kaya")
    page.locator("#id_address_phone").fill("+905551112233")
    page.locator("#id_line1").fill("Moda Caddesi No:12")
    page.locator("#id_city").fill("İstanbul")
    page.locator("form[data-testid=checkout-form] button[type=submit]").click()

    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    page.locator("[name=holder]").fill("Ayşe Kaya")
    page.locator("[name=number]").press_sequentially("4242 42")
    options = page.get_by_test_id("instalments").locator("input[name=instalments]")
    expect(options).to_have_count(6)
    expect(page.get_by_test_id("instalments")).to_contain_text("Tek çekim")
    page.locator("[name=number]").press_sequentially("42 4242 4242")
    page.locator("[name=exp_month]").fill("12")
    page.locator("[name=exp_year]").fill("2030")
    page.locator("[name=cvc]").fill("123")
    page.locator('input[name="instalments"][value="3"]').check()
    page.locator("#accept-agreements-card").check()  # the legal forms (test_legal_checkout)
    page.shot("pay-instalments")
    page.set_viewport_size(PHONE)
    page.shot("pay-instalments-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    # Only the BIN left the page while typing: no request carried more of the number.
    assert any("bin=424242" in url for url in asked)
    assert not any("4242424242" in url.replace("%20", "") for url in asked)
    page.locator("form[data-card-form] button[type=submit]").click()

    expect(page.get_by_test_id("order-number")).to_contain_text(order.number)
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.instalments, payment.amount) == ("captured", 3, order.total)
    assert payment.instalment_total == (order.total * Decimal("1.025")).quantize(Decimal("0.01"))
    assert payment.card_last4 == APPROVE[-4:]
