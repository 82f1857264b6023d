"""GET /api/v1/me/identities/: a customer sees only their own identities, in a fixed number of
queries however many they hold."""

import pytest

from customers.identities import identity_add, identity_verify_mark, loyalty_card_issue
from customers.services import customer_for_user
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/identities/"


def _signed_in(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def test_signed_out_sees_nothing(api):
    assert api.get(URL).status_code == 401


def test_a_customer_sees_their_own_identities_only(api):
    ayse = customer_for_user(user=f.UserFactory(email="ayse@example.com"))
    mehmet = customer_for_user(user=f.UserFactory(email="mehmet@example.com"))
    email = identity_add(customer=ayse, kind="email", value="Ayse@Example.com")
    identity_verify_mark(identity=email)
    identity_add(customer=ayse, kind="phone", value="0532 123 45 67")
    identity_add(customer=mehmet, kind="phone", value="0533 000 00 00")
    identity_add(customer=mehmet, kind="marketplace_buyer", value="TY-1", marketplace="trendyol")

    response = _signed_in(api, ayse.user).get(URL)

    assert response.status_code == 200
    assert [(i["kind"], i["marketplace"], i["value"]) for i in response.json()] == [
        ("email", "", "ayse@example.com"),
        ("phone", "", "+905321234567"),
    ]
    assert response.json()[0]["verified_at"] is not None
    assert response.json()[1]["verified_at"] is None


def test_the_list_runs_the_same_queries_for_1_and_many_identities(api):
    customer = customer_for_user(user=f.UserFactory())
    client = _signed_in(api, customer.user)
    identity_add(customer=customer, kind="email", value="bir@example.com")
    for expected_count in (2, 5):  # with the account's own e-mail, from sign-up
        if expected_count == 5:
            identity_add(customer=customer, kind="phone", value="0532 123 45 67")
            loyalty_card_issue(customer=customer)
            identity_add(customer=customer, kind="marketplace_buyer", value="9", marketplace="ty")
        # The token with its user and profile, then the identities.
        with assert_num_queries(2):
            response = client.get(URL)
        assert len(response.json()) == expected_count


def test_the_customer_page_shows_the_identities_read_only(admin_client):
    from django.urls import reverse

    customer = f.CustomerFactory(phone="")
    email = identity_add(customer=customer, kind="email", value="ayse@example.com")
    identity_verify_mark(identity=email)
    identity_add(customer=customer, kind="marketplace_buyer", value="TY-1", marketplace="trendyol")

    page = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert "ayse@example.com" in body and "trendyol TY-1" in body
    assert 'name="identities' not in body  # nothing of it is posted with the profile
