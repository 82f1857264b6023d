"""orders.hooks: how payments, the layer above, learns of a cancelled order or a refund due
without orders importing it."""

from orders import hooks
from payments import services


def test_each_handler_is_called_once_in_the_order_registered_with_the_senders_arguments():
    hook = hooks.Hook("test")
    calls = []

    def first(**kwargs):
        calls.append(("first", kwargs))

    def second(**kwargs):
        calls.append(("second", kwargs))

    hook.connect(first)
    hook.connect(second)
    hook.connect(first)  # registered twice: called once
    hook.send(order=7)
    hook.disconnect(second)
    hook.send(order=8)

    assert calls == [("first", {"order": 7}), ("second", {"order": 7}), ("first", {"order": 8})]


def test_payments_registers_its_handlers_when_the_apps_are_ready():
    # The behaviour behind them is proved in tests/payments/test_refunds.py (a cancelled order
    # refunded or voided, a received return refunded).
    assert hooks.order_cancelled.handlers == (services.on_order_cancelled,)
    assert hooks.refund_due.handlers == (services.on_refund_due,)
