"""Stock locations and the channels that sell from them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inventory import services
from inventory.models import (
    ChannelLocation,
    StockLocation,
)

# --- locations ------------------------------------------------------------------------------


class ChannelLocationInline(admin.TabularInline):
    """Which channels sell from this location, in which order, holding back how many units."""

    model = ChannelLocation
    extra = 0
    fields = ["channel", "priority", "safety_stock"]
    ordering = ["priority", "channel__code"]
    verbose_name = _("channel selling from here")
    verbose_name_plural = _("channels selling from here")


@admin.register(StockLocation)
class StockLocationAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "city",
        "district",
        "channel",
        "ships_to_customers",
        "click_and_collect",
        "accepts_returns",
        "is_active",
    ]
    list_filter = [
        "kind",
        "is_active",
        "ships_to_customers",
        "click_and_collect",
        "accepts_returns",
        "city",
    ]
    search_fields = ["code", "name", "city", "district"]
    list_select_related = ["channel"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [ChannelLocationInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "channel", "is_active"]}),
        (
            _("Address"),
            {
                "fields": [
                    "address_line",
                    "district",
                    "city",
                    "postal_code",
                    "country",
                    "latitude",
                    "longitude",
                ]
            },
        ),
        (_("Services"), {"fields": ["ships_to_customers", "click_and_collect", "accepts_returns"]}),
    ]

    def save_related(self, request, form, formsets, change):
        """Which channels sell from here, their safety stock, or the location opened or closed:
        the channels concerned (before and after) are to be told their new availability of
        everything stocked here (recorded in the same transaction, sent by a task)."""
        location = form.instance
        changed = change and (
            "is_active" in form.changed_data or any(f.has_changed() for f in formsets)
        )
        if not changed:
            super().save_related(request, form, formsets, change)
            return

        def selling() -> set[int]:
            links = ChannelLocation.objects.filter(location=location)
            return set(links.values_list("channel_id", flat=True))

        before = selling()
        super().save_related(request, form, formsets, change)
        if services.channel_availability_refresh(
            channel_ids=before | selling(), location_ids=[location.pk]
        ):
            self.message_user(
                request,
                gettext(
                    "The channels selling from here will be told what they can sell now, "
                    "within a few seconds."
                ),
                messages.INFO,
            )
