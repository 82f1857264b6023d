import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_openapi_schema_is_valid_and_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/products/" in text
    assert "/api/v1/admin/variants/{sku}/prices/{channel}/" in text


@pytest.mark.django_db
def test_the_interactive_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert "cdn" not in page.content.decode().lower()
