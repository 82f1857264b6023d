"""Promotion codes on the cart through the API (the app, and staff at the counter): put on and
taken off, the cart answered priced again in the cart API's shape; a refused code is a 400 on
"code" with the cart unchanged; placing an order whose code was used up meanwhile is a 409
promotion_unavailable, the code off the cart, the same answer on a replay."""

import pytest

from accounts.models import User
from campaigns.models import Code
from customers.services import customer_for_user
from orders.models import Cart, Order
from tests import factories as f
from tests.campaigns.redeem_world import code, place, promotion
from tests.orders.api_support import item, money, signed_in, url, visitor
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    channel = f.ChannelFactory(code="web", kind="web")
    f.ShippingMethodFactory(channel=channel)
    return channel


@pytest.fixture
def spring(web):
    made = promotion(channels=[web], requires_code=True, label="Bahar %10")
    code(made, "BAHAR10")
    return made


def guest_cart(variant, quantity=1):
    token = visitor().post(url("cart/")).json()["token"]
    client = visitor(token)
    assert client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": quantity}).status_code
    return client, token


def test_a_code_put_on_the_cart_prices_it_again(web, spring):
    client, token = guest_cart(item(web, price="200.00"), 2)

    response = client.post(url("cart/codes/"), {"code": " bahar10 "}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["token"], body["codes"]) == (token, ["BAHAR10"])
    assert (body["subtotal"], body["discount_total"], body["total"]) == (
        money("400.00"),
        money("40.00"),
        money("360.00"),
    )
    assert Cart.objects.get(token=token).codes == ["BAHAR10"]
    # the cart API shows the same prices
    assert client.get(url("cart/")).json()["total"] == money("360.00")


@pytest.mark.parametrize(
    "body, expected",
    [({"code": "YOKBOYLE"}, "promotion_code_invalid"), ({}, None), ({"code": ""}, None)],
)
def test_a_refused_code_is_a_400_on_code_and_the_cart_is_unchanged(web, spring, body, expected):
    client, token = guest_cart(item(web))

    response = client.post(url("cart/codes/"), body, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["code"]
    if expected:
        assert response.json()["code"] == expected
    assert Cart.objects.get(token=token).codes == []


def test_a_code_comes_off_the_cart(web, spring):
    client, token = guest_cart(item(web))
    client.post(url("cart/codes/"), {"code": "BAHAR10"}, format="json")

    response = client.delete(url("cart/codes/bahar10/"))

    assert response.status_code == 200
    assert (response.json()["codes"], response.json()["discount_total"]) == ([], money("0.00"))
    assert Cart.objects.get(token=token).codes == []
    assert client.delete(url("cart/codes/BAHAR10/")).status_code == 404


def test_a_customer_who_used_a_code_as_often_as_it_allows_is_refused_it(web):
    once = promotion(channels=[web], requires_code=True, per_customer_limit=1)
    code(once, "HOSGELDIN")
    variant = item(web)
    user, client = signed_in(f.UserFactory())
    customer = customer_for_user(user=user)
    place(web, customer, {variant: 1}, codes=("HOSGELDIN",))
    client.post(url("cart/lines/"), {"sku": variant.sku})

    response = client.post(url("cart/codes/"), {"code": "hosgeldin"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "promotion_code_customer_limit"
    assert list(response.json()["fields"]) == ["code"]


def test_staff_put_a_code_on_the_customers_cart_at_the_counter(spring):
    kadikoy = f.ChannelFactory(code="store-kadikoy", kind="store", pay_later=True)
    spring.channels.add(kadikoy)
    variant = item(kadikoy, price="150.00")
    clerk = f.UserFactory(role=User.Role.STORE_STAFF)
    clerk.stores.set([kadikoy])
    _clerk, staff = signed_in(clerk)
    user, app = signed_in(f.UserFactory())
    customer = customer_for_user(user=user)
    base = f"staff/customers/{customer.pk}/cart/"
    staff.post(url(f"{base}lines/", None), {"sku": variant.sku})

    response = staff.post(url(f"{base}codes/", None), {"code": "BAHAR10"}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["channel"], response.json()["total"]) == (
        "store-kadikoy",
        money("135.00"),
    )
    # the customer sees it in the app
    assert app.get(url("cart/", "store-kadikoy")).json()["total"] == money("135.00")
    removed = staff.delete(url(f"{base}codes/BAHAR10/", None))
    assert (removed.status_code, removed.json()["codes"]) == (200, [])


def test_putting_a_code_on_runs_the_same_queries_for_one_line_and_many(web, spring):
    variants = [item(web) for _ in range(6)]
    for lines in (variants[:1], variants):
        client, _token = guest_cart(lines[0])
        for extra in lines[1:]:
            client.post(url("cart/lines/"), {"sku": extra.sku})

        with assert_num_queries(12):
            response = client.post(url("cart/codes/"), {"code": "BAHAR10"}, format="json")

        assert len(response.json()["lines"]) == len(lines)


def test_an_order_whose_code_was_used_up_meanwhile_is_a_409_and_the_cart_is_repriced(web, spring):
    Code.objects.filter(code="BAHAR10").update(usage_limit=1)
    client, token = guest_cart(item(web))
    client.post(url("cart/codes/"), {"code": "BAHAR10"}, format="json")
    Code.objects.filter(code="BAHAR10").update(times_used=1)  # someone else's order took it
    body = {
        "delivery": "home",
        "shipping_method": "standart",
        "shipping_address": f.ADDRESS,
        "email": "misafir@example.com",
    }

    response = client.post(url("orders/"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 409
    assert response.json()["code"] == "promotion_unavailable"
    assert list(response.json()["fields"]) == ["code"]
    assert not Order.objects.exists()
    assert client.get(url("cart/")).json()["discount_total"] == money("0.00")
    assert Cart.objects.get(token=token).codes == []
    # the same key answers the same; a new one places the order at the new price
    replay = client.post(url("orders/"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (replay.status_code, replay.json()) == (409, response.json())
    placed = client.post(url("orders/"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert placed.status_code == 201, placed.json()
