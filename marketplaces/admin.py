from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplaces import services
from marketplaces.models import BarcodeMapping, MarketplaceItem, PackageImport, PushBatch


@admin.register(BarcodeMapping)
class BarcodeMappingAdmin(admin.ModelAdmin):
    list_display = ["barcode", "variant", "channel", "updated_at"]
    list_filter = ["channel"]
    search_fields = ["barcode", "variant__sku", "variant__barcode"]
    autocomplete_fields = ["variant"]
    list_select_related = ["variant", "channel"]


@admin.register(MarketplaceItem)
class MarketplaceItemAdmin(admin.ModelAdmin):
    list_display = [
        "barcode",
        "variant",
        "channel",
        "status",
        "sent_quantity",
        "sent_sale_price",
        "sent_list_price",
        "sent_at",
        "failures",
        "last_error",
    ]
    list_filter = ["channel", "status"]
    search_fields = ["barcode", "variant__sku"]
    list_select_related = ["variant", "channel"]
    readonly_fields = [f.name for f in MarketplaceItem._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send again"), permissions=["change"])
    def send_again(self, request, queryset) -> None:
        count = 0
        by_channel: dict = {}
        for item in queryset.select_related("channel"):
            by_channel.setdefault(item.channel, []).append(item.variant_id)
        for channel, ids in by_channel.items():
            count += services.items_resend(channel=channel, variant_ids=ids, reason="admin")
        self.message_user(
            request,
            ngettext("%(n)d item will be sent again.", "%(n)d items will be sent again.", count)
            % {"n": count},
            messages.SUCCESS,
        )


@admin.register(PushBatch)
class PushBatchAdmin(admin.ModelAdmin):
    list_display = [
        "batch_request_id",
        "channel",
        "status",
        "created_at",
        "polls",
        "succeeded",
        "failed",
        "completed_at",
    ]
    list_filter = ["channel", "status"]
    search_fields = ["batch_request_id"]
    readonly_fields = [f.name for f in PushBatch._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PackageImport)
class PackageImportAdmin(admin.ModelAdmin):
    list_display = [
        "package_id",
        "marketplace_order",
        "channel",
        "status",
        "order",
        "reason",
        "attempts",
        "remote_status",
        "updated_at",
    ]
    list_filter = ["channel", "status", "remote_status"]
    search_fields = ["package_id", "marketplace_order", "order__number"]
    list_select_related = ["channel", "order"]
    readonly_fields = [f.name for f in PackageImport._meta.fields]
    actions = ["import_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Import again"), permissions=["change"])
    def import_again(self, request, queryset) -> None:
        imported = failed = 0
        for record in queryset.exclude(status=PackageImport.Status.IMPORTED).select_related(
            "channel"
        ):
            record = services.package_import_retry(record=record)
            if record.status == PackageImport.Status.IMPORTED:
                imported += 1
            else:
                failed += 1
        self.message_user(
            request,
            _("Imported: %(ok)d. Still failing: %(failed)d.") % {"ok": imported, "failed": failed},
            messages.SUCCESS if not failed else messages.WARNING,
        )
