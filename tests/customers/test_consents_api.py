"""GET and POST /api/v1/me/consents/: a customer sees and changes only their own consents;
bad input is a 400 with field errors in the one error shape; the list costs a fixed number of
queries however many decisions there are."""

import datetime as dt

import pytest
from django.urls import reverse

from customers.models import ConsentDecision, Customer, PushState
from customers.services import consent_give, consent_withdraw, customer_for_user
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/consents/"


def _signed_in(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def test_signing_out_leaves_nothing_to_see(api):
    assert api.get(URL).status_code == 401
    assert api.post(URL, {"type": "EPOSTA", "status": "ONAY"}).status_code == 401
    assert not ConsentDecision.objects.exists()


def test_a_customer_gives_and_withdraws_their_own_consent(api):
    user = f.UserFactory(email="ayse@example.com", phone="0532 111 22 33")
    _signed_in(api, user)

    given = api.post(
        URL,
        {"type": "MESAJ", "status": "ONAY", "text_version": "ETK-3"},
        REMOTE_ADDR="198.51.100.4",
    )
    withdrawn = api.post(URL, {"type": "MESAJ", "status": "RET", "channel": "web"})

    assert (given.status_code, withdrawn.status_code) == (201, 201)
    body = given.json()
    assert {k: body[k] for k in ("type", "recipient_type", "status", "recipient", "source")} == {
        "type": "MESAJ",
        "recipient_type": "BIREYSEL",
        "status": "ONAY",
        "recipient": "+905321112233",
        "source": "app",
    }
    decision = ConsentDecision.objects.get(status="ONAY")
    assert decision.ip_address == "198.51.100.4" and decision.text_version == "ETK-3"
    listed = api.get(URL).json()
    assert [(c["type"], c["status"], c["source"]) for c in listed] == [("MESAJ", "RET", "web")]


def test_a_customer_never_sees_or_changes_anothers_consents(api):
    ayse, mehmet = f.UserFactory(), f.UserFactory()
    ayse_profile = customer_for_user(user=ayse)
    consent_give(customer=ayse_profile, consent_type="EPOSTA", source="web", text_version="v1")

    _signed_in(api, mehmet)
    assert api.get(URL).json() == []
    response = api.post(
        URL,
        {
            "type": "EPOSTA",
            "status": "RET",
            "customer": ayse_profile.pk,
            "customer_id": ayse_profile.pk,
        },
        format="json",
    )

    assert response.status_code == 201
    mehmet_profile = Customer.objects.get(user=mehmet)
    assert list(ConsentDecision.objects.filter(customer=ayse_profile).values_list("status")) == [
        ("ONAY",)
    ]
    assert list(ConsentDecision.objects.filter(customer=mehmet_profile).values_list("status")) == [
        ("RET",)
    ]
    _signed_in(api, ayse)
    assert [c["status"] for c in api.get(URL).json()] == ["ONAY"]


def test_bad_input_is_a_400_with_field_errors(api):
    _signed_in(api, f.UserFactory(phone=""))

    response = api.post(URL, {"type": "FAX", "status": "EVET"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert set(body["fields"]) == {"type", "status"}
    assert not ConsentDecision.objects.exists()


def test_a_rule_of_the_service_is_a_400_on_its_field(api):
    _signed_in(api, f.UserFactory(phone=""))

    no_text = api.post(URL, {"type": "EPOSTA", "status": "ONAY"}, format="json")
    no_phone = api.post(URL, {"type": "ARAMA", "status": "RET"}, format="json")

    assert (no_text.status_code, list(no_text.json()["fields"])) == (400, ["text_version"])
    assert no_phone.status_code == 400
    assert no_phone.json()["fields"] == {
        "type": ["The profile has no valid phone number for this."]
    }
    assert not ConsentDecision.objects.exists()


def test_the_list_costs_the_same_queries_for_one_decision_and_for_many(api):
    user = f.UserFactory(phone="05321112233")
    customer = customer_for_user(user=user)
    _signed_in(api, user)
    consent_give(customer=customer, consent_type="EPOSTA", source="web", text_version="v1")

    with assert_num_queries(2):  # the token with its user and profile; the consents
        one = api.get(URL)

    for consent_type in ("EPOSTA", "MESAJ", "ARAMA"):
        for recipient_type in ("BIREYSEL", "TACIR"):
            for _ in range(3):
                consent_give(
                    customer=customer,
                    consent_type=consent_type,
                    recipient_type=recipient_type,
                    source="app",
                    text_version="v2",
                )
                consent_withdraw(
                    customer=customer,
                    consent_type=consent_type,
                    recipient_type=recipient_type,
                    source="app",
                )
    with assert_num_queries(2):
        many = api.get(URL)

    assert len(one.json()) == 1
    assert [(c["type"], c["recipient_type"], c["status"]) for c in many.json()] == [
        (t, r, "RET") for t in ("ARAMA", "EPOSTA", "MESAJ") for r in ("BIREYSEL", "TACIR")
    ]


# --- the admin ------------------------------------------------------------------------------


def test_the_customer_page_shows_the_consent_history_read_only(admin_client):
    customer = f.CustomerFactory(email="ayse@example.com")
    consent_give(customer=customer, consent_type="EPOSTA", source="web", text_version="ETK-77")
    consent_withdraw(customer=customer, consent_type="EPOSTA", source="app")
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    text = page.content.decode()
    assert page.status_code == 200
    assert "ETK-77" in text and "consents (newest first)" in text.lower()
    assert text.index("withdrawn") < text.index("given")  # newest first
    assert "consents-TOTAL_FORMS" not in text  # nothing of it is a form

    saved = admin_client.post(
        url,
        {
            "first_name": "Ayşe Nur",
            "last_name": "Kaya",
            "email": "ayse@example.com",
            "phone": "+905321112233",
            "language": "tr",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            "orders-TOTAL_FORMS": "0",
            "orders-INITIAL_FORMS": "0",
        },
    )
    assert saved.status_code == 302
    assert ConsentDecision.objects.filter(customer=customer).count() == 2


def test_the_admin_lists_the_decisions_past_their_iys_deadline(admin_client):
    customer = f.CustomerFactory()
    late = consent_give(
        customer=customer,
        consent_type="EPOSTA",
        source="web",
        text_version="v1",
        decided_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),
    )
    consent_give(customer=customer, consent_type="MESAJ", source="web", text_version="v1")
    sent = consent_give(
        customer=customer,
        consent_type="ARAMA",
        source="web",
        text_version="v1",
        decided_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),
    )
    ConsentDecision.objects.filter(pk=sent.pk).update(push_state=PushState.SENT)

    response = admin_client.get(
        reverse("admin:customers_consentdecision_changelist"), {"iys": "overdue"}
    )

    assert response.status_code == 200
    assert [d.pk for d in response.context["cl"].result_list] == [late.pk]
