"""The account's KVKK pages: the shopper's consents to commercial messages (given and withdrawn
through customers.services, from the web form, with the text version shown and the IP address
as proof) and their data-subject requests (an export to download, or erasure)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from customers import data_requests, selectors
from customers import services as customers_services
from customers.iys_rules import recipient_for
from customers.models import ConsentSource, ConsentStatus, ConsentType, Customer, RecipientType
from omni.client_address import client_address
from omni.errors import Conflict, NotFound, ValidationError
from storefront import forms
from storefront.views.account import _signed_in
from storefront.views.shopper import _customer, _field_errors

# The version of the consent text the page shows; a new wording gets a new version, so each
# decision names the text the person read.
CONSENT_TEXT_VERSION = "web-2026-12"


def _me(request: HttpRequest) -> Customer:
    customer = _customer(request)
    if customer is None:  # _signed_in lets only a signed-in shopper through
        raise Http404
    return customer


def consent_text_version() -> str:
    return f"{CONSENT_TEXT_VERSION}-{get_language() or 'tr'}"


@_signed_in
@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest) -> HttpResponse:
    """İzinlerim: one box per channel; what changed is recorded as a decision of its own."""
    customer = _me(request)
    current = {
        d.type: d
        for d in selectors.consents_current(customer=customer)
        if d.recipient_type == RecipientType.BIREYSEL
    }
    given = {t: d.status == ConsentStatus.ONAY for t, d in current.items()}
    form = forms.ConsentsForm(
        request.POST if request.method == "POST" else None,
        initial={t: given.get(t, False) for t in ConsentType.values},
    )
    if request.method == "POST" and form.is_valid():
        changed = 0
        for consent_type in ConsentType.values:
            wanted = form.cleaned_data[consent_type]
            if wanted == given.get(consent_type, False):
                continue
            record = (
                customers_services.consent_give if wanted else customers_services.consent_withdraw
            )
            try:
                record(
                    customer=customer,
                    consent_type=consent_type,
                    source=ConsentSource.WEB,
                    text_version=consent_text_version(),
                    ip_address=client_address(request) or None,
                )
            except ValidationError as error:
                _field_errors(form, error, rename={"type": consent_type})
            else:
                changed += 1
        if not form.errors:
            if changed:
                messages.success(request, _("Your choices are saved."))
            return redirect("storefront:consents")
    rows = [
        {
            "field": form[consent_type],
            "decision": current.get(consent_type),
            "address": recipient_for(
                consent_type=consent_type, email=customer.email, phone=customer.phone
            ),
        }
        for consent_type in ConsentType.values
    ]
    return render(
        request,
        "storefront/account/consents.html",
        {"form": form, "rows": rows, "text_version": consent_text_version()},
        status=400 if form.errors else 200,
    )


@_signed_in
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    """Kişisel verilerim: ask for an export or erasure; the requests with their deadline."""
    customer = _me(request)
    form = forms.DataRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data_requests.data_request_create(customer=customer, kind=form.cleaned_data["kind"])
        except Conflict as error:
            form.add_error("kind", error.message)
        except ValidationError as error:
            _field_errors(form, error)
        else:
            messages.success(request, _("Your request is received; we answer it within 30 days."))
            return redirect("storefront:my-data")
    return render(
        request,
        "storefront/account/my_data.html",
        {
            "form": form,
            "requests": list(data_requests.data_requests_of(customer=customer)[:50]),
        },
        status=400 if form.errors else 200,
    )


@_signed_in
@require_GET
def my_data_download(request: HttpRequest, request_id: int) -> FileResponse:
    """The archive of one of the shopper's own exports, once it is ready; otherwise a 404."""
    try:
        found = data_requests.data_request_archive_of(customer=_me(request), request_id=request_id)
    except NotFound:
        raise Http404 from None
    return FileResponse(
        found.archive.open("rb"),
        as_attachment=True,
        filename=f"kvkk-export-{found.pk}.zip",
        content_type="application/zip",
    )
