"""The admin, the API docs and a 3-D Secure payment run in Chromium under the
Content-Security-Policy: Swagger UI renders the schema, the admin's scripts work, the card form's
redirect to the provider's page passes form-action, and nothing is blocked (the page fixture
fails a test on any violation the console reports)."""

from __future__ import annotations

from playwright.sync_api import expect

from customers.services import customer_for_user
from orders.services import carts, checkout
from payments.models import ChannelGateway
from tests import factories as f
from tests.payments.support import THREE_DS, provider  # noqa: F401 (a fixture)
from tests.storefront.support import build_shop


def test_the_api_docs_render_under_the_policy(page):
    page.goto("/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Omni API")
    expect(page.locator(".opblock").first).to_be_visible()


def test_the_admin_works_under_the_policy(page):
    f.UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)

    page.goto("/admin/login/")
    page.fill("#id_username", "admin@example.com")
    page.fill("#id_password", f.PASSWORD)
    page.click("input[type=submit]")
    page.goto("/admin/catalog/product/add/")

    expect(page.locator("#product_form")).to_be_visible()
    page.shot("admin-product-add")
    # The widgets that run most script: autocomplete (select2), the two-pane selector, a
    # change list with actions and filters.
    page.locator(".select2-selection").first.click()
    expect(page.locator(".select2-dropdown")).to_be_visible()
    page.goto("/admin/accounts/user/add/")
    page.goto(f"/admin/accounts/user/{f.UserFactory().pk}/change/")
    expect(page.locator("#id_groups_from")).to_be_visible()  # SelectFilter2 built it
    page.goto("/admin/catalog/productvariant/add/")
    page.goto("/admin/orders/order/?status=pending")
    expect(page.locator("#changelist")).to_be_visible()


def test_a_three_d_secure_payment_reaches_the_providers_page_and_back(page, provider):  # noqa: F811
    """The pay form posts to Omni, which redirects to the provider's page: Chromium checks that
    redirect against the pay page's form-action (omni/csp.py adds the provider's origin)."""
    shop = build_shop(products=1)
    ChannelGateway.objects.get_or_create(channel=shop.web, gateway="test")
    user = f.UserFactory(email="3ds@example.com")
    customer = customer_for_user(user=user, channel=shop.web)
    cart = carts.cart_for_customer(customer=customer, channel=shop.web)
    carts.cart_add(
        cart=cart, channel=shop.web, variant_id=shop.variant(shop.products[0]).pk, quantity=1
    )
    delivery = checkout.delivery_build(
        channel=shop.web, method="home", shipping_method="standart", address=f.ADDRESS
    )
    order = checkout.order_place(cart=cart, channel=shop.web, delivery=delivery, customer=customer)

    page.goto("/en/account/sign-in/")
    page.get_by_label("E-mail address").fill("3ds@example.com")
    page.get_by_label("Password").fill(f.PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.goto(f"/en/checkout/{order.number}/pay/")
    page.get_by_label("Name on the card").fill("Ayşe Kaya")
    page.get_by_label("Card number").fill(THREE_DS)
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YYYY)").fill("2030")
    page.get_by_label("Security code").fill("123")
    page.locator("#accept-agreements-card").check()  # a web order's legal forms
    page.get_by_role("button", name="Pay").click()

    approve = page.get_by_role("button", name="Approve")
    expect(approve).to_be_visible()  # the provider's own page
    page.shot("provider-3ds")
    approve.click()
    expect(page.get_by_test_id("order-number")).to_contain_text(order.number)
