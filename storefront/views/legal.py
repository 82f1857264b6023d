"""A distance sale's legal forms on the shopper's pages: shown and accepted at the payment
step (with the card's and the gift card's forms), and the accepted texts kept with the order,
read again from the account (orders.services.agreements)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from omni.client_address import client_address
from omni.errors import Conflict, ValidationError
from orders.models import Order
from orders.services import agreements
from storefront import forms
from storefront.views.shopper import _shopper_order


def legal_forms_context(order: Order, legal_form: forms.AgreementsForm | None = None) -> dict:
    """What the payment step shows of a distance sale's legal forms: both filled for the order
    and the checkbox to accept them, until they are accepted (then when)."""
    if not agreements.agreements_required(order):
        return {"legal_forms": None}
    accepted = agreements.agreements_list(order)
    return {
        "legal_forms": [] if accepted else agreements.agreements_render(order),
        "legal_accepted": accepted[0].accepted_at if accepted else None,
        "legal_form": None if accepted else legal_form or forms.AgreementsForm(),
    }


def legal_forms_accept(request: HttpRequest, order: Order) -> forms.AgreementsForm | None:
    """The payment forms' checkbox: accept the order's legal forms when ticked (once). Returns
    the form with its error when they still need accepting, None when they are accepted or not
    needed; the payment service refuses to start without them in any case."""
    if not agreements.agreements_required(order) or agreements.agreements_accepted(order):
        return None
    form = forms.AgreementsForm(request.POST)
    if not form.is_valid():
        return form
    try:
        agreements.agreements_accept(order=order, ip=client_address(request))
    except (ValidationError, Conflict) as error:
        form.add_error(None, error.message)
        return form
    return None


@require_GET
def legal_form(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    """A form of the shopper's order exactly as they accepted it (the kept document)."""
    order = _shopper_order(request, number)
    kept = next((a for a in agreements.agreements_list(order) if a.kind == kind), None)
    if kept is None:
        raise Http404
    response = HttpResponse(kept.html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{order.number}-{kind}.html"'
    response["X-Robots-Tag"] = "noindex"
    return response
