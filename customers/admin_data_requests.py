"""The merchant admin's KVKK data-subject requests: read-only, with the 30-day deadline and an
overdue filter, and an action that answers the chosen requests now (the same service the task
runs)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.data_requests import OPEN, data_request_process, data_requests_overdue
from customers.models import DataRequest
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
