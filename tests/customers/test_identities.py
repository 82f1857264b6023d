"""A customer's identities: one person typed several ways is one identity, an identity has one
holder (the database decides, even under a race), a returning guest is found by their e-mail or
phone, and staff find a profile by any of them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.identities import (
    customer_find_or_create_guest,
    identity_add,
    identity_verify_mark,
    loyalty_card_issue,
)
from customers.identity import (
    ean13_check_digit,
    email_normalise,
    loyalty_number_valid,
    phone_normalise,
)
from customers.models import Customer, CustomerIdentity
from customers.selectors import customers_search
from customers.services import customer_for_guest
from omni.errors import Conflict, ValidationError
from tests import factories as f

# --- normalisation -----------------------------------------------------------------------------

# Turkish mobile prefixes (Turkcell 53x, Vodafone 54x, Turk Telekom 50x/55x).
MOBILE_PREFIXES = ["501", "505", "506", "507", "530", "532", "535", "539", "542", "545", "552"]


@given(
    prefix=st.sampled_from(MOBILE_PREFIXES),
    subscriber=st.integers(min_value=0, max_value=9_999_999),
)
@settings(max_examples=200, deadline=None)
def test_every_way_of_typing_a_turkish_mobile_is_one_number(prefix, subscriber):
    rest = f"{subscriber:07d}"
    spaced = f"{prefix} {rest[:3]} {rest[3:5]} {rest[5:]}"
    typed = [
        f"0{spaced}",
        f"+90 {spaced}",
        f"90{prefix}{rest}",
        f"{prefix}{rest}",
        f"+90 ({prefix}) {rest[:3]}-{rest[3:5]}-{rest[5:]}",
        f"0{prefix}{rest}",
        f"  +90{prefix}{rest} ",
    ]
    assert {phone_normalise(t) for t in typed} == {f"+90{prefix}{rest}"}


@pytest.mark.parametrize("typed", ["", "123", "0532", "abc", "0532 123 45 67 89 00", "+90 000 000"])
def test_an_invalid_phone_is_a_field_error(typed):
    with pytest.raises(ValidationError) as raised:
        phone_normalise(typed)
    assert raised.value.code == "invalid_phone"
    assert list(raised.value.fields) == ["phone"]


def test_emails_are_trimmed_and_lower_cased():
    assert email_normalise("  Ayse.Kaya@Example.COM ") == "ayse.kaya@example.com"
    with pytest.raises(ValidationError) as raised, translation.override("en"):
        email_normalise("ayse@")
    assert raised.value.fields == {"email": ["Enter a valid e-mail address."]}


def test_the_loyalty_check_digit_is_ean13s():
    assert ean13_check_digit("400638133393") == "1"  # GS1's own example
    body = "290000012345"
    right = ean13_check_digit(body)
    wrong = str((int(right) + 1) % 10)
    assert loyalty_number_valid(body + right)
    assert not loyalty_number_valid(body + wrong)
    assert not loyalty_number_valid("4006381333931")  # a product's EAN, not our range


# --- adding and verifying ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_phone_typed_two_ways_is_one_identity_of_one_profile():
    ayse, mehmet = f.CustomerFactory(), f.CustomerFactory()
    first = identity_add(customer=ayse, kind="phone", value="0532 123 45 67")

    assert identity_add(customer=ayse, kind="phone", value="+90 532 123 4567") == first
    with pytest.raises(Conflict) as raised:
        identity_add(customer=mehmet, kind="phone", value="532 123 45 67")

    assert raised.value.code == "identity_taken"
    assert list(CustomerIdentity.objects.values_list("customer", "kind", "value")) == [
        (ayse.pk, "phone", "+905321234567")
    ]


@pytest.mark.django_db
def test_bad_identities_are_field_errors_and_nothing_is_added():
    customer = f.CustomerFactory()
    for kind, value, marketplace, field in (
        ("phone", "12", "", "value"),
        ("email", "not-an-address", "", "value"),
        ("loyalty_card", "2900000000000x", "", "value"),
        ("marketplace_buyer", "123456", "", "marketplace"),
        ("passport", "U123", "", "kind"),
    ):
        with pytest.raises(ValidationError) as raised:
            identity_add(customer=customer, kind=kind, value=value, marketplace=marketplace)
        assert list(raised.value.fields) == [field], kind
    assert not CustomerIdentity.objects.exists()


@pytest.mark.django_db
def test_a_marketplace_buyer_id_is_unique_per_marketplace():
    ayse, mehmet = f.CustomerFactory(), f.CustomerFactory()
    identity_add(customer=ayse, kind="marketplace_buyer", value="88123", marketplace="Trendyol")
    other_market = identity_add(
        customer=mehmet, kind="marketplace_buyer", value="88123", marketplace="hepsiburada"
    )

    with pytest.raises(Conflict):
        identity_add(
            customer=mehmet, kind="marketplace_buyer", value="88123", marketplace="trendyol"
        )
    assert other_market.marketplace == "hepsiburada"


@pytest.mark.django_db
def test_verifying_keeps_the_first_proof():
    customer = f.CustomerFactory()
    identity = identity_add(customer=customer, kind="email", value="ayse@example.com")
    assert identity.verified_at is None

    identity_verify_mark(identity=identity)
    first = CustomerIdentity.objects.get().verified_at
    identity_verify_mark(identity=CustomerIdentity.objects.get())
    again = identity_add(customer=customer, kind="email", value="AYSE@example.com", verified=True)

    assert first is not None
    assert CustomerIdentity.objects.get().verified_at == first == again.verified_at


@pytest.mark.django_db
def test_a_loyalty_card_is_issued_once_with_a_valid_number():
    customer = f.CustomerFactory()
    card = loyalty_card_issue(customer=customer)

    assert loyalty_card_issue(customer=customer) == card
    assert loyalty_number_valid(card.value) and card.value.startswith("29")
    assert identity_add(customer=customer, kind="loyalty_card", value=card.value) == card


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_profiles_adding_the_same_phone_at_once_one_gets_it():
    ayse, mehmet = f.CustomerFactory(), f.CustomerFactory()
    barrier = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def add(customer, typed):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes[customer.pk] = identity_add(customer=customer, kind="phone", value=typed)
        except BaseException as error:
            outcomes[customer.pk] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=add, args=(ayse, "0532 123 45 67")),
        threading.Thread(target=add, args=(mehmet, "+90 532 123 45 67")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    added = [o for o in outcomes.values() if isinstance(o, CustomerIdentity)]
    refused = [o for o in outcomes.values() if isinstance(o, Conflict)]
    assert (len(added), len(refused)) == (1, 1), outcomes
    assert refused[0].code == "identity_taken"
    holder = CustomerIdentity.objects.get(kind="phone", value="+905321234567")
    assert holder.customer_id == added[0].customer_id


# --- guests ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_guest_with_only_a_phone_is_one_profile_however_they_type_it():
    first = customer_find_or_create_guest(phone="0532 123 45 67")

    assert customer_find_or_create_guest(phone="+90 532 123 45 67") == first
    assert customer_for_guest(email="", phone="5321234567") == first
    assert Customer.objects.count() == 1
    assert first.phone == "+905321234567"
    assert list(first.identities.values_list("kind", "value")) == [("phone", "+905321234567")]


@pytest.mark.django_db
def test_a_returning_guest_is_found_by_email_first_then_phone():
    by_email = customer_find_or_create_guest(email="Ayse@Example.com", phone="0532 123 45 67")
    by_phone_only = customer_find_or_create_guest(email="", phone="0533 000 00 00")

    assert (
        customer_find_or_create_guest(email="ayse@example.com", phone="0533 000 00 00") == by_email
    )
    assert customer_find_or_create_guest(email="yeni@example.com", phone="05321234567") == by_email
    assert customer_find_or_create_guest(phone="05330000000") == by_phone_only
    assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_a_returning_guest_s_new_phone_becomes_theirs_so_the_phone_alone_finds_them_next():
    guest = customer_find_or_create_guest(email="ayse@example.com")
    taken = f.CustomerFactory(phone="")
    identity_add(customer=taken, kind="phone", value="0533 000 00 00")

    assert customer_find_or_create_guest(email="AYSE@example.com", phone="0532 123 45 67") == guest
    assert customer_find_or_create_guest(email="ayse@example.com", phone="0533 000 00 00") == guest

    assert customer_find_or_create_guest(phone="+90 532 123 45 67") == guest
    assert sorted(guest.identities.values_list("kind", "value")) == [
        ("email", "ayse@example.com"),
        ("phone", "+905321234567"),
    ]
    assert taken.identities.get().value == "+905330000000"  # still the other profile's


@pytest.mark.django_db
def test_a_guest_never_gets_an_accounts_profile_by_its_phone():
    user = f.UserFactory(email="hesap@example.com")
    account = f.CustomerFactory(user=user, email="hesap@example.com", phone="+905321234567")
    identity_add(customer=account, kind="phone", value="05321234567")

    guest = customer_find_or_create_guest(phone="0532 123 45 67")

    assert guest != account and guest.user is None
    # The number stays the account's: the guest profile is a duplicate candidate.
    assert CustomerIdentity.objects.get(kind="phone").customer == account
    assert not guest.identities.exists()


@pytest.mark.django_db
def test_a_strict_guest_lookup_refuses_bad_input_and_checkout_does_not():
    with pytest.raises(ValidationError) as raised:
        customer_find_or_create_guest(email="x@example.com", phone="12")
    assert list(raised.value.fields) == ["phone"]
    with pytest.raises(ValidationError):
        customer_find_or_create_guest()
    assert not Customer.objects.exists()

    guest = customer_for_guest(email="x@example.com", phone="12")
    assert (guest.email, guest.phone) == ("x@example.com", "12")
    assert list(guest.identities.values_list("kind", flat=True)) == ["email"]


# --- staff search ------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    ayse = f.CustomerFactory(
        email="ayse@example.com", first_name="Ayşe", last_name="Kaya", phone=""
    )
    identity_add(customer=ayse, kind="phone", value="0532 123 45 67")
    identity_add(customer=ayse, kind="email", value="ayse@example.com")
    identity_add(customer=ayse, kind="marketplace_buyer", value="TY-88123", marketplace="trendyol")
    card = loyalty_card_issue(customer=ayse)
    # A profile from before identities: its phone as it was typed.
    legacy = f.CustomerFactory(
        email="eski@example.com", first_name="Mehmet", last_name="Demir", phone="05551112233"
    )
    f.CustomerFactory(
        email="baska@example.com", first_name="Zeynep", last_name="Ak", phone="+905559998877"
    )
    return ayse, legacy, card.value


@pytest.mark.parametrize(
    "query, who",
    [
        ("0532 123 45 67", "ayse"),
        ("+90 (532) 123-45-67", "ayse"),
        ("5321234567", "ayse"),
        ("905321234567", "ayse"),
        ("AYSE@example.com ", "ayse"),
        ("ayşe", "ayse"),
        ("Ayşe Kay", "ayse"),
        ("ayse", "ayse"),
        ("AYŞE kaya", "ayse"),
        ("TY-88123", "ayse"),
        ("card", "ayse"),
        ("+90 555 111 22 33", "legacy"),
        ("eski@EXAMPLE.com", "legacy"),
        ("demir", "legacy"),
        ("0532 999 99 99", None),
        ("", None),
    ],
)
def test_staff_find_a_customer_by_each_kind(people, query, who):
    ayse, legacy, card = people
    query = card if query == "card" else query
    expected = {"ayse": [ayse.pk], "legacy": [legacy.pk], None: []}[who]
    assert list(customers_search(query=query).values_list("pk", flat=True)) == expected


@pytest.mark.django_db
def test_a_buyer_id_matches_as_typed_and_a_phone_however_typed():
    buyer = f.CustomerFactory(phone="")
    identity_add(
        customer=buyer, kind="marketplace_buyer", value="5321234567", marketplace="trendyol"
    )
    caller = f.CustomerFactory(phone="")
    identity_add(customer=caller, kind="phone", value="5321234567")

    def found(query):
        return sorted(customers_search(query=query).values_list("pk", flat=True))

    assert found("0532 123 45 67") == [caller.pk]
    # The same digits as typed: staff see both, and the list says which is the buyer id.
    assert found("5321234567") == [buyer.pk, caller.pk]


# --- the backfill of existing profiles ---------------------------------------------------------


@pytest.mark.django_db
def test_the_backfill_gives_each_email_and_phone_to_the_oldest_profile():
    import datetime as dt
    import importlib

    from django.apps import apps
    from django.utils import timezone

    migration = importlib.import_module("customers.migrations.0005_customer_identities")
    now = timezone.now()
    newer = f.CustomerFactory(email="Ayse@Example.com", phone="0532 123 45 67")
    older = f.CustomerFactory(email="ayse@example.com ", phone="", user=f.UserFactory())
    Customer.objects.filter(pk=older.pk).update(created_at=now - dt.timedelta(days=30))
    Customer.objects.filter(pk=newer.pk).update(created_at=now)
    f.CustomerFactory(email="", phone="not a number")

    migration.identities_backfill(apps, None)

    assert sorted(CustomerIdentity.objects.values_list("customer", "kind", "value")) == sorted(
        [(older.pk, "email", "ayse@example.com"), (newer.pk, "phone", "+905321234567")]
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_orders_by_a_new_phone_guest_at_once_make_one_profile():
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def check_out(typed):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes.append(customer_for_guest(email="", phone=typed))
        except BaseException as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=check_out, args=(typed,))
        for typed in ("0532 123 45 67", "+90 532 123 45 67")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert all(isinstance(o, Customer) for o in outcomes), outcomes
    profile = Customer.objects.get()
    assert [o.pk for o in outcomes] == [profile.pk, profile.pk]
    assert profile.identities.get().value == "+905321234567"
