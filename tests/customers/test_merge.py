"""Merging two profiles of one person (customers.merge): everything moves to the survivor, the
merge is recorded with an outbox event, a merged-away id resolves to the survivor, and merging
twice is a clear error. Duplicates are found in two queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.duplicates import duplicate_pairs
from customers.identities import identity_add
from customers.merge import customer_merge, customer_resolve
from customers.models import (
    Address,
    ConsentDecision,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    CustomerMetricsPending,
    DataRequest,
    TimelineEvent,
)
from customers.selectors import consents_current
from customers.services import customer_for_user
from omni.errors import Conflict, ValidationError
from omni.models import OutboxEvent
from orders.models import Cart, Order
from payments.models import StoreCreditAccount, StoreCreditEntry
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


def _order(web, number, customer):
    return Order.objects.create(
        number=number,
        channel=web,
        origin_channel=web,
        customer=customer,
        delivery=Order.Delivery.HOME,
        currency="TRY",
        subtotal=Decimal("100.00"),
        total=Decimal("100.00"),
    )


def _consent(customer, status, minutes_ago, consent_type="EPOSTA"):
    return ConsentDecision.objects.create(
        customer=customer,
        type=consent_type,
        status=status,
        recipient="ayse@example.com",
        source="web",
        decided_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_a_merge_moves_everything_and_is_recorded(web):
    staff = f.merchant("customers.change_customer")
    target = customer_for_user(user=f.UserFactory(email="ayse@example.com"))
    source = f.CustomerFactory(email="ayse.k@example.com", phone="+905321234567")
    identity_add(customer=source, kind="phone", value="0532 123 45 67")
    _order(web, "W-1", source)
    Cart.objects.create(customer=source, origin_channel=web, last_channel=web)
    Cart.objects.create(customer=source, origin_channel=web, last_channel=web, status="ordered")
    Address.objects.create(customer=source, full_name="Ayşe", line1="Moda", city="İstanbul")
    TimelineEvent.objects.create(
        customer=source, kind="search", occurred_at=timezone.now(), source="web", event_id="e1"
    )
    DataRequest.objects.create(customer=source, kind="export", due_at=timezone.now())
    StoreCreditAccount.objects.create(customer=source, balance=Decimal("30.00"))
    StoreCreditAccount.objects.create(customer=target, balance=Decimal("5.00"))

    merge = customer_merge(source=source, target=target, actor=staff)

    assert merge.moved == {
        "addresses": 1,
        "identities": 1,
        "consents": 0,
        "timeline_events": 1,
        "data_requests": 1,
        "orders": 1,
        "carts": 2,
        "saved_items": 0,
        "store_credit": 1,
    } | {k: v for k, v in merge.moved.items() if k not in _OWN_AND_KNOWN}
    assert Order.objects.get(number="W-1").customer == target
    assert Cart.objects.filter(customer=target).count() == 2
    assert CustomerIdentity.objects.get(value="+905321234567").customer == target
    assert StoreCreditAccount.objects.get(customer=target).balance == Decimal("35.00")
    assert StoreCreditAccount.objects.get(customer=source).balance == 0
    assert StoreCreditEntry.objects.filter(kind="merge").count() == 2
    source.refresh_from_db()
    assert source.merged_into == target and not source.is_active
    assert (source.email, source.phone) == ("", "")
    assert (merge.actor, merge.source, merge.target) == (staff, source, target)
    event = OutboxEvent.objects.get(topic="customers.customer.merged")
    assert event.payload["source_id"] == source.pk and event.payload["target_id"] == target.pk
    assert customer_resolve(source.pk) == target
    assert customer_resolve(target.pk) == target
    pending = CustomerMetricsPending.objects.values_list("customer_id", flat=True)
    assert set(pending) == {source.pk, target.pk}  # both recomputed after the commit


_OWN_AND_KNOWN = {
    "addresses",
    "identities",
    "consents",
    "timeline_events",
    "data_requests",
    "orders",
    "carts",
    "saved_items",
    "store_credit",
}


def test_the_most_recent_consent_decision_wins_on_the_survivor():
    target, source = f.CustomerFactory(), f.CustomerFactory()
    _consent(target, "ONAY", minutes_ago=60)
    _consent(source, "RET", minutes_ago=5)  # the newer: withdrawn
    _consent(source, "ONAY", minutes_ago=90, consent_type="MESAJ")
    _consent(target, "RET", minutes_ago=120, consent_type="MESAJ")

    customer_merge(source=source, target=target, actor=None)

    current = {c.type: c.status for c in consents_current(customer=target)}
    assert current == {"EPOSTA": "RET", "MESAJ": "ONAY"}
    assert ConsentDecision.objects.filter(customer=target).count() == 4  # nothing rewritten


def test_merging_twice_or_into_a_merged_profile_is_a_clear_error():
    a, b, c = f.CustomerFactory(), f.CustomerFactory(), f.CustomerFactory()
    customer_merge(source=a, target=b, actor=None)
    with pytest.raises(Conflict) as twice:
        customer_merge(source=a, target=b, actor=None)
    assert twice.value.code == "customer_merged"
    with pytest.raises(Conflict):
        customer_merge(source=c, target=a, actor=None)
    with pytest.raises(ValidationError):
        customer_merge(source=b, target=b, actor=None)
    assert CustomerMerge.objects.count() == 1


def test_a_chain_resolves_to_the_last_survivor():
    a, b, c = f.CustomerFactory(), f.CustomerFactory(), f.CustomerFactory()
    customer_merge(source=a, target=b, actor=None)
    customer_merge(source=b, target=c, actor=None)
    assert customer_resolve(a.pk) == c
    assert Customer.objects.get(pk=a.pk).merged_into_id == c.pk


def test_staff_search_finds_the_survivor_not_the_merged_away_profile():
    from customers.selectors import customers_search

    guest = f.CustomerFactory(first_name="Ayşe", last_name="Kaya", email="ayse@example.com")
    account = f.CustomerFactory(first_name="Ayşe", last_name="Kaya", email="a.kaya@example.com")
    assert set(customers_search(query="ayse@example.com")) == {guest}

    customer_merge(source=guest, target=account, actor=None)

    assert list(customers_search(query="ayse@example.com")) == [account]
    assert list(customers_search(query="Ayşe Kaya")) == [account]


def test_an_accounts_profile_is_never_merged_away():
    account = customer_for_user(user=f.UserFactory())
    with pytest.raises(Conflict) as refused:
        customer_merge(source=account, target=f.CustomerFactory(), actor=None)
    assert refused.value.code == "merge_account_source"


def test_duplicates_are_found_by_phone_email_and_name_in_a_city():
    by_phone = [
        f.CustomerFactory(email="", phone="0532 123 45 67", first_name="A"),
        f.CustomerFactory(email="", phone="+905321234567", first_name="B"),
    ]
    by_email = [
        f.CustomerFactory(email="Can@Example.com", phone="", first_name="C"),
        f.CustomerFactory(email="", phone="", first_name="D"),
    ]
    identity_add(customer=by_email[1], kind="email", value="can@example.com")
    named = [
        f.CustomerFactory(email="", phone="", first_name="Elif", last_name="Demir"),
        f.CustomerFactory(email="", phone="", first_name="elif ", last_name="DEMIR"),
    ]
    for customer in named:
        Address.objects.create(customer=customer, full_name="E", line1="x", city="Ankara")
    f.CustomerFactory(email="", phone="", first_name="Elif", last_name="Demir")  # no city
    merged = f.CustomerFactory(email="", phone="0532 123 45 67")
    merged.merged_into = by_phone[0]
    merged.save()

    with assert_num_queries(2):
        pairs = duplicate_pairs()

    found = {(p.source.pk, p.target.pk): p.reasons for p in pairs}
    assert found == {
        (by_phone[1].pk, by_phone[0].pk): ("phone",),
        (by_email[1].pk, by_email[0].pk): ("email",),
        (named[1].pk, named[0].pk): ("name_city",),
    }
    for i in range(5):
        customer_for_user(user=f.UserFactory(email=f"twin{i}@example.com"))
        f.CustomerFactory(email=f"TWIN{i}@example.com", phone="")
    with assert_num_queries(2):
        assert len(duplicate_pairs(limit=100)) == 3 + 5


def test_a_duplicate_open_data_request_is_closed_and_the_rest_move():
    target, source = f.CustomerFactory(), f.CustomerFactory()
    kept = DataRequest.objects.create(customer=target, kind="export", due_at=timezone.now())
    twin = DataRequest.objects.create(customer=source, kind="export", due_at=timezone.now())
    erasure = DataRequest.objects.create(customer=source, kind="erasure", due_at=timezone.now())

    customer_merge(source=source, target=target, actor=None)

    assert DataRequest.objects.get(pk=kept.pk).status == "received"
    assert DataRequest.objects.get(pk=twin.pk).status == "refused"
    assert set(DataRequest.objects.values_list("customer_id", flat=True)) == {target.pk}
    assert DataRequest.objects.get(pk=erasure.pk).status == "received"


def test_two_active_carts_join_by_the_sign_in_merge_rule(web):
    from orders.services import carts

    shirt, socks = (f.product(channels=[web]).variants.get() for _i in range(2))
    f.stocked(web, shirt, socks, quantity=10)
    target, source = f.CustomerFactory(), f.CustomerFactory()
    carts.cart_add(customer=target, channel=web, variant_id=shirt.pk, quantity=1)
    carts.cart_add(customer=source, channel=web, variant_id=shirt.pk, quantity=2)
    carts.cart_add(customer=source, channel=web, variant_id=socks.pk, quantity=1)

    customer_merge(source=source, target=target, actor=None)

    cart = Cart.objects.get(customer=target, status="active")
    assert {line.variant_id: line.quantity for line in cart.lines.all()} == {
        shirt.pk: 3,
        socks.pk: 1,
    }
    assert Cart.objects.filter(customer=target, status="merged").count() == 1
