"""The IYS connector against a local fake IYS (tests/customers/fake_iys.py): pushes that are
claimed, never posted twice, retried when IYS does not answer; the sweep; the pull of decisions
citizens made in IYS, recorded once."""

import datetime as dt
import threading
from dataclasses import replace

import pytest
from django.db import connection

from customers import tasks
from customers.iys import HttpIysClient, IysConsent, IysError
from customers.iys_rules import ISTANBUL
from customers.models import ConsentDecision, IysPullCursor, PushState
from customers.selectors import consent_current, message_allowed
from customers.services import consent_give, consent_push, consent_withdraw, consents_pull
from omni.models import OutboxEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def _give(customer, consent_type="EPOSTA", **extra):
    values = {"source": "web", "text_version": "ETK-2026-01"}
    return consent_give(customer=customer, consent_type=consent_type, **(values | extra))


def test_a_decision_is_pushed_in_iys_shape(fake_iys, iys):
    customer = f.CustomerFactory(email="ayse@example.com")
    decided = dt.datetime(2026, 12, 3, 9, 15, 7, tzinfo=dt.UTC)
    decision = _give(customer, decided_at=decided)

    assert consent_push(decision_id=decision.pk, client=iys) == PushState.SENT

    assert fake_iys.posts == [
        {
            "consentDate": "2026-12-03 12:15:07",  # Istanbul time, as IYS takes it
            "source": "HS_WEB",
            "recipient": "ayse@example.com",
            "recipientType": "BIREYSEL",
            "status": "ONAY",
            "type": "EPOSTA",
        }
    ]
    decision.refresh_from_db()
    assert decision.push_state == PushState.SENT
    assert decision.push_attempts == 1 and decision.pushed_at is not None
    assert decision.iys_transaction_id


def test_pushing_twice_posts_once(fake_iys, iys):
    decision = _give(f.CustomerFactory(phone="05321112233"), "MESAJ", source="app")

    consent_push(decision_id=decision.pk, client=iys)
    again = consent_push(decision_id=decision.pk, client=iys)

    assert again == PushState.SENT
    assert [(p["recipient"], p["source"]) for p in fake_iys.posts] == [
        ("+905321112233", "HS_MOBIL")
    ]
    decision.refresh_from_db()
    assert decision.push_attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_pushing_at_once_post_once(fake_iys):
    from customers.iys import iys_client

    decision = _give(f.CustomerFactory(), "EPOSTA")
    barrier = threading.Barrier(4)
    results = []

    def push():
        barrier.wait()
        try:
            results.append(consent_push(decision_id=decision.pk, client=iys_client()))
        finally:
            connection.close()

    workers = [threading.Thread(target=push) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(fake_iys.posts) == 1
    decision.refresh_from_db()
    assert decision.push_state == PushState.SENT and decision.push_attempts == 1
    assert len(results) == 4


def test_what_iys_already_holds_is_not_posted_again(fake_iys, iys):
    customer = f.CustomerFactory()
    first = _give(customer)
    consent_push(decision_id=first.pk, client=iys)
    second = _give(customer)  # the same ONAY, ticked again
    withdrawn = consent_withdraw(customer=customer, consent_type="EPOSTA", source="web")

    assert consent_push(decision_id=second.pk, client=iys) == PushState.UNCHANGED
    assert consent_push(decision_id=withdrawn.pk, client=iys) == PushState.SENT

    assert [p["status"] for p in fake_iys.posts] == ["ONAY", "RET"]


def test_a_withdrawal_iys_never_had_an_onay_for_is_not_posted(fake_iys, iys):
    withdrawn = consent_withdraw(customer=f.CustomerFactory(), consent_type="EPOSTA", source="app")

    assert consent_push(decision_id=withdrawn.pk, client=iys) == PushState.UNCHANGED
    assert fake_iys.posts == []


def test_an_iys_that_does_not_answer_is_tried_again(fake_iys, iys):
    customer = f.CustomerFactory()
    decision = _give(customer, "EPOSTA")
    fake_iys.fail_next = 1

    with pytest.raises(IysError) as caught:
        consent_push(decision_id=decision.pk, client=iys)

    assert caught.value.retryable
    decision.refresh_from_db()
    assert decision.push_state == PushState.PENDING
    assert decision.push_claimed_until is None  # released: the retry may claim it at once
    assert "503" not in decision.push_error and decision.push_error
    assert message_allowed(customer=customer, channel="email", commercial=True).reason == (
        "pending_iys"
    )

    assert consent_push(decision_id=decision.pk, client=iys) == PushState.SENT
    decision.refresh_from_db()
    assert decision.push_attempts == 2 and decision.push_error == ""
    assert message_allowed(customer=customer, channel="email", commercial=True).allowed


def test_the_task_retries_with_backoff(fake_iys, monkeypatch):
    decision = _give(f.CustomerFactory(), "EPOSTA")
    fake_iys.fail_next = 1
    countdowns = []

    def retry(*, countdown, **kwargs):
        countdowns.append(countdown)
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.consent_push, "retry", retry)

    with pytest.raises(RuntimeError):
        tasks.consent_push.run(decision.pk)

    assert countdowns == [30]
    assert fake_iys.posts == []


def test_a_consent_iys_refuses_is_recorded_and_not_retried(fake_iys, iys):
    customer = f.CustomerFactory()
    decision = _give(customer, "EPOSTA")
    ConsentDecision.objects.filter(pk=decision.pk).update(source="web", recipient="")

    assert consent_push(decision_id=decision.pk, client=iys) == PushState.REJECTED

    decision.refresh_from_db()
    assert decision.push_error.startswith("H114")
    assert fake_iys.posts == []


def test_a_decision_is_pushed_after_its_commit(fake_iys, django_capture_on_commit_callbacks):
    customer = f.CustomerFactory()

    with django_capture_on_commit_callbacks(execute=True):
        decision = _give(customer, "EPOSTA")

    assert len(fake_iys.posts) == 1
    decision.refresh_from_db()
    assert decision.push_state == PushState.SENT


def test_with_iys_off_nothing_is_queued_or_sent(settings, django_capture_on_commit_callbacks):
    settings.IYS_ENABLED = False

    with django_capture_on_commit_callbacks() as callbacks:
        _give(f.CustomerFactory(), "EPOSTA")

    queued = [
        cell.cell_contents.name
        for c in callbacks
        if "enqueue" in getattr(c, "__qualname__", "")
        for cell in c.__closure__ or ()
        if hasattr(cell.cell_contents, "name")
    ]
    # Only the customer's segments are evaluated (the consent may move them); nothing for IYS.
    assert queued == ["customers.tasks.segments_refresh"]
    assert tasks.consents_push_pending() == 0


def test_the_sweep_pushes_every_pending_decision(fake_iys):
    first = _give(f.CustomerFactory(), "EPOSTA")
    second = _give(f.CustomerFactory(), "EPOSTA")
    done = _give(f.CustomerFactory(), "EPOSTA")
    ConsentDecision.objects.filter(pk=done.pk).update(push_state=PushState.SENT)

    assert tasks.consents_push_pending() == 2

    assert (
        ConsentDecision.objects.filter(
            pk__in=[first.pk, second.pk], push_state=PushState.SENT
        ).count()
        == 2
    )
    assert len(fake_iys.posts) == 2
    assert tasks.consents_push_pending() == 0


def test_the_sweep_stops_at_an_outage_and_the_next_one_goes_on(fake_iys):
    _give(f.CustomerFactory(), "EPOSTA")
    _give(f.CustomerFactory(), "EPOSTA")
    fake_iys.fail_next = 10

    assert tasks.consents_push_pending() == 0
    assert ConsentDecision.objects.filter(push_state=PushState.PENDING).count() == 2

    fake_iys.fail_next = 0
    assert tasks.consents_push_pending() == 2


def test_the_client_signs_in_once_and_again_after_a_401(fake_iys, iys):
    consent = IysConsent(
        recipient="a@example.com",
        recipient_type="BIREYSEL",
        type="EPOSTA",
        status="ONAY",
        source="HS_WEB",
        consent_date="2026-12-01 10:00:00",
    )
    iys.consent_add(consent)
    iys.consent_add(replace(consent, recipient="b@example.com"))
    assert fake_iys.token_requests == 1

    fake_iys.tokens.clear()  # IYS let the token go early
    with pytest.raises(IysError) as caught:
        iys.consent_add(replace(consent, recipient="c@example.com"))
    assert caught.value.status == 401 and caught.value.retryable
    iys.consent_add(replace(consent, recipient="c@example.com"))
    assert len(fake_iys.posts) == 3


def test_wrong_credentials_are_an_error_not_a_crash(fake_iys):
    client = HttpIysClient(
        base_url=fake_iys.url,
        username="someone",
        password="wrong",
        iys_code=fake_iys.iys_code,
        brand_code=fake_iys.brand_code,
    )

    with pytest.raises(IysError) as caught:
        client.consent_changes(after="")

    assert caught.value.status == 401


# --- the pull: decisions citizens made in IYS -------------------------------------------------


def test_a_citizens_decision_in_iys_is_recorded_once(fake_iys, iys, settings):
    customer = f.CustomerFactory(email="ayse@example.com", phone="05321112233")
    other = f.CustomerFactory(email="baska@example.com", phone="")
    given = _give(customer, "MESAJ", decided_at=dt.datetime(2026, 12, 4, 9, tzinfo=ISTANBUL))
    consent_push(decision_id=given.pk, client=iys)
    fake_iys.citizen_decides(
        recipient="+905321112233", type="MESAJ", status="RET", consent_date="2026-12-04 10:00:00"
    )
    fake_iys.citizen_decides(
        recipient="nobody@example.com",
        type="EPOSTA",
        status="ONAY",
        consent_date="2026-12-04 10:01:00",
    )
    fake_iys.citizen_decides(
        recipient="baska@example.com",
        type="EPOSTA",
        status="ONAY",
        consent_date="2026-12-04 10:02:00",
    )
    events_before = OutboxEvent.objects.count()

    first, second, third = (consents_pull(client=iys) for _ in range(3))

    assert (first.read, first.recorded) == (2, 1)  # two changes, one about a known profile
    assert (second.read, second.recorded) == (1, 1)
    assert (third.read, third.recorded) == (0, 0)

    withdrawn = consent_current(customer=customer, consent_type="MESAJ")
    assert (withdrawn.status, withdrawn.source, withdrawn.push_state) == ("RET", "iys", "from_iys")
    assert withdrawn.decided_at == dt.datetime(2026, 12, 4, 10, tzinfo=ISTANBUL)
    assert message_allowed(customer=customer, channel="sms", commercial=True).reason == "withdrawn"
    assert consent_current(customer=other, consent_type="EPOSTA").status == "ONAY"
    assert OutboxEvent.objects.count() == events_before + 2
    assert IysPullCursor.objects.get(brand_code=fake_iys.brand_code).after == "3"


def test_a_change_pulled_again_is_not_recorded_twice(fake_iys, iys):
    customer = f.CustomerFactory(email="ayse@example.com")
    fake_iys.citizen_decides(
        recipient="ayse@example.com",
        type="EPOSTA",
        status="ONAY",
        consent_date="2026-12-04 10:00:00",
    )
    consents_pull(client=iys)
    IysPullCursor.objects.update(after="")  # the cursor lost: IYS sends the same change again

    assert consents_pull(client=iys).recorded == 0
    assert ConsentDecision.objects.filter(customer=customer).count() == 1


def test_a_pulled_decision_is_never_pushed_back(fake_iys, iys):
    f.CustomerFactory(email="ayse@example.com")
    fake_iys.citizen_decides(
        recipient="ayse@example.com",
        type="EPOSTA",
        status="ONAY",
        consent_date="2026-12-04 10:00:00",
    )
    assert tasks.consents_pull() == 1

    assert tasks.consents_push_pending() == 0
    assert fake_iys.posts == []


def test_the_pull_task_reads_every_page(fake_iys):
    customer = f.CustomerFactory(email="ayse@example.com")
    for minute in range(5):
        fake_iys.citizen_decides(
            recipient="ayse@example.com",
            type="EPOSTA",
            status="RET" if minute % 2 else "ONAY",
            consent_date=f"2026-12-04 10:0{minute}:00",
        )

    assert tasks.consents_pull() == 5  # three pages of two

    assert consent_current(customer=customer, consent_type="EPOSTA").status == "ONAY"
    assert tasks.consents_pull() == 0


def test_a_page_another_pull_already_took_is_not_written_again(fake_iys, iys, monkeypatch):
    customer = f.CustomerFactory(email="ayse@example.com")
    fake_iys.citizen_decides(
        recipient="ayse@example.com",
        type="EPOSTA",
        status="ONAY",
        consent_date="2026-12-04 10:00:00",
    )
    reads = iys.consent_changes

    def slow_read(*, after):
        page = reads(after=after)
        IysPullCursor.objects.filter(brand_code=iys.brand_code).update(after="1")  # the other
        return page

    monkeypatch.setattr(iys, "consent_changes", slow_read)

    assert consents_pull(client=iys).recorded == 0
    assert not ConsentDecision.objects.filter(customer=customer).exists()


def test_a_pulled_change_reaches_the_profile_holding_the_number_however_it_was_typed(fake_iys, iys):
    from customers.identities import identity_add

    customer = f.CustomerFactory(phone="0532 123 45 67")  # spaced: no exact form matches it
    identity_add(customer=customer, kind="phone", value=customer.phone)
    fake_iys.citizen_decides(
        recipient="+905321234567", type="MESAJ", status="RET", consent_date="2026-12-04 10:00:00"
    )

    assert consents_pull(client=iys).recorded == 1
    assert consent_current(customer=customer, consent_type="MESAJ").status == "RET"
