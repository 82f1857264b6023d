"""The admin and the API docs run in Chromium under the Content-Security-Policy: Swagger UI
renders the schema, the admin's scripts work, and nothing is blocked (the page fixture fails a
test on any violation the console reports)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests import factories as f


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
