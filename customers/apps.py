from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self) -> None:
        # The timeline learns of orders through their outbox events, handed over by the channel
        # relay (sales_channels, a layer below), and of a visitor's sign-in through accounts'
        # hook: neither app is imported by the ones below.
        from accounts import hooks
        from customers import timeline
        from sales_channels.services import relay_consumer_register

        relay_consumer_register(
            topics=timeline.ORDER_TOPICS, consumer=timeline.timeline_from_outbox
        )
        relay_consumer_register(
            topics=timeline.CONSENT_TOPICS, consumer=timeline.timeline_from_consents
        )
        hooks.signed_in.connect(timeline.on_signed_in)

        # Metrics per customer: the same relay hands over the events that change them.
        from customers import metrics_sync, tasks

        relay_consumer_register(
            topics=metrics_sync.METRIC_TOPICS, consumer=tasks.metrics_from_outbox
        )

        # The loyalty programme earns and takes back points on orders' and payments' events.
        from customers.loyalty import events as loyalty_events

        relay_consumer_register(
            topics=loyalty_events.TOPICS, consumer=loyalty_events.loyalty_from_outbox
        )
        # A customer merge moves the points too (customers.merge's mover registry).
        from customers.loyalty.spend import loyalty_merge_mover
        from customers.merge import customer_merge_mover_register

        customer_merge_mover_register(name="loyalty", mover=loyalty_merge_mover)

        from customers import retention

        retention.register_own()
