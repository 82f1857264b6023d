"""The loyalty programme on the app API: GET /api/v1/me/loyalty/ (balance, pending, tier and
the next, card number), /me/loyalty/history/ (paginated, a fixed number of queries),
/me/loyalty/card.svg (the card's EAN-13 barcode), and the staff read of a customer's points."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import User
from customers.identities import loyalty_card_issue
from customers.loyalty import services
from customers.services import customer_for_user
from tests import factories as f
from tests.customers import loyalty_support
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

MINE = "/api/v1/me/loyalty/"
HISTORY = "/api/v1/me/loyalty/history/"
AT = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def club():
    return loyalty_support.programme()


def _signed_in(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


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


def test_my_loyalty_shows_balance_tier_progress_and_card(api, club):
    user = f.UserFactory()
    customer = customer_for_user(user=user)
    card = loyalty_card_issue(customer=customer)
    _earn(customer, "1200", 1)
    services.loyalty_adjust(customer=customer, points=40, reason="welcome", actor=None)

    body = _signed_in(api, user).get(MINE).json()

    assert body == {
        "enrolled": True,
        "available": 40,
        "pending": 1800,
        "currency": "TRY",
        "value": "4.00",
        "spend_12m": "1200.00",
        "tier": {"name": "Silver", "min_spend": "1000.00", "earn_multiplier": "1.50"},
        "next_tier": {"name": "Gold", "min_spend": "5000.00", "earn_multiplier": "2.00"},
        "to_next_tier": "3800.00",
        "card_number": card.value,
    }


def test_a_customer_without_points_is_not_enrolled_and_sees_only_their_own(api, club):
    ayse, mehmet = f.UserFactory(), f.UserFactory()
    _earn(customer_for_user(user=mehmet), "100", 1)

    assert api.get(MINE).status_code == 401
    mine = _signed_in(api, ayse).get(MINE).json()
    assert (mine["enrolled"], mine["available"], mine["pending"]) == (False, 0, 0)
    assert api.get(HISTORY).json()["results"] == []


def test_my_history_is_paginated_in_a_fixed_number_of_queries(api, club):
    user = f.UserFactory()
    customer = customer_for_user(user=user)
    _signed_in(api, user)
    _earn(customer, "100", 1)
    with assert_num_queries(3):  # the token with its user and profile, the count, the page
        one = api.get(HISTORY)
    for n in range(2, 31):
        _earn(customer, "10", n)
    with assert_num_queries(3):
        many = api.get(HISTORY + "?page_size=25")

    assert [e["order_number"] for e in one.json()["results"]] == ["W-1"]
    body = many.json()
    assert (body["count"], len(body["results"])) == (30, 25)
    assert body["results"][0]["order_number"] == "W-30"
    assert body["results"][0]["kind"] == "earn_pending"


def test_my_card_is_a_printable_ean13_barcode(api, club):
    user = f.UserFactory()
    _signed_in(api, user)

    first = api.get("/api/v1/me/loyalty/card.svg")
    again = api.get("/api/v1/me/loyalty/card.svg")

    number = loyalty_card_issue(customer=customer_for_user(user=user)).value
    assert first.status_code == 200
    assert first["Content-Type"] == "image/svg+xml"
    assert first.content.startswith(b"<?xml") and b"<svg" in first.content
    assert number.encode()[1:7] in first.content  # the human-readable digits under the bars
    assert again.content == first.content


def test_staff_read_a_customers_loyalty_with_the_permission(api, club):
    customer = f.CustomerFactory()
    _earn(customer, "100", 1)
    url = f"/api/v1/staff/customers/{customer.pk}/loyalty/"

    as_customer = _signed_in(api, f.UserFactory()).get(url)
    without = _signed_in(api, f.merchant()).get(url)
    store = _signed_in(api, f.UserFactory(role=User.Role.STORE_STAFF)).get(url)
    missing = api.get("/api/v1/staff/customers/0/loyalty/")

    assert (as_customer.status_code, without.status_code, missing.status_code) == (403, 403, 404)
    assert (store.status_code, store.json()["pending"]) == (200, 100)


def test_staff_adjust_an_account_in_the_admin_with_a_reason(admin_client, club):
    from django.urls import reverse

    from customers.models import LoyaltyAccount, LoyaltyEntry

    customer = f.CustomerFactory()
    _earn(customer, "100", 1)
    account = LoyaltyAccount.objects.get(customer=customer)
    url = reverse("admin:customers_loyaltyaccount_change", args=[account.pk])
    form = {
        "entries-TOTAL_FORMS": "1",
        "entries-INITIAL_FORMS": "1",
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "0",
        "entries-0-id": str(LoyaltyEntry.objects.get().pk),
        "entries-0-account": str(account.pk),
    }

    page = admin_client.get(url)
    no_reason = admin_client.post(url, {**form, "adjust_points": "25", "adjust_reason": ""})
    done = admin_client.post(url, {**form, "adjust_points": "25", "adjust_reason": "goodwill"})

    assert page.status_code == 200 and b"earn_pending" not in page.content  # shown by label
    assert no_reason.status_code == 200  # the form again, with the error
    assert done.status_code == 302
    adjusted = LoyaltyEntry.objects.get(kind="adjust")
    assert (adjusted.points, adjusted.reason) == (25, "goodwill")
    account.refresh_from_db()
    assert account.available == 25
