"""The storefront's ways in (sign-in, sign-up, password reset) under the one throttling policy
(accounts/throttle.py; tests/accounts/test_throttle.py covers the policy itself)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from sales_channels.models import Channel
from tests import factories as f

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
CUSTOMER = "198.51.100.7"


@pytest.fixture(autouse=True)
def web(db):
    return f.ChannelFactory(code="web", name="Web", kind=Channel.Kind.WEB)


def sign_in(client, email: str, password: str, **meta):
    return client.post("/tr/account/sign-in/", {"username": email, "password": password}, **meta)


def test_a_locked_out_attacker_does_not_stop_the_customer_signing_in_from_their_address(client):
    customer = f.UserFactory()
    for _ in range(5):
        assert sign_in(client, customer.email, "guess", REMOTE_ADDR=ATTACKER).status_code == 400
    refused = sign_in(client, customer.email, f.PASSWORD, REMOTE_ADDR=ATTACKER)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.context["form"].throttled.message in refused.content.decode()

    response = sign_in(client, customer.email, f.PASSWORD, REMOTE_ADDR=CUSTOMER)
    assert response.status_code == 302
    assert response.cookies["omni_device"]["httponly"]  # this device is known to the account


def test_sign_up_is_limited_per_address(client):
    for n in range(10):
        data = {"email": f"new{n}@example.com", "password": "a-long-pass-2026"}
        assert client.post("/tr/account/sign-up/", data, REMOTE_ADDR=ATTACKER).status_code == 302
        client.logout()
    data = {"email": "new10@example.com", "password": "a-long-pass-2026"}
    refused = client.post("/tr/account/sign-up/", data, REMOTE_ADDR=ATTACKER)
    assert refused.status_code == 429
    assert 'value="new10@example.com"' in refused.content.decode()  # input kept
    assert not User.objects.filter(email="new10@example.com").exists()
    assert client.post("/tr/account/sign-up/", data, REMOTE_ADDR=CUSTOMER).status_code == 302


def test_password_reset_is_limited_per_e_mail_alike_for_an_unknown_one(client, mailoutbox):
    f.UserFactory(email="unuttum@example.com")
    for email in ("unuttum@example.com", "nobody@example.com"):
        for n in range(3):
            response = client.post(
                "/tr/account/password-reset/", {"email": email}, REMOTE_ADDR=f"192.0.2.{n}"
            )
            assert response.status_code == 302
        refused = client.post("/tr/account/password-reset/", {"email": email})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
    assert len(mailoutbox) == 3


def test_an_attacker_asking_for_a_customers_resets_does_not_stop_the_customers_own_device(
    client, mailoutbox
):
    customer = f.UserFactory()
    assert sign_in(client, customer.email, f.PASSWORD, REMOTE_ADDR=CUSTOMER).status_code == 302
    device = client.cookies["omni_device"].value
    client.logout()
    client.cookies["omni_device"] = device  # signed out, the browser keeps this cookie
    attacker = Client()
    for _ in range(3):
        attacker.post(
            "/tr/account/password-reset/", {"email": customer.email}, REMOTE_ADDR=ATTACKER
        )
    refused = attacker.post(
        "/tr/account/password-reset/", {"email": customer.email}, REMOTE_ADDR=ATTACKER
    )
    assert refused.status_code == 429
    assert (
        Client()
        .post(  # a new device is still held to the per-e-mail limit
            "/tr/account/password-reset/", {"email": customer.email}, REMOTE_ADDR=CUSTOMER
        )
        .status_code
        == 429
    )

    response = client.post(
        "/tr/account/password-reset/", {"email": customer.email}, REMOTE_ADDR=CUSTOMER
    )

    assert response.status_code == 302
    assert len(mailoutbox) == 4


def test_password_reset_is_limited_per_address(client):
    for n in range(10):
        response = client.post("/tr/account/password-reset/", {"email": f"a{n}@example.com"})
        assert response.status_code == 302
    assert client.post("/tr/account/password-reset/", {"email": "b@example.com"}).status_code == 429
