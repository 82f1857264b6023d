"""omni.hooks.Hook: how an app above learns of a lower app's change without the lower app
importing it (orders.hooks, accounts.hooks)."""

from omni.hooks import Hook


def test_each_handler_is_called_once_in_the_order_registered_with_the_senders_arguments():
    hook = Hook("test")
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
