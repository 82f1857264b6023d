"""The offline sale: the counter keeps selling with the network cut, the sale survives a
reload, and once the network is back it becomes exactly one order."""

from __future__ import annotations

import pytest
from django.core.signals import request_started
from playwright.sync_api import expect

from inventory.models import StockMovement
from orders.models import Order
from payments.models import Payment
from staff.models import TillSale
from tests.e2e.staff_support import TABLET, TILL, staff_sign_in
from tests.staff.support import build_retailer


@pytest.fixture
def server_requests():
    """Every path the live server was asked for (it runs in this process): proof of what
    reached the network and what did not."""
    seen: list[str] = []

    def record(sender, environ=None, **kwargs) -> None:
        if environ is not None:
            seen.append(environ.get("PATH_INFO", ""))

    request_started.connect(record, weak=False)
    yield seen
    request_started.disconnect(record)


def network_cut(page) -> None:
    """No network for the page and its service worker: Chromium's offline emulation, and every
    request the page makes aborted as well. (A request a controlled page makes that the
    worker does not answer went to the network past both in Chromium; the worker now answers
    every /staff/ request, and the live server's log below proves none got through.)"""
    page.context.set_offline(True)
    page.context.route("**/*", lambda route: route.abort("internetdisconnected"))


def network_back(page) -> None:
    page.context.unroute("**/*")
    page.context.set_offline(False)


def test_a_sale_made_offline_is_kept_and_sent_once(page, server_requests):
    retailer = build_retailer(products=2, variants=2, in_store=3)
    variant = retailer.variant(0, 0)
    staff_sign_in(page, "kasa@example.com", next_path="/staff/offline/till/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Offline till")
    # Online once: the service worker keeps the page and its files, the price list is stored.
    expect(page.locator("html[data-offline-ready]")).to_have_count(1)
    expect(page.locator("#till-catalog")).to_contain_text("4 items")
    expect(page.locator("#till-network")).to_have_text("Online")
    expect(page.locator("#till-ready")).to_have_text("Ready to work offline")
    page.shot("online")

    page.wait_for_load_state("networkidle")  # nothing in flight (the favicon, the price list)
    network_cut(page)
    server_requests.clear()
    expect(page.locator("#till-network")).to_contain_text("Offline")
    scan = page.get_by_label("Barcode or SKU")
    expect(scan).to_be_focused()
    scan.fill("0000000000000")
    scan.press("Enter")
    expect(page.locator("#till-message")).to_contain_text("Not on this store's price list")
    scan.fill(variant.barcode)
    scan.press("Enter")
    scan.fill(variant.sku)
    scan.press("Enter")
    expect(page.get_by_test_id("sale-line")).to_have_count(1)
    expect(page.get_by_test_id("sale-line")).to_contain_text("2")
    expect(page.get_by_test_id("sale-total")).to_contain_text("200.00")
    page.get_by_label("Cash received").fill("250")
    expect(page.get_by_test_id("change-due")).to_contain_text("50.00")
    page.shot("offline-sale")
    page.get_by_role("button", name="Complete sale").click()
    receipt = page.get_by_test_id("till-receipt")
    expect(receipt).to_be_visible()
    expect(receipt).to_contain_text("To be confirmed")
    expect(page.locator("#waiting-sales [data-waiting-count]")).to_have_text("1")
    page.shot("offline-receipt")

    # The tab reloaded with no network: the service worker serves the till, the sale waits.
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.get_by_role("heading", level=1)).to_have_text("Offline till")
    expect(page.locator("#waiting-sales")).to_be_visible()
    expect(page.locator("#waiting-sales [data-waiting-count]")).to_have_text("1")
    expect(page.get_by_test_id("waiting-sale")).to_have_count(1)
    page.shot("offline-reloaded")
    # Chromium checks for a newer service worker after a navigation, a little later, and that
    # fetch of the worker's own script goes past Playwright's offline emulation and routes
    # (it is the browser's, not the page's). It fails harmlessly at a real till; no page, file
    # or sale may get through.
    reached = [path for path in server_requests if path != "/staff/offline/sw.js"]
    assert reached == [], f"the network was used while offline: {reached}"
    assert Order.objects.count() == 0

    # The network is back: the queue sends the sale, and it is one order.
    network_back(page)
    expect(page.locator("#waiting-sales")).to_be_hidden(timeout=15_000)
    expect(page.locator("#waiting-sales")).to_have_class("waiting zero")
    expect(page.get_by_test_id("waiting-sale")).to_have_count(0)
    order = Order.objects.get()
    expect(page.get_by_test_id("sent-sale")).to_contain_text(order.number)
    page.shot("sent")
    assert (order.status, order.total, order.channel) == (
        Order.Status.COLLECTED,
        200,
        retailer.kadikoy,
    )
    assert Payment.objects.get().amount == 200
    assert TillSale.objects.get().order == order
    assert StockMovement.objects.filter(external_ref__startswith="till:").count() == 1

    # Reopened: nothing more is sent.
    sent = len(server_requests)
    page.reload()
    expect(page.locator("#waiting-sales [data-waiting-count]")).to_have_text("0")
    page.wait_for_timeout(500)
    assert "/staff/offline/sales/" not in server_requests[sent:]
    assert server_requests.count("/staff/offline/sales/") == 1
    assert (Order.objects.count(), TillSale.objects.count()) == (1, 1)


def test_the_offline_till_at_the_till_and_tablet_sizes_and_for_any_page_offline(page):
    retailer = build_retailer(products=2, variants=2)
    staff_sign_in(page, "kasa@example.com", next_path="/staff/offline/till/")
    expect(page.locator("#till-catalog")).to_contain_text("4 items")
    for name, size in (("till", TILL), ("tablet", TABLET)):
        page.set_viewport_size(size)
        page.shot(f"{name}-online")
    expect(page.locator("html[data-offline-ready]")).to_have_count(1)
    network_cut(page)
    # Any staff page the network cannot reach opens the offline till instead.
    page.goto("/staff/pos/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Offline till")
    scan = page.get_by_label("Barcode or SKU")
    for product in (0, 1):
        scan.fill(retailer.variant(product, 0).sku)
        scan.press("Enter")
    expect(page.get_by_test_id("sale-line")).to_have_count(2)
    page.get_by_label("Cash received").fill("300")
    for name, size in (("till", TILL), ("tablet", TABLET)):
        page.set_viewport_size(size)
        page.shot(f"{name}-offline")
    network_back(page)
