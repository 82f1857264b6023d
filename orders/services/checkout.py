"""Checkout and placing an order: one service for every channel.

The web storefront, the app, store staff at the counter or for a walk-in customer (endless
aisle) and marketplace imports all place orders through order_place(). It re-prices the cart
on the channel, refuses if prices or availability changed since the shopper saw them, allocates
the stock through inventory routing (all lines or none) in the same transaction as the order,
and records prices and taxes as they were. Its number of queries does not grow with the lines.

This module places an order at most once per client Idempotency-Key (order_place_once,
order_place_answered) and keeps every public name of checkout importable from here. The work is
done, by topic, in:
- delivery: the Delivery a shopper chooses, addresses, shipping methods, delivery options;
- placement: the quote (checkout_prepare, lines_quote) and order_place, step by step;
- allocation: order_allocate, the order's stock and fulfilments (also an exchange's);
- idempotency: claiming, failing, freeing and completing an Idempotency-Key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omni.errors import Conflict, InsufficientStock, OmniError
from orders.models import IdempotencyKey, Order
from orders.services.allocation import order_allocate
from orders.services.delivery import (
    ADDRESS_FIELDS,
    ADDRESS_REQUIRED,
    PICKUP_READY_HOURS,
    SHOPPER_DELIVERIES,
    TRANSFER_DAYS,
    Delivery,
    address_clean,
    delivery_build,
    delivery_options,
    shipping_methods_active,
    shipping_methods_cache_clear,
)
from orders.services.fulfilment import pickup_code
from orders.services.idempotency import (
    idempotency_begin,
    idempotency_fail,
    idempotency_forget,
    request_fingerprint,
)
from orders.services.placement import (
    CartChanged,
    Checkout,
    PlacedOrder,
    PlacementRefused,
    checkout_prepare,
    lines_quote,
    order_place,
)

# Every public name of the checkout modules stays importable from here.
__all__ = [
    "ADDRESS_FIELDS",
    "ADDRESS_REQUIRED",
    "PICKUP_READY_HOURS",
    "SHOPPER_DELIVERIES",
    "TRANSFER_DAYS",
    "Answer",
    "CartChanged",
    "Checkout",
    "Delivery",
    "PlacedOrder",
    "PlacementRefused",
    "address_clean",
    "checkout_prepare",
    "delivery_build",
    "delivery_options",
    "idempotency_begin",
    "idempotency_fail",
    "idempotency_forget",
    "lines_quote",
    "order_allocate",
    "order_place",
    "order_place_answered",
    "order_place_once",
    "order_replay",
    "pickup_code",
    "request_fingerprint",
    "shipping_methods_active",
    "shipping_methods_cache_clear",
]


def order_replay(record: IdempotencyKey) -> Order | None:
    return Order.objects.filter(pk=record.order_id).first() if record.order_id else None


def order_place_once(
    *, scope: str, key: str, fingerprint: str, place: Callable[[IdempotencyKey], Order]
) -> Order:
    """Place an order at most once per client Idempotency-Key (`place` calls order_place with
    the record). A replay of a placed order returns that order; a replay of a request that
    failed for a reason it would meet again (the cart changed, stock ran short, a promotion
    was used up: PlacementRefused) raises that
    error again; any other failure (bad input, ...) frees the key for another try. The API
    answers with order_place_answered instead."""
    record, order = _claim_and_place(scope=scope, key=key, fingerprint=fingerprint, place=place)
    if order is None:
        order = order_replay(record)
    if order is not None:
        return order
    body = record.response_body or {}
    error = OmniError(body.get("message"), code=body.get("code"), fields=body.get("fields"))
    error.status_code = record.response_status or Conflict.status_code
    raise error


@dataclass(frozen=True)
class Answer:
    """The answer to a request under an Idempotency-Key: its HTTP status and JSON body, the
    same on every replay (`replayed`)."""

    status: int
    body: Any
    replayed: bool = False


def order_place_answered(
    *,
    scope: str,
    key: str,
    fingerprint: str,
    place: Callable[[IdempotencyKey], Order],
    respond: Callable[[Order], Any],
) -> Answer:
    """order_place_once for the API: `place` passes `respond` on to order_place, which
    stores the answer it gives for the new order (the body of the 201) with the key as the
    order commits. A replay gets the answer first given, status and body, whatever became of
    the order since, as Stripe does and the IETF's Idempotency-Key draft asks; a failure
    remembered (the cart changed, stock ran short) is answered as it was."""
    record, order = _claim_and_place(scope=scope, key=key, fingerprint=fingerprint, place=place)
    if order is not None:
        body = record.response_body if record.response_body is not None else respond(order)
        return Answer(201, body)
    if record.response_body is None:  # placed without an answer kept (the storefront's form)
        order = order_replay(record)
        return Answer(201, respond(order) if order else None, replayed=True)
    return Answer(record.response_status or 201, record.response_body, replayed=True)


def _claim_and_place(
    *, scope: str, key: str, fingerprint: str, place: Callable[[IdempotencyKey], Order]
) -> tuple[IdempotencyKey, Order | None]:
    """The claimed key and the order placed now, or a finished key's record and None."""
    record = idempotency_begin(scope=scope, key=key, fingerprint=fingerprint)
    if record.state == IdempotencyKey.State.DONE:
        return record, None
    try:
        return record, place(record)
    except (CartChanged, InsufficientStock, PlacementRefused) as error:
        idempotency_fail(record=record, error=error)
        raise
    except BaseException:
        idempotency_forget(record=record)
        raise
