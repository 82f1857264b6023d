"""The app's instalments: the options of a card for one of the shopper's orders, and the count
passed when starting the payment (a count the card does not offer is a 400 on `instalments`)."""

from __future__ import annotations

import pytest

from customers.services import customer_for_user
from payments.models import Payment
from tests.orders.api_support import signed_in
from tests.payments import support
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper():
    user, client = signed_in()
    return customer_for_user(user=user), client


def _options(client, order, bin_number="424242", gateway="test"):
    return client.get(
        f"/api/v1/orders/{order.number}/instalments/",
        {"gateway": gateway, "bin_number": bin_number},
    )


def test_the_app_reads_a_cards_instalments_and_pays_in_three(provider, shopper):
    customer, client = shopper
    order = support.place(support.web_channel(), customer, price="1000.00")

    options = _options(client, order)
    assert options.status_code == 200, options.json()
    body = options.json()
    assert (body["order"], body["bin_number"], body["bank"]) == (
        order.number,
        "424242",
        "Omni Test Bank",
    )
    assert body["amount"] == {"amount": "1000.00", "currency": "TRY"}
    assert body["options"][2] == {
        "count": 3,
        "monthly": {"amount": "341.67", "currency": "TRY"},
        "total": {"amount": "1025.00", "currency": "TRY"},
    }
    assert [o["count"] for o in body["options"]] == [1, 2, 3, 6, 9, 12]

    paid = client.post(
        f"/api/v1/orders/{order.number}/payments/",
        {"gateway": "test", "card": support.card_json(), "instalments": 3},
        format="json",
    )

    assert paid.status_code == 201, paid.json()
    assert (paid.json()["status"], paid.json()["instalments"]) == ("captured", 3)
    assert paid.json()["amount"] == {"amount": "1000.00", "currency": "TRY"}
    assert paid.json()["instalment_total"] == {"amount": "1025.00", "currency": "TRY"}


def test_a_count_the_card_does_not_offer_is_a_400_on_instalments(provider, shopper):
    customer, client = shopper
    order = support.place(support.web_channel(), customer)

    refused = client.post(
        f"/api/v1/orders/{order.number}/payments/",
        {"gateway": "test", "card": support.card_json(), "instalments": 5},
        format="json",
    )
    out_of_range = client.post(
        f"/api/v1/orders/{order.number}/payments/",
        {"gateway": "test", "card": support.card_json(), "instalments": 24},
        format="json",
    )

    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_instalments")
    assert list(refused.json()["fields"]) == ["instalments"]
    assert out_of_range.status_code == 400 and "instalments" in out_of_range.json()["fields"]
    assert not Payment.objects.exists()


def test_a_bad_bin_and_another_shoppers_order(provider, shopper):
    customer, client = shopper
    order = support.place(support.web_channel(), customer)
    other_user, _other = signed_in()
    theirs = support.place(support.web_channel("web-2"), customer_for_user(user=other_user))

    bad = _options(client, order, bin_number="42")
    missing = client.get(f"/api/v1/orders/{order.number}/instalments/", {"gateway": "test"})
    not_offered = _options(client, order, gateway="iyzico")

    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["bin_number"])
    assert (missing.status_code, list(missing.json()["fields"])) == (400, ["bin_number"])
    assert not_offered.status_code == 400 and "gateway" in not_offered.json()["fields"]
    assert _options(client, theirs).status_code == 404


def test_the_instalments_endpoint_keeps_its_queries(provider, shopper):
    customer, client = shopper
    order = support.place(support.web_channel(), customer)

    with assert_num_queries(5):
        answer = _options(client, order)

    assert answer.status_code == 200
