"""Ship from store: the store's pick list in its tabs, pick, pack, ship with a carrier and a
tracking number (all or part), delivered; a missing tracking number is a form error; another
store's fulfilment is a 404; the printable pick list; the lists' fixed number of queries."""

from __future__ import annotations

import pytest

from orders.models import Fulfilment, Notification, Order
from orders.services import fulfilment as ful
from tests.queries import assert_num_queries
from tests.staff.pickups_support import pickup_order, ship_from_store_order
from tests.staff.support import build_retailer, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def retailer():
    return build_retailer(products=1, variants=2, in_store=8)


@pytest.fixture
def clerk(retailer):
    return staff_client(retailer.clerk, retailer.kadikoy)


def listed(client, section: str) -> list[str]:
    answer = client.get("/staff/shipping/", {"section": section})
    assert answer.status_code == 200
    return [fulfilment.order.number for fulfilment in answer.context["fulfilments"]]


def test_the_pick_list_shows_each_step_in_its_tab(retailer, clerk):
    to_pick = ship_from_store_order(retailer)
    picking = ful.fulfilment_start(fulfilment=ship_from_store_order(retailer))
    packed = ful.fulfilment_pack(fulfilment=ship_from_store_order(retailer))
    pickup_order(retailer)  # collected at the counter: the click-and-collect screen's

    answer = clerk.get("/staff/shipping/")

    assert answer.context["counts"] == {"pick": 1, "picking": 1, "packed": 1, "shipped": 0}
    assert [f.pk for f in answer.context["fulfilments"]] == [to_pick.pk]
    assert listed(clerk, "picking") == [picking.order.number]
    assert listed(clerk, "packed") == [packed.order.number]


def test_pick_pack_and_ship_with_a_tracking_number(retailer, clerk):
    fulfilment = ship_from_store_order(retailer, {retailer.variant(): 2})
    order = fulfilment.order

    started = clerk.post(f"/staff/shipping/{fulfilment.pk}/start/")
    assert (started.status_code, started["Location"]) == (302, "/staff/shipping/?section=pick")
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.PICKING
    assert clerk.post(f"/staff/shipping/{fulfilment.pk}/pack/").status_code == 302
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.PACKED
    assert clerk.get(f"/staff/shipping/{fulfilment.pk}/ship/").status_code == 200

    shipped = clerk.post(
        f"/staff/shipping/{fulfilment.pk}/ship/",
        {
            "carrier": "Yurtiçi Kargo",
            "tracking_number": " YK123456 ",
            f"line-{order.lines.get().pk}": "2",
        },
    )

    assert (shipped.status_code, shipped["Location"]) == (302, "/staff/shipping/?section=shipped")
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.carrier, fulfilment.tracking_number) == (
        Fulfilment.Status.SHIPPED, "Yurtiçi Kargo", "YK123456",
    )  # fmt: skip
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    assert Notification.objects.filter(order=order, kind=Notification.Kind.SHIPPED).count() == 1
    assert listed(clerk, "shipped") == [order.number]
    event = order.events.get(to_status="shipped")
    assert (event.actor, event.channel) == (retailer.clerk, retailer.kadikoy)

    assert clerk.post(f"/staff/shipping/{fulfilment.pk}/deliver/").status_code == 302
    assert Order.objects.get(pk=order.pk).status == Order.Status.DELIVERED


def test_part_of_a_fulfilment_ships_and_the_rest_waits(retailer, clerk):
    shirt, other = retailer.variant(0, 0), retailer.variant(0, 1)
    fulfilment = ful.fulfilment_pack(
        fulfilment=ship_from_store_order(retailer, {shirt: 2, other: 1})
    )
    lines = {line.variant_id: line.pk for line in fulfilment.order.lines.all()}

    answer = clerk.post(
        f"/staff/shipping/{fulfilment.pk}/ship/",
        {"carrier": "Aras Kargo", "tracking_number": "AR1", f"line-{lines[shirt.pk]}": "1",
         f"line-{lines[other.pk]}": "0"},
    )  # fmt: skip

    assert answer.status_code == 302
    order = Order.objects.get(pk=fulfilment.order_id)
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    rest = order.fulfilments.get(status=Fulfilment.Status.PENDING)
    assert sorted((line.order_line_id, line.quantity) for line in rest.lines.all()) == sorted(
        [(lines[shirt.pk], 1), (lines[other.pk], 1)]
    )
    assert listed(clerk, "pick") == [order.number]


def test_a_missing_tracking_number_is_a_form_error_and_nothing_ships(retailer, clerk):
    fulfilment = ful.fulfilment_pack(fulfilment=ship_from_store_order(retailer))
    line = fulfilment.order.lines.get()

    answers = [
        clerk.post(
            f"/staff/shipping/{fulfilment.pk}/ship/",
            {"carrier": "Aras Kargo", "tracking_number": tracking, f"line-{line.pk}": units},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        for tracking, units in (("", "1"), ("   ", "1"), ("AR1", "5"), ("AR1", "0"))
    ]

    assert [answer.status_code for answer in answers] == [400, 400, 400, 400]
    assert 'data-testid="tracking-error"' in answers[0].content.decode()
    assert "This field is required." in answers[1].content.decode()
    assert "Ship at least one line." in answers[3].content.decode()
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.tracking_number) == (Fulfilment.Status.PACKED, "")
    assert Order.objects.get(pk=fulfilment.order_id).status == Order.Status.CONFIRMED
    assert not Notification.objects.filter(kind=Notification.Kind.SHIPPED).exists()


def test_another_stores_fulfilment_is_a_404(retailer):
    fulfilment = ful.fulfilment_pack(fulfilment=ship_from_store_order(retailer))
    at_kizilay = staff_client(retailer.manager, retailer.kizilay)

    for step in ("start", "pack", "deliver"):
        assert at_kizilay.post(f"/staff/shipping/{fulfilment.pk}/{step}/").status_code == 404
    assert at_kizilay.get(f"/staff/shipping/{fulfilment.pk}/ship/").status_code == 404
    shipped = at_kizilay.post(
        f"/staff/shipping/{fulfilment.pk}/ship/", {"carrier": "X", "tracking_number": "1"}
    )
    assert shipped.status_code == 404
    assert listed(at_kizilay, "packed") == []
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.PACKED


def test_a_step_out_of_order_is_refused_with_a_message(retailer, clerk):
    fulfilment = ful.fulfilment_pack(fulfilment=ship_from_store_order(retailer))

    answer = clerk.post(f"/staff/shipping/{fulfilment.pk}/start/", follow=True)

    assert answer.status_code == 200
    assert len(list(answer.context["messages"])) == 1
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.PACKED


def test_the_printable_pick_list_holds_what_is_to_pick(retailer, clerk):
    to_pick = ship_from_store_order(retailer)
    ful.fulfilment_pack(fulfilment=ship_from_store_order(retailer))

    answer = clerk.get("/staff/shipping/print/")

    html = answer.content.decode()
    assert answer.status_code == 200 and "pick-list.css" in html
    assert [f.pk for f in answer.context["fulfilments"]] == [to_pick.pk]
    assert html.count('data-testid="sheet-order"') == 1


@pytest.mark.parametrize("section", ["pick", "shipped"])
def test_the_pick_list_runs_the_same_queries_for_1_and_6_orders(retailer, clerk, section):
    for rows in (1, 6):
        while Order.objects.count() < rows:
            fulfilment = ship_from_store_order(retailer)
            if section == "shipped":
                ful.fulfilment_pack(fulfilment=fulfilment)
                ful.fulfilment_ship(fulfilment=fulfilment, carrier="Aras", tracking_number="1")

        # session, user, the user's stores, the counts, the list, its lines
        with assert_num_queries(6):
            answer = clerk.get("/staff/shipping/", {"section": section})

        assert len(answer.context["fulfilments"]) == rows


def test_the_printed_pick_list_runs_the_same_queries_for_1_and_6_orders(retailer, clerk):
    for rows in (1, 6):
        while Order.objects.count() < rows:
            ship_from_store_order(retailer)

        with assert_num_queries(5):
            answer = clerk.get("/staff/shipping/print/")

        assert len(answer.context["fulfilments"]) == rows
