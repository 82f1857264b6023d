"""Proving an e-mail address or phone number with a 6-digit code (customers.verification), over
the app API: the code is sent, kept only as a hash, never logged, expires, allows 5 tries and is
resent at most once a minute; a proven claim joins the guest profile that held it, an unproven
one joins nothing."""

import logging
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from customers.models import Customer, CustomerIdentity, CustomerMerge, IdentityClaim
from customers.services import customer_for_guest, customer_for_user
from customers.verification import code_hash
from omni.messaging import MemoryProvider
from orders.models import Cart, Order
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/identities/"


@pytest.fixture(autouse=True)
def _sms():
    MemoryProvider.clear()
    yield
    MemoryProvider.clear()


@pytest.fixture
def api(api, django_capture_on_commit_callbacks):
    """The client, each POST running its after-commit callbacks when it is done: codes are
    handed to the sender after the commit."""
    post = api.post

    def posting(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(*args, **kwargs)

    api.post = posting
    return api


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


def _signed_in(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def _code(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def _claim(api, kind, value):
    response = api.post(URL, {"kind": kind, "value": value}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_sign_up_gives_the_profile_its_email_unverified():
    customer = customer_for_user(user=f.UserFactory(email="ayse@example.com"))
    identity = CustomerIdentity.objects.get(customer=customer)
    assert (identity.kind, identity.value, identity.verified_at) == (
        "email",
        "ayse@example.com",
        None,
    )


def test_a_phone_is_proven_by_the_code_sent_by_sms_which_is_never_logged(api, caplog):
    caplog.set_level(logging.DEBUG)
    user = f.UserFactory()
    _signed_in(api, user)

    claim = _claim(api, "phone", "0532 123 45 67")

    assert [sms.to for sms in MemoryProvider.sent] == ["+905321234567"]
    code = _code(MemoryProvider.sent[0].text)
    stored = IdentityClaim.objects.get(pk=claim["id"])
    assert code not in stored.code_hash
    assert stored.code_hash == code_hash(claim_id=stored.pk, code=code)
    response = api.post(f"{URL}{claim['id']}/verify/", {"code": code}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["value"] == "+905321234567"
    assert response.json()["verified_at"]
    assert code not in caplog.text
    assert api.get(URL).json()[-1]["verified_at"]


def test_a_wrong_code_is_a_field_error_and_the_fifth_ends_the_code(api):
    _signed_in(api, f.UserFactory())
    claim = _claim(api, "email", "can@example.com")
    code = _code(mail.outbox[0].body)
    html, mimetype = mail.outbox[0].alternatives[0]  # the shop's e-mail: HTML and plain text
    assert mimetype == "text/html" and f">{code}</p>" in html
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(5):
        response = api.post(f"{URL}{claim['id']}/verify/", {"code": wrong}, format="json")
        assert response.status_code == 400
        assert "code" in response.json()["fields"]
    assert IdentityClaim.objects.get(pk=claim["id"]).attempts == 5
    response = api.post(f"{URL}{claim['id']}/verify/", {"code": code}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "code_attempts" or "code" in response.json()["fields"]
    assert not CustomerIdentity.objects.filter(value="can@example.com").exists()


def test_an_expired_code_is_refused_and_resending_is_throttled(api):
    _signed_in(api, f.UserFactory())
    claim = _claim(api, "email", "can@example.com")
    code = _code(mail.outbox[0].body)
    IdentityClaim.objects.filter(pk=claim["id"]).update(
        code_expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = api.post(f"{URL}{claim['id']}/verify/", {"code": code}, format="json")
    assert response.status_code == 400

    assert api.post(f"{URL}{claim['id']}/send/").status_code == 429
    IdentityClaim.objects.filter(pk=claim["id"]).update(
        sent_at=timezone.now() - timedelta(minutes=2)
    )
    assert api.post(f"{URL}{claim['id']}/send/").status_code == 200
    new = _code(mail.outbox[-1].body)
    assert api.post(f"{URL}{claim['id']}/verify/", {"code": new}, format="json").status_code == 200


def test_bad_input_is_a_field_error_and_another_customers_claim_is_not_found(api):
    _signed_in(api, f.UserFactory())
    response = api.post(URL, {"kind": "phone", "value": "12"}, format="json")
    assert response.status_code == 400 and "value" in response.json()["fields"]
    response = api.post(URL, {"kind": "loyalty_card", "value": "1"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()["fields"]
    other = customer_for_user(user=f.UserFactory())
    theirs = IdentityClaim.objects.create(customer=other, kind="email", value="x@example.com")
    response = api.post(f"{URL}{theirs.pk}/verify/", {"code": "123456"}, format="json")
    assert response.status_code == 404


def _guest_with_history(web, email="", phone=""):
    guest = customer_for_guest(email=email, phone=phone)
    Order.objects.create(
        number="W-9",
        channel=web,
        origin_channel=web,
        customer=guest,
        delivery=Order.Delivery.HOME,
        currency="TRY",
        subtotal=Decimal("10"),
        total=Decimal("10"),
    )
    Cart.objects.create(customer=guest, origin_channel=web, last_channel=web)
    return guest


def test_proving_a_guests_phone_joins_the_guests_orders_and_carts(api, web):
    guest = _guest_with_history(web, phone="0532 123 45 67")
    user = f.UserFactory()
    _signed_in(api, user)
    claim = _claim(api, "phone", "+90 532 123 45 67")
    assert Order.objects.get(number="W-9").customer == guest  # claimed, not proven: nothing

    code = _code(MemoryProvider.sent[0].text)
    assert api.post(f"{URL}{claim['id']}/verify/", {"code": code}, format="json").status_code == 200

    mine = Customer.objects.get(user=user)
    assert Order.objects.get(number="W-9").customer == mine
    assert Cart.objects.get(status="active").customer == mine
    assert CustomerIdentity.objects.get(value="+905321234567").customer == mine
    merge = CustomerMerge.objects.get()
    assert (merge.source, merge.target, merge.reason) == (guest, mine, "verification")


def test_a_sign_up_email_held_by_a_guest_joins_once_proven(api, web):
    guest = _guest_with_history(web, email="ayse@example.com")
    user = f.UserFactory(email="ayse@example.com")
    mine = customer_for_user(user=user)
    assert not CustomerIdentity.objects.filter(customer=mine).exists()  # the guest's still
    _signed_in(api, user)
    claim = _claim(api, "email", "Ayse@Example.com")
    code = _code(mail.outbox[0].body)
    api.post(f"{URL}{claim['id']}/verify/", {"code": code}, format="json")
    assert Order.objects.get(number="W-9").customer == mine
    assert Customer.objects.get(pk=guest.pk).merged_into == mine
