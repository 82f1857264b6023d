"""A NUL character in a field of a multipart body (which the edge guard leaves to the
serializers, as a file may hold any byte) is a field error, whatever the field: a lookup by
code or slug never takes it to the database, where it would be a 500."""

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant_api(api):
    user = f.UserFactory(role="merchant_staff", is_staff=True, is_superuser=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}")
    return api


def test_a_nul_in_a_multipart_lookup_field_is_a_field_error(merchant_api):
    f.TaxClassFactory()
    f.category()

    answer = merchant_api.post(
        "/api/v1/admin/products/",
        {"name_tr": "Elbise", "category": "giyim", "tax_class": "kdv\x00-20"},
        format="multipart",
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "null_characters_not_allowed"
    assert list(answer.json()["fields"]) == ["tax_class"]


def test_a_nul_in_a_multipart_code_field_is_a_field_error(merchant_api):
    answer = merchant_api.post(
        "/api/v1/admin/inventory/external-movements/",
        {"location": "dc\x00", "sku": "SKU-1", "quantity": 1, "kind": "sale", "external_ref": "x"},
        format="multipart",
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "null_characters_not_allowed"
    assert list(answer.json()["fields"]) == ["location"]
