from django.contrib import admin

from omni.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """The outbox, read-only: what has been recorded for the channels, and what is relayed."""

    list_display = [
        "id",
        "topic",
        "key",
        "version",
        "channel_id",
        "created_at",
        "published_at",
        "attempts",
    ]
    list_filter = ["topic", "published_at"]
    search_fields = ["key"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
