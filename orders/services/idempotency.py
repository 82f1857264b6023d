"""A client's Idempotency-Key: claimed before a request does anything, marked done with the
answer in the transaction that did the work, remembered as failed for an error a replay would
meet again, or freed for another try. order_place_once and order_place_answered
(orders.services.checkout) wrap placing an order in these."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.db import create, savepoint
from omni.errors import Conflict, OmniError, Unprocessable, ValidationError
from orders.models import IdempotencyKey, Order


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


# A key freed again (its request failed on bad input) between our failed claim and our look at
# it is claimed again, this many times at most before the request is told it is in flight.
_CLAIM_ATTEMPTS = 3


def idempotency_begin(*, scope: str, key: str, fingerprint: str) -> IdempotencyKey:
    """Claim a client's Idempotency-Key (in a transaction of its own, so that a concurrent
    request with the same key sees it at once). A replay of a finished request gets its record
    back (state DONE); the same key with another body is a 422; one still in flight a 409."""
    key = (key or "").strip()
    if not key or len(key) > 120:
        raise ValidationError.for_field(
            "Idempotency-Key",
            _("Send an Idempotency-Key header of 1 to 120 characters."),
            code="idempotency_key_required",
        )
    record = None
    for _attempt in range(_CLAIM_ATTEMPTS):
        try:
            with savepoint():
                return create(IdempotencyKey, scope=scope, key=key, request_hash=fingerprint)
        except IntegrityError:
            # Taken; but the request that took it may free it (idempotency_forget) before
            # this read, which then finds nothing, and the key is free to claim again.
            record = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if record is not None:
            break
    if record is not None and record.request_hash != fingerprint:
        raise Unprocessable(
            _("This Idempotency-Key was used for a different request."),
            code="idempotency_key_reused",
        )
    if record is None or record.state == IdempotencyKey.State.IN_FLIGHT:
        raise Conflict(
            _("A request with this Idempotency-Key is still being processed."),
            code="request_in_flight",
        )
    return record


def idempotency_fail(*, record: IdempotencyKey, error: OmniError) -> None:
    """A request that failed for a reason a replay would meet again is remembered as failed;
    the same key then returns the same error."""
    IdempotencyKey.objects.filter(pk=record.pk, state=IdempotencyKey.State.IN_FLIGHT).update(
        state=IdempotencyKey.State.DONE,
        response_status=error.status_code,
        response_body=error.as_dict(),
        updated_at=timezone.now(),
    )


def idempotency_forget(*, record: IdempotencyKey) -> None:
    """The request failed before doing anything (bad input): the key may be used again."""
    IdempotencyKey.objects.filter(pk=record.pk, state=IdempotencyKey.State.IN_FLIGHT).delete()


def idempotency_done(*, record: IdempotencyKey, order: Order, body: Any, now: datetime) -> None:
    """Mark the key done with its order and first answer: one plain UPDATE (the ORM's
    update() spends longer compiling it than the database running it; bench/checkout.py).
    Conflict if another request completed it meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {IdempotencyKey._meta.db_table} SET state = %s, order_id = %s,"  # noqa: S608
            " response_status = 201, response_body = %s, updated_at = %s"
            " WHERE id = %s AND state = %s",
            [
                IdempotencyKey.State.DONE.value,
                order.pk,
                None if body is None else connection.ops.adapt_json_value(body, DjangoJSONEncoder),
                connection.ops.adapt_datetimefield_value(now),
                record.pk,
                IdempotencyKey.State.IN_FLIGHT.value,
            ],
        )
        updated = cursor.rowcount
    if not updated:
        raise Conflict(
            _("A request with this Idempotency-Key was already completed."),
            code="request_in_flight",
        )
    record.state, record.order, record.updated_at = IdempotencyKey.State.DONE, order, now
    record.response_status, record.response_body = 201, body
