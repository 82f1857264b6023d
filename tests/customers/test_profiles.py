"""One profile per person, and never someone else's history through an unverified e-mail."""

import pytest

from customers.services import customer_for_guest, customer_for_user
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_guest_checks_out_under_one_profile_per_email():
    first = customer_for_guest(email="Misafir@Example.com")
    assert customer_for_guest(email="misafir@example.com") == first
    assert first.user is None


def test_signing_up_with_a_guests_email_does_not_take_over_their_orders():
    guest = customer_for_guest(email="ayse@example.com")
    user = f.UserFactory(email="ayse@example.com")

    profile = customer_for_user(user=user)

    assert profile != guest
    assert profile.user == user
    guest.refresh_from_db()
    assert guest.user is None


def test_a_guest_order_never_lands_in_an_accounts_history():
    user = f.UserFactory(email="hesap@example.com")
    account_profile = customer_for_user(user=user)

    guest = customer_for_guest(email="hesap@example.com")

    assert guest != account_profile and guest.user is None
    assert customer_for_user(user=user) == account_profile


def test_a_guest_profile_stored_with_capitals_is_found_by_its_address():
    from customers.models import Customer

    imported = Customer.objects.create(email="Pazaryeri.Musteri@Example.com")
    assert customer_for_guest(email="pazaryeri.musteri@example.com") == imported
    assert customer_for_guest(email="PAZARYERI.MUSTERI@EXAMPLE.COM") == imported
    assert Customer.objects.filter(user__isnull=True).count() == 1
