"""The merchant admin's segments: rules edited as JSON with an error per bad node, a preview of
an unsaved rule, and the member list and change log in a fixed number of queries."""

from __future__ import annotations

import json

import pytest

from customers import segments
from customers.models import Segment
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

ADD = "/admin/customers/segment/add/"
PREVIEW = "/admin/customers/segment/preview/"
GUESTS = {"field": "is_guest", "op": "eq", "value": True}


def test_a_bad_rule_shows_the_path_of_each_bad_node_and_saves_nothing(admin_client):
    rules = {"all": [GUESTS, {"field": "city", "op": "eq", "value": 5}]}

    page = admin_client.post(
        ADD, {"name": "Şehir", "description": "", "rules": json.dumps(rules), "is_active": "on"}
    )

    assert page.status_code == 200
    assert "rules.all[1].value" in page.content.decode()
    assert not Segment.objects.exists()


def test_saving_a_rule_finds_its_members(admin_client, django_capture_on_commit_callbacks):
    guest = f.CustomerFactory()

    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(
            ADD,
            {"name": "Misafir", "description": "", "rules": json.dumps(GUESTS), "is_active": "on"},
        )

    assert page.status_code == 302
    segment = Segment.objects.get()
    assert list(segment.memberships.values_list("customer_id", flat=True)) == [guest.pk]


def test_preview_of_an_unsaved_rule(admin_client):
    f.CustomerFactory.create_batch(2)

    good = admin_client.post(PREVIEW, {"rules": json.dumps(GUESTS)})
    bad = admin_client.post(PREVIEW, {"rules": json.dumps({"any": [{"field": "x"}]})})

    assert "2 müşteri eşleşiyor." in good.content.decode()  # the admin speaks Turkish
    assert "rules.any[0].field" in bad.content.decode()
    assert not Segment.objects.exists()


def test_the_change_page_and_member_lists_in_the_same_queries_for_1_and_many(admin_client):
    segment = Segment.objects.create(name="s", rules=GUESTS)
    # The change page: session and user; the segment; its preview (count, sample); the newest
    # members; the latest changes. The lists: session and user; the count; the page; filters.
    pages = {
        f"/admin/customers/segment/{segment.pk}/change/": 7,
        f"/admin/customers/segmentmembership/?segment__id__exact={segment.pk}": 6,
        f"/admin/customers/segmentmembershipchange/?segment__id__exact={segment.pk}": 6,
    }
    admin_client.get("/admin/")  # the content types and permissions, cached for the process
    for new in (1, 24):
        f.CustomerFactory.create_batch(new)
        segments.segment_recompute(segment_id=segment.pk)
        for url, expected in pages.items():
            with assert_num_queries(expected):
                assert admin_client.get(url).status_code == 200
    assert segment.memberships.count() == 25
