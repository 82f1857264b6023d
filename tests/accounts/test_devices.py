"""API tokens: hashed at rest, one per device, sliding expiry, revocable by their owner, and
all revoked by a new password (accounts.DeviceToken, omni.api.auth)."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts import services
from accounts.models import DeviceToken, User
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


def sign_in(api, user, **device) -> dict:
    response = api.post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": f.PASSWORD, **device},
        format="json",
        HTTP_USER_AGENT="OmniApp/3.1 (iPhone; iOS 18.1)",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def me(api, key: str) -> int:
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/v1/me/").status_code


def test_the_database_keeps_a_digest_of_the_token_never_the_token(api):
    user = f.UserFactory()
    body = sign_in(api, user, device_id="install-1", device_name="Ayşe's iPhone")
    key = body["token"]

    row = DeviceToken.objects.values().get(user=user)
    assert row["digest"] == hashlib.sha512(key.encode()).hexdigest()
    assert row["token_key"] == key[:15]
    assert not any(key in str(value) for value in row.values())
    assert body["device"] == {
        "id": row["id"],
        "name": "Ayşe's iPhone",
        "user_agent": "OmniApp/3.1 (iPhone; iOS 18.1)",
        "created": body["device"]["created"],
        "last_used": body["device"]["last_used"],
        "expiry": body["device"]["expiry"],
        "current": True,
    }
    assert me(api, key) == 200


def test_each_device_signs_in_with_a_token_of_its_own_and_again_replaces_its_own(api):
    user = f.UserFactory()
    phone = sign_in(api, user, device_id="phone")["token"]
    tablet = sign_in(api, user, device_id="tablet")["token"]
    assert phone != tablet
    assert (me(api, phone), me(api, tablet)) == (200, 200)

    phone_again = sign_in(api, user, device_id="phone")["token"]
    assert (me(api, phone), me(api, phone_again), me(api, tablet)) == (401, 200, 200)
    assert DeviceToken.objects.filter(user=user).count() == 2


def test_the_device_list_runs_the_same_queries_for_1_and_6_devices(api):
    user = f.UserFactory()
    current = sign_in(api, user, device_id="laptop")["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {current}")
    with assert_num_queries(2):
        assert len(api.get("/api/v1/me/devices/").json()) == 1
    for n in range(5):
        sign_in(APIClient(), user, device_id=f"phone-{n}")
    with assert_num_queries(2):
        assert len(api.get("/api/v1/me/devices/").json()) == 6


def test_the_customer_lists_their_devices_without_any_secret(api):
    user, someone = f.UserFactory(), f.UserFactory()
    sign_in(api, user, device_id="phone", device_name="Phone")
    current = sign_in(api, user, device_id="laptop", device_name="Laptop")
    f.token_for(someone)
    expired = DeviceToken.objects.create(user=user, name="Old", expiry=timedelta(0))[0]
    api.credentials(HTTP_AUTHORIZATION=f"Token {current['token']}")

    response = api.get("/api/v1/me/devices/")

    assert response.status_code == 200
    devices = response.json()
    assert [(d["name"], d["current"]) for d in devices] == [("Laptop", True), ("Phone", False)]
    assert set(devices[0]) == {"id", "name", "user_agent", "created", "last_used", "expiry"} | {
        "current"
    }
    secrets = [t.digest for t in DeviceToken.objects.all()] + [current["token"][:15]]
    assert not any(secret in response.content.decode() for secret in secrets)
    assert expired.pk not in [d["id"] for d in devices]


def test_revoking_one_device_keeps_the_others_and_nobody_revokes_anothers(api):
    user, someone = f.UserFactory(), f.UserFactory()
    phone = sign_in(api, user, device_id="phone")
    laptop = sign_in(api, user, device_id="laptop")["token"]
    theirs_key = f.token_for(someone)
    theirs = DeviceToken.objects.get(user=someone)

    api.credentials(HTTP_AUTHORIZATION=f"Token {laptop}")
    assert api.delete(f"/api/v1/me/devices/{theirs.pk}/").status_code == 404
    assert me(api, theirs_key) == 200

    api.credentials(HTTP_AUTHORIZATION=f"Token {laptop}")
    assert api.delete(f"/api/v1/me/devices/{phone['device']['id']}/").status_code == 204
    assert (me(api, phone["token"]), me(api, laptop)) == (401, 200)
    assert list(DeviceToken.objects.values_list("user", flat=True).order_by("user")) == [
        user.pk,
        someone.pk,
    ]
    # The same URL answers the device's owner.
    api.credentials(HTTP_AUTHORIZATION=f"Token {theirs_key}")
    assert api.delete(f"/api/v1/me/devices/{theirs.pk}/").status_code == 204
    assert me(api, theirs_key) == 401


def test_signing_out_everywhere_revokes_every_device_of_the_user_only(api):
    user, someone = f.UserFactory(), f.UserFactory()
    phone, laptop = f.token_for(user), f.token_for(user)
    theirs = f.token_for(someone)
    api.credentials(HTTP_AUTHORIZATION=f"Token {laptop}")

    assert api.delete("/api/v1/me/devices/").status_code == 204
    assert (me(api, phone), me(api, laptop), me(api, theirs)) == (401, 401, 200)


def test_an_expired_token_is_refused_and_not_extended(api):
    user = f.UserFactory()
    key = f.token_for(user)
    past = timezone.now() - timedelta(seconds=1)
    DeviceToken.objects.filter(user=user).update(expiry=past, last_used=past - timedelta(days=30))

    api.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    response = api.get("/api/v1/me/")

    assert (response.status_code, response.json()["message"]) == (
        401,
        "The token has expired; sign in again.",
    )
    assert DeviceToken.objects.get(user=user).expiry == past


def test_each_use_slides_the_expiry_writing_at_most_once_a_refresh_interval(api, settings):
    from customers.api.auth import TokenAuthentication

    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=30)}
    user = f.UserFactory()
    key = f.token_for(user)
    now = timezone.now()
    a_while_ago = now - timedelta(minutes=5)
    DeviceToken.objects.filter(user=user).update(
        last_used=a_while_ago, expiry=a_while_ago + timedelta(days=30)
    )
    auth = TokenAuthentication()

    with assert_num_queries(2):  # the token (with user and profile), the slide
        auth.authenticate_credentials(key)
    token = DeviceToken.objects.get(user=user)
    assert now <= token.last_used <= timezone.now()
    assert token.expiry == token.last_used + timedelta(days=30)

    with assert_num_queries(1):  # used again within MIN_REFRESH_INTERVAL: no write
        auth.authenticate_credentials(key)
    assert DeviceToken.objects.get(user=user).expiry == token.expiry


def test_the_expiry_slides_no_further_than_the_longest_life_after_sign_in(settings):
    from customers.api.auth import TokenAuthentication

    settings.REST_KNOX = {**settings.REST_KNOX, "AUTO_REFRESH_MAX_TTL": timedelta(days=365)}
    user = f.UserFactory()
    key = f.token_for(user)
    signed_in = timezone.now() - timedelta(days=350)
    DeviceToken.objects.filter(user=user).update(
        created=signed_in, last_used=signed_in, expiry=timezone.now() + timedelta(days=1)
    )

    TokenAuthentication().authenticate_credentials(key)

    assert DeviceToken.objects.get(user=user).expiry == signed_in + timedelta(days=365)


def test_a_malformed_token_is_refused_without_a_query(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token-of-ours", HTTP_ACCEPT_LANGUAGE="en")
    with assert_num_queries(0):
        response = api.get("/api/v1/me/")
    assert (response.status_code, response.json()["message"]) == (401, "Invalid token.")


# --- a new password signs out every device ---------------------------------------------------


def test_a_new_password_set_by_a_service_revokes_every_token(api):
    user, someone = f.UserFactory(), f.UserFactory()
    keys = [f.token_for(user), f.token_for(user)]
    theirs = f.token_for(someone)

    user.set_password("a-new-and-long-password-1")
    user.save()

    assert [me(api, key) for key in keys] == [401, 401]
    assert me(api, theirs) == 200


def test_a_password_reset_through_the_storefront_revokes_every_token(api, client):
    user = f.UserFactory()
    key = f.token_for(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = client.get(f"/en/account/reset/{uid}/{default_token_generator.make_token(user)}/")
    assert link.status_code == 302

    response = client.post(
        link["Location"],
        {
            "new_password1": "a-new-and-long-password-1",
            "new_password2": "a-new-and-long-password-1",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    assert me(api, key) == 401


def test_a_password_changed_or_disabled_in_the_admin_revokes_every_token(api, client):
    admin = User.objects.create_superuser("boss@example.com", f.PASSWORD)
    client.force_login(admin)
    user = f.UserFactory()
    key = f.token_for(user)
    url = f"/admin/accounts/user/{user.pk}/password/"

    response = client.post(
        url,
        {
            "usable_password": "true",
            "password1": "a-new-and-long-password-1",
            "password2": "a-new-and-long-password-1",
        },
    )
    assert response.status_code == 302
    assert me(api, key) == 401

    key = f.token_for(user)
    response = client.post(url, {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302
    assert not User.objects.get(pk=user.pk).has_usable_password()
    assert me(api, key) == 401


class UpgradedHasher(MD5PasswordHasher):
    algorithm = "md5-upgraded"


def test_a_password_hash_upgraded_at_sign_in_is_no_new_password(api, settings):
    user = f.UserFactory()  # its password hashed by the test settings' only hasher, MD5
    kept = f.token_for(user)
    settings.PASSWORD_HASHERS = [
        f"{__name__}.UpgradedHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    sign_in(api, user)

    assert User.objects.get(pk=user.pk).password.startswith("md5-upgraded$")
    assert me(api, kept) == 200


def test_a_sign_in_clears_the_users_expired_tokens_and_the_prune_clears_all(api):
    user, someone = f.UserFactory(), f.UserFactory()
    DeviceToken.objects.create(user=user, expiry=timedelta(0))
    DeviceToken.objects.create(user=someone, expiry=timedelta(0))
    live = f.token_for(someone)

    sign_in(api, user)
    assert DeviceToken.objects.filter(user=user).count() == 1
    assert services.device_tokens_prune() == 1
    assert DeviceToken.objects.filter(user=someone).count() == 1
    assert me(api, live) == 200


def test_staff_see_a_users_devices_in_the_admin_and_can_sign_one_out(api, client):
    client.force_login(User.objects.create_superuser("boss@example.com", f.PASSWORD))
    user = f.UserFactory()
    key = f.token_for(user, name="Ayşe's iPhone")
    device = DeviceToken.objects.get(user=user)
    kept = f.token_for(user, name="Laptop")
    url = f"/admin/accounts/user/{user.pk}/change/"

    page = client.get(url)

    assert page.status_code == 200
    assert "Ayşe" in page.content.decode()
    assert device.digest not in page.content.decode() and key[:15] not in page.content.decode()
    formset = page.context["inline_admin_formsets"][0].formset
    form = {
        field: value
        for field, value in page.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    form.update(
        {
            "stores": [],
            "groups": [],
            "user_permissions": [],
            f"{formset.prefix}-TOTAL_FORMS": "2",
            f"{formset.prefix}-INITIAL_FORMS": "2",
            f"{formset.prefix}-0-id": str(device.pk),
            f"{formset.prefix}-0-user": str(user.pk),
            f"{formset.prefix}-0-DELETE": "on",
            f"{formset.prefix}-1-id": str(DeviceToken.objects.exclude(pk=device.pk).get().pk),
            f"{formset.prefix}-1-user": str(user.pk),
        }
    )
    response = client.post(url, form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert (me(api, key), me(api, kept)) == (401, 200)


def test_the_customer_sees_and_signs_out_their_apps_on_the_storefront(api, client):
    f.ChannelFactory(code="web")
    user, someone = f.UserFactory(), f.UserFactory()
    phone = sign_in(api, user, device_id="phone", device_name="Ayşe's iPhone")
    laptop = f.token_for(user, name="Laptop")
    theirs = f.token_for(someone)
    client.force_login(user)

    page = client.get("/en/account/profile/")
    assert page.status_code == 200
    assert "Ayşe&#x27;s iPhone" in page.content.decode() and "Laptop" in page.content.decode()
    assert phone["token"][:15] not in page.content.decode()

    foreign = DeviceToken.objects.get(user=someone).pk
    assert client.post("/en/account/profile/", {"sign_out_device": foreign}).status_code == 404
    response = client.post("/en/account/profile/", {"sign_out_device": phone["device"]["id"]})
    assert response.status_code == 302
    assert (me(api, phone["token"]), me(api, laptop), me(api, theirs)) == (401, 200, 200)

    client.post("/en/account/profile/", {"sign_out_device": "all"})
    assert (me(api, laptop), me(api, theirs)) == (401, 200)
    # The same form signs the device out for its owner.
    client.force_login(someone)
    assert client.post("/en/account/profile/", {"sign_out_device": foreign}).status_code == 302
    assert me(api, theirs) == 401
