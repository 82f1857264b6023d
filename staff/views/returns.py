"""Returns (staff screen): take back an order bought on any channel (web, app, another store,
a marketplace) at this store.

- /staff/returns/?q=  find the order by its number, a scanned receipt (its Code 128 holds the
  number; the scanner types it and Enter) or the customer (phone, e-mail, name); below, the
  returns handed in or requested at this store.
- /staff/returns/orders/<number>/  choose lines, units, reasons, an exchange size, restock or
  write off, where the refund goes; "Review" runs the services and rolls back, "Complete"
  runs them (staff.services.returns.counter_return).
- /staff/returns/<pk>/  one of this store's returns; one requested online is received here.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from omni.errors import OmniError
from orders.models import Order, ReturnLine
from payments.models import Refund
from staff.access import StaffRequest, staff_view
from staff.selectors import returns as selectors
from staff.services import returns as services
from staff.views.returns_form import DIFFERENCE_BY, ReturnForm, read_conditions, read_return_form


def _choices() -> dict[str, Any]:
    return {
        "reasons": ReturnLine.Reason.choices,
        "destinations": Refund.Destination.choices,
        "difference_by": [(code, label) for code, label in _difference_labels()],
    }


def _difference_labels() -> list[tuple[str, str]]:
    labels = {"cash": _("Cash"), "terminal": _("Card terminal")}
    return [(code, labels[code]) for code in DIFFERENCE_BY]


@staff_view
def index(request: StaffRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()
    found: list[selectors.CustomerOrders] = []
    error = ""
    status = 200
    if q:
        try:
            order, found = selectors.search(q=q)
        except OmniError as refused:
            order, error, status = None, refused.message, 400
        if order is not None:
            return HttpResponseRedirect(reverse("staff:return-order", args=[order.number]))
        if not error and not found:
            error = _("No order with the number %(q)s, and no customer matches it.") % {"q": q}
            status = 404
    context = {
        "q": q,
        "error": error,
        "customers": found,
        "returns": selectors.store_returns(user=request.user, store=request.store),
    }
    return render(request, "staff/returns/index.html", context, status=status)


def _rows(data: selectors.OrderForReturn, form: ReturnForm | None) -> list[dict[str, Any]]:
    """Each order line with what the form holds for it and its errors."""
    rows = []
    for item in data.lines:
        pk = item.line.pk
        values = form.values if form else {}
        errors = dict(form.line_errors.get(pk, {})) if form else {}
        rows.append(
            {
                "item": item,
                "quantity": values.get(f"quantity-{pk}", "0"),
                "reason": values.get(f"reason-{pk}", ""),
                "exchange": values.get(f"exchange-{pk}", ""),
                "condition": values.get(f"condition-{pk}", ReturnLine.Condition.RESELLABLE),
                "errors": {name: list(messages) for name, messages in errors.items()},
            }
        )
    return rows


def _order_page(
    request: StaffRequest,
    order: Order,
    form: ReturnForm | None = None,
    *,
    preview: services.Settlement | None = None,
    status: int = 200,
) -> HttpResponse:
    data = selectors.order_for_return(order=order, location=request.location)
    # Errors on lines that are not on this order (a line of another order) show on top.
    foreign: list[str] = []
    if form is not None:
        ids = {item.line.pk for item in data.lines}
        for pk, fields in form.line_errors.items():
            if pk not in ids:
                foreign.extend(m for messages in fields.values() for m in messages)
    context = {
        "data": data,
        "order": order,
        "rows": _rows(data, form),
        "form": form,
        "form_errors": (form.errors + foreign) if form else [],
        "field_errors": dict(form.field_errors) if form else {},
        "destination": form.destination if form else Refund.Destination.ORIGINAL,
        "chosen_difference": form.difference_by if form else "cash",
        "note": form.note if form else "",
        "preview": preview,
        # One submission per form: a double click on "Complete" takes the goods back once.
        "token": (form.token if form and form.token else uuid.uuid4().hex),
        **_choices(),
    }
    return render(request, "staff/returns/order.html", context, status=status)


@staff_view
def order_page(request: StaffRequest, number: str) -> HttpResponse:
    order = selectors.order_by_number(number=number)
    if order is None:
        raise Http404(_("Order not found."))
    if request.method != "POST":
        return _order_page(request, order)
    form = read_return_form(request.POST)
    if request.location is None:
        form.errors.append(_("This store has no stock location to take returns into."))
    if not form.is_valid:
        return _order_page(request, order, form, status=400)
    assert request.location is not None
    arguments: dict[str, Any] = {
        "order": order,
        "lines": form.lines,
        "store": request.store,
        "location": request.location,
        "user": request.user,
        "destination": form.destination,
        "difference_by": form.difference_by,
    }
    try:
        if request.POST.get("action") != "complete":
            preview = services.counter_return_preview(**arguments)
            return _order_page(request, order, form, preview=preview)
        done = services.counter_return_once(token=form.token, **arguments, note=form.note)
    except services.AlreadyDone as again:
        if again.return_id:
            return HttpResponseRedirect(reverse("staff:returns-detail", args=[again.return_id]))
        form.errors.append(_("This return is being completed already; wait a moment."))
        return _order_page(request, order, form, status=409)
    except OmniError as error:
        form.refused(error)
        return _order_page(request, order, form, status=400)
    messages.success(
        request,
        _("Return %(id)s of order %(number)s is done.") % {"id": done.pk, "number": order.number},
    )
    return HttpResponseRedirect(reverse("staff:returns-detail", args=[done.pk]))


def _return_page(
    request: StaffRequest, pk: int, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    found = selectors.store_return(user=request.user, store=request.store, pk=pk)
    if found is None:
        raise Http404(_("Return not found."))
    context = {
        "found": found,
        "lines": list(found.lines.all()),
        "refunds": list(Refund.objects.filter(return_request=found).order_by("id")),
        "settlement": services.settlement_of(found),
        "errors": errors or [],
        "can_receive": found.status == found.Status.REQUESTED and request.location is not None,
        "conditions": ReturnLine.Condition.choices,
        **_choices(),
    }
    return render(request, "staff/returns/return.html", context, status=status)


@staff_view
def return_page(request: StaffRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return _return_page(request, pk)
    found = selectors.store_return(user=request.user, store=request.store, pk=pk)
    if found is None or request.location is None:
        raise Http404(_("Return not found."))
    conditions, errors = read_conditions(request.POST, [line.pk for line in found.lines.all()])
    destination = request.POST.get("destination", Refund.Destination.ORIGINAL)
    difference_by = request.POST.get("difference_by", "cash")
    if destination not in Refund.Destination.values:
        errors.append(_("Choose where the refund goes."))
    if difference_by not in DIFFERENCE_BY:
        errors.append(_("Choose cash or the card terminal."))
    if not errors:
        try:
            services.counter_receive(
                return_request=found,
                conditions=conditions,
                store=request.store,
                location=request.location,
                user=request.user,
                destination=destination,
                difference_by=difference_by,
            )
        except OmniError as error:
            errors = [error.message, *(m for ms in error.fields.values() for m in ms)]
    if errors:
        return _return_page(request, pk, errors=list(dict.fromkeys(errors)), status=400)
    messages.success(request, _("Return %(id)s is received.") % {"id": found.pk})
    return HttpResponseRedirect(reverse("staff:returns-detail", args=[found.pk]))


urlpatterns = [
    path("", index, name="returns"),
    path("orders/<str:number>/", order_page, name="return-order"),
    path("<int:pk>/", return_page, name="returns-detail"),
]
