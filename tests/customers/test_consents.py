"""Consent decisions: appended, the latest in force, validated field by field; the one function
campaigns ask; the legal deadline for reaching IYS in Turkish business days."""

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from customers.iys_rules import ISTANBUL, is_business_day, phone_e164, push_deadline
from customers.models import ConsentDecision, ConsentStatus, PushState
from customers.selectors import (
    consent_current,
    consent_permission,
    consents_current,
    consents_overdue,
    message_allowed,
)
from customers.services import consent_give, consent_record, consent_withdraw
from omni.errors import ValidationError
from omni.models import OutboxEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def _give(customer, consent_type="EPOSTA", **extra):
    values = {"source": "web", "text_version": "ETK-2026-01", "ip_address": "203.0.113.7"}
    return consent_give(customer=customer, consent_type=consent_type, **(values | extra))


def test_giving_then_withdrawing_keeps_both_and_the_latest_is_in_force():
    customer = f.CustomerFactory(email="Ayse@Example.com")

    given_ = _give(customer)
    withdrawn = consent_withdraw(customer=customer, consent_type="EPOSTA", source="app")

    assert list(ConsentDecision.objects.filter(customer=customer).order_by("id")) == [
        given_,
        withdrawn,
    ]
    assert given_.recipient == "ayse@example.com"
    assert given_.ip_address == "203.0.113.7" and given_.text_version == "ETK-2026-01"
    assert given_.push_state == PushState.PENDING
    assert consent_current(customer=customer, consent_type="EPOSTA") == withdrawn
    assert consents_current(customer=customer) == [withdrawn]


def test_each_decision_is_told_through_the_outbox():
    customer = f.CustomerFactory()

    decision = _give(customer, "MESAJ")

    event = OutboxEvent.objects.get(topic="customers.consent.decided")
    assert event.key == f"customer:{customer.pk}:consent:MESAJ:BIREYSEL"
    assert event.version == decision.pk
    assert event.payload["status"] == "ONAY" and event.payload["source"] == "web"


def test_the_current_consents_are_one_per_channel_and_recipient_type():
    customer = f.CustomerFactory(phone="0532 111 22 33")
    _give(customer, "EPOSTA")
    sms = _give(customer, "MESAJ")
    _give(customer, "ARAMA")
    call_off = consent_withdraw(customer=customer, consent_type="ARAMA", source="web")
    trader = _give(customer, "EPOSTA", recipient_type="TACIR")
    email_off = consent_withdraw(customer=customer, consent_type="EPOSTA", source="web")

    assert consents_current(customer=customer) == [call_off, email_off, trader, sms]
    assert sms.recipient == "+905321112233"


def test_the_later_decision_wins_even_when_recorded_first():
    customer = f.CustomerFactory()
    now = dt.datetime(2026, 12, 1, 12, tzinfo=ISTANBUL)
    later = _give(customer, decided_at=now)
    consent_withdraw(
        customer=customer, consent_type="EPOSTA", source="import", decided_at=now - dt.timedelta(1)
    )

    assert consent_current(customer=customer, consent_type="EPOSTA") == later


def test_a_decision_is_validated_field_by_field_and_nothing_is_recorded():
    customer = f.CustomerFactory(phone="")

    with pytest.raises(ValidationError) as caught, translation.override("en"):
        consent_record(
            customer=customer,
            consent_type="MESAJ",
            status="ONAY",
            source="store",
            recipient_type="KURUM",
        )

    assert set(caught.value.fields) == {"recipient_type", "text_version", "recorded_by", "type"}
    assert caught.value.fields["type"] == ["The profile has no valid phone number for this."]
    assert not ConsentDecision.objects.exists()
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"consent_type": "FAX", "status": "ONAY"}, "type"),
        ({"consent_type": "EPOSTA", "status": "MAYBE"}, "status"),
        ({"consent_type": "EPOSTA", "status": "ONAY", "source": "iys"}, "source"),
        ({"consent_type": "EPOSTA", "status": "ONAY", "text_version": ""}, "text_version"),
        ({"consent_type": "EPOSTA", "status": "RET", "decided_at": "future"}, "decided_at"),
    ],
)
def test_each_bad_field_is_named(values, field):
    customer = f.CustomerFactory()
    values = {"source": "web", "text_version": "v1"} | values
    if values.get("decided_at") == "future":
        values["decided_at"] = dt.datetime.now(ISTANBUL) + dt.timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        consent_record(customer=customer, **values)

    assert list(caught.value.fields) == [field]
    assert not ConsentDecision.objects.exists()


def test_store_staff_record_a_consent_with_their_name_as_proof():
    customer = f.CustomerFactory()
    staff = f.UserFactory(is_staff=True)

    decision = _give(customer, "EPOSTA", source="store", recorded_by=staff, ip_address=None)

    assert decision.recorded_by == staff and decision.ip_address is None


# --- may we send it? ------------------------------------------------------------------------


def test_a_transactional_message_needs_no_consent():
    customer = f.CustomerFactory()

    assert message_allowed(customer=customer, channel="sms", commercial=False).reason == (
        "transactional"
    )
    assert message_allowed(customer=customer, channel="email", commercial=False).allowed


def test_nothing_is_sent_where_the_profile_has_no_address():
    customer = f.CustomerFactory(phone="")

    result = message_allowed(customer=customer, channel="call", commercial=False)

    assert (result.allowed, result.reason) == (False, "no_address")


def test_a_commercial_message_needs_the_current_onay(settings):
    settings.IYS_ENABLED = False
    customer = f.CustomerFactory()
    assert message_allowed(customer=customer, channel="email", commercial=True).reason == (
        "no_consent"
    )
    _give(customer)
    assert message_allowed(customer=customer, channel="email", commercial=True).allowed
    consent_withdraw(customer=customer, consent_type="EPOSTA", source="web")
    result = message_allowed(customer=customer, channel="email", commercial=True)
    assert (result.allowed, result.reason) == (False, "withdrawn")


def test_with_iys_on_an_onay_counts_once_iys_holds_it(settings):
    settings.IYS_ENABLED = True
    customer = f.CustomerFactory()
    decision = _give(customer, "MESAJ")

    assert message_allowed(customer=customer, channel="sms", commercial=True).reason == (
        "pending_iys"
    )
    ConsentDecision.objects.filter(pk=decision.pk).update(push_state=PushState.SENT)
    assert message_allowed(customer=customer, channel="sms", commercial=True).allowed


def test_a_consent_does_not_follow_the_profile_to_another_address(settings):
    settings.IYS_ENABLED = False
    customer = f.CustomerFactory(email="eski@example.com")
    _give(customer)
    customer.email = "yeni@example.com"

    result = message_allowed(customer=customer, channel="email", commercial=True)

    assert (result.allowed, result.reason) == (False, "address_changed")


def test_message_allowed_takes_one_query(settings, django_assert_num_queries):
    settings.IYS_ENABLED = True
    customer = f.CustomerFactory()
    _give(customer)
    _give(customer, "MESAJ")

    with django_assert_num_queries(1):
        message_allowed(customer=customer, channel="email", commercial=True)


ADDRESS = "ayse@example.com"


@given(
    status=st.sampled_from([None, *ConsentStatus.values]),
    push_state=st.sampled_from(PushState.values),
    same_address=st.booleans(),
    iys_required=st.booleans(),
)
def test_the_commercial_rule_as_a_truth_table(status, push_state, same_address, iys_required):
    decision = (
        None
        if status is None
        else ConsentDecision(
            status=status,
            push_state=push_state,
            recipient=ADDRESS if same_address else "other@example.com",
        )
    )

    result = consent_permission(decision, address=ADDRESS, iys_required=iys_required)

    in_iys = push_state in (PushState.SENT, PushState.UNCHANGED, PushState.FROM_IYS)
    expected = status == "ONAY" and same_address and (in_iys or not iys_required)
    assert result.allowed is expected
    if status == "RET":
        assert result.reason == "withdrawn"  # a withdrawal wins whatever else holds


# --- the deadline: 3 business days ----------------------------------------------------------


def _at(*args):
    return dt.datetime(*args, tzinfo=ISTANBUL)


def test_the_deadline_is_the_end_of_the_third_business_day_after():
    # Tuesday 1 December 2026: Wednesday, Thursday, Friday.
    assert push_deadline(_at(2026, 12, 1, 9, 30)) == _at(2026, 12, 5)


def test_the_deadline_skips_the_weekend():
    # Friday 4 December 2026: Monday, Tuesday, Wednesday.
    assert push_deadline(_at(2026, 12, 4, 16)) == _at(2026, 12, 10)


def test_the_day_is_istanbuls():
    # 22:30 UTC on a Friday is already Saturday in Istanbul: Monday to Wednesday.
    late_friday = dt.datetime(2026, 12, 4, 22, 30, tzinfo=dt.UTC)
    assert push_deadline(late_friday) == _at(2026, 12, 10)


def test_the_deadline_skips_the_bayram_but_counts_its_half_day_eve():
    # Wednesday 18 March 2026. Thursday 19th is Ramazan Bayramı's eve (a half day, counted);
    # Friday 20th is the Bayram, then the weekend; Monday 23rd, Tuesday 24th.
    assert not is_business_day(dt.date(2026, 3, 20))
    assert is_business_day(dt.date(2026, 3, 19))
    assert push_deadline(_at(2026, 3, 18, 11)) == _at(2026, 3, 25)


def test_the_deadline_skips_a_fixed_holiday_and_the_weekend():
    # Tuesday 27 October 2026: 28th eve (counted), 29th Republic Day, Friday 30th, the weekend,
    # Monday 2 November.
    assert push_deadline(_at(2026, 10, 27, 10)) == _at(2026, 11, 3)


def test_kurban_bayrami_is_skipped_whole():
    # Friday 22 May 2026: Monday 25th, Tuesday 26th (the eve, counted), 27th-30th the Bayram,
    # the weekend, Monday 1 June.
    assert push_deadline(_at(2026, 5, 22, 10)) == _at(2026, 6, 2)


def test_a_decision_is_overdue_once_past_its_deadline_and_not_yet_in_iys():
    customer = f.CustomerFactory()
    old = _give(customer, decided_at=_at(2026, 11, 2, 10))  # due by 6 November
    fresh = _give(customer, "MESAJ")
    sent = _give(customer, "ARAMA", decided_at=_at(2026, 11, 2, 10))
    ConsentDecision.objects.filter(pk=sent.pk).update(push_state=PushState.SENT)

    overdue = consents_overdue(now=_at(2026, 11, 7))

    assert list(overdue) == [old]
    assert fresh.push_due_at > _at(2026, 11, 7)


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0532 111 22 33", "+905321112233"),
        ("532 111 2233", "+905321112233"),
        ("+90 (532) 111-22-33", "+905321112233"),
        ("905321112233", "+905321112233"),
        ("12345", ""),
        ("+44 20 7946 0958", ""),
        ("", ""),
    ],
)
def test_a_turkish_number_typed_any_way_is_one_number(typed, e164):
    assert phone_e164(typed) == e164
