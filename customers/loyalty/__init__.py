"""The loyalty programme (issue 15): earning on what is paid, pending through the return
window, tiers by 12-month spend, FIFO expiry, spending at checkout (payments' "loyalty"
gateway), taking back on return, and moving points in a customer merge.

Modules: ledger (every balance move), services (earn,
mature, expire, take back, adjust, spend, merge), events (orders' and payments' outbox events),
selectors (reads), card (the card's barcode as SVG). Import the modules, not this package.
"""
