"""The merchant API for the loyalty programme: merchant staff with the permission read the
programmes with their tiers (a fixed number of queries) and change a programme's terms through
the service; bad values are field errors; store staff and shoppers are refused."""

import pytest

from accounts.models import User
from tests import factories as f
from tests.customers import loyalty_support
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

LIST = "/api/v1/admin/loyalty/programmes/"


def _as(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def test_merchant_staff_read_the_programmes_with_tiers_in_fixed_queries(api):
    loyalty_support.programme()
    loyalty_support.programme(currency="EUR", name="Club EUR")
    client = _as(api, f.merchant("customers.view_loyaltyprogramme"))
    client.get(LIST)

    with assert_num_queries(5):  # the token and user, permissions (2), programmes, tiers
        body = client.get(LIST).json()

    assert [p["currency"] for p in body] == ["EUR", "TRY"]
    assert [t["name_en"] for t in body[1]["tiers"]] == ["Bronze", "Silver", "Gold"]


def test_a_merchant_changes_the_terms_and_bad_values_are_field_errors(api):
    club = loyalty_support.programme()
    client = _as(
        api, f.merchant("customers.view_loyaltyprogramme", "customers.change_loyaltyprogramme")
    )
    url = f"{LIST}{club.pk}/"

    changed = client.patch(url, {"point_value": "0.20", "expiry_months": 24}, format="json")
    months = client.patch(url, {"expiry_months": 0}, format="json")
    worth = client.patch(url, {"point_value": "0"}, format="json")

    assert changed.status_code == 200
    assert (changed.json()["point_value"], changed.json()["expiry_months"]) == ("0.2000", 24)
    assert (months.status_code, worth.status_code) == (400, 400)
    assert list(months.json()["fields"]) == ["expiry_months"], months.json()
    assert list(worth.json()["fields"]) == ["point_value"], worth.json()
    club.refresh_from_db()
    assert (str(club.point_value), club.expiry_months) == ("0.2000", 24)
    assert client.patch(f"{LIST}0/", {"name": "x"}, format="json").status_code == 404


def test_store_staff_and_shoppers_are_refused_even_with_the_permission(api):
    club = loyalty_support.programme()
    clerk = f.UserFactory(role=User.Role.STORE_STAFF)
    from django.contrib.auth.models import Permission

    clerk.user_permissions.add(Permission.objects.get(codename="change_loyaltyprogramme"))
    assert (
        _as(api, clerk).patch(f"{LIST}{club.pk}/", {"name": "x"}, format="json").status_code == 403
    )
    assert _as(api, f.UserFactory()).get(LIST).status_code == 403
    assert _as(api, f.merchant()).get(LIST).status_code == 403
