"""A guest who checks out with only a phone number is one profile however they type it
(customers' identities), at the same number of queries as a returning guest by e-mail."""

import pytest

from customers.models import Customer, CustomerIdentity
from orders.models import Order
from tests import factories as f
from tests.orders.api_support import item, url, visitor
from tests.queries import assert_num_queries, cache_as_in_production

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    channel = f.ChannelFactory(code="web", kind="web")
    f.ShippingMethodFactory(channel=channel)
    return channel


def guest_with(variant):
    token = visitor().post(url("cart/")).json()["token"]
    client = visitor(token)
    assert client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": 1}).status_code == 201
    return client


def place(client, **contact):
    body = {"delivery": "home", "shipping_method": "standart", "shipping_address": f.ADDRESS}
    return client.post(url("orders/"), {**body, **contact}, HTTP_IDEMPOTENCY_KEY="key-1")


def test_a_guest_with_only_a_phone_gets_one_profile_for_every_order(web):
    variant = item(web)

    for typed in ("0532 123 45 67", "+90 532 123 4567", "5321234567"):
        response = place(guest_with(variant), phone=typed)
        assert response.status_code == 201, response.json()

    profile = Customer.objects.get()
    assert profile.user is None and profile.phone == "+905321234567"
    assert set(Order.objects.values_list("customer", flat=True)) == {profile.pk}
    assert list(CustomerIdentity.objects.values_list("kind", "value")) == [
        ("phone", "+905321234567")
    ]


def test_a_returning_phone_guest_places_in_the_same_queries_as_by_email(
    web, transactional_db, settings
):
    cache_as_in_production(settings)
    variant = item(web, price="10.00")
    assert place(guest_with(variant), phone="0532 123 45 67").status_code == 201

    client = guest_with(variant)
    # As a returning guest by e-mail (test_checkout_api.py): one query finds the profile.
    with assert_num_queries(17):
        response = place(client, phone="+90 532 123 45 67")

    assert response.status_code == 201, response.json()
    assert Customer.objects.count() == 1
