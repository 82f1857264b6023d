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
