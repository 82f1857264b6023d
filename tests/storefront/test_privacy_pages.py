"""The account's KVKK pages: "My consents" (give and withdraw commercial e-mail, SMS and call
consent through customers' services, from the web form, with the text version and the IP) and
"My data" (ask for an export or erasure, see the requests, download a ready export)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format

from customers.models import ConsentDecision, DataRequest
from customers.services import customer_for_user
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


def customer_client():
    user = f.UserFactory()
    client = Client()
    client.force_login(user)
    return user, client


def get(client, url: str, queries: int):
    client.get(url)
    with assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_the_pages_need_sign_in_and_are_linked_from_the_account(client, shop):
    for url in ("/tr/account/consents/", "/tr/account/my-data/"):
        assert client.get(url).headers["Location"].startswith("/tr/account/sign-in/")
    _user, client = customer_client()
    nav = client.get("/tr/account/profile/").content.decode()
    assert "İzinlerim" in nav and "Kişisel verilerim" in nav
    assert "My consents" in client.get("/en/account/profile/").content.decode()


def test_a_shopper_gives_and_withdraws_consent_with_its_proof(shop):
    user, client = customer_client()
    customer_for_user(user=user)
    response = client.post("/tr/account/consents/", {"EPOSTA": "on"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    decision = ConsentDecision.objects.get()
    assert (decision.type, decision.status, decision.source) == ("EPOSTA", "ONAY", "web")
    assert (decision.text_version, decision.ip_address) == ("web-2026-12-tr", "203.0.113.9")
    assert (
        'name="EPOSTA" id="id_EPOSTA" checked'
        in client.get("/tr/account/consents/").content.decode()
    )

    client.post("/tr/account/consents/", {})

    assert list(ConsentDecision.objects.order_by("id").values_list("status", flat=True)) == [
        "ONAY",
        "RET",
    ]


def test_sms_consent_without_a_phone_is_a_form_error_and_records_nothing(shop):
    user, client = customer_client()
    customer_for_user(user=user)
    response = client.post("/en/account/consents/", {"MESAJ": "on"})
    assert response.status_code == 400
    assert "no valid phone number" in response.content.decode()
    assert not ConsentDecision.objects.exists()


def test_the_consents_page_queries_do_not_grow(shop):
    user, client = customer_client()
    customer = customer_for_user(user=user)
    customer.phone = "+905321112233"
    customer.save()
    get(client, "/tr/account/consents/", 6)  # 5 before the header's cart count, read from the cart
    for _ in range(3):
        client.post("/tr/account/consents/", {"EPOSTA": "on", "MESAJ": "on", "ARAMA": "on"})
        client.post("/tr/account/consents/", {})
    assert ConsentDecision.objects.count() == 18
    get(client, "/tr/account/consents/", 6)


def test_erasure_needs_confirming_and_an_export_is_listed_with_its_deadline(shop):
    user, client = customer_client()
    customer = customer_for_user(user=user)
    unconfirmed = client.post("/en/account/my-data/", {"kind": "erasure"})
    assert unconfirmed.status_code == 400 and not DataRequest.objects.exists()
    assert "Confirm that you want your data erased." in unconfirmed.content.decode()

    assert client.post("/en/account/my-data/", {"kind": "export"}).status_code == 302
    again = client.post("/en/account/my-data/", {"kind": "export"})
    assert again.status_code == 400 and "open" in again.content.decode()

    request = DataRequest.objects.get(customer=customer)
    page = client.get("/en/account/my-data/").content.decode()
    with translation.override("en"):
        assert date_format(timezone.localtime(request.due_at), "SHORT_DATE_FORMAT") in page


def test_a_ready_export_downloads_and_someone_elses_does_not(shop, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user, client = customer_client()
    customer = customer_for_user(user=user)
    request = DataRequest.objects.create(
        customer=customer,
        kind="export",
        status="done",
        due_at=timezone.now(),
        completed_at=timezone.now(),
    )
    request.archive.save("x.zip", ContentFile(b"PK-zip"), save=True)
    page = client.get("/tr/account/my-data/").content.decode()
    assert f"/tr/account/my-data/{request.pk}/download/" in page
    download = client.get(f"/tr/account/my-data/{request.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"PK-zip"
    _other, stranger = customer_client()
    assert stranger.get(f"/tr/account/my-data/{request.pk}/download/").status_code == 404


def test_the_my_data_page_queries_do_not_grow(shop):
    user, client = customer_client()
    customer = customer_for_user(user=user)
    get(client, "/tr/account/my-data/", 6)
    for kind in ("export", "erasure", "export", "erasure"):
        DataRequest.objects.create(
            customer=customer, kind=kind, status="refused", due_at=timezone.now()
        )
    f.CustomerFactory()
    get(client, "/tr/account/my-data/", 6)
