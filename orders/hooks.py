"""Hooks through which an app above orders reacts to an order's change, so that orders never
imports it (README, "How the code is laid out").

Orders sits below payments, yet a cancelled order's payments must be released and a refunded
return paid back. Payments registers its handlers here in its `AppConfig.ready()`; orders sends
the hook inside the transaction that made the change, and each handler queues its own work after
the commit (`transaction.on_commit`), so a rollback sends nothing.
"""

from __future__ import annotations

from omni.hooks import Hook

# handler(*, order: Order): the order was cancelled (orders.services.lifecycle.order_cancel);
# payments voids or refunds what was paid; campaigns gives the promotion uses back (sent before
# the stock is released).
order_cancelled = Hook("order_cancelled")

# handler(*, return_request: Return): a received return was refunded (the outbox event
# "orders.refund.due", orders.services.returns.return_refund); payments pays the money back;
# campaigns gives the promotion uses back once the whole order is returned and refunded.
refund_due = Hook("refund_due")

# handler(*, order: Order, quote: Quote, customer: Customer | None, channel: Channel): an order
# is being placed (orders.services.placement.order_place), inside its transaction, after the
# order row and before its stock is allocated. Campaigns redeems the quote's promotions and
# codes here (a use, a share of a budget) and raises a PlacementRefused (orders.services.
# placement) when one is no longer available, which rolls the whole placement back and then
# repairs the cart (the used-up code leaves it).
order_placing = Hook("order_placing")
