from django.contrib import admin

from omni.admin_tools import ReadOnlyMixin
from omni.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
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
