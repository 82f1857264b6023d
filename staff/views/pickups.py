"""Click and collect at the store: the queue (to prepare, ready, overdue), making an order
ready (the customer is told), the hand-over with the pickup code, and cancelling an order that
was not collected. Every step is the fulfilment service the staff API calls."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from inventory.models import StockLocation
from omni.errors import OmniError, ValidationError
from orders.models import Order
from orders.services import fulfilment as fulfilment_services
from orders.services.lifecycle import order_cancel
from staff.access import StaffRequest, staff_view
from staff.selectors.pickups import (
    PICKUP_SECTIONS,
    pickup_order_at,
    pickup_queue_sections,
    ready_orders_with_code,
)


def _location(request: StaffRequest) -> StockLocation:
    if request.location is None:  # a store channel without a stock location has no queue
        raise Http404("This store has no stock location.")
    return request.location


def _queue_url(section: str = "prepare", **query: str) -> str:
    return f"{reverse('staff:pickups')}?{urlencode({'section': section, **query})}"


def _section(value: str | None) -> str:
    return value if value in PICKUP_SECTIONS else "prepare"


def _render_queue(
    request: StaffRequest,
    *,
    section: str,
    chosen: Order | None = None,
    code: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    queue = pickup_queue_sections(location=_location(request))
    return render(
        request,
        "staff/pickups/index.html",
        {
            "section": section,
            "orders": getattr(queue, section),
            "counts": queue.counts(),
            "chosen": chosen,
            "code": code,
            "errors": errors or [],
        },
        status=status,
    )


@staff_view
def index(request: StaffRequest) -> HttpResponse:
    """The queue; `?order=<number>` chooses the order to hand over."""
    section = _section(request.GET.get("section"))
    number = request.GET.get("order", "")
    chosen = pickup_order_at(location=_location(request), number=number) if number else None
    return _render_queue(request, section=section, chosen=chosen)


@staff_view
@require_POST
def ready(request: StaffRequest, number: str) -> HttpResponse:
    """The goods are set aside: the customer gets the pickup code and the date to collect by."""
    order = pickup_order_at(location=_location(request), number=number)
    try:
        fulfilment_services.order_ready_for_pickup(
            order=order, actor=request.user, channel=request.store
        )
    except OmniError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(_queue_url("prepare"))
    messages.success(
        request,
        _("Order %(number)s is ready for pickup; the customer has been told.")
        % {"number": order.number},
    )
    return HttpResponseRedirect(_queue_url("ready"))


def _code_errors(error: ValidationError) -> list[str]:
    fields = error.fields or {}
    found = [str(message) for messages_ in fields.values() for message in messages_]
    return found or [error.message]


@staff_view
@require_POST
def collect(request: StaffRequest) -> HttpResponse:
    """The hand-over: the pickup code scanned or typed, for the order chosen from the list or,
    without one, for the ready order here that has this code. A wrong code changes nothing."""
    location = _location(request)
    section = _section(request.POST.get("section"))
    code = (request.POST.get("code") or "").strip()
    number = request.POST.get("order", "")
    chosen = pickup_order_at(location=location, number=number) if number else None
    if not code:
        return _render_queue(
            request, section=section, chosen=chosen,
            errors=[_("Scan or type the pickup code.")], status=400,
        )  # fmt: skip
    order = chosen
    if order is None:
        found = ready_orders_with_code(location=location, code=code)
        if len(found) != 1:
            message = (
                _("No order ready for pickup here has this code.")
                if not found
                else _("More than one order has this code: choose the order from the list.")
            )
            return _render_queue(request, section=section, code=code, errors=[message], status=400)
        order = found[0]
    try:
        fulfilment_services.order_collect(
            order=order, code=code, actor=request.user, channel=request.store
        )
    except ValidationError as error:
        return _render_queue(
            request, section=section, chosen=chosen, code=code,
            errors=_code_errors(error), status=400,
        )  # fmt: skip
    except OmniError as error:
        return _render_queue(
            request, section=section, chosen=chosen, errors=[error.message], status=409
        )
    name = str(order.customer) if order.customer_id else order.email
    messages.success(
        request,
        _("Order %(number)s has been handed over to %(name)s.")
        % {"number": order.number, "name": name},
    )
    return HttpResponseRedirect(_queue_url(section))


@staff_view
@require_http_methods(["GET", "POST"])
def cancel(request: StaffRequest, number: str) -> HttpResponse:
    """An order that was not collected is cancelled (after a confirm step): its stock goes
    back on the shelf and what was paid is refunded, as when the deadline passes."""
    order = pickup_order_at(location=_location(request), number=number)
    section = _section(request.GET.get("section") or request.POST.get("section"))
    if order.status != Order.Status.READY_FOR_PICKUP:
        messages.error(
            request,
            _("Order %(number)s is not waiting for the customer: it cannot be cancelled here.")
            % {"number": order.number},
        )
        return HttpResponseRedirect(_queue_url(section))
    if request.method == "POST":
        try:
            order_cancel(
                order=order,
                actor=request.user,
                channel=request.store,
                reason=fulfilment_services.NOT_COLLECTED,
                only_from=[Order.Status.READY_FOR_PICKUP],
            )
        except OmniError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(_queue_url(section))
        messages.success(
            request,
            _("Order %(number)s has been cancelled: not collected.") % {"number": order.number},
        )
        return HttpResponseRedirect(_queue_url(section))
    return render(request, "staff/pickups/cancel.html", {"order": order, "section": section})


urlpatterns = [
    path("", index, name="pickups"),
    path("collect/", collect, name="pickups-collect"),
    path("<str:number>/ready/", ready, name="pickups-ready"),
    path("<str:number>/cancel/", cancel, name="pickups-cancel"),
]
