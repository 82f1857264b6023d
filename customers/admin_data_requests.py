"""The merchant admin's KVKK data-subject requests: read-only, with the 30-day deadline and an
overdue filter, and an action that answers the chosen requests now (the same service the task
runs); an action on the customer list that records a request on a person's behalf; and the
read-only destruction log of the periodic destruction (customers.retention)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.data_requests import (
    OPEN,
    data_request_create,
    data_request_process,
    data_requests_overdue,
)
from customers.models import DataRequest, DataRequestKind, DestructionLog
from customers.selectors import user_may_open_data_requests
from omni.errors import OmniError


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("open", _("Open, in time"))]

    def queryset(self, request, queryset):
        overdue = data_requests_overdue().values("pk")
        if self.value() == "overdue":
            return queryset.filter(pk__in=overdue)
        if self.value() == "open":
            return queryset.filter(status__in=OPEN).exclude(pk__in=overdue)
        return queryset


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "customer",
        "kind",
        "status",
        "requested_at",
        "due_at",
        "completed_at",
        "requested_by",
    ]
    list_filter = [OverdueFilter, "kind", "status"]
    list_select_related = ["customer", "requested_by"]
    search_fields = ["customer__email", "customer__phone"]
    readonly_fields = (
        "customer",
        "kind",
        "status",
        "requested_at",
        "due_at",
        "requested_by",
        "proof_note",
        "completed_at",
        "archive",
        "note",
    )
    fields = readonly_fields
    actions = ["process_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None  # the list and its action; the page itself is read-only

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Process now"))
    def process_now(self, request, queryset):
        done = 0
        for request_id in queryset.filter(status__in=OPEN).values_list("pk", flat=True):
            try:
                data_request_process(request_id=request_id)
            except OmniError as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            done += 1
        self.message_user(
            request,
            ngettext("%d request answered.", "%d requests answered.", done) % done,
            messages.SUCCESS,
        )


class DataRequestOpenForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=DataRequestKind.choices)
    proof_note = forms.CharField(
        label=_("identity proof"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How the person's identity was checked (for example an ID card seen)."),
    )


class DataRequestOpenMixin:
    """The customer list's action: record a KVKK export or erasure a person asked for by phone,
    letter or in a store, with how their identity was checked; the same service (deadline,
    one open request per kind) as the person's own request."""

    def has_open_data_request_permission(self, request) -> bool:
        return user_may_open_data_requests(request.user)

    @admin.action(description=_("Record a KVKK data request"), permissions=["open_data_request"])
    def open_data_request(self, request, queryset):
        customers = list(queryset[:2])
        if len(customers) != 1:
            self.message_user(request, _("Choose one customer."), messages.ERROR)  # type: ignore[attr-defined]
            return None
        customer = customers[0]
        form = DataRequestOpenForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                created = data_request_create(
                    customer=customer,
                    kind=form.cleaned_data["kind"],
                    requested_by=request.user,
                    proof_note=form.cleaned_data["proof_note"],
                )
            except OmniError as error:
                for field, errors in (error.fields or {"__all__": [error.message]}).items():
                    for message in errors or [error.message]:
                        form.add_error(field if field in form.fields else None, message)
            else:
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    _("The request is recorded; it is due by %(due)s.")
                    % {"due": f"{created.due_at:%Y-%m-%d}"},
                    messages.SUCCESS,
                )
                return None
        return TemplateResponse(
            request,
            "admin/customers/data_request_open.html",
            {
                **self.admin_site.each_context(request),  # type: ignore[attr-defined]
                "title": _("Record a KVKK data request"),
                "opts": self.model._meta,  # type: ignore[attr-defined]
                "customer": customer,
                "form": form,
                "action": "open_data_request",
            },
        )


@admin.register(DestructionLog)
class DestructionLogAdmin(admin.ModelAdmin):
    """What each periodic destruction run destroyed, kept 3 years; read-only."""

    list_display = [
        "started_at",
        "category",
        "method",
        "rows",
        "retention_days",
        "cutoff",
        "finished_at",
        "triggered_by",
        "triggered_by_user",
    ]
    list_filter = ["category", "method", "triggered_by"]
    list_select_related = ["triggered_by_user"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
