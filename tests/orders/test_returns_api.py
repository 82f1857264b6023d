"""The returns API: a shopper sees and returns only their own orders (anyone else's is a 404 on
every endpoint), store staff receive at their own stores, merchant staff with the permission
anywhere; every error in the one shape."""

import pytest

from customers.services import customer_for_user
from inventory.models import Stock
from orders.models import Return
from orders.services import returns
from tests import factories as f
from tests.orders.test_returns import delivered, place
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web")


@pytest.fixture
def app_channel():
    return f.ChannelFactory(code="app", kind="app")


@pytest.fixture
def counter():
    return f.ChannelFactory(code="store-kadikoy", kind="store", pay_later=True)


@pytest.fixture
def store(counter):
    return f.StockLocationFactory(
        code="kadikoy", kind="store", click_and_collect=True, channel=counter
    )


@pytest.fixture
def other_store():
    channel = f.ChannelFactory(code="store-kizilay", kind="store", pay_later=True)
    return f.StockLocationFactory(code="kizilay", kind="store", channel=channel, city="Ankara")


@pytest.fixture
def shopper():
    return f.UserFactory()


@pytest.fixture
def stranger():
    return f.UserFactory()


@pytest.fixture
def clerk(counter):
    user = f.UserFactory(role="store_staff")
    user.stores.add(counter)
    return user


@pytest.fixture
def dress(web):
    m, big = f.product(channels=[web], price="100.00", variants=2).variants.all()
    f.stocked(web, m, big)
    return m, big


@pytest.fixture
def order(web, shopper, dress):
    """The shopper's web order of two M dresses, delivered."""
    customer = customer_for_user(user=shopper)
    return delivered(place(web, customer, {dress[0]: 2}))


def signed_in(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}")
    return api


def returns_url(order):
    return f"/api/v1/orders/{order.number}/returns/"


def a_return(order, channel=None, quantity=1, exchange=None):
    return returns.return_request(
        order=order,
        channel=channel or order.channel,
        lines=[
            {
                "order_line_id": order.lines.get().pk,
                "quantity": quantity,
                "reason": "size",
                "exchange_variant_id": exchange.pk if exchange else None,
            }
        ],
    )


# --- the shopper ----------------------------------------------------------------------------


def test_a_shopper_returns_part_of_their_order(api, shopper, order):
    line = order.lines.get()

    answer = signed_in(api, shopper).post(
        returns_url(order),
        {"lines": [{"line": line.pk, "quantity": 1, "reason": "size"}], "note": "Küçük geldi"},
    )

    assert answer.status_code == 201, answer.json()
    created = Return.objects.get()
    assert answer.json() == {
        "id": created.pk,
        "order": order.number,
        "status": "requested",
        "channel": "web",
        "location": None,
        "note": "Küçük geldi",
        "refund_amount": {"amount": "0.00", "currency": "TRY"},
        "exchange_order": None,
        "lines": [
            {
                "id": created.lines.get().pk,
                "line": line.pk,
                "sku": line.sku,
                "product_name": line.product_name,
                "variant_name": line.variant_name,
                "quantity": 1,
                "reason": "size",
                "condition": None,  # not known before the return is received
                "exchange_sku": None,
                "refund_amount": {"amount": "0.00", "currency": "TRY"},
            }
        ],
        "created_at": answer.json()["created_at"],
        "received_at": None,
    }
    assert created.requested_by == shopper
    listed = api.get(returns_url(order)).json()
    assert [r["id"] for r in listed] == [created.pk]
    assert api.get(f"/api/v1/returns/{created.pk}/").json()["id"] == created.pk


def test_a_shopper_asks_on_the_channel_they_use(api, shopper, order, app_channel, counter):
    body = {"lines": [{"line": order.lines.get().pk, "quantity": 1, "reason": "size"}]}
    signed_in(api, shopper)

    from_app = api.post(returns_url(order) + "?channel=app", body)
    at_a_store = api.post(returns_url(order), body, headers={"Omni-Channel": "store-kadikoy"})

    assert from_app.status_code == 201 and from_app.json()["channel"] == "app"
    assert at_a_store.status_code == 400
    assert list(at_a_store.json()["fields"]) == ["channel"]


def test_each_bad_line_is_named_as_the_client_sent_it(api, shopper, order, web, dress):
    line = order.lines.get()
    shoes = f.product(channels=[web]).variants.get()

    answer = signed_in(api, shopper).post(
        returns_url(order),
        {
            "lines": [
                {"line": 999999, "quantity": 1, "reason": "size"},
                {"line": line.pk, "quantity": 3, "reason": "size"},
                {"line": line.pk, "quantity": 1, "reason": "size", "exchange_sku": shoes.sku},
            ]
        },
    )
    unknown = api.post(
        returns_url(order),
        {"lines": [{"line": line.pk, "quantity": 1, "reason": "size", "exchange_sku": "NOPE"}]},
    )

    assert answer.status_code == 400
    assert (answer.json()["code"], sorted(answer.json()["fields"])) == (
        "invalid",
        ["lines.0.line", "lines.1.quantity", "lines.2.exchange_sku"],
    )
    assert unknown.status_code == 400
    assert (unknown.json()["code"], list(unknown.json()["fields"])) == (
        "unknown_sku",
        ["lines.0.exchange_sku"],
    )
    assert not Return.objects.exists()


def test_a_shopper_cancels_their_return_once(api, shopper, order):
    requested = a_return(order)
    signed_in(api, shopper)

    first = api.post(f"/api/v1/returns/{requested.pk}/cancel/")
    again = api.post(f"/api/v1/returns/{requested.pk}/cancel/")

    assert (first.status_code, first.json()["status"]) == (200, "cancelled")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_another_customers_order_and_returns_are_not_found_on_every_endpoint(
    api, stranger, shopper, order
):
    requested = a_return(order)
    body = {"lines": [{"line": order.lines.get().pk, "quantity": 1, "reason": "size"}]}
    signed_in(api, stranger)

    answers = [
        api.get(returns_url(order)),
        api.post(returns_url(order), body),
        api.get(f"/api/v1/returns/{requested.pk}/"),
        api.post(f"/api/v1/returns/{requested.pk}/cancel/"),
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (404, "order_not_found"),
        (404, "order_not_found"),
        (404, "return_not_found"),
        (404, "return_not_found"),
    ]
    assert Return.objects.get().status == "requested" and Return.objects.count() == 1
    # The same URLs answer the owner.
    signed_in(api, shopper)
    owner = [
        api.get(returns_url(order)),
        api.get(f"/api/v1/returns/{requested.pk}/"),
        api.post(f"/api/v1/returns/{requested.pk}/cancel/"),
        api.post(returns_url(order), body),
    ]
    assert [a.status_code for a in owner] == [200, 200, 200, 201]


def test_signing_in_is_required(api, order):
    requested = a_return(order)
    for answer in (
        api.get(returns_url(order)),
        api.get(f"/api/v1/returns/{requested.pk}/"),
        api.post("/api/v1/staff/returns/", {}),
    ):
        assert answer.status_code == 401


def test_listing_returns_runs_the_same_queries_for_one_or_many(api, shopper, order):
    a_return(order)
    signed_in(api, shopper)
    with assert_num_queries(4):
        assert len(api.get(returns_url(order)).json()) == 1
    Return.objects.update(status="cancelled")  # free the units for more returns
    for _ in range(2):
        a_return(order)
    returns.return_cancel(return_request=Return.objects.first())
    a_return(order)

    with assert_num_queries(4):
        assert len(api.get(returns_url(order)).json()) == 4


# --- staff ----------------------------------------------------------------------------------


def test_a_clerk_takes_a_web_order_back_at_the_counter(api, clerk, order, store, dress):
    line = order.lines.get()
    signed_in(api, clerk)

    started = api.post(
        "/api/v1/staff/returns/",
        {"order": order.number, "lines": [{"line": line.pk, "quantity": 2, "reason": "damaged"}]},
    )
    assert (started.status_code, started.json()["channel"]) == (201, "store-kadikoy")
    return_line = started.json()["lines"][0]["id"]
    received = api.post(
        f"/api/v1/staff/returns/{started.json()['id']}/receive/",
        {"location": "kadikoy", "lines": [{"line": return_line, "condition": "resellable"}]},
    )
    refunded = api.post(f"/api/v1/staff/returns/{started.json()['id']}/refund/")

    assert received.status_code == 200, received.json()
    assert (received.json()["status"], received.json()["location"]) == ("received", "kadikoy")
    # the whole order back, damaged: the goods and the shipping (49.90)
    assert received.json()["refund_amount"] == {"amount": "249.90", "currency": "TRY"}
    assert received.json()["lines"][0]["condition"] == "resellable"
    assert Stock.objects.get(variant=dress[0], location=store).on_hand == 2
    assert (refunded.status_code, refunded.json()["status"]) == (200, "refunded")


def test_an_unknown_order_or_return_is_not_found_for_staff(api, clerk):
    signed_in(api, clerk)
    started = api.post(
        "/api/v1/staff/returns/",
        {"order": "ME0", "lines": [{"line": 1, "quantity": 1, "reason": "size"}]},
    )
    receive = api.post(
        "/api/v1/staff/returns/999999/receive/",
        {"location": "kadikoy", "lines": [{"line": 1, "condition": "resellable"}]},
    )
    assert [started.status_code, receive.status_code] == [404, 404]


def test_a_clerk_receives_only_at_their_own_stores(api, clerk, order, other_store, store):
    requested = a_return(order)
    line = requested.lines.get()
    signed_in(api, clerk)

    answer = api.post(
        f"/api/v1/staff/returns/{requested.pk}/receive/",
        {"location": "kizilay", "lines": [{"line": line.pk, "condition": "resellable"}]},
    )

    assert (answer.status_code, answer.json()["code"]) == (403, "permission_denied")
    assert list(answer.json()["fields"]) == ["location"]
    requested.refresh_from_db()
    assert requested.status == "requested"
    assert not Stock.objects.filter(location=other_store).exists()


def test_a_return_received_at_another_store_is_not_the_clerks_to_refund(
    api, clerk, order, other_store
):
    requested = a_return(order)
    returns.return_receive(
        return_request=requested,
        location=other_store,
        conditions={requested.lines.get().pk: "resellable"},
    )
    url = f"/api/v1/staff/returns/{requested.pk}/refund/"

    answer = signed_in(api, clerk).post(url)

    assert (answer.status_code, answer.json()["code"]) == (404, "return_not_found")
    assert Return.objects.get().status == "received"
    owner = signed_in(api, store_clerk(other_store.channel)).post(url)
    assert (owner.status_code, owner.json()["status"]) == (200, "refunded")


def store_clerk(channel):
    user = f.UserFactory(role="store_staff")
    user.stores.add(channel)
    return user


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("receive", "kizilay"),
        ("refund", None),
        ("reject", {"note": "Kullanılmış"}),
        ("drop-exchange", None),
    ],
)
def test_another_stores_return_is_not_found_for_every_staff_action(
    api, clerk, counter, order, dress, store, other_store, action, body
):
    requested = a_return(order, channel=counter, exchange=dress[1])
    line = requested.lines.get().pk
    if action == "refund":  # only a received return is refunded
        returns.return_receive(
            return_request=requested, location=store, conditions={line: "resellable"}
        )
    if action == "receive":
        body = {"location": body, "lines": [{"line": line, "condition": "resellable"}]}
    url = f"/api/v1/staff/returns/{requested.pk}/{action}/"
    before = Return.objects.values("status", "location").get()

    answer = signed_in(api, store_clerk(other_store.channel)).post(url, body)

    assert (answer.status_code, answer.json()["code"]) == (404, "return_not_found")
    assert Return.objects.values("status", "location").get() == before
    assert requested.lines.get().exchange_variant_id == dress[1].pk
    if action == "receive":
        body["location"] = "kadikoy"
    owner = signed_in(api, clerk).post(url, body)
    assert owner.status_code == 200, owner.json()


def test_a_clerk_cannot_reject_an_online_return_that_no_store_holds(api, clerk, order):
    requested = a_return(order)  # requested on the web, not handed in anywhere yet
    url = f"/api/v1/staff/returns/{requested.pk}/reject/"

    answer = signed_in(api, clerk).post(url, {"note": "Kullanılmış"})

    assert (answer.status_code, answer.json()["code"]) == (404, "return_not_found")
    assert Return.objects.get().status == "requested"
    merchant = signed_in(api, f.merchant("orders.change_return")).post(url, {"note": "Kullanılmış"})
    assert (merchant.status_code, merchant.json()["status"]) == (200, "rejected")


def test_merchant_staff_need_the_permission_and_then_act_anywhere(api, order, other_store):
    requested = a_return(order)
    body = {
        "location": "kizilay",
        "lines": [{"line": requested.lines.get().pk, "condition": "damaged"}],
    }
    without = f.merchant()
    with_perm = f.merchant("orders.change_return")

    refused = signed_in(api, without).post(f"/api/v1/staff/returns/{requested.pk}/receive/", body)
    accepted = signed_in(api, with_perm).post(
        f"/api/v1/staff/returns/{requested.pk}/receive/", body
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200 and accepted.json()["location"] == "kizilay"


def test_a_customer_cannot_use_the_staff_endpoints(api, shopper, order):
    requested = a_return(order)
    signed_in(api, shopper)

    answers = [
        api.post("/api/v1/staff/returns/", {}),
        api.post(f"/api/v1/staff/returns/{requested.pk}/receive/", {}),
        api.post(f"/api/v1/staff/returns/{requested.pk}/refund/"),
        api.post(f"/api/v1/staff/returns/{requested.pk}/reject/", {"note": "x"}),
        api.post(f"/api/v1/staff/returns/{requested.pk}/drop-exchange/"),
    ]

    assert [a.status_code for a in answers] == [403] * 5
    assert Return.objects.get().status == "requested"


def test_a_clerk_rejects_with_a_reason(api, clerk, order, counter):
    requested = a_return(order, channel=counter)
    signed_in(api, clerk)

    without = api.post(f"/api/v1/staff/returns/{requested.pk}/reject/", {"note": ""})
    rejected = api.post(f"/api/v1/staff/returns/{requested.pk}/reject/", {"note": "Kullanılmış"})

    assert (without.status_code, list(without.json()["fields"])) == (400, ["note"])
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")


def test_an_exchange_out_of_stock_is_a_conflict_until_it_is_dropped(
    api, clerk, order, dress, store
):
    m, big = dress
    Stock.objects.filter(variant=big).update(on_hand=0)  # sold out meanwhile (a test shortcut)
    requested = a_return(order, exchange=big)
    body = {
        "location": "kadikoy",
        "lines": [{"line": requested.lines.get().pk, "condition": "resellable"}],
    }
    signed_in(api, clerk)

    conflict = api.post(f"/api/v1/staff/returns/{requested.pk}/receive/", body)
    dropped = api.post(f"/api/v1/staff/returns/{requested.pk}/drop-exchange/")
    received = api.post(f"/api/v1/staff/returns/{requested.pk}/receive/", body)

    assert (conflict.status_code, conflict.json()["code"]) == (409, "insufficient_stock")
    assert list(conflict.json()["fields"]) == [big.sku]
    assert dropped.json()["lines"][0]["exchange_sku"] is None
    assert received.status_code == 200
    assert received.json()["refund_amount"]["amount"] == "100.00"
    assert Stock.objects.get(variant=m, location=store).on_hand == 1


def test_receiving_names_a_line_left_out(api, clerk, order, store):
    requested = returns.return_request(
        order=order,
        channel=order.channel,
        lines=[
            {"order_line_id": order.lines.get().pk, "quantity": 1, "reason": "size"},
            {"order_line_id": order.lines.get().pk, "quantity": 1, "reason": "other"},
        ],
    )
    first = requested.lines.order_by("id").first()

    answer = signed_in(api, clerk).post(
        f"/api/v1/staff/returns/{requested.pk}/receive/",
        {"location": "kadikoy", "lines": [{"line": first.pk, "condition": "resellable"}]},
    )

    assert (answer.status_code, list(answer.json()["fields"])) == (400, ["lines"])
    assert Return.objects.get().status == "requested"
    assert order.lines.get().quantity_returned == 0
