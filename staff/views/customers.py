"""Clienteling: find a customer (phone typed any way, e-mail, name, loyalty card) and their
profile at this store: orders and returns of every channel, the live cart to finish at the
counter, saved items, consents, loyalty, segments and metrics, staff notes, and what to offer.

Store staff see every customer (the customer is the business's, not a store's); what they write
(a note) and the visit the profile records carry their store."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from customers.notes import staff_note_add
from customers.selectors import user_may_view_customers
from customers.timeline import NOTE_MAX_CHARS
from omni.errors import NotFound, ValidationError
from staff.access import StaffRequest, staff_view
from staff.selectors.customers import (
    customer_for_profile,
    customer_profile,
    customers_found,
)
from staff.services.customers import store_visit_record

MESSAGE_CHANNELS = {"email": _("E-mail"), "sms": _("SMS"), "call": _("Phone call")}
WHY_NOT = {
    "no_consent": _("no consent given"),
    "withdrawn": _("consent withdrawn"),
    "address_changed": _("consent was for another address"),
    "pending_iys": _("waiting for IYS"),
    "rejected_by_iys": _("refused by IYS"),
    "no_address": _("no address on the profile"),
}


def _refused(request: StaffRequest) -> HttpResponse | None:
    if user_may_view_customers(request.user):
        return None
    return render(request, "staff/not_staff.html", status=403)


@staff_view
@require_GET
def search(request: StaffRequest) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    q = request.GET.get("q", "").strip()
    rows, error = [], ""
    if "q" in request.GET:
        try:
            rows = customers_found(q=q)
        except ValidationError as refusal:
            error = refusal.fields.get("q", [refusal.message])[0]
    return render(
        request,
        "staff/customers/search.html",
        {"q": q, "rows": rows, "error": error, "searched": "q" in request.GET and not error},
        status=400 if error else 200,
    )


def _profile_page(
    request: StaffRequest, pk: int, *, note_text: str = "", note_error: str = "", status: int = 200
) -> HttpResponse:
    try:
        customer = customer_for_profile(pk=pk)
    except NotFound:
        raise Http404 from None
    if customer.pk != pk:  # merged away: the survivor's profile
        return HttpResponseRedirect(reverse("staff:customer", args=[customer.pk]))
    if request.method == "GET":
        store_visit_record(customer=customer, store=request.store, location=request.location)
    profile = customer_profile(customer=customer, store=request.store, location=request.location)
    return render(
        request,
        "staff/customers/profile.html",
        {
            "p": profile,
            "c": customer,
            "consents": [
                (label, profile.messages[code], WHY_NOT.get(profile.messages[code].reason, ""))
                for code, label in MESSAGE_CHANNELS.items()
            ],
            "note_text": note_text,
            "note_error": note_error,
            "note_max": NOTE_MAX_CHARS,
        },
        status=status,
    )


@staff_view
@require_GET
def profile(request: StaffRequest, pk: int) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    return _profile_page(request, pk)


@staff_view
@require_POST
def note_add(request: StaffRequest, pk: int) -> HttpResponse:
    """A staff note, written at this store; a refused note shows the page again with the
    message and the text as typed (status 400), nothing written."""
    if (refused := _refused(request)) is not None:
        return refused
    try:
        customer = customer_for_profile(pk=pk)
    except NotFound:
        raise Http404 from None
    text = request.POST.get("text", "")
    try:
        staff_note_add(customer=customer, author=request.user, text=text, store=request.store)
    except ValidationError as refusal:
        message = refusal.fields.get("text", [refusal.message])[0]
        return _profile_page(request, customer.pk, note_text=text, note_error=message, status=400)
    messages.success(request, _("Note added."))
    return HttpResponseRedirect(reverse("staff:customer", args=[customer.pk]) + "#notes")


urlpatterns = [
    path("", search, name="customers"),
    path("<int:pk>/", profile, name="customer"),
    path("<int:pk>/notes/", note_add, name="customer-note"),
]
