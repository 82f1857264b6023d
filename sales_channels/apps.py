from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesChannelsConfig(AppConfig):
    name = "sales_channels"
    verbose_name = _("Sales channels")

    def ready(self) -> None:
        # The per-process channel cache (selectors.channel_get_active) forgets a saved channel.
        from django.db.models.signals import post_delete, post_save

        from sales_channels.models import Channel, Retailer
        from sales_channels.selectors import channel_cache_clear, retailer_cache_clear

        post_save.connect(channel_cache_clear, sender=Channel, dispatch_uid="channel-cache-save")
        post_delete.connect(
            channel_cache_clear, sender=Channel, dispatch_uid="channel-cache-delete"
        )
        post_save.connect(retailer_cache_clear, sender=Retailer, dispatch_uid="retailer-save")

        # The connectors this app brings, and the relay that a commit with outbox events wakes.
        import sales_channels.connectors.webhook  # noqa: F401 - registers the kind "webhook"
        from omni.outbox import outbox_set_relay_trigger
        from sales_channels.tasks import relay_soon

        outbox_set_relay_trigger(relay_soon)
