"""Checkout over the API: delivery options, the priced quote, and placing the order once per
Idempotency-Key, for a signed-in customer and for a guest."""

from decimal import Decimal

import pytest

from catalog import services as catalog
from customers.models import Customer
from inventory.models import Stock
from orders.models import Cart, IdempotencyKey, Order
from tests import factories as f
from tests.orders.api_support import item, money, signed_in, url, visitor
from tests.queries import assert_num_queries, cache_as_in_production

pytestmark = pytest.mark.django_db

ADDRESS = f.ADDRESS


@pytest.fixture
def web():
    channel = f.ChannelFactory(code="web", kind="web")
    f.ShippingMethodFactory(channel=channel)  # 49.90, free from 1000.00
    return channel


@pytest.fixture
def kadikoy(web):
    store = f.StockLocationFactory(
        code="kadikoy", kind="store", click_and_collect=True, city="İstanbul"
    )
    f.sells_from(web, f.StockLocationFactory(code="dc-test"), store)
    return store


def home(**extra):
    return {"delivery": "home", "shipping_method": "standart", "shipping_address": ADDRESS, **extra}


def place(client, body, key="key-1", channel="web"):
    return client.post(url("orders/", channel), body, HTTP_IDEMPOTENCY_KEY=key)


def customer_with(web, *lines):
    """A signed-in customer whose cart holds these (variant, quantity) lines."""
    user, client = signed_in()
    for variant, quantity in lines:
        response = client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": quantity})
        assert response.status_code == 201, response.json()
    return user, client


# --- delivery options and the quote ---------------------------------------------------------


def test_delivery_options_price_shipping_for_this_cart_and_list_pickup_stores(web, kadikoy):
    variant = item(web, price="400.00")
    f.stocked(web, variant, location=kadikoy, quantity=2)
    f.sells_from(web, f.StockLocationFactory(code="dc-test"), kadikoy)
    _user, client = customer_with(web, (variant, 1))

    response = client.get(url("checkout/delivery-options/", country="TR", city="Ankara"))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["shipping_methods"] == [
        {
            "code": "standart",
            "name": "Standart Kargo",
            "kind": "home",
            "price": money("49.90"),
            "min_days": 1,
            "max_days": 3,
        }
    ]
    assert [(s["code"], s["from_store_stock"]) for s in body["pickup_stores"]] == [
        ("kadikoy", True)
    ]
    assert body["pickup_stores"][0]["distance_km"] > 300  # Ankara to Istanbul


def test_the_quote_prices_lines_shipping_and_vat_by_rate(web):
    shirt = item(web, price="300.00")
    towel = item(web, price="110.00")
    catalog.product_update(
        product=towel.product,
        data={"tax_class": f.TaxClassFactory(code="kdv-10", rate=Decimal("10"))},
    )
    _user, client = customer_with(web, (shirt, 1), (towel, 2))

    response = client.post(
        url("checkout/quote/"),
        {"delivery": "home", "shipping_method": "standart", "address": ADDRESS},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    # goods 520.00 + shipping 49.90 (KDV 20); KDV: (300 + 49.90) x 20/120 and 220 x 10/110
    assert (body["subtotal"], body["shipping"], body["total"]) == (
        money("520.00"),
        money("49.90"),
        money("569.90"),
    )
    assert body["tax_by_rate"] == {"10": money("20.00"), "20": money("58.32")}
    assert body["tax_total"] == money("78.32")
    assert body["delivery"] == "home"
    assert body["changes"] == []
    assert [(ln["sku"], ln["quantity"], ln["total"]) for ln in body["lines"]] == [
        (shirt.sku, 1, money("300.00")),
        (towel.sku, 2, money("220.00")),
    ]


def test_a_quote_for_click_and_collect_costs_no_shipping(web, kadikoy):
    variant = item(web, price="80.00")
    _user, client = customer_with(web, (variant, 1))

    response = client.post(
        url("checkout/quote/"), {"delivery": "pickup", "pickup_location": "kadikoy"}
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["shipping"], response.json()["total"]) == (
        money("0.00"),
        money("80.00"),
    )


def test_the_quote_tells_what_changed(web):
    variant = item(web, price="100.00")
    _user, client = customer_with(web, (variant, 1))
    catalog.variant_price_set(variant=variant, channel=web, price="90.00")

    body = client.post(
        url("checkout/quote/"),
        {"delivery": "home", "shipping_method": "standart", "address": ADDRESS},
    ).json()

    assert [(c["change"], c["before"], c["after"]) for c in body["changes"]] == [
        ("price_down", "100.00", "90.00")
    ]
    assert body["subtotal"] == money("90.00")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"delivery": "home", "shipping_method": "standart", "address": {"city": "Ankara"}},
            ["address.full_name", "address.phone", "address.line1"],
        ),
        ({"delivery": "home", "shipping_method": "ekspres", "address": ADDRESS}, ["shipping_method"]),
        ({"delivery": "pickup", "pickup_location": "nowhere"}, ["pickup_location"]),
        ({"delivery": "drone"}, ["delivery"]),
        ({"delivery": "home", "shipping_method": "standart", "address": "Moda"}, ["address.non_field_errors"]),
    ],
)  # fmt: skip
def test_bad_checkout_input_is_a_field_error(web, body, fields):
    variant = item(web)
    _user, client = customer_with(web, (variant, 1))

    response = client.post(url("checkout/quote/"), body)

    assert response.status_code == 400, response.json()
    assert sorted(response.json()["fields"]) == sorted(fields)


def test_an_empty_cart_has_no_quote(web):
    _user, client = signed_in()
    response = client.post(
        url("checkout/quote/"),
        {"delivery": "home", "shipping_method": "standart", "address": ADDRESS},
    )
    assert (response.status_code, list(response.json()["fields"])) == (400, ["cart"])


# --- placing the order ----------------------------------------------------------------------


def test_a_customer_places_the_order_with_an_idempotency_key(web):
    variant = item(web, price="250.00")
    user, client = customer_with(web, (variant, 2))

    response = place(client, home(), key="9f1c")

    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    body = response.json()
    assert body["number"] == order.number
    assert (body["status"], body["channel"], body["origin_channel"]) == ("pending", "web", "web")
    assert body["total"] == money("549.90")
    assert [(ln["sku"], ln["quantity"], ln["line_total"]) for ln in body["lines"]] == [
        (variant.sku, 2, money("500.00"))
    ]
    assert body["shipping_address"]["city"] == "İstanbul"
    assert [e["kind"] for e in body["events"]] == ["placed", "allocated"]
    assert order.customer == Customer.objects.get(user=user)
    assert Cart.objects.get().status == Cart.Status.ORDERED
    assert Stock.objects.get(variant=variant).allocated == 2
    record = IdempotencyKey.objects.get()
    assert (record.scope, record.key, record.state, record.order) == (
        f"user:{user.pk}",
        "9f1c",
        "done",
        order,
    )


def test_a_replay_returns_the_same_order_and_places_nothing_more(web):
    variant = item(web)
    _user, client = customer_with(web, (variant, 1))
    first = place(client, home())

    again = place(client, home())

    assert again.status_code == 201
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1
    assert Stock.objects.get(variant=variant).allocated == 1


def test_a_replay_returns_the_answer_first_given_not_the_order_as_it_is_now(web):
    variant = item(web)
    _user, client = customer_with(web, (variant, 1))
    first = place(client, home())
    number = first.json()["number"]
    cancelled = client.post(url(f"orders/{number}/cancel/"), {"reason": "changed my mind"})
    assert cancelled.json()["status"] == "cancelled"

    again = place(client, home())

    assert (again.status_code, again.json()) == (201, first.json())
    assert again.json()["status"] == "pending"
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert IdempotencyKey.objects.get().response_body == first.json()


def test_an_unexpected_error_while_placing_is_a_json_500_and_frees_the_key(web, monkeypatch):
    from orders.services import checkout

    variant = item(web)
    _user, client = customer_with(web, (variant, 1))
    client.raise_request_exception = False

    def broken(**kwargs):
        raise RuntimeError("connection string postgres://secret")

    monkeypatch.setattr(checkout, "order_place", broken)
    response = place(client, home())

    body = response.json()
    assert (response.status_code, body["code"]) == (500, "server_error")
    assert body["reference"] and "secret" not in response.content.decode()
    assert not IdempotencyKey.objects.exists()
    assert not Order.objects.exists()


def test_the_same_key_with_another_body_is_unprocessable(web):
    variant = item(web)
    _user, client = customer_with(web, (variant, 1))
    place(client, home())

    response = place(client, home(phone="+905559998877"))

    assert (response.status_code, response.json()["code"]) == (422, "idempotency_key_reused")
    assert Order.objects.count() == 1


def test_a_request_still_in_flight_is_a_conflict(web):
    variant = item(web)
    user, client = customer_with(web, (variant, 1))
    from orders.services import checkout

    IdempotencyKey.objects.create(
        scope=f"user:{user.pk}",
        key="key-1",
        request_hash=checkout.request_fingerprint({"channel": "web", **home()}),
    )

    response = place(client, home())

    assert (response.status_code, response.json()["code"]) == (409, "request_in_flight")
    assert not Order.objects.exists()
    assert Cart.objects.get().status == Cart.Status.ACTIVE


def test_an_order_needs_an_idempotency_key(web):
    variant = item(web)
    _user, client = customer_with(web, (variant, 1))
    response = client.post(url("orders/"), home())
    assert (response.status_code, list(response.json()["fields"])) == (400, ["Idempotency-Key"])
    assert not Order.objects.exists()


def test_a_changed_cart_stops_the_order_and_a_replay_meets_the_same_answer(web):
    variant = item(web, price="100.00")
    _user, client = customer_with(web, (variant, 1))
    catalog.variant_price_set(variant=variant, channel=web, price="130.00")

    first = place(client, home())
    again = place(client, home())

    assert (first.status_code, first.json()["code"]) == (409, "cart_changed")
    assert (again.status_code, again.json()) == (409, first.json())
    assert not Order.objects.exists()
    # the shopper reviews the cart and places it with a new key
    client.post(url("cart/refresh/"))
    placed = place(client, home(), key="key-2")
    assert placed.status_code == 201
    assert placed.json()["total"] == money("179.90")


def test_a_shortage_stops_the_order_and_is_remembered(web):
    variant = item(web, quantity=2)
    _user, client = customer_with(web, (variant, 2))
    Stock.objects.filter(variant=variant).update(on_hand=1)  # sold meanwhile (test shortcut)

    first = place(client, home())

    assert first.status_code == 409
    assert first.json()["code"] == "insufficient_stock"
    assert place(client, home()).json() == first.json()
    assert IdempotencyKey.objects.get().state == "done"
    assert not Order.objects.exists()


def test_bad_input_frees_the_key_for_the_corrected_request(web):
    variant = item(web)
    _user, client = customer_with(web, (variant, 1))

    bad = place(client, home(shipping_method="ekspres"))

    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["shipping_method"])
    assert not IdempotencyKey.objects.exists()
    assert not Order.objects.exists()
    assert place(client, home()).status_code == 201


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (home(shipping_address={**ADDRESS, "line1": ""}), ["shipping_address.line1"]),
        ({"delivery": "pickup", "pickup_location": "nowhere"}, ["pickup_location"]),
        (home(email="not-an-email"), ["email"]),
        ({"shipping_method": "standart"}, ["delivery"]),
    ],
)
def test_a_bad_order_is_a_field_error_and_changes_nothing(web, body, fields):
    variant = item(web)
    _user, client = customer_with(web, (variant, 1))

    response = place(client, body)

    assert response.status_code == 400, response.json()
    assert sorted(response.json()["fields"]) == fields
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert Cart.objects.get().status == Cart.Status.ACTIVE
    assert Stock.objects.get(variant=variant).allocated == 0


# --- guests ---------------------------------------------------------------------------------


def guest_cart(variant, quantity=1):
    token = visitor().post(url("cart/")).json()["token"]
    client = visitor(token)
    client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": quantity})
    return token, client


def test_a_guest_places_the_order_with_an_email_and_gets_a_customer_profile(web):
    variant = item(web)
    token, client = guest_cart(variant)

    response = place(client, home(email="Misafir@Example.com"))

    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.customer == Customer.objects.get(email="misafir@example.com")
    assert order.customer.user is None
    assert IdempotencyKey.objects.get().scope == f"cart:{token}"
    # the replay finds the order although the cart is now closed
    again = place(client, home(email="Misafir@Example.com"))
    assert (again.status_code, again.json()["number"]) == (201, order.number)


def test_a_guest_must_give_an_email_or_a_phone(web):
    variant = item(web)
    _token, client = guest_cart(variant)

    response = place(client, home())

    assert (response.status_code, list(response.json()["fields"])) == (400, ["email"])
    assert not Order.objects.exists()
    assert not Customer.objects.exists()


def test_another_visitors_or_a_customers_cart_cannot_be_ordered_by_token(web):
    variant = item(web)
    _user, client = customer_with(web, (variant, 1))
    customers_token = client.get(url("cart/")).json()["token"]

    for token in (customers_token, "0b8e4b3c-7a51-4a49-9d0c-6f1a2e0b9c11", None):
        response = place(visitor(token), home(email="x@example.com"))
        assert response.status_code == 404, response.json()
    intruder = visitor(customers_token)
    assert intruder.post(url("checkout/quote/"), home()).status_code == 404
    assert intruder.get(url("checkout/delivery-options/")).status_code == 404
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()
    # The same requests answer the customer, signed in.
    quote = {"delivery": "home", "shipping_method": "standart", "address": ADDRESS}
    assert client.post(url("checkout/quote/"), quote).status_code == 200
    assert client.get(url("checkout/delivery-options/")).status_code == 200
    assert place(client, home()).status_code == 201


# --- the number of queries ------------------------------------------------------------------


# Each hot step of a checkout, with one line and with many in the same test, pinned exactly.
# These are the figures bench/checkout.py prints and the README quotes: measured as there, with
# real transactions (BEGIN and COMMIT, not savepoints) and production's per-process caches.


@pytest.fixture
def cached(transactional_db, settings):
    cache_as_in_production(settings)


def guest_with(*lines):
    """A visitor's client whose cart (started over the API) holds these (variant, quantity)."""
    token = visitor().post(url("cart/")).json()["token"]
    client = visitor(token)
    for variant, quantity in lines:
        response = client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": quantity})
        assert response.status_code == 201, response.json()
    return client


def test_a_guests_add_to_cart_runs_the_same_queries_with_1_or_20_lines_in_the_cart(web, cached):
    variants = [item(web, price="10.00") for _ in range(21)]
    for held in (variants[:1], variants[:20]):
        client = guest_with(*[(v, 1) for v in held])
        with assert_num_queries(11):
            response = client.post(url("cart/lines/"), {"sku": variants[20].sku})
        assert response.status_code == 201, response.json()


def test_a_customers_add_to_cart_runs_the_same_queries_with_1_or_20_lines_in_the_cart(web, cached):
    variants = [item(web, price="10.00") for _ in range(21)]
    _user, client = signed_in(f.CustomerFactory(user=f.UserFactory()).user)
    guest_with()  # the channel is cached, as it is for every request but the first
    with assert_num_queries(11):  # the first line starts the cart
        response = client.post(url("cart/lines/"), {"sku": variants[0].sku})
    assert response.status_code == 201, response.json()
    for held in (variants[:1], variants[:20]):
        _user, client = customer_with(web, *[(v, 1) for v in held])
        with assert_num_queries(12):
            response = client.post(url("cart/lines/"), {"sku": variants[20].sku})
        assert response.status_code == 201, response.json()


QUOTE = {"delivery": "home", "shipping_method": "standart", "address": ADDRESS}


def test_a_quote_runs_the_same_queries_for_1_and_20_lines(web, cached):
    variants = [item(web, price="10.00") for _ in range(20)]
    assert guest_with((variants[0], 1)).post(url("checkout/quote/"), QUOTE).status_code == 200
    for held in (variants[:1], variants):
        lines = [(v, 1) for v in held]
        for expected, client in ((3, guest_with(*lines)), (4, customer_with(web, *lines)[1])):
            with assert_num_queries(expected):
                response = client.post(url("checkout/quote/"), QUOTE)
            assert response.status_code == 200, response.json()
            assert len(response.json()["lines"]) == len(held)


def test_placing_an_order_over_the_api_runs_the_same_queries_for_1_and_20_lines(web, cached):
    variants = [item(web, price="10.00") for _ in range(20)]
    # A guest who has ordered before under this e-mail, as in the benchmark.
    assert place(guest_with((variants[0], 1)), home(email="guest@omni.test")).status_code == 201
    for held in (variants[:1], variants):
        lines = [(v, 1) for v in held]
        guest = guest_with(*lines)
        with assert_num_queries(17):
            response = place(guest, home(email="guest@omni.test"))
        assert response.status_code == 201, response.json()
        _user, customer = customer_with(web, *lines)
        with assert_num_queries(17):
            response = place(customer, home())
        assert response.status_code == 201, response.json()
        assert len(response.json()["lines"]) == len(held)
