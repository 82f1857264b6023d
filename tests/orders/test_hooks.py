"""orders.hooks: how payments and campaigns, layers above, learn of a cancelled order or a
refund due without orders importing them."""

from campaigns.services import redemption
from orders import hooks
from payments import services


def test_payments_and_campaigns_register_their_handlers_when_the_apps_are_ready():
    # The behaviour behind them is proved in tests/payments/test_refunds.py (a cancelled order
    # refunded or voided, a received return refunded) and tests/campaigns/test_redemption.py
    # (the uses given back).
    assert hooks.order_cancelled.handlers == (
        services.on_order_cancelled,
        redemption.on_order_cancelled,
    )
    assert hooks.refund_due.handlers == (services.on_refund_due, redemption.on_refund_due)
    assert redemption.on_order_placing in hooks.order_placing.handlers
