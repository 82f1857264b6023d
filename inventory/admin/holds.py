"""What is held (reservations, allocations) and the low-stock alerts: read-only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.admin.common import (
    _ReadOnlyAdmin,
    _sku_column,
)
from inventory.models import (
    Allocation,
    LowStockAlert,
    Reservation,
)

# --- what is held: reservations, allocations; and the alerts --------------------------------


class LiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", _("Holding stock")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "live":
            return queryset.filter(expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        return queryset


@admin.register(Reservation)
class ReservationAdmin(_ReadOnlyAdmin):
    list_display = [
        "reference",
        "sku",
        "location",
        "channel",
        "quantity",
        "expires_at",
        "is_live",
        "created_at",
    ]
    list_filter = [LiveFilter, "channel", "stock__location"]
    list_select_related = ["variant", "stock__location", "channel"]
    search_fields = ["reference", "variant__sku"]
    search_help_text = _("Cart reference or SKU")

    sku = _sku_column()

    @admin.display(description=_("location"), ordering="stock__location__code")
    def location(self, obj: Reservation) -> str:
        return obj.stock.location.code

    @admin.display(description=_("holding stock"), boolean=True)
    def is_live(self, obj: Reservation) -> bool:
        return obj.expires_at > timezone.now()


@admin.register(Allocation)
class AllocationAdmin(_ReadOnlyAdmin):
    list_display = ["reference", "line_ref", "sku", "location", "quantity", "status", "created_at"]
    list_filter = ["status", "location"]
    list_select_related = ["variant", "location"]
    search_fields = ["reference", "line_ref", "variant__sku"]
    search_help_text = _("Order reference, line or SKU")

    sku = _sku_column()


class AlertStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("resolved", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class AlertNotifiedFilter(admin.SimpleListFilter):
    title = _("notified")
    parameter_name = "notified"

    def lookups(self, request, model_admin):
        return [("yes", _("Notified")), ("no", _("Not notified yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(notified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(notified_at__isnull=True)
        return queryset


@admin.register(LowStockAlert)
class LowStockAlertAdmin(_ReadOnlyAdmin):
    list_display = [
        "sku",
        "location",
        "free_at_alert",
        "reorder_point",
        "is_open",
        "opened_at",
        "notified_at",
        "resolved_at",
    ]
    list_filter = [AlertStateFilter, AlertNotifiedFilter, "stock__location"]
    list_select_related = ["stock__variant", "stock__location"]
    search_fields = ["stock__variant__sku", "stock__location__code"]
    search_help_text = _("SKU or location code")
    # Open alerts first (no resolution date), then the most recently resolved; newest first.
    ordering = [F("resolved_at").desc(nulls_first=True), "-opened_at"]

    sku = _sku_column(path="stock__variant")

    @admin.display(description=_("location"), ordering="stock__location__code")
    def location(self, obj: LowStockAlert) -> str:
        return obj.stock.location.code

    @admin.display(description=_("open"), boolean=True, ordering="resolved_at")
    def is_open(self, obj: LowStockAlert) -> bool:
        return obj.resolved_at is None
