"""Click and collect and ship from store, in the browser: a web order collected at Kadıköy is
made ready and handed over with its pickup code (a wrong code first), and a web order shipped
from the store is picked, packed and shipped with a tracking number."""

from __future__ import annotations

from playwright.sync_api import expect

from orders.models import Fulfilment, Notification, Order
from tests.e2e.staff_support import TABLET, TILL, staff_sign_in
from tests.staff.pickups_support import pickup_order, ship_from_store_order
from tests.staff.support import build_retailer


def test_a_click_and_collect_hand_over(page):
    retailer = build_retailer(products=1, variants=2)
    # Placed on the web through checkout, collected at Kadıköy, paid (confirmed) as the
    # payment's answer would.
    order = pickup_order(retailer, {retailer.variant(0, 0): 1, retailer.variant(0, 1): 2})

    staff_sign_in(page, "kasa@example.com", next_path="/staff/pickups/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Click and collect")
    card = page.get_by_test_id("pickup-order").filter(has_text=order.number)
    expect(card).to_be_visible()
    expect(page.get_by_test_id("tab-prepare")).to_contain_text("1")
    expect(page.get_by_label("Pickup code")).to_be_focused()
    page.shot("to-prepare")

    card.get_by_role("button", name="Mark ready").click()
    expect(page.get_by_role("status")).to_contain_text("the customer has been told")
    expect(page.get_by_test_id("tab-ready")).to_have_attribute("aria-current", "page")
    card = page.get_by_test_id("pickup-order").filter(has_text=order.number)
    expect(card).to_contain_text("Collect by")
    assert Notification.objects.filter(order=order, kind="ready_for_pickup").count() == 1
    page.shot("ready")
    page.set_viewport_size(TABLET)
    page.shot("ready-tablet")
    page.set_viewport_size(TILL)

    card.get_by_role("link", name="Hand over").click()
    expect(page.get_by_test_id("handover-order")).to_contain_text(order.number)
    order.refresh_from_db()
    wrong = "000000" if order.pickup_code != "000000" else "999999"
    page.get_by_label("Pickup code").fill(wrong)
    page.get_by_label("Pickup code").press("Enter")  # as a scanner ends its burst
    expect(page.get_by_test_id("code-error")).to_have_text("This pickup code is not right.")
    assert Order.objects.get(pk=order.pk).status == Order.Status.READY_FOR_PICKUP
    page.shot("wrong-code")

    page.get_by_label("Pickup code").fill(order.pickup_code)
    page.get_by_label("Pickup code").press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Order {order.number} has been handed over")
    expect(page.get_by_test_id("pickup-empty")).to_be_visible()
    assert Order.objects.get(pk=order.pk).status == Order.Status.COLLECTED
    page.shot("handed-over")


def test_a_ship_from_store_journey(page):
    retailer = build_retailer(products=1, variants=2)
    fulfilment = ship_from_store_order(
        retailer, {retailer.variant(0, 0): 2, retailer.variant(0, 1): 1}
    )
    number = fulfilment.order.number

    staff_sign_in(page, "kasa@example.com", next_path="/staff/shipping/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ship from store")
    card = page.get_by_test_id("fulfilment").filter(has_text=number)
    page.shot("to-pick")

    card.get_by_role("button", name="Start picking").click()
    page.get_by_test_id("print-pick-list").click()
    expect(page.get_by_test_id("sheet-order")).to_contain_text(number)
    page.emulate_media(media="print")
    page.shot("pick-list-print")
    page.emulate_media(media="screen")
    page.go_back()
    page.get_by_test_id("tab-picking").click()
    page.get_by_test_id("fulfilment").filter(has_text=number).get_by_role(
        "button", name="Packed"
    ).click()
    page.get_by_test_id("tab-packed").click()
    page.get_by_test_id("fulfilment").filter(has_text=number).get_by_role(
        "link", name="Ship"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    page.get_by_label("Carrier").fill("Yurtiçi Kargo")
    page.get_by_role("button", name="Ship").click()
    expect(page.get_by_test_id("tracking-error")).to_be_visible()
    page.shot("tracking-missing")

    page.get_by_label("Tracking number").fill("YK-2026-0042")
    page.get_by_role("button", name="Ship").click()
    expect(page.get_by_role("status")).to_contain_text("YK-2026-0042")
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.tracking_number) == (
        Fulfilment.Status.SHIPPED,
        "YK-2026-0042",
    )
    page.shot("shipped")

    page.set_viewport_size(TABLET)
    page.get_by_role("button", name="Mark delivered").click()
    expect(page.get_by_role("status")).to_contain_text("delivered")
    assert Order.objects.get(pk=fulfilment.order_id).status == Order.Status.DELIVERED
    page.shot("delivered-tablet")
