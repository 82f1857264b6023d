"""Every way into an account is throttled by one policy (accounts/throttle.py): the client is
the trusted proxies' word, the lock-out is per e-mail and address so an attacker locks out only
themselves, and the counts live in the shared cache."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.test import RequestFactory, override_settings

from omni.client_address import client_address
from tests import factories as f

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ATTACKER = "203.0.113.66"
CUSTOMER = "198.51.100.7"
PROXY = "10.0.0.2"


def token(api, email: str, password: str, **meta):
    return api.post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json", **meta
    )


def fail(api, email: str, times: int, **meta) -> None:
    for _ in range(times):
        assert token(api, email, "wrong-password", **meta).status_code == 400


# --- the client's address -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "198.51.100.7", PROXY),  # no proxy trusted: the header is the client's own word
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # a forged leftmost changes nothing
        (2, "1.2.3.4, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (1, "", PROXY),
        (1, "not-an-address", PROXY),
    ],
)
def test_the_client_is_the_nth_forwarded_address_from_the_right(
    settings, trusted, forwarded, expected
):
    settings.OMNI_TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


# --- sign-in ----------------------------------------------------------------------------------


def test_the_api_sign_in_locks_out_after_five_failures_in_the_one_error_shape(api):
    user = f.UserFactory(email="ayse@example.com")
    fail(api, user.email, 5)

    response = token(api, user.email, f.PASSWORD)  # even the right password
    assert response.status_code == 429
    body = response.json()
    assert (body["code"], body["fields"]) == ("throttled", {})
    assert body["message"]
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


def test_a_different_x_forwarded_for_on_each_request_does_not_bypass_the_lock_out(api):
    user = f.UserFactory()
    for n in range(5):
        response = token(api, user.email, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        assert response.status_code == 400
    assert token(api, user.email, f.PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_two_clients_behind_one_trusted_proxy_are_counted_apart(api, settings):
    settings.OMNI_TRUSTED_PROXY_COUNT = 1
    user = f.UserFactory()
    fail(api, user.email, 5, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)

    forged = f"{CUSTOMER}, {ATTACKER}"  # the attacker's own header, the proxy's append after it
    assert (
        token(api, user.email, f.PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forged)
    ).status_code == 429
    assert (
        token(api, user.email, f.PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CUSTOMER)
    ).status_code == 200


def test_an_attacker_failing_against_a_customer_does_not_lock_the_customer_out(api):
    customer = f.UserFactory()
    fail(api, customer.email, 5, REMOTE_ADDR=ATTACKER)
    assert token(api, customer.email, "guess", REMOTE_ADDR=ATTACKER).status_code == 429

    assert token(api, customer.email, f.PASSWORD, REMOTE_ADDR=CUSTOMER).status_code == 200


def test_an_ipv6_client_counts_as_its_64(api):
    user = f.UserFactory()
    fail(api, user.email, 5, REMOTE_ADDR="2001:db8:1:2::1")
    assert token(api, user.email, f.PASSWORD, REMOTE_ADDR="2001:db8:1:2::ff").status_code == 429
    assert token(api, user.email, f.PASSWORD, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_one_address_trying_many_accounts_is_stopped(api, settings):
    settings.OMNI_THROTTLE_RATES = {"sign-in.address": "3/15m"}
    users = [f.UserFactory() for _ in range(4)]
    for user in users[:3]:
        fail(api, user.email, 1, REMOTE_ADDR=ATTACKER)

    assert token(api, users[3].email, f.PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 429
    assert token(api, users[3].email, f.PASSWORD, REMOTE_ADDR=CUSTOMER).status_code == 200


def test_a_distributed_attack_stops_new_devices_but_not_the_customers_own(api, settings):
    settings.OMNI_THROTTLE_RATES = {"sign-in.account": "4/h"}
    customer = f.UserFactory()
    signed_in = token(api, customer.email, f.PASSWORD, REMOTE_ADDR=CUSTOMER)
    known_device = signed_in.headers["X-Omni-Device"]
    assert signed_in.cookies["omni_device"].value == known_device
    api.cookies.clear()
    for n in range(4):  # one failure from each of many addresses
        fail(api, customer.email, 1, REMOTE_ADDR=f"192.0.2.{n}")

    assert token(api, customer.email, f.PASSWORD, REMOTE_ADDR="192.0.2.50").status_code == 429
    assert (
        token(api, customer.email, f.PASSWORD, REMOTE_ADDR="192.0.2.51", HTTP_X_OMNI_DEVICE="x")
    ).status_code == 429  # a forged mark is no mark
    response = token(
        api, customer.email, f.PASSWORD, REMOTE_ADDR="192.0.2.52", HTTP_X_OMNI_DEVICE=known_device
    )
    assert response.status_code == 200
    other = f.UserFactory()  # another account's mark does not exempt
    other_device = token(api, other.email, f.PASSWORD).headers["X-Omni-Device"]
    api.cookies.clear()
    assert (
        token(api, customer.email, f.PASSWORD, HTTP_X_OMNI_DEVICE=other_device)
    ).status_code == 429


def test_successful_sign_ins_do_not_count(api):
    user = f.UserFactory()
    for _ in range(8):
        assert token(api, user.email, f.PASSWORD).status_code == 200
    fail(api, user.email, 4)
    assert token(api, user.email, f.PASSWORD).status_code == 200


def test_the_browser_sign_in_is_limited(client):
    user = f.UserFactory()
    for _ in range(5):
        response = client.post("/accounts/sign-in/", {"username": user.email, "password": "no"})
        assert response.status_code == 200
    response = client.post("/accounts/sign-in/", {"username": user.email, "password": f.PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.context["form"].non_field_errors() == [
        response.context["form"].throttled.message
    ]
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_limited(client):
    staff = f.merchant()
    for _ in range(5):
        response = client.post("/admin/login/", {"username": staff.email, "password": "no"})
        assert response.status_code == 200
    response = client.post("/admin/login/", {"username": staff.email, "password": f.PASSWORD})
    assert response.status_code == 429
    assert response.context["form"].throttled.message in response.content.decode()
    assert "_auth_user_id" not in client.session

    elsewhere = client.post(
        "/admin/login/", {"username": staff.email, "password": f.PASSWORD}, REMOTE_ADDR=CUSTOMER
    )
    assert elsewhere.status_code == 302
    assert client.get("/admin/").status_code == 200


# --- sign-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["api", "browser"])
def test_sign_up_is_limited_per_address(api, client, way):
    def sign_up(n: int, **meta):
        email, password = f"new{n}@example.com", "kapadokya-balon-42"
        if way == "api":
            data = {"email": email, "password": password}
            return api.post("/api/v1/auth/signup/", data, format="json", **meta)
        return client.post("/accounts/sign-up/", {"email": email, "password": password}, **meta)

    for n in range(10):
        assert sign_up(n, REMOTE_ADDR=ATTACKER).status_code in (201, 302)
        client.logout()
    refused = sign_up(10, REMOTE_ADDR=ATTACKER)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    if way == "api":
        assert refused.json()["code"] == "throttled"
    assert sign_up(11, REMOTE_ADDR=CUSTOMER).status_code in (201, 302)


# --- the shared count ---------------------------------------------------------------------------

FAIL_IN_ANOTHER_PROCESS = """
import sys
import django
django.setup()
from django.test import RequestFactory
from accounts import throttle
request = RequestFactory().post("/", REMOTE_ADDR=sys.argv[2])
for _ in range(5):
    throttle.sign_in_failed(request, email=sys.argv[1])
"""


@pytest.mark.redis
def test_failures_counted_by_another_process_on_the_same_redis_lock_out_here(api, settings):
    """Two processes (another worker or server) on one Redis: what one counts, the other sees."""
    redis_url = settings.OMNI_TEST_REDIS_URL
    user = f.UserFactory(email=f"shared-{uuid.uuid4().hex[:8]}@example.com")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "omni.settings.test", "CACHE_URL": redis_url}
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
            }
        }
    ):
        assert token(api, user.email, f.PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 200
        subprocess.run(
            [sys.executable, "-c", FAIL_IN_ANOTHER_PROCESS, user.email, ATTACKER],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=60,
        )
        assert token(api, user.email, f.PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 429
        assert token(api, user.email, f.PASSWORD, REMOTE_ADDR=CUSTOMER).status_code == 200
