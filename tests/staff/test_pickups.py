"""Click and collect at the store: the queue's sections, making an order ready (the customer
is told), the hand-over with the pickup code (a wrong one changes nothing), cancelling an
order not collected, another store's order a 404, and the queue's fixed number of queries."""

from __future__ import annotations

import pytest

from inventory.models import Stock, Transfer
from orders.models import Fulfilment, Notification, Order
from orders.services import fulfilment as ful
from tests.queries import assert_num_queries
from tests.staff.pickups_support import pickup_order, ready_order
from tests.staff.support import build_retailer, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def retailer():
    return build_retailer(products=1, variants=2, in_store=8)


@pytest.fixture
def clerk(retailer):
    return staff_client(retailer.clerk, retailer.kadikoy)


def page(client, section: str = "prepare", **query) -> str:
    answer = client.get("/staff/pickups/", {"section": section, **query}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_queue_splits_orders_to_prepare_ready_and_overdue(retailer, clerk):
    to_prepare = pickup_order(retailer)
    on_the_way = pickup_order(retailer, {retailer.variant(0, 1): 9})  # 8 here: a transfer
    ready = ready_order(retailer)
    overdue = ready_order(retailer, overdue=True)
    pickup_order(retailer, confirm=False)  # not paid yet: not in the queue
    assert Transfer.objects.filter(order_reference=on_the_way.reference).exists()

    answers = {
        section: clerk.get("/staff/pickups/", {"section": section})
        for section in ("prepare", "ready", "overdue")
    }

    assert {s: [o.number for o in a.context["orders"]] for s, a in answers.items()} == {
        "prepare": [to_prepare.number, on_the_way.number],
        "ready": [ready.number],
        "overdue": [overdue.number],
    }
    assert answers["prepare"].context["counts"] == {"prepare": 2, "ready": 1, "overdue": 1}
    html = answers["prepare"].content.decode()
    assert html.count('data-testid="waiting-transfer"') == 1  # shown as waiting, no button
    assert html.count("/ready/") == 1
    assert overdue.pickup_deadline.strftime("%Y") in answers["overdue"].content.decode()


def test_marking_an_order_ready_tells_the_customer(retailer, clerk):
    order = pickup_order(retailer)

    answer = clerk.post(f"/staff/pickups/{order.number}/ready/")

    assert (answer.status_code, answer["Location"]) == (302, "/staff/pickups/?section=ready")
    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP and order.pickup_deadline
    assert Notification.objects.filter(order=order, kind="ready_for_pickup").count() == 1
    event = order.events.get(to_status="ready_for_pickup")
    assert (event.actor, event.channel) == (retailer.clerk, retailer.kadikoy)
    assert order.number in page(clerk, "ready")


def test_an_order_waiting_for_a_transfer_is_not_made_ready(retailer, clerk):
    order = pickup_order(retailer, {retailer.variant(): 9})

    answer = clerk.post(
        f"/staff/pickups/{order.number}/ready/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "still on their way" in answer.content.decode()
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED
    assert not Notification.objects.filter(kind="ready_for_pickup").exists()


def test_the_hand_over_with_the_right_code_collects_the_order(retailer, clerk):
    order = ready_order(retailer)
    stock = Stock.objects.get(location=retailer.kadikoy.store_location, variant=retailer.variant())
    assert (stock.on_hand, stock.allocated) == (8, 1)

    answer = clerk.post(
        "/staff/pickups/collect/",
        {"order": order.number, "code": order.pickup_code, "section": "ready"},
    )

    assert (answer.status_code, answer["Location"]) == (302, "/staff/pickups/?section=ready")
    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED
    assert order.fulfilments.get().status == Fulfilment.Status.HANDED_OVER
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (7, 0)


def test_the_code_alone_finds_the_order_ready_here(retailer, clerk):
    other = ready_order(retailer)
    order = ready_order(retailer)
    Order.objects.filter(pk=other.pk).update(pickup_code="111111")
    Order.objects.filter(pk=order.pk).update(pickup_code="222222")

    answer = clerk.post("/staff/pickups/collect/", {"code": " 222222 "})

    assert answer.status_code == 302
    statuses = dict(Order.objects.values_list("number", "status"))
    assert statuses == {other.number: "ready_for_pickup", order.number: "collected"}


def test_a_wrong_code_is_a_form_error_and_changes_nothing(retailer, clerk):
    order = ready_order(retailer)
    wrong = "000000" if order.pickup_code != "000000" else "999999"
    events = order.events.count()

    chosen = clerk.post(
        "/staff/pickups/collect/",
        {"order": order.number, "code": wrong},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    alone = clerk.post("/staff/pickups/collect/", {"code": wrong}, HTTP_ACCEPT_LANGUAGE="en")
    empty = clerk.post("/staff/pickups/collect/", {"code": ""}, HTTP_ACCEPT_LANGUAGE="en")

    assert (chosen.status_code, alone.status_code, empty.status_code) == (400, 400, 400)
    assert "This pickup code is not right." in chosen.content.decode()
    assert "No order ready for pickup here has this code." in alone.content.decode()
    assert "Scan or type the pickup code." in empty.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP
    assert order.events.count() == events
    assert order.fulfilments.get().status == Fulfilment.Status.PACKED


def test_an_order_not_collected_is_cancelled_after_a_confirm_step(retailer, clerk):
    order = ready_order(retailer, overdue=True)
    stock = Stock.objects.get(location=retailer.kadikoy.store_location, variant=retailer.variant())

    confirm = clerk.get(f"/staff/pickups/{order.number}/cancel/", {"section": "overdue"})
    assert confirm.status_code == 200
    assert Order.objects.get(pk=order.pk).status == Order.Status.READY_FOR_PICKUP

    answer = clerk.post(f"/staff/pickups/{order.number}/cancel/", {"section": "overdue"})

    assert (answer.status_code, answer["Location"]) == (302, "/staff/pickups/?section=overdue")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    event = order.events.get(to_status="cancelled")
    assert (event.message, event.actor) == (ful.NOT_COLLECTED, retailer.clerk)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (8, 0)  # back on the shelf
    assert Notification.objects.filter(order=order, kind=Notification.Kind.CANCELLED).count() == 1


def test_an_order_still_to_prepare_is_not_cancelled_here(retailer, clerk):
    order = pickup_order(retailer)

    answer = clerk.post(f"/staff/pickups/{order.number}/cancel/")

    assert answer.status_code == 302
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED


def test_another_stores_order_is_a_404(retailer):
    order = ready_order(retailer)
    at_kizilay = staff_client(retailer.manager, retailer.kizilay)

    assert at_kizilay.get("/staff/pickups/", {"order": order.number}).status_code == 404
    assert at_kizilay.post(f"/staff/pickups/{order.number}/ready/").status_code == 404
    assert at_kizilay.post(f"/staff/pickups/{order.number}/cancel/").status_code == 404
    collect = at_kizilay.post(
        "/staff/pickups/collect/", {"order": order.number, "code": order.pickup_code}
    )
    assert collect.status_code == 404
    by_code = at_kizilay.post("/staff/pickups/collect/", {"code": order.pickup_code})
    assert by_code.status_code == 400
    assert page(at_kizilay, "ready").count('data-testid="pickup-order"') == 0
    assert Order.objects.get(pk=order.pk).status == Order.Status.READY_FOR_PICKUP


@pytest.mark.parametrize("section", ["prepare", "ready"])
def test_the_queue_runs_the_same_queries_for_1_and_6_orders(retailer, clerk, section):
    for rows in (1, 6):
        while Order.objects.count() < rows:
            if section == "prepare":
                pickup_order(retailer)
            else:
                ready_order(retailer)

        # session, user, the user's stores, the queue, its lines
        with assert_num_queries(5):
            answer = clerk.get("/staff/pickups/", {"section": section})

        assert len(answer.context["orders"]) == rows
