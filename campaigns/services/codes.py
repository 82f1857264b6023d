"""Promotion codes on a cart: entered once, kept on the cart, so every channel (web, app, the
store counter) prices the cart with them; and codes made in batches (code_batch_generate,
exported by code_batch_csv).

A batch code is the prefix and 12 characters drawn by `secrets` from 32 that cannot be taken
for one another (no 0/O, no 1/I): 60 bits, so guessing one of 10,000 codes takes about 10^14
tries on average.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterator

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from campaigns.models import Code, CodeBatch, Promotion
from campaigns.services.redemption import customer_used_up
from customers.models import Customer
from omni.errors import ValidationError
from orders.models import Cart
from orders.services.carts import cart_codes_set
from sales_channels.models import Channel

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0, O, 1 or I
CODE_RANDOM_LENGTH = 12  # 12 x 5 bits = 60 bits
BATCH_MAX = 10_000
_CHUNK = 2_000
_PREFIX = re.compile(r"^[A-Z0-9-]{0,12}$")


def code_normalise(code: str) -> str:
    return "".join(str(code).split()).upper()


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError.for_field("code", message, code=code)


def code_check(*, code: str, channel: Channel, customer: Customer | None = None) -> Code:
    """The live code behind `code`, or a ValidationError on the field "code" saying why not
    (unknown, not yet valid, expired, used up, not on this channel)."""
    normalised = code_normalise(code)
    if not normalised:
        raise _refuse(_("Enter a code."), "required")
    found = Code.objects.select_related("promotion").filter(code=normalised).first()
    if found is None or not found.is_active or not found.promotion.is_active:
        raise _refuse(_("This code is not valid."), "promotion_code_invalid")
    promotion, now = found.promotion, timezone.now()
    if promotion.starts_at and promotion.starts_at > now:
        raise _refuse(_("This code is not valid yet."), "promotion_code_not_started")
    if promotion.ends_at and promotion.ends_at <= now:
        raise _refuse(_("This code has expired."), "promotion_code_expired")
    if (found.usage_limit is not None and found.times_used >= found.usage_limit) or (
        promotion.usage_limit is not None and promotion.times_used >= promotion.usage_limit
    ):
        raise _refuse(_("This code has been used up."), "promotion_code_used_up")
    if promotion.budget is not None and promotion.spent >= promotion.budget:
        raise _refuse(_("This code has been used up."), "promotion_code_used_up")
    on = set(promotion.channels.values_list("pk", flat=True))
    if on and channel.pk not in on:
        raise _refuse(_("This code is not valid here."), "promotion_code_wrong_channel")
    if (
        customer is not None
        and customer.pk
        and customer_used_up(code=found, customer_id=customer.pk)
    ):
        raise _refuse(
            _("You have already used this code as often as it allows."),
            "promotion_code_customer_limit",
        )
    return found


def cart_code_apply(
    *, cart: Cart, code: str, channel: Channel, customer: Customer | None = None
) -> Cart:
    """Put a code on the cart after checking it; a refused code leaves the cart unchanged."""
    found = code_check(code=code, channel=channel, customer=customer or cart.customer)
    if found.code in cart.codes:
        return cart
    return cart_codes_set(cart=cart, channel=channel, codes=[*cart.codes, found.code])


def cart_code_remove(*, cart: Cart, code: str, channel: Channel) -> Cart:
    normalised = code_normalise(code)
    if normalised not in cart.codes:
        return cart
    return cart_codes_set(
        cart=cart, channel=channel, codes=[c for c in cart.codes if c != normalised]
    )


# --- batches --------------------------------------------------------------------------------


def _random_code(prefix: str) -> str:
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH))


def code_batch_clean(*, promotion: Promotion, count: int, prefix: str, usage_limit: int | None):
    """The batch's normalised prefix, or a ValidationError naming the field."""
    if not promotion.requires_code:
        raise ValidationError.for_field(
            "promotion",
            _("This promotion applies without a code; make it need one first."),
            code="promotion_without_codes",
        )
    if not 1 <= count <= BATCH_MAX:
        raise ValidationError.for_field(
            "count",
            _("Make between 1 and %(max)s codes at a time.") % {"max": f"{BATCH_MAX:,}"},
            code="invalid",
        )
    normalised = code_normalise(prefix)
    if not _PREFIX.match(normalised):
        raise ValidationError.for_field(
            "prefix",
            _("A prefix is at most 12 letters, digits or hyphens."),
            code="invalid",
        )
    if usage_limit is not None and usage_limit < 1:
        raise ValidationError.for_field(
            "usage_limit", _("A code is used at least once (or empty: no limit)."), code="invalid"
        )
    return normalised


def code_batch_generate(
    *,
    promotion: Promotion,
    count: int,
    prefix: str = "",
    usage_limit: int | None = 1,
    per_customer_limit: int | None = None,
    actor: User | None = None,
) -> CodeBatch:
    """Make `count` (up to 10,000) unique, unguessable codes for the promotion in one go,
    recorded as a CodeBatch: drawn with `secrets`, checked against the codes that exist (a
    collision is drawn again), written in chunks. Each code has `usage_limit` uses (1: single
    use; None: no limit)."""
    prefix = code_batch_clean(
        promotion=promotion, count=count, prefix=prefix, usage_limit=usage_limit
    )
    for _attempt in range(3):
        try:
            with transaction.atomic():
                batch = CodeBatch.objects.create(
                    promotion=promotion,
                    prefix=prefix,
                    count=count,
                    created_by=actor if actor and actor.pk else None,
                )
                codes = _codes_draw(prefix, count)
                Code.objects.bulk_create(
                    (
                        Code(
                            promotion=promotion,
                            code=code,
                            batch=batch,
                            usage_limit=usage_limit,
                            per_customer_limit=per_customer_limit,
                        )
                        for code in codes
                    ),
                    batch_size=_CHUNK,
                )
            return batch
        except IntegrityError:  # a code written by someone else meanwhile: draw again
            continue
    raise ValidationError.for_field(
        "prefix", _("Could not make unique codes; try another prefix."), code="exhausted"
    )


def _codes_draw(prefix: str, count: int) -> list[str]:
    """`count` distinct new codes that no existing code has (checked a chunk at a time)."""
    codes: set[str] = set()
    for _round in range(10):
        fresh: set[str] = set()
        while len(codes) + len(fresh) < count:
            code = _random_code(prefix)
            if code not in codes:
                fresh.add(code)
        listed = sorted(fresh)
        for start in range(0, len(listed), _CHUNK):
            taken = Code.objects.filter(code__in=listed[start : start + _CHUNK]).values_list(
                "code", flat=True
            )
            fresh.difference_update(taken)
        codes |= fresh
        if len(codes) == count:
            return sorted(codes)
    raise ValidationError.for_field(
        "prefix", _("Could not make unique codes; try another prefix."), code="exhausted"
    )


def code_batch_csv(batch: CodeBatch) -> Iterator[str]:
    """The batch as CSV, a row at a time (for a streaming download): code, uses (empty: no
    limit), used."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def row(values: list) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield row(["code", "uses", "used"])
    rows = (
        Code.objects.filter(batch=batch)
        .order_by("id")
        .values_list("code", "usage_limit", "times_used")
        .iterator(chunk_size=_CHUNK)
    )
    for code, uses, used in rows:
        yield row([code, "" if uses is None else uses, used])
