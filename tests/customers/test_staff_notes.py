"""Staff notes (customers.notes): one rule for the staff screens and the staff API, kept with
the profile through a merge, gone with an erasure, listed on the admin's customer page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from customers.data_requests import customer_erase
from customers.merge import customer_merge
from customers.models import StaffNote, TimelineEvent
from customers.notes import staff_note_add
from omni.errors import ValidationError
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return f.UserFactory(role=User.Role.STORE_STAFF, first_name="Zeynep", last_name="Ak")


def test_a_note_is_a_row_and_a_timeline_event_in_one_go(clerk):
    customer = f.CustomerFactory()
    store = f.ChannelFactory(code="store-kadikoy", kind="store")

    added = staff_note_add(customer=customer, author=clerk, text=" 38 numara giyiyor ", store=store)

    assert (added.note.text, added.note.store, added.note.author) == (
        "38 numara giyiyor",
        store,
        clerk,
    )
    assert (added.event.kind, added.event.channel, added.event.event_id) == (
        "staff_note",
        store,
        f"note-{added.note.pk}",
    )


def test_a_refused_note_writes_nothing(clerk):
    customer = f.CustomerFactory()
    for text in ("", "  \n ", "x" * 2001):
        with pytest.raises(ValidationError) as refused:
            staff_note_add(customer=customer, author=clerk, text=text)
        assert list(refused.value.fields) == ["text"]
    assert not StaffNote.objects.exists() and not TimelineEvent.objects.exists()


def test_the_staff_api_adds_notes_through_the_same_rule(api, clerk):
    customer = f.CustomerFactory()
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(clerk)}")
    answer = api.post(
        f"/api/v1/staff/customers/{customer.pk}/notes/", {"text": "VIP"}, format="json"
    )
    assert answer.status_code == 201
    assert StaffNote.objects.get().text == "VIP"


def test_notes_follow_a_merge_and_go_with_an_erasure(clerk):
    source, target = f.CustomerFactory(email="a@example.com"), f.CustomerFactory(email="b@x.com")
    staff_note_add(customer=source, author=clerk, text="Kaynak notu")

    merge = customer_merge(source=source, target=target, actor=clerk)

    assert merge.moved["staff_notes"] == 1
    assert StaffNote.objects.get().customer == target
    customer_erase(customer=target)
    assert not StaffNote.objects.exists()


def test_the_admin_customer_page_lists_the_notes(admin_client, clerk):
    customer = f.CustomerFactory()
    staff_note_add(customer=customer, author=clerk, text="Keten sever")
    page = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    assert "Zeynep Ak" in page.content.decode() and "Keten sever" in page.content.decode()
