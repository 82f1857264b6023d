"""What PostgreSQL cannot store is refused as the field's 400, never a 500 from the database.

A NUL character: the edge guard (omni/guard.py) refuses one in a JSON, urlencoded or multipart
POST body before any view runs; the serializer bases (omni/api/serializers.py) refuse one in
any field that reaches them otherwise (a multipart PATCH, which DRF parses), lookups by code or
slug included. A number bigger than its column: the input field is bounded as the column is."""

import pytest
from django.http import QueryDict

from inventory.api.serializers import ExternalMovementInput
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_nul_in_a_multipart_patch_lookup_field_is_a_field_error(api):
    item = f.product()
    boss = f.UserFactory(role="merchant_staff", is_staff=True, is_superuser=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(boss)}")

    answer = api.patch(
        f"/api/v1/admin/products/{item.pk}/", {"tax_class": "kdv\x00-20"}, format="multipart"
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "null_characters_not_allowed"
    assert list(answer.json()["fields"]) == ["tax_class"]
    item.refresh_from_db()
    assert item.tax_class.code == "kdv-20"


def test_a_nul_in_any_field_of_any_api_serializer_is_refused_before_a_lookup():
    form = QueryDict(mutable=True)
    form.update({"location": "dc\x00", "sku": "SKU-1", "quantity": "1", "kind": "sale"})

    data = ExternalMovementInput(data=form)

    assert not data.is_valid()
    assert list(data.errors) == ["location"]
    assert data.errors["location"][0].code == "null_characters_not_allowed"


@pytest.mark.parametrize(
    "values",
    [
        {"sort_order": 10**20},  # past bigint: PostgreSQL's DataError, a 500
        {"sort_order": 32_768, "weight_grams": 2**31},  # past the columns: "SKU taken"
    ],
)
def test_a_number_too_big_for_its_column_is_its_field_error(api, values):
    variant = f.product().variants.get()
    boss = f.UserFactory(role="merchant_staff", is_staff=True, is_superuser=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(boss)}")

    answer = api.patch(f"/api/v1/admin/variants/{variant.sku}/", values)

    assert answer.status_code == 400
    assert set(answer.json()["fields"]) == set(values)
    variant.refresh_from_db()
    assert variant.sort_order == 0
