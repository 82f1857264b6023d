"""Writes of the orders app, one module per concept: carts, checkout (placing orders),
lifecycle (the order state machine, events, notifications), fulfilment and returns."""
