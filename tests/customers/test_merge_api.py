"""The merchant API of duplicates and merges (GET /api/v1/admin/customers/duplicates/, POST
/api/v1/admin/customers/merges/), and a merged-away id in the staff timeline."""

import pytest
from django.utils import timezone

from customers.models import Customer, TimelineEvent
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

DUPLICATES = "/api/v1/admin/customers/duplicates/"
MERGES = "/api/v1/admin/customers/merges/"


def _as(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def _twins(n):
    for i in range(n):
        f.CustomerFactory(email="", phone=f"0532 000 00 {i:02d}")
        f.CustomerFactory(email="", phone=f"+9053200000{i:02d}")


def test_staff_list_duplicates_in_the_same_queries_for_one_pair_and_for_many(api):
    _as(api, f.merchant("customers.view_customer"))
    _twins(1)
    api.get(DUPLICATES)  # the token's first use
    # the token with its user, their permissions (2), the pairs, their profiles
    with assert_num_queries(5):
        assert len(api.get(DUPLICATES).json()) == 1
    _twins(10)
    with assert_num_queries(5):
        page = api.get(DUPLICATES + "?limit=5").json()
    assert len(page) == 5
    assert page[0]["reasons"] == ["phone"]
    assert page[0]["target"]["id"] < page[0]["source"]["id"]  # the older survives


def test_only_merchant_staff_with_the_permissions_see_and_merge(api):
    source, target = f.CustomerFactory(), f.CustomerFactory()
    body = {"source": source.pk, "target": target.pk}
    assert api.get(DUPLICATES).status_code == 401
    _as(api, f.UserFactory())
    assert api.get(DUPLICATES).status_code == 403
    _as(api, f.merchant("customers.view_customer"))
    assert api.post(MERGES, body, format="json").status_code == 403
    assert Customer.objects.get(pk=source.pk).merged_into is None


def test_a_merge_over_the_api_and_the_second_is_a_409(api):
    staff = f.merchant("customers.change_customer", "customers.view_customer")
    source, target = f.CustomerFactory(), f.CustomerFactory()
    TimelineEvent.objects.create(
        customer=source, kind="search", occurred_at=timezone.now(), source="web", event_id="1"
    )
    _as(api, staff)
    response = api.post(MERGES, {"source": source.pk, "target": target.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["actor"] == staff.pk
    again = api.post(MERGES, {"source": source.pk, "target": target.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "customer_merged"
    missing = api.post(MERGES, {"source": 0, "target": target.pk}, format="json")
    assert missing.status_code == 400 and "source" in missing.json()["fields"]

    store = f.UserFactory(role="store_staff")
    timeline = _as(api, store).get(f"/api/v1/staff/customers/{source.pk}/timeline/")
    assert timeline.status_code == 200
    assert [e["kind"] for e in timeline.json()["events"]] == ["search"]


def test_the_admin_lists_duplicates_and_merges_only_when_confirmed(client):
    staff = f.merchant("customers.view_customer", "customers.change_customer")
    client.force_login(staff)
    _twins(3)
    listing = client.get("/admin/customers/customermerge/duplicates/")
    assert listing.status_code == 200
    pair = listing.context["pairs"][0]
    url = f"/admin/customers/customermerge/merge/{pair.source.pk}/{pair.target.pk}/"

    page = client.get(url)
    assert page.status_code == 200
    assert Customer.objects.get(pk=pair.source.pk).merged_into is None
    assert client.post(url).status_code == 302
    assert Customer.objects.get(pk=pair.source.pk).merged_into_id == pair.target.pk
    assert client.get("/admin/customers/customermerge/").status_code == 200


def test_the_admin_merge_page_needs_the_change_permission(client):
    client.force_login(f.merchant("customers.view_customer"))
    source, target = f.CustomerFactory(), f.CustomerFactory()
    url = f"/admin/customers/customermerge/merge/{source.pk}/{target.pk}/"
    assert client.post(url).status_code == 403
    assert Customer.objects.get(pk=source.pk).merged_into is None


def test_staff_lookups_by_a_merged_away_id_find_the_survivor(api):
    source, target = f.CustomerFactory(), f.CustomerFactory(first_name="Kalan")
    from customers.merge import customer_merge

    customer_merge(source=source, target=target, actor=None)
    _as(api, f.UserFactory(role="store_staff"))
    profile = api.get(f"/api/v1/staff/customers/{source.pk}/")
    assert profile.status_code == 200, profile.json()
    assert profile.json()["customer"]["id"] == target.pk
    assert api.get("/api/v1/staff/customers/0/").status_code == 404
