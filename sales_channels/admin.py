from django.contrib import admin

from sales_channels.models import Channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "currency",
        "default_language",
        "default_country",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "currency"]
    search_fields = ["code", "name"]
    ordering = ["kind", "name"]
