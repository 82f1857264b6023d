from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        # Campaigns sits above orders: it learns of placements, cancellations and refunds
        # through orders' hooks (omni.hooks).
        from campaigns.services import redemption
        from orders import hooks

        hooks.order_placing.connect(redemption.on_order_placing)
        hooks.order_cancelled.connect(redemption.on_order_cancelled)
        hooks.refund_due.connect(redemption.on_refund_due)

        # Channel sale prices: a promotion change, or a price change, re-prices the channels'
        # sale prices (campaigns.channel_prices), read from the relay like the timeline's.
        from campaigns.channel_prices import CONSUMED_TOPICS, channel_prices_consume
        from sales_channels.consumers import relay_consumer_register

        relay_consumer_register(topics=CONSUMED_TOPICS, consumer=channel_prices_consume)
