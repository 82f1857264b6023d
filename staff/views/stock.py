"""Stock: find a product by name, SKU or barcode (a scan), see what is free here, in the other
stores (with their distance) and in the warehouses; request a transfer to this store; hand an
item over to the counter sale for home delivery (endless aisle)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from omni.errors import ValidationError
from staff.access import StaffRequest, staff_view
from staff.selectors.stock import stock_search, store_transfers
from staff.services.stock import store_transfer_request


class TransferForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    variant = forms.IntegerField(min_value=1)
    destination = forms.CharField(max_length=40)
    source = forms.CharField(label=pgettext_lazy("transfer", "From"), max_length=40)
    quantity = forms.IntegerField(
        label=gettext_lazy("Quantity"),
        min_value=1,
        max_value=9999,
        error_messages={"invalid": gettext_lazy("Enter a whole number above zero.")},
    )


def _page(
    request: StaffRequest, query: str, form: TransferForm | None = None, status: int = 200
) -> HttpResponse:
    location = request.location
    failed_variant = None
    if form is not None:
        try:
            failed_variant = int(form.data.get("variant", ""))
        except ValueError:
            failed_variant = None
    search = stock_search(query=query, location=location)
    shown = any(
        row.variant.pk == failed_variant and row.here is not None
        for item in search.products
        for row in item.variants
    )
    errors = [e for problems in form.errors.values() for e in problems] if form else []
    return render(
        request,
        "staff/stock/index.html",
        {
            "search": search,
            "transfers": store_transfers(location=location),
            "form": form,
            # The refusal is shown at the variant's form, or on top when that is not shown.
            "failed_variant": failed_variant if shown else None,
            "form_errors": [] if shown else errors,
        },
        status=status,
    )


@staff_view
@require_GET
def index(request: StaffRequest) -> HttpResponse:
    return _page(request, request.GET.get("q", ""))


@staff_view
@require_POST
def transfer(request: StaffRequest) -> HttpResponse:
    """Request units of a variant to come to this store."""
    form = TransferForm(request.POST)
    query = request.POST.get("q", "")
    if request.location is None:
        form.add_error(None, _("This store has no stock location."))
    elif form.is_valid():
        data = form.cleaned_data
        try:
            made = store_transfer_request(
                store=request.location,
                destination_code=data["destination"],
                source_code=data["source"],
                variant_id=data["variant"],
                quantity=data["quantity"],
                actor=request.user,
            )
        except ValidationError as error:
            for name, problems in error.fields.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Transfer %(id)s requested: %(quantity)s from %(source)s.")
                % {"id": made.pk, "quantity": data["quantity"], "source": made.source.name},
            )
            return HttpResponseRedirect(f"{reverse('staff:stock')}?{urlencode({'q': query})}")
    return _page(request, query, form, status=400)


urlpatterns = [
    path("", index, name="stock"),
    path("transfer/", transfer, name="stock-transfer"),
]
