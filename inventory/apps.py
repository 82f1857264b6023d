from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        # Not business logic: the per-process cache of the channels' stock configuration is
        # forgotten when that configuration is saved in this process, however it is saved.
        from inventory.models import ChannelLocation, StockLocation
        from inventory.services import channel_config_changed
        from sales_channels.models import Channel

        for model in (Channel, StockLocation, ChannelLocation):
            post_save.connect(
                channel_config_changed, sender=model, dispatch_uid=f"stockconfig-{model.__name__}"
            )
            post_delete.connect(
                channel_config_changed, sender=model, dispatch_uid=f"stockconfig-d-{model.__name__}"
            )

        # Catalog's shopping feeds say whether a variant is in stock; catalog sits below
        # inventory, so inventory hands it the selector instead of catalog importing it.
        from catalog import feeds
        from inventory.selectors import availability_for_channel

        feeds.feeds_set_stock_reader(availability_for_channel)

        # A channel's full resync sends its variants' state (stock, price, listing), read here;
        # sales_channels, below, runs the resync and is handed the source.
        from inventory.resync import channel_state_events
        from sales_channels.resync import resync_source_register

        resync_source_register(channel_state_events)
