"""Staff acting on a customer's behalf: finding the customer, their one cart (the one they see
in the app and on the web), and placing orders on the staff's store channel."""

import pytest

from accounts.models import User
from customers.services import customer_for_user
from inventory.models import Allocation, Stock
from orders.models import Cart, CartLine, IdempotencyKey, Order
from orders.services import carts, checkout
from tests import factories as f
from tests.orders.api_support import item, money, signed_in, url
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    channel = f.ChannelFactory(code="web", kind="web")
    f.ShippingMethodFactory(channel=channel)
    return channel


@pytest.fixture
def kadikoy():
    """The Kadıköy store: its own channel (paid at the counter), its own stock location."""
    channel = f.ChannelFactory(code="store-kadikoy", kind="store", pay_later=True)
    f.StockLocationFactory(code="kadikoy", kind="store", click_and_collect=True, channel=channel)
    return channel


@pytest.fixture
def clerk(kadikoy):
    user = f.UserFactory(role=User.Role.STORE_STAFF, first_name="Kerem")
    user.stores.set([kadikoy])
    return signed_in(user)


@pytest.fixture
def customer():
    user, client = signed_in(f.UserFactory(email="ayse@example.com", first_name="Ayşe"))
    return customer_for_user(user=user), client


def staff_url(customer, path="", channel=None, **params):
    return url(f"staff/customers/{customer.pk}/{path}", channel, **params)


def in_store(kadikoy, variant, quantity=5):
    f.stocked(kadikoy, variant, location=kadikoy.store_location, quantity=quantity)


# --- who may -------------------------------------------------------------------------------


def test_only_store_staff_and_merchant_staff_who_may_add_orders_act_for_customers(customer):
    target, shopper_client = customer
    _plain, merchant_without = signed_in(f.merchant())
    _allowed, merchant_with = signed_in(f.merchant("orders.add_order"))

    for client, expected in ((shopper_client, 403), (merchant_without, 403), (merchant_with, 200)):
        assert client.get("/api/v1/staff/customers/?q=ayse").status_code == expected
        assert client.get(f"/api/v1/staff/customers/{target.pk}/").status_code == expected
    assert merchant_without.get(staff_url(target, "cart/", "web")).status_code == 403


# --- finding a customer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "q", ["AYSE@example", "0555 111 22 33", "ayşe kaya", "Kaya", "ayse", "AYSE KAYA", "ayse kay"]
)
def test_a_clerk_finds_a_customer_by_email_phone_or_name(clerk, q):
    _user, client = clerk
    ayse = f.CustomerFactory(
        email="ayse@example.com", first_name="Ayşe", last_name="Kaya", phone="+905551112233"
    )
    f.CustomerFactory(email="mehmet@example.com", first_name="Mehmet", last_name="Demir", phone="")

    response = client.get("/api/v1/staff/customers/", {"q": q})

    assert response.status_code == 200
    assert [(c["id"], c["email"], c["order_count"]) for c in response.json()["results"]] == [
        (ayse.pk, "ayse@example.com", 0)
    ]


def test_a_search_needs_two_characters(clerk):
    _user, client = clerk
    response = client.get("/api/v1/staff/customers/", {"q": "a"})
    assert (response.status_code, list(response.json()["fields"])) == (400, ["q"])


def test_the_search_runs_the_same_queries_for_1_and_15_customers(clerk):
    _user, client = clerk
    for last_name, count in (("Kaya", 1), ("Demir", 15)):
        for _ in range(count):
            f.CustomerFactory(last_name=last_name)

        with assert_num_queries(3):
            response = client.get("/api/v1/staff/customers/", {"q": last_name})

        assert response.json()["count"] == count


def test_the_profile_lists_orders_from_every_channel(web, kadikoy, clerk, customer):
    _user, client = clerk
    target, _ = customer
    online = item(web)
    on_web = checkout.order_place(
        cart=_cart_with(target, web, online),
        channel=web,
        delivery=checkout.delivery_build(
            channel=web, method="home", shipping_method="standart", address=f.ADDRESS
        ),
        customer=target,
    )

    response = client.get(f"/api/v1/staff/customers/{target.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["customer"]["email"], body["customer"]["has_account"]) == (
        "ayse@example.com",
        True,
    )
    assert body["order_count"] == 1
    assert [(o["number"], o["channel"]) for o in body["orders"]] == [(on_web.number, "web")]


# The staff member, the customer with their metrics, then customers' 360 (identities, addresses,
# consents, timeline, data requests, segments, loyalty) and orders' section (count, recent orders,
# carts).
PROFILE_QUERIES = 12


def test_the_profile_shows_the_customers_metrics_in_the_same_queries(web, clerk, customer):
    from customers.metrics import metrics_recompute

    _user, client = clerk
    target, _ = customer
    path = f"/api/v1/staff/customers/{target.pk}/"
    checkout.order_place(
        cart=_cart_with(target, web, item(web)),
        channel=web,
        delivery=checkout.delivery_build(
            channel=web, method="home", shipping_method="standart", address=f.ADDRESS
        ),
        customer=target,
    )
    with assert_num_queries(PROFILE_QUERIES):
        assert client.get(path).json()["metrics"] is None
    metrics_recompute(customer_ids=[target.pk])

    with assert_num_queries(PROFILE_QUERIES):  # the metrics come with the customer's row
        body = client.get(path).json()

    assert (body["metrics"]["orders_count"], body["metrics"]["channel_mix"]) == (1, {"web": 1})
    assert body["metrics"]["revenue_net"] == body["orders"][0]["total"]["amount"]


def _cart_with(customer, channel, variant, quantity=1):
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    return cart


def test_an_unknown_customer_is_not_found(clerk):
    _user, client = clerk
    assert client.get("/api/v1/staff/customers/999999/").status_code == 404
    assert client.get(url("staff/customers/999999/cart/", None)).status_code == 404


# --- the customer's one cart ----------------------------------------------------------------


def test_the_clerk_and_the_customer_share_one_cart(kadikoy, clerk, customer):
    variant = f.product(channels=[kadikoy], price="150.00").variants.get()
    in_store(kadikoy, variant)
    _staff, staff_client = clerk
    target, app_client = customer

    added = staff_client.post(staff_url(target, "cart/lines/"), {"sku": variant.sku, "quantity": 2})
    assert added.status_code == 201, added.json()
    assert added.json()["channel"] == "store-kadikoy"

    seen = app_client.get(url("cart/", "store-kadikoy")).json()
    assert [(ln["sku"], ln["quantity"]) for ln in seen["lines"]] == [(variant.sku, 2)]
    line_id = seen["lines"][0]["id"]
    app_client.patch(url(f"cart/lines/{line_id}/", "store-kadikoy"), {"quantity": 3})
    assert staff_client.get(staff_url(target, "cart/")).json()["lines"][0]["quantity"] == 3

    removed = staff_client.delete(staff_url(target, f"cart/lines/{line_id}/"))
    assert (removed.status_code, removed.json()["lines"]) == (200, [])


def test_a_line_of_another_customers_cart_is_not_found_through_this_customer(
    kadikoy, clerk, customer
):
    variant = f.product(channels=[kadikoy]).variants.get()
    in_store(kadikoy, variant)
    _staff, client = clerk
    target, _ = customer
    other = f.CustomerFactory()
    _cart_with(other, kadikoy, variant, quantity=2)
    line = CartLine.objects.get()

    assert (
        client.patch(staff_url(target, f"cart/lines/{line.pk}/"), {"quantity": 1}).status_code
        == 404
    )
    assert client.delete(staff_url(target, f"cart/lines/{line.pk}/")).status_code == 404
    assert CartLine.objects.get().quantity == 2
    # The same line answers through the customer whose cart it is.
    changed = client.patch(staff_url(other, f"cart/lines/{line.pk}/"), {"quantity": 1})
    assert changed.status_code == 200, changed.json()
    assert client.delete(staff_url(other, f"cart/lines/{line.pk}/")).status_code == 200


def test_store_staff_act_only_on_their_own_stores(web, kadikoy, clerk, customer):
    f.ChannelFactory(code="store-kizilay", kind="store")
    _staff, client = clerk
    target, _ = customer
    for code in ("store-kizilay", "web", "nope"):
        response = client.get(staff_url(target, "cart/", code))
        assert (response.status_code, list(response.json()["fields"])) == (400, ["channel"])


def test_staff_bad_input_is_a_field_error_and_changes_nothing(kadikoy, clerk, customer):
    variant = f.product(channels=[kadikoy]).variants.get()
    in_store(kadikoy, variant)
    _staff, client = clerk
    target, _ = customer
    for body, field in (
        ({"sku": "NOPE"}, "sku"),
        ({"sku": variant.sku, "quantity": 0}, "quantity"),
    ):
        response = client.post(staff_url(target, "cart/lines/"), body)
        assert (response.status_code, list(response.json()["fields"])) == (400, [field])
    assert not CartLine.objects.exists()
    assert not Cart.objects.exists()  # a refused first line starts no cart for the customer


# --- placing orders for the customer --------------------------------------------------------


def test_a_counter_sale_is_handed_over_at_once_and_records_the_clerk(kadikoy, clerk, customer):
    variant = f.product(channels=[kadikoy], price="150.00").variants.get()
    in_store(kadikoy, variant, quantity=3)
    staff, client = clerk
    target, app_client = customer
    client.post(staff_url(target, "cart/lines/"), {"sku": variant.sku})

    response = client.post(
        staff_url(target, "orders/"),
        {"delivery": "pickup", "handed_over": True},
        HTTP_IDEMPOTENCY_KEY="till-1",
    )

    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert (order.channel, order.customer, order.placed_by, order.status) == (
        kadikoy,
        target,
        staff,
        "collected",
    )
    assert response.json()["total"] == money("150.00")
    stock = Stock.objects.get(variant=variant)
    assert (stock.on_hand, stock.allocated) == (2, 0)
    assert IdempotencyKey.objects.get().scope == f"user:{staff.pk}"
    # the customer sees the store sale in their history
    assert [o["number"] for o in app_client.get("/api/v1/orders/").json()["results"]] == [
        order.number
    ]


def test_click_and_collect_placed_by_the_clerk_is_confirmed_at_once(kadikoy, clerk, customer):
    variant = f.product(channels=[kadikoy]).variants.get()
    in_store(kadikoy, variant)
    _staff, client = clerk
    target, _ = customer
    client.post(staff_url(target, "cart/lines/"), {"sku": variant.sku})

    response = client.post(
        staff_url(target, "orders/"),
        {"delivery": "pickup", "pickup_location": "kadikoy"},
        HTTP_IDEMPOTENCY_KEY="cc-1",
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["pickup"]["store"]) == (
        "confirmed",
        "kadikoy",
    )
    assert response.json()["pickup"]["code"] is None


def test_endless_aisle_home_delivery_from_another_location(kadikoy, clerk, customer):
    f.ShippingMethodFactory(channel=kadikoy)
    variant = f.product(channels=[kadikoy], price="1200.00").variants.get()
    dc = f.stocked(kadikoy, variant, quantity=4)  # at the distribution centre, not the store
    f.sells_from(kadikoy, kadikoy.store_location, dc)
    staff, client = clerk
    target, _ = customer
    client.post(staff_url(target, "cart/lines/"), {"sku": variant.sku})

    quote = client.post(
        staff_url(target, "checkout/quote/"),
        {"delivery": "home", "shipping_method": "standart", "address": f.ADDRESS},
    )
    response = client.post(
        staff_url(target, "orders/"),
        {"delivery": "home", "shipping_method": "standart", "shipping_address": f.ADDRESS},
        HTTP_IDEMPOTENCY_KEY="aisle-1",
    )

    assert quote.json()["total"] == money("1200.00")  # free shipping from 1000
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert (order.channel, order.placed_by, order.delivery) == (kadikoy, staff, "home")
    assert Allocation.objects.get(reference=order.reference).location == dc
    assert [fl["location"] for fl in response.json()["fulfilments"]] == ["dc-test"]


def test_a_handed_over_sale_must_be_at_the_staffs_own_counter(web, kadikoy, clerk, customer):
    f.ShippingMethodFactory(channel=kadikoy)
    variant = f.product(channels=[kadikoy]).variants.get()
    in_store(kadikoy, variant)
    _staff, client = clerk
    target, _ = customer
    client.post(staff_url(target, "cart/lines/"), {"sku": variant.sku})

    response = client.post(
        staff_url(target, "orders/"),
        {
            "delivery": "home",
            "shipping_method": "standart",
            "shipping_address": f.ADDRESS,
            "handed_over": True,
        },
        HTTP_IDEMPOTENCY_KEY="bad-1",
    )

    assert (response.status_code, list(response.json()["fields"])) == (400, ["delivery"])
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()


# --- finding a customer by an identity -------------------------------------------------------


def test_merchant_staff_who_may_view_customers_may_search_and_read_them_only():
    from customers.identities import identity_add

    target = f.CustomerFactory(phone="")
    identity_add(customer=target, kind="phone", value="0532 123 45 67")
    _u, viewer = signed_in(f.merchant("customers.view_customer"))
    _u, other = signed_in(f.merchant("catalog.view_product"))

    found = viewer.get("/api/v1/staff/customers/", {"q": "+90 (532) 123-45-67"})

    assert [c["id"] for c in found.json()["results"]] == [target.pk]
    assert other.get("/api/v1/staff/customers/", {"q": "0532 123 45 67"}).status_code == 403
    # Reading is not acting: the 360 view is theirs, the cart stays with those who act for
    # customers.
    assert viewer.get(f"/api/v1/staff/customers/{target.pk}/").status_code == 200
    assert viewer.get(staff_url(target, "cart/", "web")).status_code == 403


@pytest.mark.parametrize("kind", ["phone", "email", "loyalty_card", "marketplace_buyer"])
def test_a_clerk_finds_a_customer_by_each_identity(clerk, kind):
    from customers.identities import identity_add, loyalty_card_issue

    _user, client = clerk
    target = f.CustomerFactory(email="", phone="", first_name="Ada", last_name="Er")
    f.CustomerFactory(email="baska@example.com", phone="+905559998877")
    if kind == "loyalty_card":
        query = loyalty_card_issue(customer=target).value
    else:
        value = {"phone": "0532 123 45 67", "email": "ada@example.com"}.get(kind, "TY-881")
        identity_add(
            customer=target,
            kind=kind,
            value=value,
            marketplace="trendyol" * (kind == "marketplace_buyer"),
        )
        query = {"phone": "532 123 45 67", "email": "ADA@example.com"}.get(kind, "TY-881")

    response = client.get("/api/v1/staff/customers/", {"q": query})

    assert [c["id"] for c in response.json()["results"]] == [target.pk]


def test_an_identity_search_runs_the_same_queries_for_1_and_15_customers():
    from customers.identities import identity_add

    _u, client = signed_in(f.merchant("customers.view_customer"))
    for count in (1, 15):
        for i in range(count):
            customer = f.CustomerFactory(phone="")
            identity_add(
                customer=customer,
                kind="marketplace_buyer",
                value=f"TY-{count}",
                marketplace=f"m{i}",
            )

        # The token and its user, the user's permissions (two: own and groups'), the count,
        # the page.
        with assert_num_queries(5):
            response = client.get("/api/v1/staff/customers/", {"q": f"TY-{count}"})

        assert response.json()["count"] == count
