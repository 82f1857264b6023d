"""The OpenAPI schema documents each operation's error responses, in the one error shape, and
lists every value an enum field can take (tests/omni/test_api_fuzz.py checks the answers)."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from customers.services import customer_for_user
from tests import factories as f
from tests.orders.test_returns import ask, delivered, place


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _errors(schema, path, method):
    responses = schema["paths"][path][method]["responses"]
    return {code: r["$ref"].rsplit("/", 1)[1] for code, r in responses.items() if code >= "400"}


def test_errors_have_one_shape_in_the_schema(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message", "fields"]
    assert error["properties"]["fields"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    assert "reference" in error["properties"]
    for response in schema["components"]["responses"].values():
        assert response["content"] == {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        }


def test_each_operation_documents_the_errors_it_can_give(schema):
    assert _errors(schema, "/api/v1/products/{slug}/", "get") == {
        "400": "BadRequest",
        "401": "Unauthorized",
        "404": "NotFound",
    }
    assert _errors(schema, "/api/v1/categories/", "get") == {
        "400": "BadRequest",  # a NUL in the query string, say
        "401": "Unauthorized",
    }
    placing = _errors(schema, "/api/v1/orders/", "post")
    assert {"400", "401", "403", "409", "413", "415", "422"} <= set(placing)
    assert "404" in placing and "429" not in placing  # the Cart-Token names a cart
    assert {"400", "429"} <= set(_errors(schema, "/api/v1/auth/token/", "post"))
    assert "401" not in _errors(schema, "/api/v1/auth/token/", "post")
    assert {"401", "403", "404", "409"} <= set(
        _errors(schema, "/api/v1/staff/returns/{id}/receive/", "post")
    )
    assert "403" not in _errors(schema, "/api/v1/me/", "get")  # signing in is all it needs
    assert "403" in _errors(schema, "/api/v1/me/", "patch")  # a session's write without CSRF
    assert schema["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if "{" in path:
                assert "404" in codes, (method, path)
            assert "400" in codes, (method, path)
            if operation.get("requestBody"):
                assert {"413", "415"} <= codes, (method, path)


@pytest.mark.django_db
def test_a_return_line_not_yet_received_has_no_condition_rather_than_a_blank(api, schema):
    web = f.ChannelFactory(code="web", kind="web", return_window_days=14)
    variant = f.product(channels=[web]).variants.get()
    f.stocked(web, variant)
    shopper = f.UserFactory()
    order = delivered(place(web, customer_for_user(user=shopper), {variant: 1}))
    requested = ask(order, web, (order.lines.get(), 1, "size"))
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(shopper)}")

    response = api.get(f"/api/v1/returns/{requested.pk}/")

    assert response.status_code == 200
    assert response.json()["lines"][0]["condition"] is None
    condition = schema["components"]["schemas"]["ReturnLineOutput"]["properties"]["condition"]
    assert condition["nullable"] is True


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _path_can_be_null(model, source: str) -> bool:
    """Whether some step of a dotted source is a nullable column (brand, exchange_variant.sku)."""
    for part in source.split("."):
        try:
            field = model._meta.get_field(part)
        except Exception:  # a property or method: not a column
            return False
        if getattr(field, "null", False):
            return True
        model = field.related_model
        if model is None:
            return False
    return False


def test_a_field_whose_column_can_be_null_is_nullable_in_the_schema(schema):
    wrong = []
    for cls in _subclasses(serializers.ModelSerializer):  # every API's, the schema imported them
        model = getattr(getattr(cls, "Meta", None), "model", None)
        if model is None or cls.__module__.split(".")[0] in ("rest_framework", "drf_spectacular"):
            continue
        for name, field in cls().fields.items():
            if isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField):
                continue
            source = field.source
            if (
                source
                and source != "*"
                and not field.allow_null
                and _path_can_be_null(model, source)
            ):
                wrong.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert wrong == []


@pytest.mark.django_db
def test_a_moment_from_long_ago_is_still_rfc_3339(api):
    """Istanbul's offset before 1910 had seconds (+01:55:52), which RFC 3339 (the schema's
    date-time) has no room for: such a moment is given in UTC."""
    web = f.ChannelFactory(code="web", kind="web")
    item = f.product(channels=[web])
    boss = f.UserFactory(role="merchant_staff", is_staff=True, is_superuser=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(boss)}")

    answer = api.put(
        f"/api/v1/admin/products/{item.pk}/listings/web/",
        {"is_published": False, "published_at": "0711-09-12T13:17:24Z"},
    )
    recent = api.put(
        f"/api/v1/admin/products/{item.pk}/listings/web/",
        {"is_published": True, "published_at": "2026-12-04T10:00:00Z"},
    )

    assert answer.status_code == 200
    assert answer.json()["published_at"] == "0711-09-12T13:17:24Z"
    assert recent.json()["published_at"] == "2026-12-04T13:00:00+03:00"  # local, as before
