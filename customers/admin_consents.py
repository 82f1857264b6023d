"""The merchant admin for consents: the history on the customer's page, and a list of every
decision with the ones past their IYS deadline. Decisions are records of what a person said:
read-only here; a new decision is recorded through customers.services.consent_record."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from customers.models import ConsentDecision, Customer, PushState

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


class ConsentHistoryMixin:
    """The customer page's consent history: a read-only table, newest first (a field, not an
    inline: nothing of it is posted back with the profile's form)."""

    @admin.display(description=_("consents (newest first)"))
    def consent_history(self, obj: Customer) -> str:
        if obj is None or obj.pk is None:
            return "-"
        decisions = (
            ConsentDecision.objects.filter(customer=obj)
            .select_related("recorded_by")
            .order_by("-decided_at", "-id")[:HISTORY_ROWS]
        )
        rows = format_html_join(
            "",
            "<tr>" + "<td>{}</td>" * len(HISTORY_COLUMNS) + "</tr>",
            (
                (
                    date_format(localtime(d.decided_at), "SHORT_DATETIME_FORMAT"),
                    d.get_type_display(),
                    d.get_recipient_type_display(),
                    d.get_status_display(),
                    d.recipient,
                    d.get_source_display(),
                    d.text_version or "-",
                    d.ip_address or (d.recorded_by or "-"),
                    d.get_push_state_display(),
                    date_format(localtime(d.push_due_at), "SHORT_DATETIME_FORMAT")
                    if d.push_due_at
                    else "-",
                )
                for d in decisions
            ),
        )
        if not rows:
            return str(_("No decision yet."))
        head = format_html_join("", "<th>{}</th>", ((str(c),) for c in HISTORY_COLUMNS))
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, rows)


HISTORY_ROWS = 100
HISTORY_COLUMNS = (
    _("decided at"),
    _("channel"),
    _("recipient type"),
    _("status"),
    _("recipient"),
    _("source"),
    _("text version shown"),
    _("proof"),
    _("IYS push"),
    _("due in IYS by"),
)


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
