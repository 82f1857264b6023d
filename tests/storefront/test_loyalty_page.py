"""The account's "My points" page: balance, pending points, tier and the next, the card's
barcode, and the history, paged in a fixed number of queries; only the shopper's own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from customers.loyalty import services
from customers.models import TimelineEvent
from customers.services import customer_for_user
from tests import factories as f
from tests.customers import loyalty_support
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

PAGE = "/en/account/points/"
QUERIES = 9  # 8 before the header's cart count, read from the cart
AT = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def _earn(customer, amount, n):
    services.loyalty_earn(
        customer_id=customer.pk,
        amount=Decimal(amount),
        currency="TRY",
        order_number=f"W-{n}",
        key=f"earn:{n}",
        return_window_days=14,
        at=AT + dt.timedelta(minutes=n),
    )


def _shopper():
    user = f.UserFactory()
    client = Client()
    client.force_login(user)
    return customer_for_user(user=user), client


def test_my_points_show_balance_pending_tier_and_history(shop):
    loyalty_support.programme()
    customer, client = _shopper()
    _earn(customer, "1200", 1)
    services.loyalty_adjust(customer=customer, points=40, reason="welcome", actor=None)
    other, _ = _shopper()
    services.loyalty_adjust(customer=other, points=999, reason="not yours", actor=None)

    page = client.get(PAGE).content.decode()

    assert "<strong>40</strong> points" in page
    assert "worth 4.00 TRY" in page
    assert "1800 points are pending" in page
    assert "Silver" in page and "Gold" in page  # the tier, and the next one
    assert "W-1" in page and "welcome" in page
    assert "not yours" not in page and "999" not in page
    # each movement is on the customer's timeline too
    assert list(
        TimelineEvent.objects.filter(customer=customer)
        .order_by("id")
        .values_list("kind", "data__points")
    ) == [("loyalty", 0), ("loyalty", 40)]


def test_the_page_and_card_need_sign_in_and_the_card_is_an_svg_barcode(shop):
    loyalty_support.programme()
    anonymous = Client()
    assert anonymous.get(PAGE).status_code == 302
    assert anonymous.get(PAGE + "card.svg").status_code == 302

    customer, client = _shopper()
    card = client.get(PAGE + "card.svg")

    assert card.status_code == 200 and card["Content-Type"] == "image/svg+xml"
    assert b"<svg" in card.content
    number = customer.identities.get(kind="loyalty_card").value
    assert client.get(PAGE + "card.svg").content == card.content  # the same card each time
    assert customer.identities.filter(kind="loyalty_card").count() == 1
    assert len(number) == 13


def test_the_page_costs_the_same_queries_for_one_movement_and_for_many(shop):
    loyalty_support.programme()
    customer, client = _shopper()
    _earn(customer, "100", 1)
    client.get(PAGE)
    with assert_num_queries(QUERIES):
        assert client.get(PAGE).status_code == 200
    for n in range(2, 40):
        _earn(customer, "100", n)
    with assert_num_queries(QUERIES):
        page = client.get(PAGE)
    assert page.status_code == 200 and "Older" in page.content.decode()
    assert client.get(PAGE + "?page=2").status_code == 200
