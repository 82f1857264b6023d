"""Stock discrepancies: units a store handed over that its stock did not hold (a till's sale
recorded after the stock had gone). Listed read-only; the manager resolves them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from inventory import services
from inventory.admin.common import _ReadOnlyAdmin, _sku_column
from inventory.admin.holds import AlertStateFilter
from inventory.models import StockDiscrepancy


@admin.register(StockDiscrepancy)
class StockDiscrepancyAdmin(_ReadOnlyAdmin):
    list_display = [
        "sku",
        "location",
        "quantity_short",
        "reference",
        "created_at",
        "is_open",
        "resolved_at",
        "resolved_by",
    ]
    list_filter = [AlertStateFilter, "location"]
    list_select_related = ["variant", "location", "resolved_by"]
    search_fields = ["reference", "variant__sku", "location__code"]
    search_help_text = _("Reference, SKU or location code")
    ordering = ["-created_at"]
    actions = ["resolve"]

    sku = _sku_column()

    @admin.display(description=_("open"), boolean=True, ordering="resolved_at")
    def is_open(self, obj: StockDiscrepancy) -> bool:
        return obj.resolved_at is None

    def has_resolve_permission(self, request) -> bool:
        # Resolving goes through the service (not the change form, which stays read-only).
        return request.user.has_perm("inventory.change_stockdiscrepancy")

    @admin.action(description=_("Mark as resolved"), permissions=["resolve"])
    def resolve(self, request, queryset) -> None:
        done = sum(
            services.discrepancy_resolve(discrepancy=d, actor=request.user)
            for d in queryset.filter(resolved_at=None)
        )
        self.message_user(
            request,
            ngettext("%(n)d discrepancy resolved.", "%(n)d discrepancies resolved.", done)
            % {"n": done}
            if done
            else gettext("Nothing to resolve."),
            messages.SUCCESS if done else messages.INFO,
        )
