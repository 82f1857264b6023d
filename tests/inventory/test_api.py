"""The inventory API: public availability, the routing preview, and the merchant's stock
operations, through HTTP with the project's one error format."""

from datetime import timedelta

import pytest

from inventory import services
from inventory.models import (
    Allocation,
    Reservation,
    Stock,
    StockMovement,
    Transfer,
)
from omni.models import OutboxEvent
from tests import factories as f
from tests.inventory.support import receive, store, variants
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

STOCK = "inventory.change_stock"
VIEW_STOCK = "inventory.view_stock"


@pytest.fixture
def api(api):
    """In English: DRF's own messages would otherwise follow the default language, Turkish."""
    api.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api


def authed(api, *perms):
    user = f.merchant(*perms)
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}")
    return user


def levels(variant, location) -> tuple[int, int] | None:
    row = Stock.objects.filter(variant=variant, location=location).first()
    return (row.on_hand, row.allocated) if row else None


def ledger() -> tuple:
    """Everything a stock operation writes, to prove that a refused one wrote nothing."""
    return (
        list(Stock.objects.order_by("id").values_list("on_hand", "allocated")),
        StockMovement.objects.count(),
        Allocation.objects.count(),
        Transfer.objects.count(),
        OutboxEvent.objects.count(),
    )


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    return body


# --- availability on a channel --------------------------------------------------------------


def test_availability_of_several_skus_on_a_channel(api, web, gebze, kadikoy):
    marketplace = f.ChannelFactory(code="trendyol", kind="marketplace")
    f.sells_from(web, gebze, kadikoy)
    f.sells_from(marketplace, gebze, safety_stock=2)
    shirt, scarf = variants(web, 2)
    receive(shirt, gebze, 5)
    receive(shirt, kadikoy, 2)
    receive(scarf, kadikoy, 1)

    on_web = api.get("/api/v1/availability/", {"channel": "web", "sku": [scarf.sku, shirt.sku]})
    on_marketplace = api.get(
        "/api/v1/availability/", {"sku": [shirt.sku, scarf.sku]}, HTTP_OMNI_CHANNEL="trendyol"
    )

    assert on_web.status_code == 200
    assert on_web.json() == [
        {"sku": scarf.sku, "available": 1},
        {"sku": shirt.sku, "available": 7},
    ]
    assert on_marketplace.json() == [
        {"sku": shirt.sku, "available": 3},
        {"sku": scarf.sku, "available": 0},
    ]


def test_a_live_reservation_holds_units_and_an_expired_one_does_not(api, web, gebze):
    f.sells_from(web, gebze)
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 4)
    services.reservations_set(
        channel=web, reference="cart:a", lines={shirt.pk: 3}, ttl=timedelta(minutes=15)
    )
    query = {"channel": "web", "sku": shirt.sku}
    assert api.get("/api/v1/availability/", query).json() == [{"sku": shirt.sku, "available": 1}]

    Reservation.objects.update(expires_at=Reservation.objects.get().created_at - timedelta(1))

    assert api.get("/api/v1/availability/", query).json() == [{"sku": shirt.sku, "available": 4}]


@pytest.mark.parametrize(
    ("query", "field", "code", "message"),
    [
        ({"channel": "web", "sku": ["SKU-X", "NOPE-1", "NOPE-2"]}, "sku", "unknown_sku", None),
        ({"channel": "web"}, "sku", "invalid", "This field is required."),
        ({"sku": "SKU-X"}, "channel", "required", "Choose a sales channel."),
        ({"channel": "yok", "sku": "SKU-X"}, "channel", "unknown_channel", None),
        (
            {"channel": "web", "sku": [f"S{i}" for i in range(101)]},
            "sku",
            "max_length",
            "Ensure this field has no more than 100 elements.",
        ),
    ],
)
def test_bad_availability_queries_are_a_400_naming_the_field(api, web, query, field, code, message):
    f.product(channels=[web])  # its SKU is SKU-<n>-0, so SKU-X is unknown
    body = error(api.get("/api/v1/availability/", query), 400)
    assert body["code"] == code
    assert list(body["fields"]) == [field]
    if code == "unknown_sku":
        assert body["fields"]["sku"] == ["Unknown SKU: SKU-X, NOPE-1, NOPE-2."]
    elif message:
        assert body["fields"][field] == [message]


def test_channel_availability_runs_the_same_queries_for_1_and_40_skus(api, web, gebze):
    f.sells_from(web, gebze)
    many = variants(web, 40)
    for variant in many:
        receive(variant, gebze, 2)
    # channel, SKUs, the channels' locations, the stock rows
    with assert_num_queries(4):
        one = api.get("/api/v1/availability/", {"channel": "web", "sku": many[0].sku})
    with assert_num_queries(4):
        every = api.get("/api/v1/availability/", {"channel": "web", "sku": [v.sku for v in many]})
    assert one.json() == [{"sku": many[0].sku, "available": 2}]
    assert every.json() == [{"sku": v.sku, "available": 2} for v in many]


# --- availability by store ------------------------------------------------------------------


def store_rows(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    return [(s["code"], s["distance_km"], s["available"], s["state"]) for s in response.json()]


def test_stores_nearest_to_a_city_with_in_stock_low_and_out(
    api, web, gebze, kadikoy, kizilay, alsancak
):
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 40)  # no click and collect: not listed
    receive(shirt, kadikoy, 4)
    receive(shirt, kizilay, 1)

    response = api.get("/api/v1/availability/stores/", {"sku": shirt.sku, "city": "ANKARA"})

    assert store_rows(response) == [
        ("store-kizilay", 1.6, 1, "low"),
        ("store-kadikoy", 344.7, 4, "in_stock"),
        ("store-alsancak", 519.9, 0, "out"),
    ]
    assert response.json()[0] == {
        "code": "store-kizilay",
        "name": "Kızılay Mağazası",
        "city": "Ankara",
        "district": "Çankaya",
        "distance_km": 1.6,
        "available": 1,
        "state": "low",
        "items": [{"sku": shirt.sku, "available": 1}],
    }


def test_stores_nearest_to_a_position_and_by_name_without_one(api, web, kadikoy, kizilay, alsancak):
    (shirt,) = variants(web, 1)
    receive(shirt, alsancak, 3)
    receive(shirt, kadikoy, 12)

    near_konak = api.get(
        "/api/v1/availability/stores/", {"sku": shirt.sku, "lat": "38.42", "lng": "27.13"}
    )
    anywhere = api.get("/api/v1/availability/stores/", {"sku": shirt.sku})

    assert store_rows(near_konak) == [
        ("store-alsancak", 2.2, 3, "low"),
        ("store-kadikoy", 328.5, 12, "in_stock"),
        ("store-kizilay", 520.8, 0, "out"),
    ]
    assert store_rows(anywhere) == [
        ("store-alsancak", None, 3, "low"),
        ("store-kadikoy", None, 12, "in_stock"),
        ("store-kizilay", None, 0, "out"),
    ]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"city": "Atlantis"}, "city", "Unknown city: Atlantis."),
        ({"lat": "39.9"}, "lng", "Give the latitude and the longitude."),
        ({"lng": "32.8"}, "lat", "Give the latitude and the longitude."),
        ({"lat": "91", "lng": "32.8"}, "lat", "Ensure this value is less than or equal to 90."),
        ({"lat": "kuzey", "lng": "32.8"}, "lat", "A valid number is required."),
        (
            {"city": "Ankara", "lat": "39.9", "lng": "32.8"},
            "city",
            "Give a city or a position, not both.",
        ),
        ({"sku": "NOPE"}, "sku", "Unknown SKU: NOPE."),
    ],
)
def test_a_bad_place_or_sku_is_a_400_on_that_field(api, web, kadikoy, query, field, message):
    (shirt,) = variants(web, 1)
    body = error(api.get("/api/v1/availability/stores/", {"sku": shirt.sku} | query), 400)
    assert body["fields"] == {field: [message]}


def test_stores_run_the_same_queries_for_1_and_15_stores(api, web):
    (shirt,) = variants(web, 1)
    receive(shirt, store("store-0", "Mağaza 0", "İstanbul", "", "41.04", "29.00"), 5)
    with assert_num_queries(3):  # SKUs, stores, stock rows
        one = api.get("/api/v1/availability/stores/", {"sku": shirt.sku, "city": "istanbul"})
    for i in range(1, 15):
        receive(shirt, store(f"store-{i}", f"Mağaza {i}", "Ankara", "", "39.9", "32.8"), i)
    with assert_num_queries(3):
        many = api.get("/api/v1/availability/stores/", {"sku": shirt.sku, "city": "istanbul"})
    assert len(one.json()) == 1
    assert len(many.json()) == 15


# --- the routing preview --------------------------------------------------------------------

PREVIEW = "/api/v1/admin/inventory/route-preview/"


def preview(api, **body):
    response = api.post(PREVIEW, {"channel": "web"} | body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def routed(web, gebze, izmir_dc, kizilay):
    """Web sells from two DCs and the Ankara store. Shirt: Gebze 5, İzmir 5, Kızılay 2.
    Scarf: Gebze 1. Mug: İzmir 4."""
    f.sells_from(web, gebze, izmir_dc, kizilay)
    shirt, scarf, mug = variants(web, 3)
    receive(shirt, gebze, 5)
    receive(shirt, izmir_dc, 5)
    receive(shirt, kizilay, 2)
    receive(scarf, gebze, 1)
    receive(mug, izmir_dc, 4)
    return shirt, scarf, mug


def test_click_and_collect_takes_only_the_chosen_store(api, web, routed, kadikoy):
    shirt, _scarf, _mug = routed
    receive(shirt, kadikoy, 2)  # not one of web's locations: a pickup store still sells
    authed(api, VIEW_STOCK)

    plan = preview(api, lines=[{"sku": shirt.sku, "quantity": 2}], pickup_location="store-kadikoy")

    assert plan == {
        "feasible": True,
        "shipments": [{"location": "store-kadikoy", "items": [{"sku": shirt.sku, "quantity": 2}]}],
        "explanation": ["Click and collect: everything from the chosen store, store-kadikoy."],
        "shortfall": [],
    }


def test_click_and_collect_at_a_store_with_too_little_is_a_shortfall(api, web, routed):
    shirt, _scarf, _mug = routed
    authed(api, VIEW_STOCK)
    plan = preview(api, lines=[{"sku": shirt.sku, "quantity": 3}], pickup_location="store-kizilay")
    assert plan["feasible"] is False
    assert plan["shipments"] == []
    assert plan["shortfall"] == [{"sku": shirt.sku, "requested": 3, "available": 2}]


def test_one_location_that_has_the_whole_order_beats_a_nearer_one(api, web, routed):
    shirt, scarf, _mug = routed
    authed(api, VIEW_STOCK)

    plan = preview(
        api,
        lines=[{"sku": shirt.sku, "quantity": 1}, {"sku": scarf.sku, "quantity": 1}],
        city="Ankara",  # Kızılay is next door but has no scarf
    )

    assert plan["shipments"] == [
        {
            "location": "dc-gebze",
            "items": [{"sku": shirt.sku, "quantity": 1}, {"sku": scarf.sku, "quantity": 1}],
        }
    ]
    assert plan["explanation"] == [
        "dc-gebze can ship the whole order and is the nearest of 1 that can."
    ]


def test_among_locations_with_the_whole_order_the_nearest_ships(api, web, routed):
    shirt, _scarf, _mug = routed
    authed(api, VIEW_STOCK)
    lines = [{"sku": shirt.sku, "quantity": 2}]

    assert preview(api, lines=lines, city="İzmir")["shipments"][0]["location"] == "dc-izmir"
    assert preview(api, lines=lines, city="Ankara")["shipments"][0]["location"] == "store-kizilay"
    near_gebze = preview(api, lines=lines, lat=40.8, lng=29.4)
    assert near_gebze["shipments"][0]["location"] == "dc-gebze"
    assert near_gebze["explanation"] == [
        "dc-gebze can ship the whole order and is the nearest of 3 that can."
    ]
    without_address = preview(api, lines=lines)
    assert without_address["explanation"] == [
        "dc-gebze can ship the whole order and comes first in the channel's priority of 3 that can."
    ]


def test_an_order_no_location_has_whole_is_split_into_the_fewest_shipments(api, web, routed):
    _shirt, scarf, mug = routed
    authed(api, VIEW_STOCK)

    plan = preview(
        api,
        lines=[{"sku": scarf.sku, "quantity": 1}, {"sku": mug.sku, "quantity": 4}],
        city="İzmir",
    )

    assert plan == {
        "feasible": True,
        "shipments": [
            {"location": "dc-izmir", "items": [{"sku": mug.sku, "quantity": 4}]},
            {"location": "dc-gebze", "items": [{"sku": scarf.sku, "quantity": 1}]},
        ],
        "explanation": [
            "No single location has everything.",
            "Split into 2 shipments, the fewest possible, nearest first: dc-izmir, dc-gebze.",
        ],
        "shortfall": [],
    }


def test_a_shortfall_names_each_short_sku_and_holds_nothing(api, web, routed):
    shirt, scarf, _mug = routed
    authed(api, VIEW_STOCK)
    before = ledger()

    plan = preview(
        api,
        lines=[
            {"sku": shirt.sku, "quantity": 10},
            {"sku": scarf.sku, "quantity": 1},
            {"sku": shirt.sku, "quantity": 3},  # the same SKU twice is added up, as in an order
        ],
    )

    assert plan == {
        "feasible": False,
        "shipments": [],
        "explanation": ["The channel's locations together have too little stock."],
        "shortfall": [{"sku": shirt.sku, "requested": 13, "available": 12}],
    }
    assert ledger() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"lines": []}, {"lines": ["Add at least one line."]}),
        (
            {"lines": [{"sku": "SHIRT", "quantity": 0}]},
            {"lines.0.quantity": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"lines": [{"sku": "SHIRT", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]},
            {"lines.1.sku": ["Unknown SKU: NOPE."]},
        ),
        (
            {"channel": "yok", "lines": [{"sku": "SHIRT", "quantity": 1}]},
            {"channel": ["Unknown sales channel: yok."]},
        ),
        (
            {"lines": [{"sku": "SHIRT", "quantity": 1}], "pickup_location": "nowhere"},
            {"pickup_location": ["Unknown stock location: nowhere."]},
        ),
        (
            {"lines": [{"sku": "SHIRT", "quantity": 1}], "pickup_location": "dc-gebze"},
            {"pickup_location": ["Gebze DC does not offer click and collect."]},
        ),
        (
            {"lines": [{"sku": "SHIRT", "quantity": 1}], "city": "Gotham"},
            {"city": ["Unknown city: Gotham."]},
        ),
    ],
)
def test_a_bad_preview_is_a_400_naming_the_field(api, web, routed, body, fields):
    shirt = routed[0]
    for line in body.get("lines", []):
        if line["sku"] == "SHIRT":
            line["sku"] = shirt.sku
    authed(api, VIEW_STOCK)
    response = api.post(PREVIEW, {"channel": "web"} | body, format="json")
    assert error(response, 400)["fields"] == fields


def test_the_preview_needs_a_token_and_the_permission(api, web, routed):
    body = {"channel": "web", "lines": [{"sku": routed[0].sku, "quantity": 1}]}
    assert error(api.post(PREVIEW, body, format="json"), 401)["code"] == "not_authenticated"
    authed(api, STOCK)
    assert error(api.post(PREVIEW, body, format="json"), 403)["code"] == "permission_denied"


def test_the_preview_runs_the_same_queries_for_1_and_20_lines(api, web, gebze, izmir_dc):
    f.sells_from(web, gebze, izmir_dc)
    many = variants(web, 20)
    for variant in many:
        receive(variant, gebze, 1)
        receive(variant, izmir_dc, 1)
    authed(api, VIEW_STOCK)

    def post(chosen):
        lines = [{"sku": v.sku, "quantity": 2} for v in chosen]
        return api.post(PREVIEW, {"channel": "web", "lines": lines}, format="json")

    # token, permissions (2), channel, SKUs, stock rows, the channels' locations, locations
    with assert_num_queries(8):
        one = post(many[:1])
    with assert_num_queries(8):
        every = post(many)
    assert [s["location"] for s in one.json()["shipments"]] == ["dc-gebze", "dc-izmir"]
    assert [s["location"] for s in every.json()["shipments"]] == ["dc-gebze", "dc-izmir"]


# --- receiving, adjusting, counting ---------------------------------------------------------


def test_receiving_a_delivery_note(api, web, gebze):
    shirt, scarf = variants(web, 2)
    receive(shirt, gebze, 1)
    user = authed(api, STOCK)

    response = api.post(
        "/api/v1/admin/inventory/receive/",
        {
            "location": "dc-gebze",
            "reference": "IRS-2026-118",
            "lines": [
                {"sku": shirt.sku, "quantity": 10},
                {"sku": scarf.sku, "quantity": 4},
                {"sku": shirt.sku, "quantity": 2},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert [
        (r["sku"], r["location"], r["on_hand"], r["allocated"], r["reserved"], r["free"])
        for r in response.json()
    ] == [
        (shirt.sku, "dc-gebze", 13, 0, 0, 13),
        (scarf.sku, "dc-gebze", 4, 0, 0, 4),
    ]
    movements = StockMovement.objects.filter(reference="IRS-2026-118").order_by("id")
    assert list(movements.values_list("kind", "on_hand_delta", "actor")) == [
        ("receipt", 12, user.pk),
        ("receipt", 4, user.pk),
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"lines": [{"sku": "SHIRT", "quantity": -5}]},
            {"lines.0.quantity": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"lines": [{"sku": "SHIRT", "quantity": 0}]},
            {"lines.0.quantity": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"lines": [{"sku": "SHIRT", "quantity": 2}, {"sku": "YOK-1", "quantity": 1}]},
            {"lines.1.sku": ["Unknown SKU: YOK-1."]},
        ),
        (
            {"location": "nowhere", "lines": [{"sku": "SHIRT", "quantity": 1}]},
            {"location": ["Unknown stock location: nowhere."]},
        ),
        ({"lines": []}, {"lines": ["Add at least one line."]}),
    ],
)
def test_a_bad_receipt_is_a_400_and_receives_nothing(api, web, gebze, body, fields):
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 1)
    for line in body.get("lines", []):
        if line["sku"] == "SHIRT":
            line["sku"] = shirt.sku
    authed(api, STOCK)
    before = ledger()

    response = api.post(
        "/api/v1/admin/inventory/receive/", {"location": "dc-gebze"} | body, format="json"
    )

    assert error(response, 400)["fields"] == fields
    assert ledger() == before


def test_adjusting_with_a_reason(api, web, gebze):
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 10)
    authed(api, STOCK)

    response = api.post(
        "/api/v1/admin/inventory/adjust/",
        {"location": "dc-gebze", "sku": shirt.sku, "delta": -3, "reason": "Hasarlı"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["on_hand"], response.json()["free"]) == (7, 7)
    assert list(
        StockMovement.objects.filter(kind="adjustment").values_list("on_hand_delta", "reason")
    ) == [(-3, "Hasarlı")]


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({"delta": 0}, 400, {"delta": ["Enter a whole number other than zero."]}),
        ({"reason": ""}, 400, {"reason": ["This field may not be blank."]}),
        ({"sku": "YOK"}, 400, {"sku": ["Unknown SKU: YOK."]}),
        ({"location": "nowhere"}, 400, {"location": ["Unknown stock location: nowhere."]}),
        (
            {"delta": -9},
            400,
            {"delta": ["SHIRT has 2 free at dc-gebze (8 allocated to orders)."]},
        ),
    ],
)
def test_a_bad_adjustment_is_a_400_and_changes_nothing(api, web, gebze, body, status, fields):
    f.sells_from(web, gebze)
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 10)
    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(shirt.pk, 8)]
    )
    authed(api, STOCK)
    before = ledger()
    sent = {"location": "dc-gebze", "sku": shirt.sku, "delta": -1, "reason": "Kayıp"} | body

    response = api.post("/api/v1/admin/inventory/adjust/", sent, format="json")

    assert error(response, status)["fields"] == {
        name: [m.replace("SHIRT", shirt.sku) for m in messages] for name, messages in fields.items()
    }
    assert ledger() == before


def test_a_cycle_count_records_the_difference(api, web, gebze):
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 10)
    authed(api, STOCK)

    response = api.post(
        "/api/v1/admin/inventory/count/",
        {"location": "dc-gebze", "sku": shirt.sku, "counted": 7},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["on_hand"] == 7
    assert list(StockMovement.objects.filter(kind="count").values_list("on_hand_delta")) == [(-3,)]


def test_counting_nothing_where_nothing_was_stocked_writes_nothing(api, web, gebze):
    (shirt,) = variants(web, 1)
    authed(api, STOCK)
    before = ledger()
    response = api.post(
        "/api/v1/admin/inventory/count/",
        {"location": "dc-gebze", "sku": shirt.sku, "counted": 0},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["sku"], response.json()["on_hand"]) == (shirt.sku, 0)
    assert ledger() == before
    assert not Stock.objects.exists()


@pytest.mark.parametrize(
    ("counted", "fields"),
    [
        (-1, {"counted": ["Ensure this value is greater than or equal to 0."]}),
        (
            2,
            {
                "counted": [
                    "3 units are allocated to orders here; release or move them before counting fewer."
                ]
            },
        ),
    ],
)
def test_a_bad_count_is_a_400_and_changes_nothing(api, web, gebze, counted, fields):
    f.sells_from(web, gebze)
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 5)
    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(shirt.pk, 3)]
    )
    authed(api, STOCK)
    before = ledger()
    response = api.post(
        "/api/v1/admin/inventory/count/",
        {"location": "dc-gebze", "sku": shirt.sku, "counted": counted},
        format="json",
    )
    assert error(response, 400)["fields"] == fields
    assert ledger() == before


# --- sales and returns made outside Omni ----------------------------------------------------

EXTERNAL = "/api/v1/admin/inventory/external-movements/"


def test_an_external_sale_is_recorded_once(api, web, kadikoy):
    till = f.ChannelFactory(code="store-kadikoy", kind="store")
    (shirt,) = variants(web, 1)
    receive(shirt, kadikoy, 5)
    authed(api, STOCK)
    sale = {
        "location": "store-kadikoy",
        "sku": shirt.sku,
        "quantity": 2,
        "kind": "sale",
        "external_ref": "TILL-7-0001",
        "channel": "store-kadikoy",
    }

    first = api.post(EXTERNAL, sale, format="json")
    again = api.post(EXTERNAL, sale, format="json")

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert first.json() == again.json()
    body = first.json()
    assert {k: body[k] for k in ("kind", "sku", "location", "quantity", "on_hand_delta")} == {
        "kind": "sale",
        "sku": shirt.sku,
        "location": "store-kadikoy",
        "quantity": 2,
        "on_hand_delta": -2,
    }
    assert (body["external_ref"], body["channel"]) == ("TILL-7-0001", till.code)
    assert levels(shirt, kadikoy) == (3, 0)


def test_an_external_return_puts_the_units_back(api, web, kadikoy):
    (shirt,) = variants(web, 1)
    receive(shirt, kadikoy, 1)
    authed(api, STOCK)
    response = api.post(
        EXTERNAL,
        {
            "location": "store-kadikoy",
            "sku": shirt.sku,
            "quantity": 1,
            "kind": "return",
            "external_ref": "TILL-7-0002",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["channel"] is None
    assert levels(shirt, kadikoy) == (2, 0)


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({"kind": "theft"}, 400, {"kind": ['"theft" is not a valid choice.']}),
        ({"quantity": 0}, 400, {"quantity": ["Ensure this value is greater than or equal to 1."]}),
        ({"external_ref": ""}, 400, {"external_ref": ["This field may not be blank."]}),
        ({"channel": "yok"}, 400, {"channel": ["Unknown sales channel: yok."]}),
        ({"sku": "YOK"}, 400, {"sku": ["Unknown SKU: YOK."]}),
        ({"quantity": 6}, 409, {"SHIRT": ["6 asked for, 5 available."]}),
    ],
)
def test_a_bad_external_movement_is_refused_and_changes_nothing(
    api, web, kadikoy, body, status, fields
):
    (shirt,) = variants(web, 1)
    receive(shirt, kadikoy, 5)
    authed(api, STOCK)
    before = ledger()
    sent = {
        "location": "store-kadikoy",
        "sku": shirt.sku,
        "quantity": 1,
        "kind": "sale",
        "external_ref": "TILL-9",
    } | body

    response = api.post(EXTERNAL, sent, format="json")

    assert error(response, status)["fields"] == {
        name.replace("SHIRT", shirt.sku): messages for name, messages in fields.items()
    }
    assert ledger() == before


@pytest.mark.parametrize(
    "path",
    ["receive/", "adjust/", "count/", "external-movements/"],
)
def test_stock_operations_need_a_token_and_the_permission(api, web, gebze, path):
    (shirt,) = variants(web, 1)
    url = f"/api/v1/admin/inventory/{path}"
    body = {"location": "dc-gebze", "sku": shirt.sku, "lines": [{"sku": shirt.sku, "quantity": 1}]}
    before = ledger()
    assert error(api.post(url, body, format="json"), 401)["code"] == "not_authenticated"
    authed(api, VIEW_STOCK)
    assert error(api.post(url, body, format="json"), 403)["code"] == "permission_denied"
    assert ledger() == before


# --- the stock list -------------------------------------------------------------------------

STOCK_LIST = "/api/v1/admin/inventory/stock/"


def test_the_stock_list_filters_by_sku_and_location(api, web, gebze, kadikoy):
    f.sells_from(web, gebze)
    shirt, scarf = variants(web, 2)
    receive(shirt, gebze, 10)
    receive(shirt, kadikoy, 2)
    receive(scarf, gebze, 1)
    Stock.objects.filter(variant=shirt, location=gebze).update(reorder_point=4)
    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(shirt.pk, 3)]
    )
    services.reservations_set(
        channel=web, reference="cart:a", lines={shirt.pk: 2}, ttl=timedelta(minutes=15)
    )
    authed(api, VIEW_STOCK)

    response = api.get(STOCK_LIST, {"sku": shirt.sku})
    at_gebze = api.get(STOCK_LIST, {"location": "dc-gebze"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    first = {k: v for k, v in body["results"][0].items() if k != "updated_at"}
    assert first == {
        "sku": shirt.sku,
        "location": "dc-gebze",
        "on_hand": 10,
        "allocated": 3,
        "reserved": 2,
        "free": 7,
        "reorder_point": 4,
    }
    assert [(r["sku"], r["location"]) for r in body["results"]] == [
        (shirt.sku, "dc-gebze"),
        (shirt.sku, "store-kadikoy"),
    ]
    assert [r["sku"] for r in at_gebze.json()["results"]] == [shirt.sku, scarf.sku]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"sku": "YOK"}, {"sku": ["Unknown SKU: YOK."]}),
        ({"location": "nowhere"}, {"location": ["Unknown stock location: nowhere."]}),
    ],
)
def test_an_unknown_filter_value_is_a_400(api, query, fields):
    authed(api, VIEW_STOCK)
    assert error(api.get(STOCK_LIST, query), 400)["fields"] == fields


def test_the_stock_list_needs_a_token_and_the_permission(api):
    assert error(api.get(STOCK_LIST), 401)["code"] == "not_authenticated"
    authed(api, STOCK)
    assert error(api.get(STOCK_LIST), 403)["code"] == "permission_denied"


def test_the_stock_list_runs_the_same_queries_for_1_and_30_rows(api, web, gebze):
    many = variants(web, 30)
    receive(many[0], gebze, 1)
    authed(api, VIEW_STOCK)
    with assert_num_queries(5):  # token, permissions (2), count, page
        one = api.get(STOCK_LIST)
    for variant in many[1:]:
        receive(variant, gebze, 1)
    with assert_num_queries(5):
        page = api.get(STOCK_LIST)
    assert one.json()["count"] == 1
    assert (page.json()["count"], len(page.json()["results"])) == (30, 24)


# --- transfers ------------------------------------------------------------------------------

TRANSFERS = "/api/v1/admin/inventory/transfers/"
TRANSFER_PERMS = ("inventory.view_transfer", "inventory.add_transfer", "inventory.change_transfer")


def test_a_transfer_is_requested_shipped_and_received(api, web, gebze, kadikoy):
    shirt, scarf = variants(web, 2)
    receive(shirt, gebze, 10)
    receive(scarf, gebze, 3)
    user = authed(api, *TRANSFER_PERMS)

    created = api.post(
        TRANSFERS,
        {
            "source": "dc-gebze",
            "destination": "store-kadikoy",
            "reference": "TR-1",
            "lines": [{"sku": shirt.sku, "quantity": 4}, {"sku": scarf.sku, "quantity": 3}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    transfer = created.json()
    assert {k: transfer[k] for k in ("source", "destination", "status", "reference")} == {
        "source": "dc-gebze",
        "destination": "store-kadikoy",
        "status": "requested",
        "reference": "TR-1",
    }
    assert transfer["lines"] == [
        {"sku": shirt.sku, "quantity": 4},
        {"sku": scarf.sku, "quantity": 3},
    ]
    assert Transfer.objects.get().requested_by == user
    assert levels(shirt, gebze) == (10, 4)  # held at the source until it leaves

    shipped = api.post(f"{TRANSFERS}{transfer['id']}/ship/")
    assert (shipped.status_code, shipped.json()["status"]) == (200, "shipped")
    assert shipped.json()["shipped_at"] is not None
    assert levels(shirt, gebze) == (6, 0)

    received = api.post(f"{TRANSFERS}{transfer['id']}/receive/")
    assert (received.status_code, received.json()["status"]) == (200, "received")
    assert levels(shirt, kadikoy) == (4, 0)
    assert levels(scarf, kadikoy) == (3, 0)
    assert services.stock_audit() == []


def test_a_requested_transfer_can_be_cancelled_but_not_once_shipped(api, web, gebze, kadikoy):
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 5)
    authed(api, *TRANSFER_PERMS)
    cancelled = services.transfer_request(source=gebze, destination=kadikoy, lines={shirt.pk: 2})
    shipped = services.transfer_request(source=gebze, destination=kadikoy, lines={shirt.pk: 1})
    services.transfer_ship(transfer=shipped)

    response = api.post(f"{TRANSFERS}{cancelled.pk}/cancel/")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert levels(shirt, gebze) == (4, 0)

    before = ledger()
    refused = error(api.post(f"{TRANSFERS}{shipped.pk}/cancel/"), 409)
    assert refused["code"] == "invalid_transition"
    assert "cannot be cancelled" in refused["message"]
    again = error(api.post(f"{TRANSFERS}{cancelled.pk}/ship/"), 409)
    assert again["code"] == "invalid_transition"
    assert ledger() == before
    assert error(api.post(f"{TRANSFERS}999999/ship/"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        (
            {"destination": "dc-gebze"},
            400,
            {"destination": ["A transfer goes to another location."]},
        ),
        (
            {"lines": [{"sku": "SHIRT", "quantity": -1}]},
            400,
            {"lines.0.quantity": ["Ensure this value is greater than or equal to 1."]},
        ),
        ({"lines": [{"sku": "YOK", "quantity": 1}]}, 400, {"lines.0.sku": ["Unknown SKU: YOK."]}),
        ({"source": "nowhere"}, 400, {"source": ["Unknown stock location: nowhere."]}),
        (
            {"lines": [{"sku": "SHIRT", "quantity": 6}]},
            409,
            {"SHIRT": ["6 asked for, 5 available."]},
        ),
    ],
)
def test_a_bad_transfer_is_refused_and_changes_nothing(
    api, web, gebze, kadikoy, body, status, fields
):
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 5)
    for line in body.get("lines", []):
        if line["sku"] == "SHIRT":
            line["sku"] = shirt.sku
    authed(api, *TRANSFER_PERMS)
    before = ledger()
    sent = {
        "source": "dc-gebze",
        "destination": "store-kadikoy",
        "lines": [{"sku": shirt.sku, "quantity": 1}],
    } | body

    response = api.post(TRANSFERS, sent, format="json")

    assert error(response, status)["fields"] == {
        name.replace("SHIRT", shirt.sku): messages for name, messages in fields.items()
    }
    assert ledger() == before


def test_transfers_need_the_permission_of_each_step(api, web, gebze, kadikoy):
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 5)
    transfer = services.transfer_request(source=gebze, destination=kadikoy, lines={shirt.pk: 1})
    body = {"source": "dc-gebze", "destination": "store-kadikoy", "lines": []}

    assert error(api.get(TRANSFERS), 401)["code"] == "not_authenticated"
    assert error(api.post(f"{TRANSFERS}{transfer.pk}/ship/"), 401)["code"] == "not_authenticated"
    authed(api, "inventory.view_transfer")
    assert api.get(TRANSFERS).status_code == 200
    assert error(api.post(TRANSFERS, body, format="json"), 403)["code"] == "permission_denied"
    assert error(api.post(f"{TRANSFERS}{transfer.pk}/ship/"), 403)["code"] == "permission_denied"
    authed(api, "inventory.add_transfer")
    assert error(api.get(TRANSFERS), 403)["code"] == "permission_denied"
    assert Transfer.objects.get().status == "requested"


def test_transfers_are_listed_newest_first_and_filtered(api, web, gebze, izmir_dc, kadikoy):
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 5)
    receive(shirt, izmir_dc, 5)
    first = services.transfer_request(source=gebze, destination=kadikoy, lines={shirt.pk: 1})
    second = services.transfer_request(source=izmir_dc, destination=gebze, lines={shirt.pk: 2})
    services.transfer_ship(transfer=second)
    authed(api, "inventory.view_transfer")

    def ids(query=None):
        response = api.get(TRANSFERS, query or {})
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["results"]]

    assert ids() == [second.pk, first.pk]
    assert ids({"status": "shipped"}) == [second.pk]
    assert ids({"location": "store-kadikoy"}) == [first.pk]
    assert ids({"location": "dc-gebze"}) == [second.pk, first.pk]
    assert error(api.get(TRANSFERS, {"status": "lost"}), 400)["fields"] == {
        "status": ['"lost" is not a valid choice.']
    }


def test_the_transfer_list_runs_the_same_queries_for_1_and_20_transfers(api, web, gebze, kadikoy):
    many = variants(web, 3)
    for variant in many:
        receive(variant, gebze, 100)
    lines = {v.pk: 1 for v in many}
    services.transfer_request(source=gebze, destination=kadikoy, lines=lines)
    authed(api, "inventory.view_transfer")
    with assert_num_queries(6):  # token, permissions (2), count, page, lines
        one = api.get(TRANSFERS)
    for _ in range(19):
        services.transfer_request(source=gebze, destination=kadikoy, lines=lines)
    with assert_num_queries(6):
        page = api.get(TRANSFERS)
    assert one.json()["count"] == 1
    assert page.json()["count"] == 20
    assert all(len(t["lines"]) == 3 for t in page.json()["results"])
