"""KVKK data-subject requests: a person asks for everything held about them (export) or to be
forgotten (erasure), and the retailer answers within 30 days (README, "Data-subject requests").

Customers sits below orders and payments, so what those apps hold comes in through two
registries they fill in their AppConfig.ready(): a *personal data exporter* returns the rows of
one section of the archive ("orders", "order_lines"), an *eraser* anonymises what its app holds
about the person. Neither registry is imported from above at run time; customers never imports
the apps that register.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.locks import customer_lock, data_request_lock
from customers.models import (
    DATA_REQUEST_DAYS,
    POSTAL_FIELDS,
    Address,
    ConsentDecision,
    Customer,
    CustomerIdentity,
    DataRequest,
    DataRequestKind,
    DataRequestStatus,
    IdentityClaim,
    IdentityKind,
    StaffNote,
    TimelineEvent,
)
from omni.errors import Conflict, NotFound, ValidationError
from omni.models import OutboxEvent
from omni.state import StateMachine
from sales_channels.models import Delivery

logger = logging.getLogger(__name__)

OPEN = (DataRequestStatus.RECEIVED, DataRequestStatus.IN_PROGRESS)

# What an erased text becomes where a value is required.
ERASED = "erased"


def _refused(request: DataRequest, to: str) -> str:
    return _("A %(status)s data request cannot become %(to)s.") % {
        "status": request.get_status_display(),
        "to": DataRequestStatus(to).label,
    }


def _record(request: DataRequest, before: str, to: str, **context: Any) -> None:
    logger.info("data request %s: %s -> %s", request.pk, before, to)


DATA_REQUEST_MACHINE: StateMachine[DataRequest, None] = StateMachine(
    "data_request",
    states=DataRequestStatus,
    transitions={
        DataRequestStatus.RECEIVED: {DataRequestStatus.IN_PROGRESS, DataRequestStatus.REFUSED},
        DataRequestStatus.IN_PROGRESS: {DataRequestStatus.DONE, DataRequestStatus.REFUSED},
        DataRequestStatus.DONE: set(),
        DataRequestStatus.REFUSED: set(),
    },
    refused=_refused,
    record=_record,
    stamps={DataRequestStatus.DONE: "completed_at", DataRequestStatus.REFUSED: "completed_at"},
)


# --- the registries the apps above fill ---------------------------------------------------------

# section name -> rows (plain JSON-able dicts) of that section for one person
Exporter = Callable[[Customer], Iterable[Mapping[str, Any]]]
# anonymises what one app holds about the person
Eraser = Callable[[Customer], None]

_exporters: dict[str, Exporter] = {}
_erasers: list[Eraser] = []


def data_exporter_register(*, section: str, exporter: Exporter) -> None:
    """An app above hands in the rows of one section of the person's archive."""
    _exporters[section] = exporter


def data_eraser_register(*, eraser: Eraser) -> None:
    """An app above hands in how it anonymises what it holds about a person (once each)."""
    if eraser not in _erasers:
        _erasers.append(eraser)


# --- selectors ---------------------------------------------------------------------------------


def data_requests_of(*, customer: Customer) -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(customer=customer).order_by("-requested_at", "-id")


def data_requests_overdue(*, now: Any = None) -> QuerySet[DataRequest]:
    """Requests still open past their 30-day deadline (data_request_open_due)."""
    return DataRequest.objects.filter(status__in=OPEN, due_at__lt=now or timezone.now())


def data_requests_of_customer_for_staff(*, customer: Customer) -> QuerySet[DataRequest]:
    return data_requests_of(customer=customer).select_related("requested_by")


def data_requests_received() -> QuerySet[DataRequest]:
    """Requests not yet taken up: the beat sweep's work when a task message was lost."""
    return DataRequest.objects.filter(status=DataRequestStatus.RECEIVED).order_by("due_at", "id")


def data_request_archive_of(*, customer: Customer, request_id: int) -> DataRequest:
    """One of the customer's own export requests whose archive is ready, or NotFound."""
    found = DataRequest.objects.filter(
        pk=request_id, customer=customer, kind=DataRequestKind.EXPORT, status=DataRequestStatus.DONE
    ).first()
    if found is None or not found.archive:
        raise NotFound(_("No export of yours is ready under this id."))
    return found


# --- services ----------------------------------------------------------------------------------


def data_request_create(
    *, customer: Customer, kind: str, requested_by: User | None = None, proof_note: str = ""
) -> DataRequest:
    """Record a request and queue its processing after the commit. At most one open request of
    each kind per person: a second is a Conflict naming the open one. Staff recording a request
    for the person (`requested_by`) say how they checked who the person is (`proof_note`)."""
    from customers import tasks

    proof_note = proof_note.strip()
    if requested_by is not None and not proof_note:
        raise ValidationError.for_field(
            "proof_note",
            _("Say how the person's identity was checked (for example an ID card seen)."),
            code="required",
        )
    if kind not in DataRequestKind.values:
        raise ValidationError.for_field("kind", _("Choose export or erasure."), code="invalid")
    now = timezone.now()
    message = _("An open %(kind)s request exists already; it is answered by %(due)s.")
    open_request = DataRequest.objects.filter(customer=customer, kind=kind, status__in=OPEN).first()
    if open_request is not None:
        raise Conflict(
            message
            % {"kind": open_request.get_kind_display(), "due": f"{open_request.due_at:%Y-%m-%d}"},
            code="data_request_open",
            fields={"kind": [_("An open request of this kind exists already.")]},
        )
    try:
        with transaction.atomic():
            request = DataRequest.objects.create(
                customer=customer,
                kind=kind,
                requested_at=now,
                due_at=now + timedelta(days=DATA_REQUEST_DAYS),
                requested_by=requested_by,
                proof_note=proof_note[:500],
            )
    except IntegrityError as error:  # two at once: the constraint lets one through
        raise Conflict(
            _("An open request of this kind exists already."),
            code="data_request_open",
            fields={"kind": [_("An open request of this kind exists already.")]},
        ) from error
    from omni.tasks import enqueue_after_commit

    enqueue_after_commit(tasks.data_request_process, request.pk)
    return request


def data_request_process(*, request_id: int) -> str:
    """Answer one request: build the export archive, or erase the person. Safe to run twice
    and at once: the row is locked, and a request already answered is left alone."""
    with transaction.atomic():
        request = data_request_lock(pk=request_id)
        if request is None:
            raise NotFound(_("No such data request."))
        if request.status not in OPEN:
            return request.status
        if request.status == DataRequestStatus.RECEIVED:
            DATA_REQUEST_MACHINE.move(request, DataRequestStatus.IN_PROGRESS)
        customer = customer_lock(pk=request.customer_id)
        if request.kind == DataRequestKind.EXPORT:
            archive = data_export_archive(customer=customer)
            request.archive.save(
                f"kvkk-{customer.pk}-{request.pk}.zip", ContentFile(archive), save=False
            )
            DATA_REQUEST_MACHINE.move(
                request, DataRequestStatus.DONE, changes={"archive": request.archive.name}
            )
        else:
            customer_erase(customer=customer)
            DATA_REQUEST_MACHINE.move(request, DataRequestStatus.DONE)
        return request.status


def data_request_refuse(*, request: DataRequest, note: str) -> None:
    with transaction.atomic():
        locked = data_request_lock(pk=request.pk)
        if locked is None:
            raise NotFound(_("No such data request."))
        DATA_REQUEST_MACHINE.move(locked, DataRequestStatus.REFUSED, changes={"note": note})


# --- export ------------------------------------------------------------------------------------


def _rows(queryset: QuerySet[Any], fields: Iterable[str]) -> list[dict[str, Any]]:
    return [dict(row) for row in queryset.values(*fields)]


def data_export_sections(*, customer: Customer) -> dict[str, list[dict[str, Any]]]:
    """Everything held about the person, by section: customers' own, then each exporter's."""
    profile_fields = ["id", "email", "phone", "first_name", "last_name", "language", "created_at"]
    sections: dict[str, list[dict[str, Any]]] = {
        "profile": _rows(Customer.objects.filter(pk=customer.pk), profile_fields),
        "identities": _rows(
            CustomerIdentity.objects.filter(customer=customer),
            ["kind", "marketplace", "value", "verified_at", "created_at"],
        ),
        "addresses": _rows(
            Address.objects.filter(customer=customer), ["label", *POSTAL_FIELDS, "is_default"]
        ),
        "consents": _rows(
            ConsentDecision.objects.filter(customer=customer).order_by("decided_at", "id"),
            [
                "type",
                "recipient_type",
                "status",
                "recipient",
                "source",
                "decided_at",
                "text_version",
                "ip_address",
            ],
        ),
        "timeline": _rows(
            TimelineEvent.objects.filter(customer=customer).order_by("occurred_at", "id"),
            ["kind", "channel__code", "store_id", "occurred_at", "data"],
        ),
    }
    if customer.user_id is not None:
        sections["account"] = _rows(
            User.objects.filter(pk=customer.user_id),
            ["email", "first_name", "last_name", "phone", "language", "date_joined"],
        )
    for section, exporter in _exporters.items():
        sections[section] = [dict(row) for row in exporter(customer)]
    return sections


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return "" if value is None else value


def data_export_archive(*, customer: Customer) -> bytes:
    """A zip with `data.json` (every section) and one CSV per section."""
    sections = data_export_sections(customer=customer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json",
            json.dumps(sections, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        )
        for section, rows in sections.items():
            columns: list[str] = []
            for row in rows:
                columns.extend(key for key in row if key not in columns)
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({key: _cell(value) for key, value in row.items()})
            archive.writestr(f"{section}.csv", text.getvalue())
    return buffer.getvalue()


# --- erasure -----------------------------------------------------------------------------------


def erased_postal_address(address: Mapping[str, Any]) -> dict[str, Any]:
    """A postal address with the person taken out: city and country stay (for statistics)."""
    if not address:
        return {}
    kept = {"city", "country"}
    return {key: (value if key in kept else "") for key, value in address.items()} | {
        "full_name": ERASED
    }


def data_subject_needles(*, customer: Customer) -> list[str]:
    """The texts that name the person, as they may appear inside other rows' free text and
    JSON: every e-mail address held for them, their phone numbers as the 10 national digits
    (found whether written +90532..., 0532... or 532...), and their full name."""
    emails = {customer.email.lower()} if customer.email else set()
    phones = {customer.phone}
    identities = CustomerIdentity.objects.filter(customer=customer)
    for kind, value in identities.values_list("kind", "value"):
        if kind == IdentityKind.EMAIL:
            emails.add(value.lower())
        elif kind == IdentityKind.PHONE:
            phones.add(value)
    phones.update(Address.objects.filter(customer=customer).values_list("phone", flat=True))
    if customer.user_id is not None:
        for email, phone in User.objects.filter(pk=customer.user_id).values_list("email", "phone"):
            emails.add(email.lower())
            phones.add(phone)
    digits = {"".join(c for c in phone if c.isdigit())[-10:] for phone in phones if phone}
    needles = sorted(e for e in emails if e) + sorted(d for d in digits if len(d) == 10)
    name = f"{customer.first_name} {customer.last_name}".strip()
    if " " in name:
        needles.append(name)
    return needles


def json_scrub(queryset: QuerySet[Any], field: str, needles: Iterable[str]) -> int:
    """Replace each needle (any case) by "erased" inside a JSON column, in one UPDATE over the
    rows of `queryset` whose text holds one. The needles are literals (escaped for PostgreSQL's
    regular expressions, which read a backslash before punctuation as the character itself).
    Returns the rows changed."""
    words = [re.escape(needle) for needle in needles if needle]
    if not words:
        return 0
    pattern = "|".join(words)
    model = queryset.model
    if connection.vendor != "postgresql":  # SQLite (make run's demo): row by row
        return _json_scrub_portable(queryset, field, re.compile(pattern, re.IGNORECASE))
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field(field).column)
    pk = quote(model._meta.pk.column)
    pks, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)}"  # noqa: S608 (the model's own names)
            f" SET {column} = regexp_replace({column}::text, %s, %s, 'gi')::jsonb"
            f" WHERE {column}::text ~* %s AND {pk} IN ({pks})",
            [pattern, ERASED, pattern, *params],
        )
        return cursor.rowcount


def _json_scrub_portable(queryset: QuerySet[Any], field: str, pattern: re.Pattern) -> int:
    changed = 0
    for pk, value in queryset.values_list("pk", field).iterator():
        text = json.dumps(value, ensure_ascii=False)
        scrubbed = pattern.sub(ERASED, text)
        if scrubbed != text:
            queryset.model._default_manager.filter(pk=pk).update(**{field: json.loads(scrubbed)})
            changed += 1
    return changed


def customer_erase(*, customer: Customer, scrub_outbox: bool = True) -> None:
    """Anonymise the person everywhere (in the caller's transaction, the customer locked):
    profile, account, identities, addresses, consents' recipient and proof, timeline data, the
    outbox's and channel deliveries' payloads that name them, and what each registered eraser
    holds (orders: contact fields, notifications, Idempotency-Key answers, carts; payments:
    link sends). What commercial and tax law keeps (orders' amounts and lines, invoices) stays;
    only the text that names the person goes. `scrub_outbox=False` leaves the outbox alone (the
    periodic destruction of guests with no order for years: the outbox keeps a week)."""
    needles = data_subject_needles(customer=customer)
    for eraser in _erasers:
        eraser(customer)
    if scrub_outbox:
        # Events not yet relayed and those kept after (omni.outbox, a week), and what the
        # channel relay made of them: their payloads may carry an order's contact fields.
        json_scrub(OutboxEvent.objects.all(), "payload", needles)
        json_scrub(Delivery.objects.all(), "payload", needles)
    # The device ids the person's events came under, and a visitor's rows under them that
    # were sent after the join and not joined yet.
    visitors = (
        TimelineEvent.objects.filter(customer=customer, visitor_id__isnull=False)
        .values_list("visitor_id", flat=True)
        .distinct()
    )
    TimelineEvent.objects.filter(customer__isnull=True, visitor_id__in=list(visitors)).delete()
    CustomerIdentity.objects.filter(customer=customer).delete()
    IdentityClaim.objects.filter(customer=customer).delete()
    Address.objects.filter(customer=customer).update(
        label="",
        full_name=ERASED,
        phone="",
        line1=ERASED,
        line2="",
        district="",
        postal_code="",
    )
    ConsentDecision.objects.filter(customer=customer).update(
        recipient=ERASED, ip_address=None, push_error=""
    )
    TimelineEvent.objects.filter(customer=customer).update(data={}, visitor_id=None)
    # What staff wrote of the person is about them: it goes with the rest.
    StaffNote.objects.filter(customer=customer).delete()
    if customer.user_id is not None:
        User.objects.filter(pk=customer.user_id).update(
            email=f"erased-{customer.user_id}@erased.invalid",
            first_name="",
            last_name="",
            phone="",
            is_active=False,
            password=make_password(None),
        )
    customer.email = ""
    customer.phone = ""
    customer.first_name = ""
    customer.last_name = ""
    customer.save(update_fields=["email", "phone", "first_name", "last_name", "updated_at"])
