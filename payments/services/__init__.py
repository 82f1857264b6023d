"""Payments: every write about money goes through here. A package by topic, whose public names
are re-exported here (`from payments import services; services.payment_start(...)`):
core (states, locks, ledger rows), answers (a provider's answer applied), start (start,
complete, offline), capture (capture, void), store_credit, loyalty, gift_cards (and its
gift_card_ledger), webhooks, refunds, release, till.

Public services (keyword-only; pay-by-link and the API call these):

- payment_start(order, gateway_code, ...)      an online payment (or store credit, points, a
                                               gift card with its code and PIN) for an order
- instalment_options(order, gateway_code, bin_number)   a card's instalments (taksit) and
                                               their totals for what is due; payment_start
                                               takes the chosen count and checks it again
- payment_complete(payment, params)            after the shopper came back from 3-D Secure
- payment_capture(payment, amount)             capture what was only authorised
- payment_record_offline(order, "cash"|"terminal", amount, ...)   staff at the counter
- webhook_handle(gateway_code, headers, body)  a provider's signed notification
- refund_create(order, amount, reason, to, idempotency_key, ...)  to the original payments or
  as store credit; once per idempotency key
- order_payments_release(order)                give back what a cancelled (or overpaid) order
  holds: void what is only authorised, refund what was captured
- till_count_record(channel, staff, business_date, counted)   the cash in a staff member's
                                               till at the end of a day (till: append-only)

A payment's states (TRANSITIONS, applied by PAYMENT_MACHINE; a provider's answer that is not an
allowed step is ignored, so a notification that arrives late or out of order never moves a
payment backwards):

    pending ◄─► action_required ──► authorised ──► captured ──► partially_refunded ──► refunded
       │              │                 │               └───────────────────────────────►┘
       └──────────────┴──► declined, failed, cancelled (abandoned)      authorised ──► voided
    cancelled, failed ──► authorised, captured   (the provider took it after all: recorded,
                                                  and handed back if the order does not need it)

Rules
- A provider is never called inside a database transaction: a service reserves what it is
  about to do (a pending ledger row, which counts against the totals under the lock), calls the
  provider, then records the answer in a short transaction.
- Locks, always in this order: the order row (orders.locks.order_lock), its
  payments by id, a refund's ledger row, the customer's store-credit account, a gift card.
- The order is confirmed (lifecycle.order_confirm) in the transaction that makes its payments
  cover its total; a payment that succeeds for a cancelled or already covered order is handed
  back after commit (order_payments_release).
- Card data goes to the gateway in `Card` and nowhere else; every `raw` answer is redacted.
"""

from payments.services.capture import payment_capture
from payments.services.core import (
    MONEY_STATUSES,
    PAYMENT_MACHINE,
    TOPIC_PAYMENT,
    TRANSITIONS,
    GatewayUnavailable,
    payment_transition,
)
from payments.services.instalments import instalment_options
from payments.services.refunds import refund_create, refund_process, return_refund_create
from payments.services.release import on_order_cancelled, on_refund_due, order_payments_release
from payments.services.start import (
    payment_complete,
    payment_record_offline,
    payment_start,
    return_url_for,
)
from payments.services.store_credit import store_credit_customer
from payments.services.till import till_count_clean, till_count_record
from payments.services.webhooks import WebhookOutcome, webhook_handle

__all__ = [
    "MONEY_STATUSES",
    "PAYMENT_MACHINE",
    "TOPIC_PAYMENT",
    "TRANSITIONS",
    "GatewayUnavailable",
    "WebhookOutcome",
    "instalment_options",
    "on_order_cancelled",
    "on_refund_due",
    "order_payments_release",
    "payment_capture",
    "payment_complete",
    "payment_record_offline",
    "payment_start",
    "payment_transition",
    "refund_create",
    "refund_process",
    "return_refund_create",
    "return_url_for",
    "store_credit_customer",
    "till_count_clean",
    "till_count_record",
    "webhook_handle",
]
