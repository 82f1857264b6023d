"""KVKK data-subject requests: a customer asks for an export or an erasure; the request is
answered by a task after the commit (and the beat sweep), within 30 days. The export is a zip
of JSON and CSV with the person's orders (handed in by orders); the erasure leaves no trace of
their e-mail address or phone in any text or JSON column, while orders' amounts stay."""

import io
import json
import logging
import uuid
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from customers import data_requests as dr
from customers import tasks
from customers.identities import identity_add
from customers.models import (
    Address,
    ConsentDecision,
    CustomerIdentity,
    DataRequest,
    IdentityClaim,
    TimelineEvent,
)
from customers.services import consent_record, customer_for_user
from omni.errors import Conflict, InvalidTransition
from omni.models import OutboxEvent
from omni.outbox import outbox_record
from orders.models import IdempotencyKey, Notification, Order, OrderLine
from payments.models import Payment, PaymentLinkSend
from sales_channels.models import ChannelEndpoint, Delivery
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/data-requests/"
EMAIL = "ayse.erased@example.com"
PHONE_DIGITS = "5321234567"


def _signed_in(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}", HTTP_ACCEPT_LANGUAGE="en")
    return api


@pytest.fixture
def person():
    """Ayşe, with an account, identities, an address, a consent, timeline and an order."""
    user = f.UserFactory(email=EMAIL, phone=f"+90{PHONE_DIGITS}")
    customer = customer_for_user(user=user)
    customer.phone = f"+90{PHONE_DIGITS}"
    customer.save(update_fields=["phone"])
    identity_add(customer=customer, kind="email", value=EMAIL)
    identity_add(customer=customer, kind="phone", value=f"0{PHONE_DIGITS}")
    Address.objects.create(
        customer=customer,
        full_name="Ayşe Kaya",
        phone=f"0{PHONE_DIGITS}",
        line1="Bağdat Cad. 1",
        city="İstanbul",
    )
    consent_record(
        customer=customer,
        consent_type="EPOSTA",
        status="ONAY",
        source="web",
        text_version="ETK-1",
        ip_address="203.0.113.7",
    )
    web = f.ChannelFactory(code="web")
    TimelineEvent.objects.create(
        customer=customer,
        kind="search",
        occurred_at=timezone.now(),
        data={"query": EMAIL},
        source="web",
        event_id="e1",
    )
    address = {
        "full_name": "Ayşe Kaya",
        "phone": f"0{PHONE_DIGITS}",
        "line1": "Bağdat Cad. 1",
        "city": "İstanbul",
        "country": "TR",
    }
    order = Order.objects.create(
        number="W-1001",
        channel=web,
        origin_channel=web,
        customer=customer,
        email=EMAIL,
        phone=f"+90{PHONE_DIGITS}",
        shipping_address=address,
        billing_address=address,
        delivery=Order.Delivery.HOME,
        currency="TRY",
        subtotal=Decimal("250.00"),
        total=Decimal("250.00"),
    )
    OrderLine.objects.create(
        order=order,
        variant=f.product(channels=[web]).variants.get(),
        sku="TSHIRT-M",
        product_name="Tişört",
        quantity=2,
        unit_price=Decimal("125.00"),
        line_total=Decimal("250.00"),
        tax_rate=Decimal("20"),
    )
    Notification.objects.create(
        order=order, kind="order_confirmed", recipient=EMAIL, context={"email": EMAIL}
    )
    return customer


def _request(customer, kind, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return dr.data_request_create(customer=customer, kind=kind)


def test_an_export_request_is_answered_with_a_zip_of_the_person(
    api, person, django_capture_on_commit_callbacks
):
    client = _signed_in(api, person.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"kind": "export"}, format="json")

    assert response.status_code == 201
    request = DataRequest.objects.get(pk=response.json()["id"])
    assert request.status == "done"
    assert request.due_at == request.requested_at + timedelta(days=30)
    assert request.completed_at is not None
    download = client.get(f"{URL}{request.pk}/download/")
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert {"data.json", "profile.csv", "orders.csv", "order_lines.csv", "consents.csv"} <= set(
        archive.namelist()
    )
    data = json.loads(archive.read("data.json"))
    assert data["profile"][0]["email"] == EMAIL
    assert [o["number"] for o in data["orders"]] == ["W-1001"]
    assert data["orders"][0]["total"] == "250.00"
    assert [i["value"] for i in data["identities"]] == [EMAIL, f"+90{PHONE_DIGITS}"]
    assert EMAIL in archive.read("profile.csv").decode()
    assert "W-1001" in archive.read("orders.csv").decode()


def test_one_open_request_per_kind(api, person):
    client = _signed_in(api, person.user)
    assert client.post(URL, {"kind": "erasure"}, format="json").status_code == 201

    again = client.post(URL, {"kind": "erasure"}, format="json")

    assert again.status_code == 409
    assert again.json()["code"] == "data_request_open"
    assert list(again.json()["fields"]) == ["kind"]
    assert DataRequest.objects.filter(customer=person).count() == 1
    assert client.post(URL, {"kind": "export"}, format="json").status_code == 201


def test_a_bad_kind_is_a_field_error(api, person):
    response = _signed_in(api, person.user).post(URL, {"kind": "everything"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["kind"]
    assert not DataRequest.objects.exists()


def test_a_customer_sees_and_downloads_only_their_own(
    api, person, django_capture_on_commit_callbacks
):
    request = _request(person, "export", django_capture_on_commit_callbacks)
    mehmet = customer_for_user(user=f.UserFactory(email="mehmet@example.com"))
    client = _signed_in(api, mehmet.user)

    assert client.get(URL).json() == []
    assert client.get(f"{URL}{request.pk}/download/").status_code == 404
    api.credentials()
    assert api.get(f"{URL}{request.pk}/download/").status_code == 401


def test_an_export_not_done_cannot_be_downloaded(api, person):
    request = dr.data_request_create(customer=person, kind="export")  # no commit: not answered

    response = _signed_in(api, person.user).get(f"{URL}{request.pk}/download/")

    assert response.status_code == 404
    assert DataRequest.objects.get(pk=request.pk).status == "received"


def _traces(*needles):
    """Every (table.column, needle) of any model's text or JSON column that holds a needle."""
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.JSONField):
                rows = model._default_manager.annotate(_t=Cast(field.name, models.TextField()))
                lookup = "_t__icontains"
            elif isinstance(field, models.CharField | models.TextField):  # EmailField too
                rows = model._default_manager.all()
                lookup = f"{field.name}__icontains"
            else:
                continue
            for needle in needles:
                if rows.filter(**{lookup: needle}).exists():
                    found.append((f"{model._meta.db_table}.{field.column}", needle))
    return found


# The records the law keeps after an erasure (invoices and accounting: the commercial code's 10
# years, the tax procedure law's 5) hold amounts, never these texts, so no column may keep them.
KEPT_COLUMNS: set[str] = set()


def _more_traces(person):
    """Where else the person's contact text lands: an Idempotency-Key's stored answer, the
    outbox (relayed and not) and the channel delivery made of it, a payment link still to be
    sent, a visitor's rows sent after the join, and a payment provider's answer."""
    order = Order.objects.get(number="W-1001")
    IdempotencyKey.objects.create(
        scope=f"user:{person.user_id}",
        key="k1",
        request_hash="h",
        state="done",
        response_status=201,
        response_body={"number": "W-1001", "email": EMAIL, "phone": f"+90{PHONE_DIGITS}"},
        order=order,
    )
    with transaction.atomic():
        relayed = outbox_record(topic="x.contact", key="o:1", payload={"email": EMAIL.upper()})
        outbox_record(topic="x.contact", key="o:2", payload={"to": f"0{PHONE_DIGITS}"})
    OutboxEvent.objects.filter(pk=relayed.pk).update(published_at=timezone.now())
    endpoint = ChannelEndpoint.objects.create(
        channel=order.channel, name="hook", kind="webhook", url="https://example.com/h",
        signing_secret="s" * 32,
    )  # fmt: skip
    Delivery.objects.create(
        endpoint=endpoint, topic="x.contact", key="o:1", payload={"email": EMAIL},
        occurred_at=timezone.now(), retry_until=timezone.now(),
    )  # fmt: skip
    PaymentLinkSend.objects.create(
        key="s1", token="t", via="sms", recipient=f"+90{PHONE_DIGITS}",
        expires_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    IdentityClaim.objects.create(customer=person, kind="phone", value=f"+90{PHONE_DIGITS}")
    visitor = uuid.uuid4()
    TimelineEvent.objects.filter(customer=person).update(visitor_id=visitor)
    TimelineEvent.objects.create(
        visitor_id=visitor, kind="search", occurred_at=timezone.now(),
        data={"query": f"0{PHONE_DIGITS}"}, source="web", event_id="late",
    )  # fmt: skip
    Payment.objects.create(
        order=order, channel=order.channel, gateway="fake", kind="card",
        amount=Decimal("250.00"), currency="TRY",
        data={"buyer": {"email": EMAIL, "name": "Ayşe Kaya"}},
    )  # fmt: skip
    return visitor


def test_an_erasure_leaves_no_trace_and_keeps_the_order_amounts(
    person, django_capture_on_commit_callbacks
):
    visitor = _more_traces(person)
    # The walk finds the person where they are.
    assert {column for column, _needle in _traces(EMAIL, PHONE_DIGITS)} >= {
        "accounts_user.email",
        "orders_order.email",
        "orders_order.shipping_address",
        "orders_notification.context",
        "orders_idempotencykey.response_body",
        "omni_outboxevent.payload",
        "sales_channels_delivery.payload",
        "payments_paymentlinksend.recipient",
        "payments_payment.data",
        "customers_identityclaim.value",
        "customers_customer.phone",
        "customers_customeridentity.value",
        "customers_address.phone",
        "customers_consentdecision.recipient",
        "customers_timelineevent.data",
    }

    request = _request(person, "erasure", django_capture_on_commit_callbacks)

    request.refresh_from_db()
    assert request.status == "done"
    assert [t for t in _traces(EMAIL, PHONE_DIGITS, "Ayşe Kaya") if t[0] not in KEPT_COLUMNS] == []
    assert not TimelineEvent.objects.filter(visitor_id=visitor).exists()
    assert OutboxEvent.objects.filter(topic="x.contact").count() == 2  # scrubbed, not lost
    assert Payment.objects.get().amount == Decimal("250.00")
    order = Order.objects.get(number="W-1001")
    assert (order.customer_id, order.total, order.subtotal) == (
        person.pk,
        Decimal("250.00"),
        Decimal("250.00"),
    )
    assert order.shipping_address["city"] == "İstanbul"
    assert not CustomerIdentity.objects.filter(customer=person).exists()
    assert ConsentDecision.objects.get(customer=person).recipient == dr.ERASED
    person.user.refresh_from_db()
    assert not person.user.is_active


def test_the_task_run_twice_answers_once(person, django_capture_on_commit_callbacks):
    request = dr.data_request_create(customer=person, kind="export")

    assert tasks.data_request_process(request.pk) == "done"
    first = DataRequest.objects.get(pk=request.pk)
    assert tasks.data_request_process(request.pk) == "done"

    again = DataRequest.objects.get(pk=request.pk)
    assert (again.archive.name, again.completed_at) == (first.archive.name, first.completed_at)


def test_the_sweep_answers_requests_left_received_and_logs_the_overdue(person, caplog):
    late = dr.data_request_create(customer=person, kind="erasure")
    DataRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=1))
    export = dr.data_request_create(customer=person, kind="export")
    assert list(dr.data_requests_overdue()) == [DataRequest.objects.get(pk=late.pk)]

    with caplog.at_level(logging.ERROR, logger="customers.tasks"):
        assert tasks.data_requests_pending() == 2

    assert "1 data-subject requests are past their 30-day deadline" in caplog.text
    assert set(DataRequest.objects.values_list("pk", "status")) == {
        (late.pk, "done"),
        (export.pk, "done"),
    }
    assert list(dr.data_requests_overdue()) == []


def test_overdue_is_open_and_past_due_only(person):
    now = timezone.now()
    past = dr.data_request_create(customer=person, kind="export")
    DataRequest.objects.filter(pk=past.pk).update(due_at=now - timedelta(seconds=1))
    in_time = dr.data_request_create(customer=person, kind="erasure")

    assert list(dr.data_requests_overdue(now=now)) == [DataRequest.objects.get(pk=past.pk)]
    dr.data_request_refuse(request=past, note="identity not proven")
    assert list(dr.data_requests_overdue(now=now)) == []
    assert in_time.pk not in dr.data_requests_overdue(now=now).values_list("pk", flat=True)


def test_a_refused_request_cannot_be_answered(person):
    request = dr.data_request_create(customer=person, kind="export")
    dr.data_request_refuse(request=request, note="duplicate")

    assert dr.data_request_process(request_id=request.pk) == "refused"
    with pytest.raises(InvalidTransition):
        dr.data_request_refuse(request=request, note="again")


def test_a_second_open_request_is_refused_by_the_service(person):
    dr.data_request_create(customer=person, kind="export")

    with pytest.raises(Conflict):
        dr.data_request_create(customer=person, kind="export")


def test_the_list_runs_the_same_queries_for_1_and_many(api):
    customer = customer_for_user(user=f.UserFactory())
    client = _signed_in(api, customer.user)
    first = dr.data_request_create(customer=customer, kind="export")
    for expected_count in (1, 4):
        if expected_count == 4:
            dr.data_request_refuse(request=first, note="x")
            second = dr.data_request_create(customer=customer, kind="export")
            dr.data_request_refuse(request=second, note="x")
            dr.data_request_create(customer=customer, kind="export")
            dr.data_request_create(customer=customer, kind="erasure")
        # The token with its user and profile, then the requests.
        with assert_num_queries(2):
            response = client.get(URL)
        assert len(response.json()) == expected_count


def test_the_admin_lists_overdue_and_processes_now(admin_client, person):
    late = dr.data_request_create(customer=person, kind="export")
    DataRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=2))
    url = "/admin/customers/datarequest/"

    listing = admin_client.get(url, {"deadline": "overdue"})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1

    response = admin_client.post(url, {"action": "process_now", "_selected_action": [late.pk]})
    assert response.status_code == 302
    assert DataRequest.objects.get(pk=late.pk).status == "done"


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_json_scrub_erases_each_needle_in_any_case_on_either_database(vendor, monkeypatch):
    # "sqlite": the row-by-row path make run's SQLite demo takes.
    from django.db import connection, transaction

    from customers.data_requests import json_scrub
    from omni.models import OutboxEvent
    from omni.outbox import outbox_record

    with transaction.atomic():
        named = outbox_record(
            topic="t", key="a", payload={"email": "Ayse@Example.com", "n": [{"p": "5321234567"}]}
        )
        other = outbox_record(topic="t", key="b", payload={"email": "zeynep@example.com"})
    monkeypatch.setattr(connection, "vendor", vendor)

    changed = json_scrub(OutboxEvent.objects.all(), "payload", ["ayse@example.com", "5321234567"])

    assert changed == 1
    named.refresh_from_db()
    other.refresh_from_db()
    assert "ayse" not in str(named.payload).lower() and "5321234567" not in str(named.payload)
    assert named.payload["n"][0]["p"] == named.payload["email"] != ""
    assert other.payload == {"email": "zeynep@example.com"}
