"""orders.hooks: how payments, the layer above, learns of a cancelled order or a refund due
without orders importing it."""

from orders import hooks
from payments import services


def test_payments_registers_its_handlers_when_the_apps_are_ready():
    # The behaviour behind them is proved in tests/payments/test_refunds.py (a cancelled order
    # refunded or voided, a received return refunded).
    assert hooks.order_cancelled.handlers == (services.on_order_cancelled,)
    assert hooks.refund_due.handlers == (services.on_refund_due,)
