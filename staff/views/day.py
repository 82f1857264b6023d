"""End of day: each staff member's till at this store for a business day (sales by payment
method, refunds, cash expected against counted) and the store's total, a cash count, and the
printable report."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from omni.errors import ValidationError
from payments import services as payments
from staff.access import StaffRequest, staff_view
from staff.selectors.day import day_report


def amount_typed(text: str) -> str:
    """What a clerk types, as a decimal string: "1.250,50" and "1250,50" (Turkish) and
    "1,250.50" and "1250.50" are all 1250.50."""
    text = (text or "").strip().replace(" ", "").replace("\u00a0", "").replace("₺", "")
    if "," in text and "." in text:
        if text.rindex(",") > text.rindex("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    return text.replace(",", ".")


class DayForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class CountForm(forms.Form):
    date = forms.DateField(widget=forms.HiddenInput)
    counted = forms.CharField(
        label=gettext_lazy("Cash counted"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_counted(self) -> object:
        try:
            return payments.till_count_clean(
                amount_typed(self.cleaned_data["counted"]), currency=self.currency
            )
        except ValidationError as error:
            raise forms.ValidationError(error.fields["counted"]) from None


def _day(request: StaffRequest) -> tuple[date, DayForm]:
    form = DayForm(request.GET or None)
    if form.is_bound and form.is_valid() and form.cleaned_data["date"]:
        return form.cleaned_data["date"], form
    return timezone.localdate(), form


def _page(
    request: StaffRequest,
    day: date,
    day_form: DayForm,
    count_form: CountForm | None = None,
    status: int = 200,
) -> HttpResponse:
    report = day_report(store=request.store, day=day, user=request.user)
    if count_form is None:
        count_form = CountForm(
            initial={"date": day, "counted": ""}, currency=request.store.currency
        )
    return render(
        request,
        "staff/day/index.html",
        {
            "report": report,
            "day_form": day_form,
            "count_form": count_form,
            "is_today": day == timezone.localdate(),
            "stock_discrepancies": report.stock_discrepancies,
        },
        status=status,
    )


@staff_view
@require_GET
def index(request: StaffRequest) -> HttpResponse:
    day, form = _day(request)
    return _page(request, day, form, status=400 if form.errors else 200)


@staff_view
@require_POST
def count(request: StaffRequest) -> HttpResponse:
    """The signed-in staff member's cash count for a day (a recount replaces it)."""
    form = CountForm(request.POST, currency=request.store.currency)
    if form.is_valid():
        day = form.cleaned_data["date"]
        try:
            payments.till_count_record(
                channel=request.store,
                staff=request.user,
                business_date=day,
                counted=form.cleaned_data["counted"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your cash count is recorded."))
            query = urlencode({"date": day.isoformat()})
            return HttpResponseRedirect(f"{reverse('staff:day')}?{query}#cash")
    day = form.cleaned_data.get("date") or timezone.localdate()
    return _page(request, day, DayForm(initial={"date": day}), form, status=400)


@staff_view
@require_GET
def report_print(request: StaffRequest) -> HttpResponse:
    """The report alone, for A4 paper."""
    day, form = _day(request)
    if form.errors:
        return _page(request, day, form, status=400)
    return render(
        request,
        "staff/day/print.html",
        {
            "report": day_report(store=request.store, day=day, user=request.user),
            "printed_at": timezone.localtime(),
        },
    )


urlpatterns = [
    path("", index, name="day"),
    path("count/", count, name="day-count"),
    path("print/", report_print, name="day-print"),
]
