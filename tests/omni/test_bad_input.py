"""Bad input is a 400 (or 404, 413) in the API's one error shape, never a 500, and a failed
request writes nothing. What reaches the API before any view runs (the body, the path, the
query string, the headers) is refused at the edge: the JSON parser, one middleware, Django's
error handlers."""

from __future__ import annotations

import logging

import pytest
from rest_framework.test import APIClient

from tests import factories as f

pytestmark = pytest.mark.django_db

SHAPE = {"code", "message", "fields"}


def error(response, status: int) -> dict:
    """The response is a JSON error of this status in the one shape; its body."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= SHAPE, body
    return body


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- the body -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_json_is_a_400_before_authentication(api, depth):
    # /auth/token/ reads the body before anyone is signed in; /me/ needs a sign-in first, and
    # the body is still refused, not parsed into a RecursionError.
    for path in ("/api/v1/auth/token/", "/api/v1/cart/lines/?channel=web"):
        response = api.post(path, nested(depth), content_type="application/json")
        assert error(response, 400)["code"] == "parse_error"


def test_nesting_up_to_the_limit_is_parsed(api):
    from omni.safejson import MAX_DEPTH, loads

    assert loads(nested(MAX_DEPTH)) is not None
    with pytest.raises(ValueError, match="nested"):
        loads(nested(MAX_DEPTH + 1))


@pytest.mark.parametrize("body", ['{"email": "a\\u0000@example.com", "password": "x"}',
                                  '{"a\\u0000": 1}', '["\\u0000"]'])  # fmt: skip
def test_a_nul_character_in_a_json_body_is_a_400(api, body):
    response = api.post("/api/v1/auth/token/", body, content_type="application/json")
    assert error(response, 400)["code"] == "parse_error"


def test_a_body_over_the_upload_limit_is_a_413_in_the_json_shape(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"email": "' + "a" * 2000 + '@example.com", "password": "x"}'
    response = api.post("/api/v1/auth/token/", body, content_type="application/json")
    assert error(response, 413)["code"] == "request_too_large"


def test_a_ten_megabyte_body_is_refused_in_the_json_shape(api):
    body = '{"email": "' + "a" * 10_000_000 + '"}'
    response = api.post("/api/v1/auth/token/", body, content_type="application/json")
    assert error(response, 413)["code"] == "request_too_large"


def test_a_form_body_over_the_limit_read_before_any_view_is_a_413_in_the_json_shape(api, settings):
    # omni.guard reads a form body for NUL characters, so the limit is met in a middleware,
    # outside DRF: Django's handler400 answers.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = "email=" + "a" * 2000 + "&password=x"
    response = api.post(
        "/api/v1/auth/token/", body, content_type="application/x-www-form-urlencoded"
    )
    assert error(response, 413)["code"] == "request_too_large"


# --- the URL and the headers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/products/?channel=web%00",
        "/api/v1/availability/?channel=web&sku=A%00",
        "/api/v1/orders/ME%001/",
        "/api/v1/nope%00/",
    ],
)
def test_a_nul_byte_in_the_path_or_query_string_is_a_400(api, path):
    f.ChannelFactory(code="web")
    api.force_authenticate(f.UserFactory())
    assert error(api.get(path), 400)["code"] == "invalid_characters"


def test_a_nul_byte_in_a_header_is_a_400(api):
    response = api.get("/api/v1/products/", HTTP_OMNI_CHANNEL="web\x00")
    assert error(response, 400)["code"] == "invalid_characters"


def test_a_nul_byte_in_a_form_body_is_a_400_outside_the_api_too(client):
    response = client.post(
        "/accounts/sign-in/",
        "username=a%00&password=b",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    multipart = client.post("/accounts/sign-in/", {"username": "a\x00", "password": "b"})
    assert multipart.status_code == 400


def test_a_nul_byte_in_a_multipart_field_is_a_400_before_any_view(api):
    # The location is looked up as it is: a NUL in it reached PostgreSQL, a 500, until the
    # serializers refused it too (omni.api.serializers); the edge refuses it first.
    api.force_authenticate(f.UserFactory(is_superuser=True, is_staff=True))
    body = {"location": "dc\x00", "kind": "sale", "sku": "A-1", "quantity": 1}
    response = api.post("/api/v1/admin/inventory/external-movements/", body, format="multipart")
    assert error(response, 400)["code"] == "invalid_characters"


def test_a_nul_byte_outside_the_api_is_a_plain_400(client):
    response = client.get("/tr/search/?q=a%00")
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


# --- errors raised outside DRF --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v2/orders/", "/api/v1/orders/x/y/z/"])
def test_an_unknown_api_url_is_a_json_404(api, path):
    assert error(api.get(path), 404)["code"] == "not_found"


def test_an_unknown_page_outside_the_api_stays_html(client):
    response = client.get("/nope/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_unexpected_error_in_an_api_view_is_a_json_500_with_a_reference(
    api, monkeypatch, caplog
):
    from sales_channels.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(views.ChannelListApi, "get", boom)
    client = APIClient(raise_request_exception=False)

    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/channels/")

    body = error(response, 500)
    assert body["code"] == "server_error"
    assert "hunter2" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()
    reference = body["reference"]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info[0] is RuntimeError


def test_an_unexpected_error_outside_drf_on_an_api_path_is_a_json_500(monkeypatch, caplog):
    from django.contrib.sessions.middleware import SessionMiddleware

    def boom(self, request):
        raise RuntimeError("a middleware broke: dsn=postgres://secret")

    monkeypatch.setattr(SessionMiddleware, "process_request", boom)
    client = APIClient(raise_request_exception=False)

    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/channels/")

    body = error(response, 500)
    assert body["code"] == "server_error"
    assert "secret" not in response.content.decode()
    logged = [r for r in caplog.records if body["reference"] in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info[0] is RuntimeError
    assert not [r for r in caplog.records if r.name == "django.request"]  # logged once


def test_with_debug_on_an_unknown_api_url_is_still_json(api, settings):
    settings.DEBUG = True  # Django answers with its technical 404 page, omni.guard reshapes it
    assert error(api.get("/api/v1/nope/"), 404)["code"] == "not_found"


# --- webhooks: JSON read outside DRF goes through the same loader ---------------------------


@pytest.mark.parametrize("body", [nested(100_000), nested(40), '{"status": "\\u0000"}'])
def test_a_webhook_too_deep_or_with_a_nul_is_refused_as_not_json(body):
    from payments.fake_provider import signature_header
    from payments.gateways.base import InvalidSignature
    from payments.gateways.iyzico import IyzicoGateway
    from payments.gateways.testcard import TestCardGateway

    secret = "whsec-a-secret-long-enough-for-the-test"
    headers = {"Omni-Test-Signature": signature_header(secret, body.encode())}
    with pytest.raises(InvalidSignature):
        TestCardGateway({"webhook_secret": secret}).parse_webhook(headers, body.encode())
    with pytest.raises(InvalidSignature):
        IyzicoGateway({"secret_key": secret}).parse_webhook({}, body.encode())
