from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        # Campaigns sits above orders: it learns of placements, cancellations and refunds
        # through orders' hooks (omni.hooks).
        from campaigns.engine import promotions_changed
        from campaigns.models import Promotion
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

        # The engine keeps the promotions it read per process (campaigns.engine): a change
        # made in this process is seen at once, in another within OMNI_CHANNEL_CACHE_SECONDS
        # (at once when the promotion itself was saved or its state changed).
        uid = "campaigns.engine.promotions_changed"
        post_save.connect(promotions_changed, sender=Promotion, dispatch_uid=uid)
        post_delete.connect(promotions_changed, sender=Promotion, dispatch_uid=uid)
        for field in Promotion._meta.many_to_many:
            m2m_changed.connect(
                promotions_changed,
                sender=field.remote_field.through,
                dispatch_uid=f"{uid}.{field.name}",
            )
