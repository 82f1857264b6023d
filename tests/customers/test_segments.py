"""Segments: a rule is checked with an error per bad node, compiles to one query, and
membership is kept by set-based syncs that record each entry and exit once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from customers import segments, services, timeline
from customers.models import (
    Address,
    ConsentDecision,
    ConsentSource,
    ConsentStatus,
    ConsentType,
    Customer,
    CustomerIdentity,
    Segment,
    SegmentMembership,
    SegmentMembershipChange,
    SegmentPending,
    TimelineEvent,
    TimelineKind,
)
from customers.segment_rules import rules_validate
from omni.errors import ValidationError
from omni.models import OutboxEvent
from sales_channels.models import Channel
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

STORE_NOT_ONLINE = {
    "all": [
        {"field": "bought_on_channel_kind", "op": "eq", "value": "store"},
        {"not": {"field": "bought_on_channel_kind", "op": "in", "value": ["web", "app"]}},
    ]
}


@pytest.fixture
def channels():
    return {
        "web": f.ChannelFactory(code="web", kind=Channel.Kind.WEB),
        "kadikoy": f.ChannelFactory(code="kadikoy", kind=Channel.Kind.STORE),
    }


def _event(customer, kind, channel=None, days_ago=0, **data):
    TimelineEvent.objects.create(
        customer=customer,
        kind=kind,
        channel=channel,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        data=data,
        source="test",
        event_id=uuid.uuid4().hex,
    )


def _ids(rules):
    return set(segments.segment_matching(rules=rules).values_list("pk", flat=True))


# --- the rule -------------------------------------------------------------------------------


def test_a_bad_rule_is_refused_with_the_path_of_each_bad_node():
    rules = {
        "all": [
            {"field": "may_email", "op": "eq", "value": True},
            {"field": "nope", "op": "eq", "value": 1},
            {"field": "joined_days_ago", "op": "lte", "value": "seven"},
            {"any": []},
            {"not": {"field": "cart_abandoned", "op": "in", "value": True}},
            {"field": "viewed_category", "op": "eq", "value": "x", "days": 0},
        ]
    }

    with pytest.raises(ValidationError) as raised:
        rules_validate(rules)

    assert set(raised.value.fields) == {
        "rules.all[1].field",
        "rules.all[2].value",
        "rules.all[3].any",
        "rules.all[4].not.op",
        "rules.all[5].days",
    }
    assert raised.value.code == "invalid_rules"


def test_a_choice_field_takes_only_known_values(channels):
    with pytest.raises(ValidationError) as raised:
        rules_validate({"field": "bought_on_channel", "op": "in", "value": ["web", "mars"]})

    assert list(raised.value.fields) == ["rules.value"]


def test_a_complex_rule_counts_in_one_query(channels):
    rules = {
        "all": [
            {"field": "may_email", "op": "eq", "value": True},
            {"any": [STORE_NOT_ONLINE, {"field": "cart_abandoned", "op": "eq", "value": True}]},
            {"field": "viewed_category", "op": "in", "value": ["ayakkabi"], "days": 7},
            {"field": "city", "op": "eq", "value": "İstanbul"},
            {"not": {"field": "has_verified_phone", "op": "eq", "value": True}},
        ]
    }
    f.CustomerFactory.create_batch(3)

    with assert_num_queries(1):
        assert segments.segment_matching(rules=rules).count() == 0


def test_bought_in_store_but_never_online(channels):
    store_only, both, web_only, nothing = f.CustomerFactory.create_batch(4)
    _event(store_only, TimelineKind.ORDER_PLACED, channels["kadikoy"])
    _event(both, TimelineKind.ORDER_PLACED, channels["kadikoy"])
    _event(both, TimelineKind.ORDER_PLACED, channels["web"], days_ago=30)
    _event(web_only, TimelineKind.ORDER_PLACED, channels["web"])
    _event(nothing, TimelineKind.PRODUCT_VIEWED, channels["kadikoy"])

    assert _ids(STORE_NOT_ONLINE) == {store_only.pk}


def test_behaviour_counts_only_within_the_days_given(channels):
    recent, old = f.CustomerFactory.create_batch(2)
    _event(recent, TimelineKind.PRODUCT_VIEWED, channels["web"], days_ago=2, category="ayakkabi")
    _event(old, TimelineKind.PRODUCT_VIEWED, channels["web"], days_ago=20, category="ayakkabi")
    _event(old, TimelineKind.SEARCH, channels["web"], query="Kırmızı Elbise")
    _event(old, TimelineKind.CART_ABANDONED, channels["web"], days_ago=3)

    assert _ids({"field": "viewed_category", "op": "eq", "value": "ayakkabi", "days": 7}) == {
        recent.pk
    }
    assert _ids({"field": "viewed_category", "op": "eq", "value": "ayakkabi"}) == {
        recent.pk,
        old.pk,
    }
    assert _ids({"field": "searched", "op": "contains", "value": "elbise", "days": 1}) == {old.pk}
    assert _ids({"field": "cart_abandoned", "op": "eq", "value": True, "days": 7}) == {old.pk}
    assert _ids({"field": "cart_abandoned", "op": "eq", "value": False}) == {recent.pk}


def test_profile_and_identity_fields():
    user = f.UserFactory()
    member = f.CustomerFactory(user=user, language="en")
    guest = f.CustomerFactory()
    guest.created_at = timezone.now() - dt.timedelta(days=40)
    guest.save(update_fields=["created_at"])
    Address.objects.create(customer=guest, full_name="A", line1="x", city="Ankara", is_default=True)
    CustomerIdentity.objects.create(
        customer=member, kind="phone", value="+905551112233", verified_at=timezone.now()
    )

    assert _ids({"field": "is_guest", "op": "eq", "value": True}) == {guest.pk}
    assert _ids({"field": "joined_days_ago", "op": "lte", "value": 30}) == {member.pk}
    assert _ids({"field": "joined_days_ago", "op": "gt", "value": 30}) == {guest.pk}
    assert _ids({"field": "city", "op": "in", "value": ["ankara", "İzmir"]}) == {guest.pk}
    assert _ids({"field": "city", "op": "ne", "value": "Ankara"}) == {member.pk}
    assert _ids({"field": "language", "op": "eq", "value": "en"}) == {member.pk}
    assert _ids({"field": "has_verified_phone", "op": "eq", "value": True}) == {member.pk}
    assert _ids({"field": "has_verified_email", "op": "eq", "value": False}) == {
        member.pk,
        guest.pk,
    }


def _decide(customer, status, minutes_ago, consent_type=ConsentType.EPOSTA, recipient=None):
    ConsentDecision.objects.create(
        customer=customer,
        type=consent_type,
        status=status,
        recipient=recipient or customer.email.lower(),
        source=ConsentSource.WEB,
        decided_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def test_may_email_reads_the_latest_decision_for_the_current_address(settings):
    settings.IYS_ENABLED = False
    given, withdrawn, regiven, moved, never = f.CustomerFactory.create_batch(5)
    _decide(given, ConsentStatus.ONAY, 5)
    _decide(withdrawn, ConsentStatus.ONAY, 10)
    _decide(withdrawn, ConsentStatus.RET, 5)
    _decide(regiven, ConsentStatus.RET, 10)
    _decide(regiven, ConsentStatus.ONAY, 5)
    _decide(moved, ConsentStatus.ONAY, 5, recipient="old@example.com")
    _decide(never, ConsentStatus.ONAY, 5, consent_type=ConsentType.MESAJ, recipient=never.phone)

    assert _ids({"field": "may_email", "op": "eq", "value": True}) == {given.pk, regiven.pk}
    assert _ids({"field": "may_sms", "op": "eq", "value": True}) == {never.pk}
    for customer in (given, withdrawn, regiven, moved, never):
        allowed = bool(
            services_message_allowed(customer=customer, channel="email", commercial=True)
        )
        assert allowed == (customer.pk in {given.pk, regiven.pk})


def test_may_sms_knows_a_phone_kept_as_typed(settings):
    settings.IYS_ENABLED = False
    typed, other = f.CustomerFactory.create_batch(2, phone="05321234567")
    _decide(typed, ConsentStatus.ONAY, 5, ConsentType.MESAJ, recipient="+905321234567")
    _decide(other, ConsentStatus.ONAY, 5, ConsentType.MESAJ, recipient="+905329999999")

    assert _ids({"field": "may_sms", "op": "eq", "value": True}) == {typed.pk}
    assert services_message_allowed(customer=typed, channel="sms", commercial=True)
    assert not services_message_allowed(customer=other, channel="sms", commercial=True)


def services_message_allowed(**kwargs):
    from customers.selectors import message_allowed

    return message_allowed(**kwargs)


# --- membership -----------------------------------------------------------------------------


def _segment(rules, **kwargs):
    return Segment.objects.create(name=kwargs.pop("name", "s"), rules=rules, **kwargs)


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_a_recompute_records_entries_and_exits_once(channels, vendor, monkeypatch):
    # "sqlite": the portable path make run's SQLite demo takes, on the same data and rule.
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", vendor)
    stays, leaves, comes = f.CustomerFactory.create_batch(3)
    segment = _segment({"field": "cart_abandoned", "op": "eq", "value": True})
    _event(stays, TimelineKind.CART_ABANDONED)
    _event(leaves, TimelineKind.CART_ABANDONED)
    segments.segment_recompute(segment_id=segment.pk)
    TimelineEvent.objects.filter(customer=leaves).delete()
    _event(comes, TimelineKind.CART_ABANDONED)

    result = segments.segment_recompute(segment_id=segment.pk)
    again = segments.segment_recompute(segment_id=segment.pk)

    assert (result.entered, result.exited) == (1, 1)
    assert (again.entered, again.exited) == (0, 0)
    assert set(SegmentMembership.objects.values_list("customer_id", flat=True)) == {
        stays.pk,
        comes.pk,
    }
    changes = SegmentMembershipChange.objects.values_list("customer_id", "kind")
    assert sorted(changes) == sorted(
        [
            (stays.pk, "entered"),
            (leaves.pk, "entered"),
            (comes.pk, "entered"),
            (leaves.pk, "exited"),
        ]
    )
    events = OutboxEvent.objects.filter(topic__startswith="customers.segment.")
    assert events.count() == 4
    exit_event = events.get(topic="customers.segment.exited")
    assert exit_event.key == f"customer:{leaves.pk}"
    assert exit_event.payload["segment"] == segment.pk
    assert exit_event.payload["customer"] == leaves.pk
    segment.refresh_from_db()
    assert segment.member_count == 2 and segment.recomputed_at is not None


def test_a_merged_away_profile_leaves_its_segments():
    survivor, merged = f.CustomerFactory.create_batch(2)
    segment = _segment({"field": "is_guest", "op": "eq", "value": True})
    segments.segment_recompute(segment_id=segment.pk)
    Customer.objects.filter(pk=merged.pk).update(merged_into=survivor)

    result = segments.segment_recompute(segment_id=segment.pk)

    assert (result.entered, result.exited) == (0, 1)
    assert list(SegmentMembership.objects.values_list("customer_id", flat=True)) == [survivor.pk]


def test_an_inactive_segment_is_not_recomputed():
    f.CustomerFactory()
    segment = _segment({"field": "is_guest", "op": "eq", "value": True}, is_active=False)

    assert segments.segment_recompute(segment_id=segment.pk) == segments.SyncResult(0, 0)
    assert not SegmentMembership.objects.exists()


def test_a_consent_marks_the_customer_and_the_refresh_moves_them_in(settings):
    settings.IYS_ENABLED = False
    customer, other = f.CustomerFactory.create_batch(2)
    segment = _segment({"field": "may_email", "op": "eq", "value": True})
    _decide(other, ConsentStatus.ONAY, 5)  # no service: not marked, so not evaluated

    services.consent_give(
        customer=customer,
        consent_type=ConsentType.EPOSTA,
        source=ConsentSource.WEB,
        text_version="v1",
    )
    assert list(SegmentPending.objects.values_list("customer_id", flat=True)) == [customer.pk]

    assert segments.segments_refresh_pending() == 1
    assert list(SegmentMembership.objects.values_list("customer_id", flat=True)) == [customer.pk]
    assert not SegmentPending.objects.exists()
    assert segments.segments_refresh_pending() == 0

    services.consent_withdraw(
        customer=customer, consent_type=ConsentType.EPOSTA, source=ConsentSource.WEB
    )
    segments.segments_refresh_pending()
    assert not SegmentMembership.objects.exists()
    assert list(SegmentMembershipChange.objects.order_by("id").values_list("kind", flat=True)) == [
        "entered",
        "exited",
    ]
    segment.refresh_from_db()
    assert segment.member_count == 0


def test_an_ingested_event_moves_the_customer_in_after_the_commit(
    channels, django_capture_on_commit_callbacks
):
    customer = f.CustomerFactory()
    _segment({"field": "cart_abandoned", "op": "eq", "value": True, "days": 7})
    event = timeline.IngestEvent(
        event_id="e1", kind=TimelineKind.CART_ABANDONED, occurred_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        timeline.timeline_ingest(
            events=[event], channel=channels["web"], customer=customer, visitor_id=None
        )

    # the queued refresh ran (eager in tests): the customer is in, and nobody is pending
    assert list(SegmentMembership.objects.values_list("customer_id", flat=True)) == [customer.pk]
    assert not SegmentPending.objects.exists()
    assert OutboxEvent.objects.filter(topic="customers.segment.entered").count() == 1


def test_marking_queues_one_refresh_per_newly_pending_customer(django_capture_on_commit_callbacks):
    customer = f.CustomerFactory()

    with django_capture_on_commit_callbacks() as first:
        services.segments_customers_changed(customer_ids=[customer.pk, customer.pk])
    with django_capture_on_commit_callbacks() as second:
        services.segments_customers_changed(customer_ids=[customer.pk])

    assert len(first) == 1 and len(second) == 0


def test_metrics_fields_count_a_customer_without_metrics_as_none_yet():
    from decimal import Decimal

    from customers.models import CustomerMetrics

    buyer, big, never = f.CustomerFactory.create_batch(3)
    now = timezone.now()
    CustomerMetrics.objects.create(
        customer=buyer,
        orders_count=1,
        revenue_net=Decimal("250.00"),
        last_purchase_at=now - dt.timedelta(days=100),
        rfm_segment="at_risk",
    )
    CustomerMetrics.objects.create(
        customer=big,
        orders_count=6,
        revenue_net=Decimal("5000.00"),
        last_purchase_at=now - dt.timedelta(days=3),
        rfm_segment="champions",
    )

    assert _ids({"field": "orders_count", "op": "lt", "value": 2}) == {buyer.pk, never.pk}
    assert _ids({"field": "revenue_net", "op": "gte", "value": "1000.50"}) == {big.pk}
    assert _ids({"field": "last_purchase_days_ago", "op": "gt", "value": 90}) == {buyer.pk}
    assert _ids({"field": "rfm_segment", "op": "in", "value": ["none", "at_risk"]}) == {
        buyer.pk,
        never.pk,
    }
    with pytest.raises(ValidationError) as raised:
        rules_validate({"field": "revenue_net", "op": "gt", "value": "lots"})
    assert list(raised.value.fields) == ["rules.value"]


def test_loyalty_fields_read_the_account_and_a_customer_without_one_has_no_points_or_tier():
    from customers.loyalty import services as loyalty
    from tests.customers import loyalty_support

    club = loyalty_support.programme()
    silver = club.tiers.get(name_en="Silver")
    rich, poor, never = f.CustomerFactory.create_batch(3)
    loyalty.loyalty_adjust(customer=rich, points=500, reason="gift", actor=None)
    loyalty.loyalty_adjust(customer=poor, points=20, reason="gift", actor=None)
    club.accounts.filter(customer=rich).update(tier=silver)

    assert _ids({"field": "loyalty_points", "op": "gte", "value": 100}) == {rich.pk}
    assert _ids({"field": "loyalty_points", "op": "lt", "value": 100}) == {poor.pk, never.pk}
    assert _ids({"field": "loyalty_tier", "op": "eq", "value": silver.pk}) == {rich.pk}
    assert _ids({"field": "loyalty_tier", "op": "ne", "value": silver.pk}) == {poor.pk, never.pk}
    # a movement marks the customer for a segment refresh
    assert set(SegmentPending.objects.values_list("customer_id", flat=True)) >= {rich.pk, poor.pk}
