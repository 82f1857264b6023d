"""The merchant API for segments: CRUD, preview of an unsaved rule, members paginated; merchant
staff with the permissions only (store staff never page through customers in bulk)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from customers import segments
from customers.models import Segment, SegmentMembership
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/segments/"
GUESTS = {"field": "is_guest", "op": "eq", "value": True}


def _staff(role=User.Role.MERCHANT_STAFF, perms=("view", "add", "change", "delete")):
    user = f.UserFactory(role=role)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="customers", codename__in=[f"{p}_segment" for p in perms]
        )
    )
    return user


@pytest.fixture
def merchant(api):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(_staff())}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def test_create_read_change_delete(merchant, django_capture_on_commit_callbacks):
    f.CustomerFactory.create_batch(2)

    with django_capture_on_commit_callbacks(execute=True):
        created = merchant.post(URL, {"name": "Misafirler", "rules": GUESTS}, format="json")
    segment_id = created.json()["id"]
    changed = merchant.patch(f"{URL}{segment_id}/", {"description": "d"}, format="json")
    read = merchant.get(f"{URL}{segment_id}/")
    listed = merchant.get(URL)
    deleted = merchant.delete(f"{URL}{segment_id}/")

    assert created.status_code == 201
    # the recompute queued after the commit ran (eager in tests)
    assert read.json()["member_count"] == 2 and read.json()["description"] == "d"
    assert changed.status_code == 200
    assert [s["name"] for s in listed.json()] == ["Misafirler"]
    assert deleted.status_code == 204 and not Segment.objects.exists()


def test_a_bad_rule_is_a_400_with_the_path_of_each_bad_node(merchant):
    rules = {"any": [GUESTS, {"field": "city", "op": "gt", "value": "Ankara"}]}

    answer = merchant.post(URL, {"name": "", "rules": rules}, format="json")

    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"name", "rules.any[1].op"}
    assert not Segment.objects.exists()


def test_preview_counts_and_samples_an_unsaved_rule(merchant):
    f.CustomerFactory.create_batch(3)

    with assert_num_queries(5):  # token and user; permissions (2); count; sample
        answer = merchant.post(f"{URL}preview/", {"rules": GUESTS}, format="json")

    assert answer.status_code == 200
    assert answer.json()["count"] == 3 and len(answer.json()["sample"]) == 3
    assert not Segment.objects.exists()


def test_the_fields_list_says_what_a_rule_may_name(merchant):
    answer = merchant.get(f"{URL}fields/")

    names = [field["field"] for field in answer.json()]
    assert "may_email" in names and "bought_on_channel_kind" in names


def test_members_page_in_the_same_queries_for_1_and_many(merchant):
    segment = Segment.objects.create(name="s", rules=GUESTS)
    f.CustomerFactory()
    segments.segment_recompute(segment_id=segment.pk)
    for expected in (1, 30):
        if expected == 30:
            f.CustomerFactory.create_batch(29)
            segments.segment_recompute(segment_id=segment.pk)
        # token and user; permissions (2); the segment; the count; the page
        with assert_num_queries(6):
            answer = merchant.get(f"{URL}{segment.pk}/members/", {"page_size": 50})
        assert answer.json()["count"] == expected
        assert len(answer.json()["results"]) == expected
    assert SegmentMembership.objects.count() == 30


@pytest.mark.parametrize(
    "role, perms, status",
    [
        (User.Role.STORE_STAFF, ("view",), 403),  # never a bulk read, even if granted
        (User.Role.MERCHANT_STAFF, (), 403),
        (User.Role.CUSTOMER, ("view",), 403),
    ],
)
def test_who_may_not_read_members(api, role, perms, status):
    segment = Segment.objects.create(name="s", rules=GUESTS)
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(_staff(role, perms))}")

    assert api.get(f"{URL}{segment.pk}/members/").status_code == status
    assert api.post(f"{URL}preview/", {"rules": GUESTS}, format="json").status_code == status


def test_signed_out_is_a_401(api):
    assert api.get(URL).status_code == 401


def test_the_segment_list_in_the_same_queries_for_1_and_many(merchant):
    for expected in (1, 12):
        for n in range(Segment.objects.count(), expected):
            Segment.objects.create(name=f"s{n}", rules=GUESTS)
        with assert_num_queries(4):  # token and user; permissions (2); the segments
            answer = merchant.get(URL)
        assert len(answer.json()) == expected
