"""The customer timeline through the API: POST /api/v1/events/ (the app's and the storefront's
behavioural events), GET /api/v1/me/timeline/ (one's own) and the staff read
GET /api/v1/staff/customers/{id}/timeline/."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from accounts.models import User
from customers import timeline, visitors
from customers.models import TimelineEvent
from customers.services import customer_for_user
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

INGEST = "/api/v1/events/?channel=web"
MINE = "/api/v1/me/timeline/"
AT = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def web(api):
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return f.ChannelFactory(code="web")


def _signed_in(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def _event(n, kind="product_viewed", **extra):
    return {
        "id": f"ev-{n}",
        "kind": kind,
        "occurred_at": (AT + dt.timedelta(minutes=n)).isoformat(),
        "data": {"sku": f"SKU-{n}"},
        **extra,
    }


def _rows():
    return list(
        TimelineEvent.objects.order_by("event_id").values_list(
            "event_id", "kind", "customer_id", "visitor_id", "source"
        )
    )


def test_a_signed_in_customers_batch_is_stored_once_however_often_it_is_sent(api, web):
    user = f.UserFactory()
    _signed_in(api, user)
    batch = {"events": [_event(1), _event(2, "search", data={"q": "elbise"})]}

    first = api.post(INGEST, batch, format="json")
    stored = _rows()
    replay = api.post(INGEST, batch, format="json")

    assert first.status_code == replay.status_code == 200
    assert first.json() == replay.json() == {"accepted": [0, 1], "rejected": []}
    customer = customer_for_user(user=user)
    assert stored == [
        ("ev-1", "product_viewed", customer.pk, None, "web"),
        ("ev-2", "search", customer.pk, None, "web"),
    ]
    assert _rows() == stored
    assert TimelineEvent.objects.get(event_id="ev-2").data == {"q": "elbise"}


def test_a_partly_bad_batch_stores_the_good_events_and_names_the_bad_by_index(api, web):
    visitor, token = visitors.visitor_token_issue()
    future = (timezone.now() + dt.timedelta(days=3)).isoformat()
    batch = {
        "visitor_token": token,
        "events": [
            _event(0),
            _event(1, kind="order_placed"),  # only orders records these
            {"kind": "search", "occurred_at": AT.isoformat()},  # no id
            _event(3, occurred_at=future),
            "not an event",
            _event(5, "cart_changed", data=["a", "list"]),
            _event(6, "cart_abandoned"),
        ],
    }

    answer = api.post(INGEST, batch, format="json")

    assert answer.status_code == 200
    body = answer.json()
    assert body["accepted"] == [0, 6]
    assert [(r["index"], sorted(r["fields"])) for r in body["rejected"]] == [
        (1, ["kind"]),
        (2, ["id"]),
        (3, ["occurred_at"]),
        (4, ["non_field_errors"]),
        (5, ["data"]),
    ]
    assert body["rejected"][0]["fields"]["kind"] == ['"order_placed" is not a valid choice.']
    assert _rows() == [
        ("ev-0", "product_viewed", None, visitor, "web"),
        ("ev-6", "cart_abandoned", None, visitor, "web"),
    ]


def test_a_wholly_bad_request_is_a_400_in_the_one_error_shape_and_stores_nothing(api, web):
    _visitor, token = visitors.visitor_token_issue()
    too_many = {"visitor_token": token, "events": [_event(n) for n in range(501)]}

    refused = api.post(INGEST, too_many, format="json")
    forged = api.post(INGEST, {"visitor_token": "x:y", "events": [_event(1)]}, format="json")
    raw_id = api.post(
        INGEST, {"visitor_id": str(uuid.uuid4()), "events": [_event(1)]}, format="json"
    )
    empty = api.post(INGEST, {"visitor_token": token, "events": []}, format="json")
    no_channel = api.post("/api/v1/events/", {"visitor_token": token, "events": [_event(1)]})

    assert refused.status_code == 400
    assert refused.json() == {
        "code": "max_length",
        "message": refused.json()["message"],
        "fields": {"events": ["Ensure this field has no more than 500 elements."]},
    }
    assert (forged.status_code, forged.json()["fields"]) == (
        400,
        {"visitor_token": ["This visitor token was not issued here; send the batch without it."]},
    )
    assert (raw_id.status_code, list(raw_id.json()["fields"])) == (400, ["visitor_id"])
    assert (empty.status_code, list(empty.json()["fields"])) == (400, ["events"])
    assert (no_channel.status_code, list(no_channel.json()["fields"])) == (400, ["channel"])
    assert not TimelineEvent.objects.exists()


def test_500_events_are_stored_in_one_insert(api, web):
    _visitor, token = visitors.visitor_token_issue()
    batch = {"visitor_token": token, "events": [_event(n) for n in range(500)]}

    with assert_num_queries(2):  # the channel; one INSERT ... ON CONFLICT DO NOTHING
        answer = api.post(INGEST, batch, format="json")

    assert answer.status_code == 200 and len(answer.json()["accepted"]) == 500
    assert TimelineEvent.objects.count() == 500


def test_the_server_issues_the_visitor_and_its_token_comes_back(api, web):
    first = api.post(INGEST, {"events": [_event(1)]}, format="json")
    token = first.json()["visitor_token"]

    # The browser sends the cookie back; the app sends the header or the body field.
    by_cookie = api.post(INGEST, {"events": [_event(2)]}, format="json")
    api.cookies.clear()
    by_header = api.post(INGEST, {"events": [_event(3)]}, format="json", HTTP_X_OMNI_VISITOR=token)

    assert first.status_code == 200
    assert first["X-Omni-Visitor"] == token == first.cookies["omni_visitor"].value
    assert by_cookie.json()["visitor_token"] == by_header.json()["visitor_token"] == token
    visitor = visitors.visitor_token_read(token)
    assert {row[3] for row in _rows()} == {visitor}


def test_a_visitors_events_join_the_profile_only_with_its_token(api, web):
    visitor, token = visitors.visitor_token_issue()
    stranger, stranger_token = visitors.visitor_token_issue()
    api.post(INGEST, {"visitor_token": token, "events": [_event(1)]}, format="json")
    api.post(INGEST, {"visitor_token": stranger_token, "events": [_event(2)]}, format="json")
    api.cookies.clear()
    user = f.UserFactory(email="ayse@example.com")
    intruder = f.UserFactory(email="mallory@example.com")

    # Knowing the stranger's id claims nothing: the field is gone and a forged token names
    # no visitor.
    for claim in ({"visitor_id": str(stranger)}, {"visitor_token": f"{stranger.hex}:forged"}):
        tried = api.post(
            "/api/v1/auth/token/",
            {"email": "mallory@example.com", "password": f.PASSWORD, **claim},
            format="json",
        )
        assert tried.status_code == 200
    signed = api.post(
        "/api/v1/auth/token/",
        {"email": "ayse@example.com", "password": f.PASSWORD, "visitor_token": token},
        format="json",
    )

    assert signed.status_code == 200, signed.json()
    customer = customer_for_user(user=user)
    assert _rows() == [
        ("ev-1", "product_viewed", customer.pk, visitor, "web"),
        ("ev-2", "product_viewed", None, stranger, "web"),
    ]
    assert not TimelineEvent.objects.filter(customer__user=intruder).exists()
    _signed_in(api, user)
    assert [e["data"] for e in api.get(MINE).json()["events"]] == [{"sku": "SKU-1"}]


def test_a_sign_up_with_a_visitor_token_joins_its_events(api, web):
    token = api.post(INGEST, {"events": [_event(1)]}, format="json").json()["visitor_token"]
    api.cookies.clear()

    signed = api.post(
        "/api/v1/auth/signup/",
        {"email": "yeni@example.com", "password": f.PASSWORD},
        format="json",
        HTTP_X_OMNI_VISITOR=token,
    )

    assert signed.status_code == 201, signed.json()
    user = User.objects.get(email="yeni@example.com")
    assert TimelineEvent.objects.get().customer == customer_for_user(user=user)


def test_ingest_is_rate_limited_per_client_with_a_429(api, web, settings):
    # Per hour, not per minute: django-ratelimit's windows are fixed, and three requests that
    # straddle the end of a one-minute window (a slow run) were all let through.
    settings.OMNI_THROTTLE_RATES = {"events.client": "2/h"}
    _visitor, token = visitors.visitor_token_issue()
    _other, other_token = visitors.visitor_token_issue()

    answers = [
        api.post(INGEST, {"visitor_token": token, "events": [_event(n)]}, format="json")
        for n in range(3)
    ]
    other = api.post(INGEST, {"visitor_token": other_token, "events": [_event(9)]}, format="json")

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "throttled"
    assert set(answers[2].json()) == {"code", "message", "fields"}
    assert int(answers[2]["Retry-After"]) >= 1
    assert other.status_code == 200
    assert TimelineEvent.objects.count() == 3


def _record(customer, n, *, at=AT, kind="product_viewed", channel=None):
    timeline.timeline_record(
        customer_id=customer.pk,
        kind=kind,
        occurred_at=at,
        source="test",
        event_id=f"e{customer.pk}-{n}",
        channel=channel,
        data={"n": n},
    )


def test_a_customer_reads_only_their_own_timeline(api, web):
    ayse, mehmet = f.UserFactory(), f.UserFactory()
    _record(customer_for_user(user=ayse), 1)
    theirs = customer_for_user(user=mehmet)
    _record(theirs, 2)

    assert api.get(MINE).status_code == 401
    mine = _signed_in(api, ayse).get(MINE).json()
    staff_url = f"/api/v1/staff/customers/{theirs.pk}/timeline/"

    assert [e["data"] for e in mine["events"]] == [{"n": 1}]
    assert api.get(staff_url).status_code == 403  # a customer is not staff
    assert api.get(MINE + f"?customer={theirs.pk}").json() == mine  # no way to name another


def test_staff_read_a_customers_timeline_with_the_permission(api, web):
    customer = f.CustomerFactory()
    _record(customer, 1)
    url = f"/api/v1/staff/customers/{customer.pk}/timeline/"

    without = _signed_in(api, f.merchant()).get(url)
    allowed = _signed_in(api, f.merchant("customers.view_customer")).get(url)
    store = _signed_in(api, f.UserFactory(role=User.Role.STORE_STAFF)).get(url)
    missing = api.get("/api/v1/staff/customers/0/timeline/")

    assert without.status_code == 403
    assert allowed.status_code == store.status_code == 200
    assert allowed.json() == {
        "events": [
            {
                "id": TimelineEvent.objects.get().pk,
                "kind": "product_viewed",
                "occurred_at": "2026-11-02T13:00:00+03:00",
                "channel": None,
                "store": None,
                "data": {"n": 1},
            }
        ],
        "next_cursor": None,
    }
    assert missing.status_code == 404


def test_pages_of_events_at_one_time_neither_repeat_nor_skip(api, web):
    user = f.UserFactory()
    customer = customer_for_user(user=user)
    for n in range(7):  # seven at the same instant, three later
        _record(customer, n)
    for n in range(7, 10):
        _record(customer, n, at=AT + dt.timedelta(hours=1))
    _signed_in(api, user)

    seen, cursor, pages = [], None, 0
    while True:
        page = api.get(MINE, {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [e["data"]["n"] for e in page["events"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    first = api.get(MINE, {"limit": 3}).json()
    _record(customer, 10, at=AT + dt.timedelta(hours=2))  # a new event shifts no later page
    again = api.get(MINE, {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert pages == 4
    assert seen == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert [e["data"]["n"] for e in again["events"]] == [6, 5, 4]


def test_the_timeline_filters_by_kind_and_channel(api, web):
    app = f.ChannelFactory(code="app")
    user = f.UserFactory()
    customer = customer_for_user(user=user)
    _record(customer, 1, kind="search", channel=web)
    _record(customer, 2, kind="product_viewed", channel=app)
    _record(customer, 3, kind="staff_note")
    _signed_in(api, user)

    def ns(query):
        return [e["data"]["n"] for e in api.get(MINE + query).json()["events"]]

    assert ns("?kind=search,product_viewed") == [2, 1]
    assert ns("?kind=search&kind=staff_note") == [3, 1]
    assert ns("?channel=app") == [2]
    assert ns("?channel=web&kind=product_viewed") == []
    bad = api.get(MINE + "?kind=nonsense&cursor=xyz&limit=0")
    assert (bad.status_code, sorted(bad.json()["fields"])) == (400, ["kind.0", "limit"])
    assert api.get(MINE + "?cursor=bm90LWEtY3Vyc29y").json()["fields"] == {
        "cursor": ["This is not a cursor this list gave."]
    }


def test_a_page_costs_the_same_queries_for_one_event_and_for_many(api, web):
    user = f.UserFactory()
    customer = customer_for_user(user=user)
    _signed_in(api, user)
    _record(customer, 0, channel=web)

    with assert_num_queries(2):  # the token with its user and profile; the page
        one = api.get(MINE)
    for n in range(1, 80):
        _record(customer, n, at=AT + dt.timedelta(seconds=n), channel=web)
    with assert_num_queries(2):
        many = api.get(MINE, {"kind": "product_viewed", "channel": "web"})
    with assert_num_queries(2):
        later = api.get(MINE, {"cursor": many.json()["next_cursor"]})

    assert len(one.json()["events"]) == 1
    assert len(many.json()["events"]) == 50 and len(later.json()["events"]) == 30
