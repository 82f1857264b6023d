"""Who may open the staff screens, and at which store."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories as f
from tests.queries import assert_num_queries
from tests.staff.support import build_retailer, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def retailer():
    return build_retailer(products=1, variants=1)


def test_a_visitor_is_sent_to_the_staff_sign_in_and_back(retailer):
    client = Client(HTTP_HOST="127.0.0.1")
    answer = client.get("/staff/pos/")
    assert answer.status_code == 302
    assert answer["Location"] == "/staff/sign-in/?next=%2Fstaff%2Fpos%2F"

    signed = client.post(
        "/staff/sign-in/",
        {"username": "kasa@example.com", "password": f.PASSWORD, "next": "/staff/pos/"},
    )
    assert (signed.status_code, signed["Location"]) == (302, "/staff/pos/")


def test_a_customer_is_told_the_screens_are_for_store_staff(retailer):
    client = staff_client(retailer.customer_user)
    answer = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 403
    assert "for store staff" in answer.content.decode()


def test_staff_of_one_store_work_there_at_once(retailer):
    answer = staff_client(retailer.clerk).get("/staff/")
    assert answer.status_code == 200
    assert "Kadıköy Mağaza" in answer.content.decode()


def test_staff_of_two_stores_choose_one_and_only_their_own(retailer):
    client = staff_client(retailer.manager)
    answer = client.get("/staff/pos/")
    assert (answer.status_code, answer["Location"]) == (302, "/staff/store/?next=%2Fstaff%2Fpos%2F")
    picker = client.get("/staff/store/").content.decode()
    assert "Kadıköy Mağaza" in picker and "Kızılay Mağaza" in picker

    other = f.ChannelFactory(code="store-alsancak", kind="store")
    refused = client.post("/staff/store/", {"store": other.code})
    assert refused.status_code == 400
    assert "staff_store" not in client.session

    chosen = client.post("/staff/store/", {"store": "store-kizilay", "next": "/staff/pos/"})
    assert (chosen.status_code, chosen["Location"]) == (302, "/staff/pos/")
    assert "Kızılay Mağaza" in client.get("/staff/").content.decode()


def test_the_store_picker_does_not_follow_a_next_to_another_site(retailer):
    client = staff_client(retailer.manager)
    chosen = client.post("/staff/store/", {"store": "store-kadikoy", "next": "https://evil.test/"})
    assert chosen["Location"] == "/staff/"


def test_the_home_screen_runs_a_fixed_number_of_queries(retailer):
    client = staff_client(retailer.manager, retailer.kadikoy)
    client.get("/staff/")
    with assert_num_queries(3):  # session, user, stores
        client.get("/staff/")
