"""Writes of the orders app, one module per concept: carts, checkout (placing orders, with
delivery, placement, allocation and idempotency, all re-exported by checkout), lifecycle (the
order state machine, events, notifications), fulfilment and returns (with return_rules,
return_receipt and exchanges, all re-exported by returns)."""
