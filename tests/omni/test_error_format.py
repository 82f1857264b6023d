"""Every API error has one shape: {"code", "message", "fields"}."""

import pytest

from tests import factories as f


@pytest.mark.django_db
def test_a_validation_error_names_each_bad_field(api):
    response = api.post("/api/v1/auth/signup/", {"email": "not-an-email"}, format="json")
    body = response.json()
    assert response.status_code == 400
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"email", "password"}


@pytest.mark.django_db
def test_a_nested_error_is_named_by_its_path(api):
    user = f.merchant("catalog.add_product", "catalog.add_productvariant")
    f.category("giyim")
    f.TaxClassFactory()
    api.force_authenticate(user)
    response = api.post(
        "/api/v1/admin/products/",
        {
            "name_tr": "Gömlek",
            "category": "giyim",
            "tax_class": "kdv-20",
            "variants": [{"sku": "A-1"}, {"sku": "A-2", "barcode": "8690000000001"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["variants.1.barcode"]


@pytest.mark.django_db
def test_not_found_unauthenticated_and_forbidden_share_the_shape(api):
    web = f.ChannelFactory(code="web")
    missing = api.get("/api/v1/products/nope/", {"channel": web.code})
    assert (missing.status_code, missing.json()["code"]) == (404, "product_not_found")

    anonymous = api.get("/api/v1/me/")
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "code": "not_authenticated",
        "message": anonymous.json()["message"],
        "fields": {},
    }

    api.force_authenticate(f.UserFactory())
    forbidden = api.get("/api/v1/admin/products/")
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "permission_denied")
