"""A NUL character in any field a serializer reads is that field's 400, whatever the field: a
lookup by code or slug never takes it to PostgreSQL, where it would be a 500. The edge guard
(omni/guard.py) refuses one in a JSON, urlencoded or multipart POST body before any view runs;
the serializer bases (omni/api/serializers.py) catch what reaches them otherwise, such as a
multipart PATCH, which Django leaves to DRF to parse."""

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
