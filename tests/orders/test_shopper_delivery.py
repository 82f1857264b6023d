"""Ship from store is the merchant's way of fulfilling a home delivery, not a shopper's choice:
the app is not offered it and cannot place or price an order with it."""

import pytest

from orders.models import Order
from tests import factories as f
from tests.orders.api_support import item, url
from tests.orders.test_checkout_api import ADDRESS, customer_with, kadikoy, place, web  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def from_store(web):  # noqa: F811
    return f.ShippingMethodFactory(channel=web, code="magazadan", kind="ship_from_store")


def test_the_app_is_offered_home_delivery_methods_only(web, kadikoy, from_store):  # noqa: F811
    variant = item(web, price="400.00")
    f.stocked(web, variant, location=kadikoy, quantity=2)
    _user, client = customer_with(web, (variant, 1))

    body = client.get(url("checkout/delivery-options/", country="TR")).json()

    assert [(m["code"], m["kind"]) for m in body["shipping_methods"]] == [("standart", "home")]


def test_a_shopper_cannot_place_or_price_an_order_shipped_from_a_store(
    web,  # noqa: F811
    kadikoy,  # noqa: F811
    from_store,
):
    variant = item(web, price="400.00")
    f.stocked(web, variant, location=kadikoy, quantity=2)
    _user, client = customer_with(web, (variant, 1))
    body = {"delivery": "ship_from_store", "shipping_method": "magazadan"}

    placed = place(client, {**body, "shipping_address": ADDRESS})
    quoted = client.post(url("checkout/quote/"), {**body, "address": ADDRESS})

    assert placed.status_code == 400 and list(placed.json()["fields"]) == ["delivery"]
    assert quoted.status_code == 400 and list(quoted.json()["fields"]) == ["delivery"]
    assert not Order.objects.exists()
