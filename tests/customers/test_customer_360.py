"""The customer 360: customers.selectors.customer_360 and the staff's
GET /api/v1/staff/customers/{id}/, with orders' section (recent orders and carts in progress on
every channel) and a section another app registers."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from customers import data_requests, services, timeline
from customers.identities import identity_add
from customers.models import Segment, SegmentMembership
from customers.sections import customer_360_section_register, customer_360_section_unregister
from customers.selectors import customer_360
from orders.services import carts, checkout
from tests import factories as f
from tests.orders.api_support import item, signed_in
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

GUESTS = {"field": "is_guest", "op": "eq", "value": True}


@pytest.fixture
def web():
    channel = f.ChannelFactory(code="web", kind="web")
    f.ShippingMethodFactory(channel=channel)
    return channel


@pytest.fixture
def clerk():
    store = f.ChannelFactory(code="store-kadikoy", kind="store")
    user = f.UserFactory(role=User.Role.STORE_STAFF)
    user.stores.set([store])
    return signed_in(user)[1]


def _order(customer, channel, variant):
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=1)
    return checkout.order_place(
        cart=cart,
        channel=channel,
        delivery=checkout.delivery_build(
            channel=channel, method="home", shipping_method="standart", address=f.ADDRESS
        ),
        customer=customer,
    )


def _history(customer, web, variant, n):
    """n orders, n timeline events, n consent decisions, a cart in progress, a data request."""
    for i in range(n):
        _order(customer, web, variant)
        timeline.timeline_record(
            customer_id=customer.pk,
            kind="store_visit",
            occurred_at=timezone.now() - dt.timedelta(minutes=i),
            source="test",
            event_id=f"{customer.pk}-{i}",
        )
        (services.consent_give if i % 2 == 0 else services.consent_withdraw)(
            customer=customer, consent_type="EPOSTA", source="web", text_version="v1"
        )
    identity_add(customer=customer, kind="phone", value=f"0532 000 00 {n:02d}")
    for i in range(n):
        segment = Segment.objects.create(name=f"{customer.pk}-{i}", rules=GUESTS)
        SegmentMembership.objects.create(segment=segment, customer=customer)
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk, quantity=2)
    data_requests.data_request_create(customer=customer, kind="export")


def test_the_360_shows_every_section_in_the_same_queries_for_a_short_and_a_long_history(web, clerk):
    variant = item(web, quantity=100)
    for n in (1, 6):
        customer = f.CustomerFactory(email=f"kisi{n}@example.com", phone="")
        _history(customer, web, variant, n)

        with assert_num_queries(12):  # the token, the profile, 3 for orders, 7 for customers
            response = clerk.get(f"/api/v1/staff/customers/{customer.pk}/")

        assert response.status_code == 200
        body = response.json()
        assert body["customer"]["email"] == f"kisi{n}@example.com"
        assert body["order_count"] == n and len(body["orders"]) == n
        assert [(c["channel"], c["items"]) for c in body["carts"]] == [("web", 2)]
        last = "ONAY" if n % 2 else "RET"  # given, withdrawn, given...
        assert [(c["type"], c["status"]) for c in body["consents"]] == [("EPOSTA", last)]
        assert len(body["timeline"]["events"]) >= n
        assert [r["kind"] for r in body["data_requests"]] == ["export"]
        assert [i["kind"] for i in body["identities"]] == ["phone"]
        assert len(body["segments"]) == n
        assert body["metrics"] is None
        assert (body["loyalty"]["enrolled"], body["loyalty"]["available"]) == (False, 0)


def test_a_registered_section_lands_in_its_typed_field_and_others_in_sections():
    customer = f.CustomerFactory()
    customer_360_section_register(name="segments", reader=lambda c: ["VIP segment"])
    customer_360_section_register(name="notes", reader=lambda c: ["VIP"])
    try:
        view = customer_360(customer=customer)
    finally:
        customer_360_section_unregister("segments")
        customer_360_section_unregister("notes")
    assert view.segments == ["VIP segment"]
    assert view.extra == {"notes": ["VIP"]}
    assert view.orders is not None and view.orders.count == 0


def test_only_staff_who_may_view_customers_read_the_360():
    customer = f.CustomerFactory()
    _u, shopper = signed_in()
    _u, viewer = signed_in(f.merchant("customers.view_customer"))
    assert shopper.get(f"/api/v1/staff/customers/{customer.pk}/").status_code == 403
    assert viewer.get(f"/api/v1/staff/customers/{customer.pk}/").status_code == 200
    assert viewer.get("/api/v1/staff/customers/999999/").status_code == 404


# --- the admin's 360 page -------------------------------------------------------------------


def test_the_admin_page_is_the_360_in_the_same_queries_for_a_short_and_a_long_history(
    admin_client, web
):
    variant = item(web, quantity=100)
    for n in (1, 6):
        customer = f.CustomerFactory(
            email=f"kisi{n}@example.com", first_name="Ayşe", phone="", first_channel=web
        )
        _history(customer, web, variant, n)
        url = reverse("admin:customers_customer_change", args=[customer.pk])
        admin_client.get(url)

        with assert_num_queries(ADMIN_QUERIES):
            response = admin_client.get(url, {"kind": "store_visit", "channel": ""})

        assert response.status_code == 200
        page = response.content.decode()
        assert "Ayşe" in page and "Misafir" in page  # a guest, said in Turkish first
        assert page.count('class="c360-kind">Mağaza ziyareti') == n
        assert "Sadakat" in page  # the loyalty section waits for its app
        assert "Henüz hesaplanmadı." in page  # the metrics, until crm_recompute or an event
        assert len(re.findall(r"/admin/customers/segment/\d+/change/", page)) == n


ADMIN_QUERIES = 19  # 18, and the staff notes


def test_the_admin_page_shows_the_metrics_once_computed(admin_client, web):
    from customers.metrics import metrics_recompute

    customer = f.CustomerFactory(phone="")
    _order(customer, web, item(web))
    metrics_recompute(customer_ids=[customer.pk])

    page = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))

    assert page.context["c360"].metrics.orders_count == 1
    assert "web: 1" in page.content.decode()


def test_the_admin_timeline_pages_on_with_more(admin_client):
    customer = f.CustomerFactory()
    for i in range(25):
        timeline.timeline_record(
            customer_id=customer.pk,
            kind="search",
            occurred_at=timezone.now() - dt.timedelta(minutes=i),
            source="test",
            event_id=str(i),
            data={"q": f"arama-{i}"},
        )
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    first = admin_client.get(url)
    cursor = first.context["c360"].timeline.next_cursor
    assert "arama-0" in first.content.decode() and cursor
    rest = admin_client.get(url, {"cursor": cursor}).content.decode()
    assert "arama-24" in rest and "arama-0<" not in rest
    assert admin_client.get(url, {"cursor": "nonsense"}).status_code == 200


def test_a_merged_away_id_reads_the_survivors_360(clerk):
    from customers.models import Customer

    survivor = f.CustomerFactory(email="kalan@example.com")
    merged = f.CustomerFactory(email="")
    Customer.objects.filter(pk=merged.pk).update(merged_into=survivor)

    with assert_num_queries(12):
        response = clerk.get(f"/api/v1/staff/customers/{merged.pk}/")

    assert response.json()["customer"]["id"] == survivor.pk


def test_an_id_too_large_for_any_profile_is_not_found(clerk):
    assert clerk.get(f"/api/v1/staff/customers/{2**72}/").status_code == 404


def test_the_360_shows_the_customers_points_and_tier(web, clerk):
    from customers.loyalty import services as loyalty
    from tests.customers import loyalty_support

    loyalty_support.programme()
    customer = f.CustomerFactory()
    loyalty.loyalty_adjust(customer=customer, points=250, reason="welcome", actor=None)

    body = clerk.get(f"/api/v1/staff/customers/{customer.pk}/").json()

    assert body["loyalty"]["enrolled"] is True
    assert (body["loyalty"]["available"], body["loyalty"]["pending"]) == (250, 0)
    assert body["loyalty"]["next_tier"]["min_spend"] == "1000.00"
    assert [e["kind"] for e in body["timeline"]["events"]] == ["loyalty"]
