"""The staff fulfilment API over HTTP: the pick list, the steps of a fulfilment, and click and
collect at the counter. Store staff act only at their own stores (anything else is a 404, as
if it did not exist); merchant staff with orders.change_order act everywhere."""

import pytest

from inventory import services as inventory
from inventory.models import Stock, Transfer
from orders.models import Fulfilment, Order
from orders.services import fulfilment as ful
from tests import factories as f
from tests.orders import fulfilment_helpers
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api):
    api.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api


@pytest.fixture
def web():
    return fulfilment_helpers.web_channel()


@pytest.fixture
def kadikoy(web):
    store = fulfilment_helpers.store("kadikoy", "Kadıköy")
    f.sells_from(web, store)
    return store


@pytest.fixture
def kizilay(web):
    store = fulfilment_helpers.store("kizilay", "Kızılay", city="Ankara")
    f.sells_from(web, store)
    return store


@pytest.fixture
def dc(web):
    dc = fulfilment_helpers.distribution_centre()
    f.sells_from(web, dc)
    return dc


def signed_in(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}")
    return api


def home_order(web, dc, items=None, **kwargs) -> Order:
    items = items or {fulfilment_helpers.variant(web): 1}
    for item in items:
        fulfilment_helpers.receive(dc, item)
    return fulfilment_helpers.place(web, items, **kwargs)


def pickup_order(web, store, quantity=1) -> Order:
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(store, shirt, quantity=5)
    return fulfilment_helpers.place(
        web, {shirt: quantity}, delivery=fulfilment_helpers.pickup_delivery(web, store)
    )


# --- who may see and do what ----------------------------------------------------------------


def test_signing_in_is_required_and_customers_are_refused(api, kadikoy):
    assert api.get("/api/v1/staff/fulfilments/").status_code == 401
    assert api.get("/api/v1/staff/pickups/").status_code == 401

    signed_in(api, f.UserFactory())
    response = api.get("/api/v1/staff/fulfilments/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert signed_in(api, f.merchant()).get("/api/v1/staff/pickups/").status_code == 403


def test_store_staff_see_only_their_own_stores_pick_list(api, web, kadikoy, kizilay):
    mine = pickup_order(web, kadikoy)
    pickup_order(web, kizilay)
    signed_in(api, fulfilment_helpers.store_staff(kadikoy))

    everything = api.get("/api/v1/staff/fulfilments/")
    at_mine = api.get("/api/v1/staff/fulfilments/", {"location": "kadikoy"})
    elsewhere = api.get("/api/v1/staff/fulfilments/", {"location": "kizilay"})
    nowhere = api.get("/api/v1/staff/fulfilments/", {"location": "no-such-place"})

    assert [r["order"]["number"] for r in everything.json()["results"]] == [mine.number]
    assert [r["order"]["number"] for r in at_mine.json()["results"]] == [mine.number]
    for response in (elsewhere, nowhere):
        assert response.status_code == 404
        assert response.json()["code"] == "unknown_location"
    assert elsewhere.json()["message"] == "Unknown stock location: kizilay."
    # The same URL answers that store's own staff.
    signed_in(api, fulfilment_helpers.store_staff(kizilay))
    theirs = api.get("/api/v1/staff/fulfilments/", {"location": "kizilay"})
    assert theirs.status_code == 200 and theirs.json()["count"] == 1


def test_store_staff_cannot_touch_another_stores_fulfilment_or_order(api, web, kadikoy, kizilay):
    theirs = pickup_order(web, kizilay)
    fulfilment = theirs.fulfilments.get()
    signed_in(api, fulfilment_helpers.store_staff(kadikoy))

    for step in ("start", "pack", "deliver"):
        response = api.post(f"/api/v1/staff/fulfilments/{fulfilment.pk}/{step}/")
        assert response.status_code == 404
        assert response.json() == {
            "code": "not_found",
            "message": "Fulfilment not found.",
            "fields": {},
        }
    ship = api.post(
        f"/api/v1/staff/fulfilments/{fulfilment.pk}/ship/",
        {"carrier": "Aras", "tracking_number": "A-1"},
    )
    ready = api.post(f"/api/v1/staff/orders/{theirs.number}/ready-for-pickup/")
    collect = api.post(f"/api/v1/staff/orders/{theirs.number}/collect/", {"code": "000000"})
    missing = api.post("/api/v1/staff/orders/ME0/ready-for-pickup/")

    assert [r.status_code for r in (ship, ready, collect, missing)] == [404] * 4
    assert ready.json() == missing.json()
    assert api.get("/api/v1/staff/pickups/", {"location": "kizilay"}).status_code == 404
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.PENDING
    assert Order.objects.get(pk=theirs.pk).status == Order.Status.CONFIRMED
    # The same URLs answer the store's own staff.
    signed_in(api, fulfilment_helpers.store_staff(kizilay))
    owner = [
        api.post(f"/api/v1/staff/fulfilments/{fulfilment.pk}/{step}/") for step in ("start", "pack")
    ]
    owner.append(api.post(f"/api/v1/staff/orders/{theirs.number}/ready-for-pickup/"))
    owner.append(api.get("/api/v1/staff/pickups/", {"location": "kizilay"}))
    assert [r.status_code for r in owner] == [200] * 4, [r.json() for r in owner]


def test_merchant_staff_who_may_change_orders_act_at_any_location(api, web, dc):
    order = home_order(web, dc)
    fulfilment = order.fulfilments.get()
    signed_in(api, f.merchant("orders.change_order"))

    listed = api.get("/api/v1/staff/fulfilments/", {"location": "dc-gebze"})
    started = api.post(f"/api/v1/staff/fulfilments/{fulfilment.pk}/start/")

    assert [r["id"] for r in listed.json()["results"]] == [fulfilment.pk]
    assert started.status_code == 200
    assert started.json()["status"] == "picking"


# --- the pick list --------------------------------------------------------------------------


def test_the_pick_list_shows_what_to_pick_and_where_it_goes(api, web, dc):
    shirt = fulfilment_helpers.variant(web)
    order = home_order(web, dc, {shirt: 2})
    unpaid = home_order(web, dc, confirm=False)
    fulfilment = order.fulfilments.get()
    line = order.lines.get()
    signed_in(api, f.merchant("orders.change_order"))

    response = api.get("/api/v1/staff/fulfilments/", {"location": "dc-gebze"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1  # the unpaid order is not picked yet
    assert unpaid.number not in str(body)
    row = body["results"][0]
    assert row == {
        "id": fulfilment.pk,
        "status": "pending",
        "location": "dc-gebze",
        "order": {
            "number": order.number,
            "status": "confirmed",
            "delivery": "home",
            "channel": "web",
            "shipping_address": order.shipping_address,
            "shipping_method": "Standart Kargo",
        },
        "carrier": "",
        "tracking_number": "",
        "created_at": row["created_at"],
        "shipped_at": None,
        "delivered_at": None,
        "lines": [
            {
                "line": line.pk,
                "sku": shirt.sku,
                "product_name": line.product_name,
                "variant_name": "",
                "quantity": 2,
            }
        ],
    }
    ful.fulfilment_start(fulfilment=fulfilment)
    picking = api.get("/api/v1/staff/fulfilments/", {"status": "picking"}).json()
    pending = api.get("/api/v1/staff/fulfilments/", {"status": "pending"}).json()
    assert (picking["count"], pending["count"]) == (1, 0)
    bad = api.get("/api/v1/staff/fulfilments/", {"status": "shipped"})
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["status"]


def test_the_pick_list_runs_the_same_queries_for_1_and_8_orders(api, web, kadikoy):
    signed_in(api, fulfilment_helpers.store_staff(kadikoy))
    for rows in (1, 8):
        while Order.objects.count() < rows:
            pickup_order(web, kadikoy, quantity=2)

        # token and user, the staff's locations, the location, count, page, lines
        with assert_num_queries(6):
            response = api.get("/api/v1/staff/fulfilments/", {"location": "kadikoy"})

        assert response.status_code == 200 and response.json()["count"] == rows


def test_the_pickup_list_runs_the_same_queries_for_1_and_8_orders(api, web, kadikoy):
    signed_in(api, fulfilment_helpers.store_staff(kadikoy))
    for rows in (1, 8):
        while Order.objects.count() < rows:
            pickup_order(web, kadikoy)

        # token and user, the staff's locations, count, page, lines
        with assert_num_queries(5):
            response = api.get("/api/v1/staff/pickups/")

        assert response.status_code == 200 and response.json()["count"] == rows


# --- the steps of a fulfilment --------------------------------------------------------------


def test_staff_pick_pack_ship_part_and_deliver(api, web, dc):
    shirt, towel = fulfilment_helpers.variant(web), fulfilment_helpers.variant(web)
    order = home_order(web, dc, {shirt: 3, towel: 1})
    shirt_line = order.lines.get(variant=shirt)
    fulfilment = order.fulfilments.get()
    clerk = f.merchant("orders.change_order")
    signed_in(api, clerk)
    url = f"/api/v1/staff/fulfilments/{fulfilment.pk}"

    assert api.post(f"{url}/start/").json()["status"] == "picking"
    assert api.post(f"{url}/pack/").json()["status"] == "packed"
    shipped = api.post(
        f"{url}/ship/",
        {
            "carrier": "Yurtiçi Kargo",
            "tracking_number": "YK-77",
            "lines": [{"line": shirt_line.pk, "quantity": 2}],
        },
    )

    assert shipped.status_code == 200, shipped.json()
    body = shipped.json()
    assert body["order_status"] == "partially_shipped"
    assert (body["fulfilment"]["status"], body["fulfilment"]["tracking_number"]) == (
        "shipped",
        "YK-77",
    )
    assert [(ln["sku"], ln["quantity"]) for ln in body["fulfilment"]["lines"]] == [(shirt.sku, 2)]
    assert body["remainder"]["status"] == "pending"
    assert sorted((ln["sku"], ln["quantity"]) for ln in body["remainder"]["lines"]) == sorted(
        [(shirt.sku, 1), (towel.sku, 1)]
    )
    assert order.events.get(to_status="partially_shipped").actor == clerk

    delivered = api.post(f"{url}/deliver/")
    assert delivered.json()["status"] == "delivered"
    assert Order.objects.get(pk=order.pk).status == Order.Status.PARTIALLY_SHIPPED


def test_a_forbidden_step_is_a_409_in_the_one_error_format(api, web, dc):
    order = home_order(web, dc)
    fulfilment = order.fulfilments.get()
    signed_in(api, f.merchant("orders.change_order"))

    response = api.post(
        f"/api/v1/staff/fulfilments/{fulfilment.pk}/ship/",
        {"carrier": "Aras", "tracking_number": "A-1"},
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert set(body) == {"code", "message", "fields"}
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.PENDING


def test_a_bad_shipment_names_the_field(api, web, dc):
    order = home_order(web, dc)
    fulfilment = order.fulfilments.get()
    ful.fulfilment_pack(fulfilment=fulfilment)
    line = order.lines.get()
    signed_in(api, f.merchant("orders.change_order"))
    url = f"/api/v1/staff/fulfilments/{fulfilment.pk}/ship/"

    missing = api.post(url, {"carrier": "Aras"})
    twice = api.post(
        url,
        {
            "carrier": "Aras",
            "tracking_number": "A-1",
            "lines": [{"line": line.pk, "quantity": 1}, {"line": line.pk, "quantity": 1}],
        },
    )
    too_many = api.post(
        url,
        {"carrier": "Aras", "tracking_number": "A-1", "lines": [{"line": line.pk, "quantity": 9}]},
    )

    assert (missing.status_code, list(missing.json()["fields"])) == (400, ["tracking_number"])
    assert (twice.status_code, list(twice.json()["fields"])) == (400, ["lines.1.line"])
    assert (too_many.status_code, list(too_many.json()["fields"])) == (400, ["lines"])
    assert Fulfilment.objects.get(pk=fulfilment.pk).status == Fulfilment.Status.PACKED


# --- click and collect ----------------------------------------------------------------------


def test_a_store_clerk_makes_an_order_ready_and_the_customer_collects_it(api, web, kadikoy):
    order = pickup_order(web, kadikoy, quantity=2)
    clerk = fulfilment_helpers.store_staff(kadikoy)
    signed_in(api, clerk)

    waiting = api.get("/api/v1/staff/pickups/", {"location": "kadikoy"}).json()["results"]
    ready = api.post(f"/api/v1/staff/orders/{order.number}/ready-for-pickup/")

    assert [(p["number"], p["status"], p["items_arrived"]) for p in waiting] == [
        (order.number, "confirmed", True)
    ]
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready_for_pickup"
    assert ready.json()["collect_by"] is not None
    order.refresh_from_db()
    assert order.pickup_code and order.pickup_code not in str(ready.json())
    assert order.events.get(to_status="ready_for_pickup").channel == kadikoy.channel

    wrong = api.post(f"/api/v1/staff/orders/{order.number}/collect/", {"code": "x"})
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "wrong_pickup_code"
    assert list(wrong.json()["fields"]) == ["code"]
    assert Order.objects.get(pk=order.pk).status == Order.Status.READY_FOR_PICKUP

    collected = api.post(
        f"/api/v1/staff/orders/{order.number}/collect/", {"code": order.pickup_code}
    )
    again = api.post(f"/api/v1/staff/orders/{order.number}/collect/", {"code": order.pickup_code})

    assert collected.status_code == 200
    assert collected.json()["status"] == "collected"
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert Stock.objects.get(location=kadikoy).on_hand == 3
    assert order.events.get(to_status="collected").actor == clerk
    assert api.get("/api/v1/staff/pickups/").json()["count"] == 0


def test_the_pickup_list_shows_an_order_whose_items_are_still_on_their_way(api, web, kadikoy):
    f.sells_from(web, kadikoy, fulfilment_helpers.distribution_centre())
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(fulfilment_helpers.distribution_centre(), shirt)
    order = fulfilment_helpers.place(
        web, {shirt: 1}, delivery=fulfilment_helpers.pickup_delivery(web, kadikoy)
    )
    signed_in(api, fulfilment_helpers.store_staff(kadikoy))

    listed = api.get("/api/v1/staff/pickups/", {"status": "confirmed"}).json()["results"]
    refused = api.post(f"/api/v1/staff/orders/{order.number}/ready-for-pickup/")

    assert [(p["number"], p["items_arrived"]) for p in listed] == [(order.number, False)]
    assert refused.status_code == 409
    assert refused.json()["code"] == "items_in_transit"

    transfer = Transfer.objects.get(order_reference=order.reference)
    inventory.transfer_ship(transfer=transfer)
    inventory.transfer_receive(transfer=transfer)
    listed = api.get("/api/v1/staff/pickups/").json()["results"]
    assert [p["items_arrived"] for p in listed] == [True]
    ready = api.post(f"/api/v1/staff/orders/{order.number}/ready-for-pickup/")
    assert ready.status_code == 200


def test_a_home_order_cannot_be_made_ready_for_pickup(api, web, dc):
    order = home_order(web, dc)
    signed_in(api, f.merchant("orders.change_order"))

    response = api.post(f"/api/v1/staff/orders/{order.number}/ready-for-pickup/")

    assert response.status_code == 409
    assert response.json()["code"] == "not_click_and_collect"


def test_session_sign_in_works_for_staff_screens(client, web, kadikoy):
    order = pickup_order(web, kadikoy)
    clerk = fulfilment_helpers.store_staff(kadikoy)
    client.force_login(clerk)

    response = client.get("/api/v1/staff/pickups/")

    assert response.status_code == 200
    assert [p["number"] for p in response.json()["results"]] == [order.number]
