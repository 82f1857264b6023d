"""Ship from store: the store's pick list (to pick, picking, packed, shipped), its steps (start
picking, packed, shipped with a carrier and tracking number, whole or in part, delivered) and
a printable pick list. Every step is the fulfilment service the staff API calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from inventory.models import StockLocation
from omni.errors import OmniError, ValidationError
from orders.models import Fulfilment
from orders.services import fulfilment as fulfilment_services
from staff.access import StaffRequest, staff_view
from staff.selectors.pickups import (
    SHIPPING_SECTIONS,
    fulfilment_at,
    pick_sheet,
    shipping_counts,
    shipping_list,
)

if TYPE_CHECKING:  # django-stubs is a development dependency
    from django_stubs_ext import StrOrPromise

CARRIERS = ("Yurtiçi Kargo", "Aras Kargo", "MNG Kargo", "Sürat Kargo", "PTT Kargo", "UPS")
# Where a fulfilment is listed once a step has moved it.
SECTION_OF: dict[str, str] = {
    Fulfilment.Status.PENDING: "pick",
    Fulfilment.Status.PICKING: "picking",
    Fulfilment.Status.PACKED: "packed",
    Fulfilment.Status.SHIPPED: "shipped",
}


def _location(request: StaffRequest) -> StockLocation:
    if request.location is None:
        raise Http404("This store has no stock location.")
    return request.location


def _list_url(section: str) -> str:
    return f"{reverse('staff:shipping')}?section={section}"


@staff_view
def index(request: StaffRequest) -> HttpResponse:
    location = _location(request)
    section = request.GET.get("section", "pick")
    if section not in SHIPPING_SECTIONS:
        section = "pick"
    return render(
        request,
        "staff/shipping/index.html",
        {
            "section": section,
            "fulfilments": shipping_list(location=location, section=section),
            "counts": shipping_counts(location=location),
        },
    )


def _step_view(
    step: Callable[..., Fulfilment], done: StrOrPromise
) -> Callable[[StaffRequest, int], HttpResponse]:
    @staff_view
    @require_POST
    def view(request: StaffRequest, pk: int) -> HttpResponse:
        fulfilment = fulfilment_at(location=_location(request), pk=pk)
        section = SECTION_OF.get(fulfilment.status, "pick")
        try:
            fulfilment = step(fulfilment=fulfilment, actor=request.user, channel=request.store)
        except OmniError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(_list_url(section))
        messages.success(request, str(done) % {"number": fulfilment.order.number})
        return HttpResponseRedirect(_list_url(section))

    return view


start = _step_view(fulfilment_services.fulfilment_start, gettext_lazy("Picking order %(number)s."))
pack = _step_view(fulfilment_services.fulfilment_pack, gettext_lazy("Order %(number)s is packed."))
deliver = _step_view(
    fulfilment_services.fulfilment_deliver, gettext_lazy("Order %(number)s was delivered.")
)


class ShipForm(forms.Form):
    carrier = forms.CharField(label=gettext_lazy("Carrier"), max_length=60)
    tracking_number = forms.CharField(label=gettext_lazy("Tracking number"), max_length=80)

    def __init__(self, *args, fulfilment: Fulfilment, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(fulfilment.lines.all())
        for line in self.lines:
            self.fields[f"line-{line.order_line_id}"] = forms.IntegerField(
                label=line.order_line.product_name,
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
            )

    def rows(self) -> list[tuple]:
        return [(line, self[f"line-{line.order_line_id}"]) for line in self.lines]

    def quantities(self) -> dict[int, int] | None:
        """{order line id: units} to ship; None when everything ships."""
        wanted = {
            line.order_line_id: self.cleaned_data[f"line-{line.order_line_id}"]
            for line in self.lines
        }
        if all(wanted[line.order_line_id] == line.quantity for line in self.lines):
            return None
        return {line_id: units for line_id, units in wanted.items() if units}


@staff_view
@require_http_methods(["GET", "POST"])
def ship(request: StaffRequest, pk: int) -> HttpResponse:
    """A packed fulfilment leaves with a carrier: all of it, or some units (what stays behind
    becomes a new fulfilment to pick). A missing carrier or tracking number is a form error."""
    fulfilment = fulfilment_at(location=_location(request), pk=pk)
    form = ShipForm(request.POST or None, fulfilment=fulfilment)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                shipment = fulfilment_services.fulfilment_ship(
                    fulfilment=fulfilment,
                    carrier=form.cleaned_data["carrier"],
                    tracking_number=form.cleaned_data["tracking_number"],
                    quantities=form.quantities(),
                    actor=request.user,
                    channel=request.store,
                )
            except ValidationError as error:
                for name, errors in error.fields.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
                if not error.fields:
                    form.add_error(None, error.message)
            except OmniError as error:
                form.add_error(None, error.message)
            else:
                text = _("Order %(number)s shipped with %(carrier)s, tracking %(tracking)s.") % {
                    "number": fulfilment.order.number,
                    "carrier": shipment.fulfilment.carrier,
                    "tracking": shipment.fulfilment.tracking_number,
                }
                if shipment.remainder is not None:
                    text += " " + _("The rest waits to be picked.")
                messages.success(request, text)
                return HttpResponseRedirect(_list_url("shipped"))
    return render(
        request,
        "staff/shipping/ship.html",
        {"fulfilment": fulfilment, "form": form, "carriers": CARRIERS},
        status=status,
    )


@staff_view
def print_list(request: StaffRequest) -> HttpResponse:
    """The pick list on paper: every fulfilment still to pick, with its lines."""
    return render(
        request,
        "staff/shipping/print.html",
        {"fulfilments": pick_sheet(location=_location(request))},
    )


urlpatterns = [
    path("", index, name="shipping"),
    path("print/", print_list, name="shipping-print"),
    path("<int:pk>/start/", start, name="shipping-start"),
    path("<int:pk>/pack/", pack, name="shipping-pack"),
    path("<int:pk>/ship/", ship, name="shipping-ship"),
    path("<int:pk>/deliver/", deliver, name="shipping-deliver"),
]
