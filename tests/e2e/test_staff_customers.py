"""The customer lookup that finishes an app cart at the counter: a clerk finds the customer by
phone, opens their profile, sees the cart they started in the app, notes their size, and
finishes the cart at the counter, paid in cash."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from orders.services import carts, checkout
from tests import factories as f
from tests.e2e.staff_support import TABLET, TILL, staff_sign_in
from tests.staff.support import build_retailer


def _web_order(retailer, customer, *variants) -> None:
    cart = carts.cart_create_anonymous(channel=retailer.web)
    for variant in variants:
        carts.cart_add(cart=cart, channel=retailer.web, variant_id=variant.pk)
    checkout.order_place(
        cart=cart,
        channel=retailer.web,
        delivery=checkout.delivery_build(
            channel=retailer.web, method="home", shipping_method="standart", address=f.ADDRESS
        ),
        customer=customer,
        email=customer.email,
    )


def test_the_customer_lookup_that_finishes_an_app_cart_at_the_counter(page):
    retailer = build_retailer(products=4)
    customer = retailer.customer
    # A history to offer from: she bought the third shirt on the web; another customer bought it
    # with the fourth.
    _web_order(retailer, customer, retailer.variant(2))
    _web_order(
        retailer,
        f.CustomerFactory(email="komsu@example.com", phone="+905320000001"),
        retailer.variant(2),
        retailer.variant(3),
    )
    # Her cart, started in the app.
    first, second = retailer.variant(0).sku, retailer.variant(1).sku
    carts.cart_add(customer=customer, channel=retailer.app, sku=first, quantity=1)
    carts.cart_add(customer=customer, channel=retailer.app, sku=second, quantity=1)

    staff_sign_in(page, "kasa@example.com", next_path="/staff/customers/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a customer")
    page.get_by_label("Phone, e-mail, name or loyalty card").fill("0555 111 22 33")
    page.shot("search-typed")
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_test_id("customer-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Ayşe Kaya")
    expect(rows).to_contain_text("1 order")
    page.shot("found")
    page.set_viewport_size(TABLET)
    page.shot("found-tablet")
    page.set_viewport_size(TILL)

    rows.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ayşe Kaya")
    cart = page.get_by_test_id("live-cart")
    expect(cart).to_contain_text("last touched on App")
    expect(cart.get_by_test_id("cart-line")).to_have_count(2)
    expect(cart.get_by_test_id("cart-total")).to_contain_text("₺250.00")
    expect(page.get_by_test_id("bought-together")).to_contain_text("Keten Gömlek 3")
    page.shot("profile")

    page.get_by_label("New note").fill("Wears M; asked for linen in blue.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_test_id("notes")).to_contain_text("Wears M; asked for linen in blue.")
    expect(page.get_by_test_id("notes")).to_contain_text("Kadıköy Mağaza")
    page.shot("note-added")
    page.set_viewport_size(TABLET)
    page.shot("profile-tablet")
    page.set_viewport_size(TILL)
    assert page.csp_violations == []

    page.get_by_test_id("live-cart").get_by_role("link", name="Finish at the counter").click()
    expect(page).to_have_url(re.compile(r"/staff/pos/"))
    if page.get_by_label("Barcode or SKU").count() == 0:
        # The counter sale is the staff-pos branch's screen; until it is merged this worktree
        # has its placeholder. The rest runs once it is (PLAN.md's POS markup contract).
        page.shot("pos-placeholder")
        pytest.skip("the POS screen is still the placeholder here: the counter part runs merged")

    lines = page.get_by_test_id("sale-line")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text=first)).to_have_count(1)
    expect(lines.filter(has_text=second)).to_have_count(1)
    page.shot("pos-sale")
    page.get_by_role("button", name="Take payment").click()
    page.get_by_role("button", name="Cash", exact=True).click()
    page.get_by_label("Cash received").fill("300")
    page.shot("pos-cash")
    page.get_by_role("button", name="Complete sale").click()

    expect(page).to_have_url(re.compile(r"/staff/pos/receipt/"))
    order = Order.objects.get(customer=customer, channel=retailer.kadikoy)
    expect(page.get_by_role("heading", level=1)).to_contain_text(order.number)
    assert sorted(order.lines.values_list("sku", flat=True)) == sorted([first, second])
    assert order.total == 250
    page.shot("receipt")
    assert page.csp_violations == []
