"""The merchant admin for consents: the history on the customer's page, and a list of every
decision with the ones past their IYS deadline. Decisions are records of what a person said:
read-only here; a new decision is recorded through customers.services.consent_record."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import ConsentDecision, PushState

CONSENT_FIELDS = (
    "decided_at",
    "type",
    "recipient_type",
    "status",
    "recipient",
    "source",
    "text_version",
    "ip_address",
    "recorded_by",
    "push_state",
    "push_due_at",
    "pushed_at",
    "push_error",
)


class ConsentDecisionInline(admin.TabularInline):
    model = ConsentDecision
    extra = 0
    fields = CONSENT_FIELDS
    readonly_fields = CONSENT_FIELDS
    ordering = ["-decided_at", "-id"]
    verbose_name_plural = _("consents (newest first)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class IysDeadlineFilter(admin.SimpleListFilter):
    title = _("IYS deadline")
    parameter_name = "iys"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("pending", _("Pending, in time"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(push_state=PushState.PENDING, push_due_at__lt=now)
        if self.value() == "pending":
            return queryset.filter(push_state=PushState.PENDING, push_due_at__gte=now)
        return queryset


@admin.register(ConsentDecision)
class ConsentDecisionAdmin(admin.ModelAdmin):
    list_display = [
        "decided_at",
        "customer",
        "type",
        "recipient_type",
        "status",
        "source",
        "push_state",
        "push_due_at",
    ]
    list_filter = [IysDeadlineFilter, "push_state", "type", "status", "source"]
    list_select_related = ["customer"]
    search_fields = ["recipient", "customer__email", "customer__phone"]
    fields = ("customer", *CONSENT_FIELDS, "push_attempts", "iys_transaction_id")
    readonly_fields = ("customer", *CONSENT_FIELDS, "push_attempts", "iys_transaction_id")
    date_hierarchy = "decided_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
