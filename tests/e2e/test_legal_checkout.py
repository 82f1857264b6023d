"""The legal checkout in a real browser, in Turkish, at desktop and phone size: the payment
step shows the pre-information form and the distance sales contract filled with the order;
paying without accepting them is refused beside the checkbox; accepted, the test card pays,
the confirmation says delivery, payment and what happens next, and the account keeps the
accepted forms. Screenshots of each step (var/screenshots/)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from payments.models import ChannelGateway
from sales_channels.demo import seed_retailer
from tests import factories as f
from tests.payments.support import APPROVE, provider  # noqa: F401 (a fixture)
from tests.storefront.support import PASSWORD, build_shop

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_accept_the_forms_pay_and_find_them_in_the_account(page, provider, size):  # noqa: F811
    page.set_viewport_size(SIZES[size])
    seed_retailer()
    shop = build_shop(products=1)
    ChannelGateway.objects.get_or_create(channel=shop.web, gateway="test")
    f.UserFactory(email="ayse@example.com", first_name="Ayşe", last_name="Kaya")
    page.goto("/tr/account/sign-in/")
    page.locator("#id_username").fill("ayse@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto(f"/tr/p/{shop.products[0].slug}/")
    page.locator("form.add button[type=submit]").click()
    page.goto("/tr/checkout/")
    page.locator("#id_delivery_0").check()
    page.get_by_label("Standart Kargo", exact=False).check()
    page.locator("#id_full_name").fill("Ayşe Kaya")
    page.locator("#id_address_phone").fill("+905551112233")
    page.locator("#id_line1").fill("Moda Caddesi No:12 D:3")
    page.locator("#id_district").fill("Kadıköy")
    page.locator("#id_city").fill("İstanbul")
    page.locator("[data-testid=checkout-form] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/tr/checkout/\w+/pay/$"))

    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    forms = page.get_by_test_id("legal-forms")
    expect(forms.get_by_test_id("legal-pre_information")).to_contain_text("Ön Bilgilendirme")
    expect(forms.get_by_test_id("legal-pre_information")).to_contain_text("Moda Ev Tekstil")
    expect(forms.get_by_test_id("legal-pre_information")).to_contain_text("14 gün")
    page.shot(f"{size}-forms")
    forms.get_by_test_id("legal-distance_sales").locator("summary").click()
    expect(forms.get_by_test_id("legal-distance_sales")).to_contain_text("Ayşe Kaya")
    forms.get_by_test_id("legal-distance_sales").scroll_into_view_if_needed()
    page.screenshot(path=str(page.shot(f"{size}-contract")))  # the open contract, in view

    page.locator("#id_holder").fill("Ayşe Kaya")
    page.locator("#id_number").fill(APPROVE)
    page.locator("#id_exp_month").fill("12")
    page.locator("#id_exp_year").fill("2030")
    page.locator("#id_cvc").fill("123")
    page.get_by_role("button", name="Öde", exact=True).click()  # not ticked
    expect(page.locator("#accept-agreements-card-error")).to_contain_text("okuyup onaylayın")
    page.locator("#accept-agreements-card").scroll_into_view_if_needed()
    page.screenshot(path=str(page.shot(f"{size}-not-accepted")))
    assert not order.agreements.exists() and not order.payments.exists()

    page.locator("#id_number").fill(APPROVE)
    page.locator("#id_cvc").fill("123")
    page.locator("#accept-agreements-card").check()
    page.get_by_role("button", name="Öde", exact=True).click()
    expect(page.get_by_test_id("order-number")).to_contain_text(order.number)
    expect(page.get_by_test_id("order-payment")).to_contain_text("4242")
    expect(page.get_by_test_id("next-steps")).to_contain_text("takip numarasını")
    page.shot(f"{size}-confirmation")

    page.goto(f"/tr/account/orders/{order.number}/")
    accepted = page.get_by_test_id("accepted-forms")
    expect(accepted.locator("li")).to_have_count(2)
    page.shot(f"{size}-account-order")
    accepted.locator("a").last.click()
    expect(page.locator("h2")).to_have_text("Mesafeli Satış Sözleşmesi")
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert sorted(order.agreements.values_list("kind", flat=True)) == [
        "distance_sales",
        "pre_information",
    ]


def test_an_order_waiting_for_payment_is_cancelled_from_the_account(page):
    from orders.services import checkout

    page.set_viewport_size(SIZES["phone"])
    shop = build_shop(products=1)
    user = f.UserFactory(email="bekleyen@example.com")
    from customers.services import customer_for_user
    from orders.services import carts

    customer = customer_for_user(user=user, channel=shop.web)
    cart = carts.cart_for_customer(customer=customer, channel=shop.web)
    carts.cart_add(
        cart=cart, channel=shop.web, variant_id=shop.variant(shop.products[0]).pk, quantity=1
    )
    delivery = checkout.delivery_build(
        channel=shop.web, method="home", shipping_method="standart", address=f.ADDRESS
    )
    order = checkout.order_place(cart=cart, channel=shop.web, delivery=delivery, customer=customer)
    page.goto("/tr/account/sign-in/")
    page.locator("#id_username").fill("bekleyen@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()

    page.goto(f"/tr/account/orders/{order.number}/")
    expect(page.get_by_test_id("pay-now")).to_be_visible()
    page.shot("pending-order")
    page.get_by_test_id("cancel-order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("İptal edildi")
    expect(page.get_by_test_id("pending-actions")).to_have_count(0)
    page.shot("cancelled-order")
    order.refresh_from_db()
    assert order.status == "cancelled"
