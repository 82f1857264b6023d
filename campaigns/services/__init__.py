"""Writes of the campaigns app, one module per concept: codes (a code on a cart, code batches),
redemption (what a placed order used, given back on cancel or refund), promotions (create,
schedule, pause, copy, validate). Import from the module."""
