"""The till's offline sales as they arrived, for the manager: read-only (only the till's sync
writes them)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omni.admin_tools import ReadOnlyMixin
from staff.models import TillSale


@admin.register(TillSale)
class TillSaleAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "store", "staff", "made_at", "order", "status", "total", "received_at"]
    list_filter = ["status", "store"]
    list_select_related = ["store", "staff", "order"]
    search_fields = ["=id", "order__number"]
    search_help_text = _("Sale id or order number")
    date_hierarchy = "made_at"
