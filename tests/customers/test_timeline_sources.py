"""What the CRM puts on the timeline besides the app's behaviour and orders' events: consent
decisions (through customers' own outbox event), counter sales at a store, and staff notes."""

from decimal import Decimal

import pytest

from accounts.models import User
from customers.models import ConsentSource, TimelineEvent
from customers.services import consent_give, consent_withdraw
from inventory.models import StockLocation
from omni.outbox import outbox_record
from orders.models import Order
from sales_channels import services as relay
from sales_channels.models import Channel
from tests import factories as f

pytestmark = pytest.mark.django_db


def _rows(customer):
    return list(
        TimelineEvent.objects.filter(customer=customer)
        .order_by("id")
        .values_list("kind", "store_id", "data")
    )


def test_consent_decisions_reach_the_timeline_once():
    customer = f.CustomerFactory(email="ayse@example.com")
    proof = {"source": ConsentSource.WEB, "text_version": "ETK-1", "ip_address": "203.0.113.7"}
    consent_give(customer=customer, consent_type="EPOSTA", **proof)
    consent_withdraw(customer=customer, consent_type="EPOSTA", **proof)

    relay.outbox_relay_batch()
    relay.outbox_relay_batch()

    assert [(kind, data["status"], data["type"]) for kind, _s, data in _rows(customer)] == [
        ("consent", "ONAY", "EPOSTA"),
        ("consent", "RET", "EPOSTA"),
    ]


def _placed(order):
    outbox_record(
        topic="orders.order.placed",
        key=f"order:{order.pk}",
        channel_id=order.channel_id,
        payload={"order": order.number, "total": "99.90", "currency": "TRY", "lines": []},
    )


def _order(channel, number, customer, **extra):
    return Order.objects.create(
        number=number,
        channel=channel,
        origin_channel=channel,
        customer=customer,
        currency="TRY",
        subtotal=Decimal("99.90"),
        total=Decimal("99.90"),
        **extra,
    )


def test_an_order_at_a_stores_counter_is_a_counter_sale_at_that_store():
    customer = f.CustomerFactory()
    web = f.ChannelFactory(code="web")
    till = f.ChannelFactory(code="store-kadikoy", kind=Channel.Kind.STORE)
    store = f.StockLocationFactory(code="kadikoy", kind=StockLocation.Kind.STORE, channel=till)
    _placed(_order(till, "S-1", customer, delivery=Order.Delivery.PICKUP))
    _placed(_order(web, "W-1", customer, delivery=Order.Delivery.HOME))

    relay.outbox_relay_batch()

    assert [(kind, store_id) for kind, store_id, _d in _rows(customer)] == [
        ("counter_sale", store.pk),
        ("order_placed", None),
    ]


def _signed_in(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def test_staff_sign_the_notes_they_add_and_a_customer_cannot_add_one(api):
    customer = f.CustomerFactory()
    clerk = f.UserFactory(role=User.Role.STORE_STAFF, first_name="Zeynep", last_name="Ak")
    url = f"/api/v1/staff/customers/{customer.pk}/notes/"

    added = _signed_in(api, clerk).post(url, {"text": "  Wears size 38.  "}, format="json")
    empty = api.post(url, {"text": "   "}, format="json")
    missing = api.post("/api/v1/staff/customers/0/notes/", {"text": "x"}, format="json")
    shopper = _signed_in(api, f.UserFactory()).post(url, {"text": "hi"}, format="json")

    assert added.status_code == 201
    assert added.json()["kind"] == "staff_note"
    assert _rows(customer) == [
        (
            "staff_note",
            None,
            {"text": "Wears size 38.", "author_id": clerk.pk, "author": "Zeynep Ak"},
        )
    ]
    assert empty.status_code == 400
    assert "text" in str(empty.json())
    assert missing.status_code == 404
    assert shopper.status_code == 403
