"""Staff record a KVKK request on a person's behalf (by phone, letter or in a store): the staff
API and the customer list's admin action, with the staff member and how the person's identity
was checked; the same 30-day deadline, overdue flag and one-open-request rule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers import data_requests as dr
from customers.models import DataRequest
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


def url(customer):
    return f"/api/v1/staff/customers/{customer.pk}/data-requests/"


@pytest.fixture
def agent():
    return f.merchant("customers.add_datarequest")


def _as(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def test_customer_service_records_an_erasure_with_the_identity_proof(api, agent):
    customer = f.CustomerFactory()

    response = _as(api, agent).post(
        url(customer), {"kind": "erasure", "proof_note": "ID card seen at the Kadıköy store"}
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["status"], body["requested_by"], body["overdue"]) == (
        "erasure",
        "received",
        agent.email,
        False,
    )
    assert body["proof_note"] == "ID card seen at the Kadıköy store"
    request = DataRequest.objects.get(customer=customer)
    assert request.requested_by == agent
    assert request.due_at - request.requested_at == timedelta(days=30)


def test_a_missing_proof_and_a_bad_kind_are_field_errors(api, agent):
    customer = f.CustomerFactory()

    response = _as(api, agent).post(url(customer), {"kind": "delete", "proof_note": " "})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"kind", "proof_note"}
    assert not DataRequest.objects.exists()


def test_the_service_refuses_a_staff_request_without_proof():
    customer = f.CustomerFactory()

    with pytest.raises(dr.ValidationError) as error:
        dr.data_request_create(customer=customer, kind="export", requested_by=f.merchant())

    assert list(error.value.fields) == ["proof_note"]
    assert not DataRequest.objects.exists()


def test_a_second_open_request_is_a_conflict(api, agent):
    customer = f.CustomerFactory()
    client = _as(api, agent)
    client.post(url(customer), {"kind": "export", "proof_note": "called back on the phone"})

    response = client.post(url(customer), {"kind": "export", "proof_note": "again"})

    assert response.status_code == 409
    assert response.json()["code"] == "data_request_open"


@pytest.mark.parametrize(
    "who", [lambda: f.merchant(), lambda: f.merchant("customers.view_customer"), f.UserFactory]
)
def test_only_staff_with_the_permission_may(api, who):
    customer = f.CustomerFactory()

    response = _as(api, who()).post(url(customer), {"kind": "export", "proof_note": "x"})

    assert response.status_code == 403
    assert not DataRequest.objects.exists()


def test_the_list_flags_the_overdue_in_the_same_queries_for_1_and_many(api, agent):
    customer = f.CustomerFactory()
    client = _as(api, agent)
    late = dr.data_request_create(
        customer=customer, kind="export", requested_by=agent, proof_note="p"
    )
    DataRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=1))
    for expected in (1, 3):
        if expected == 3:
            dr.data_request_create(
                customer=customer, kind="erasure", requested_by=agent, proof_note="p"
            )
            dr.data_request_refuse(request=late, note="x")
            dr.data_request_create(customer=customer, kind="export")
        # The token with its user, the permission check, the customer, the requests.
        with assert_num_queries(5):
            response = client.get(url(customer))
        assert len(response.json()) == expected
        if expected == 1:
            assert response.json()[0]["overdue"] is True
    assert [r["overdue"] for r in response.json()] == [False, False, False]


def test_the_admin_action_records_a_request_for_one_customer(admin_client):
    customer = f.CustomerFactory()
    changelist = "/admin/customers/customer/"
    base = {"action": "open_data_request", "_selected_action": [customer.pk]}

    form = admin_client.post(changelist, base)
    assert form.status_code == 200
    refused = admin_client.post(changelist, {**base, "apply": "1", "kind": "export"})
    assert refused.status_code == 200
    assert "proof_note" in refused.context["form"].errors
    done = admin_client.post(
        changelist, {**base, "apply": "1", "kind": "export", "proof_note": "signed letter"}
    )

    assert done.status_code == 302
    request = DataRequest.objects.get(customer=customer)
    assert (request.kind, request.proof_note, request.requested_by.is_superuser) == (
        "export",
        "signed letter",
        True,
    )
