"""Gift cards: issued by staff with a reason or sold as a product, paid with on every channel
(the "gift_card" gateway, code and PIN), refunded back onto the card, expired by the beat.

Rules
- The balance moves only with a GiftCardEntry (append-only, a unique key from its cause), by a
  conditional UPDATE (`balance >= amount` for a spend) under the card's row lock, taken after
  the order's (payments.locks): two spends of the same balance give one success, and a CHECK
  refuses a negative balance whatever writes it.
- The PIN is kept only as an HMAC-SHA256 under SECRET_KEY (gift_card_pin_hash). A staff-issued
  card's PIN is returned once to the staff member; a sold card's PIN is made in the task that
  e-mails it (gift_card_pin_send), so it never reaches the database, the broker or a log.
- A wrong PIN counts against the card: MAX_PIN_FAILURES in a row lock it for LOCK_MINUTES (429);
  the count is written in its own short transaction, outside the payment's, so a refused
  payment cannot roll it back.
- A gift card never pays for a gift card (the order's gift-card lines are left to other means
  of payment): value cannot be moved from card to card, or washed into a fresh one.
- Expiry: a card is refused from its `expires_at` on; the beat (gift_cards_expire_due) then
  writes an `expire` entry for what is left and marks it expired (once per expiry date).
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from omni.errors import Throttled, ValidationError
from orders.locks import order_lock
from orders.models import Order
from payments import selectors
from payments.gateways.base import GatewayResult, Status
from payments.gateways.gift_card import CODE as GIFT_CARD
from payments.locks import gift_card_lock
from payments.models import GiftCard, GiftCardEntry, Payment, Refund
from payments.services.answers import _apply
from payments.services.core import _require_amount, _require_payable
from payments.services.gift_card_ledger import (
    CODE_ALPHABET,
    CODE_LENGTH,
    PIN_LENGTH,
    _move,
    gift_card_code_normalize,
    gift_card_disable,
    gift_card_expire,
    gift_card_expiry,
    gift_card_issue,
    gift_card_pin_hash,
    gift_card_pin_send,
    gift_card_pins_unsent,
    gift_cards_cancel_for_order,
    gift_cards_expire_due,
    gift_cards_issue_for_order,
    logger,
)
from sales_channels.models import Channel

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "LOCK_MINUTES",
    "MAX_PIN_FAILURES",
    "PIN_LENGTH",
    "GiftCardBalance",
    "gift_card_authenticate",
    "gift_card_balance",
    "gift_card_code_normalize",
    "gift_card_disable",
    "gift_card_expire",
    "gift_card_expiry",
    "gift_card_issue",
    "gift_card_pin_hash",
    "gift_card_pin_send",
    "gift_card_pins_unsent",
    "gift_cards_cancel_for_order",
    "gift_cards_expire_due",
    "gift_cards_issue_for_order",
]

MAX_PIN_FAILURES = 5
LOCK_MINUTES = 15


# --- the PIN, its tries and its lock --------------------------------------------------------


def gift_card_authenticate(*, code: Any, pin: Any) -> GiftCard:
    """The card with this code, when `pin` is its PIN. An unknown code is a field error on
    "gift_card_code"; a wrong PIN on "gift_card_pin" (saying how many tries are left); the
    fifth wrong PIN in a row locks the card for LOCK_MINUTES, and a locked card is a 429
    whatever PIN is sent. Each wrong try is counted in its own transaction (durable), so a
    caller's rollback cannot undo it."""
    normal = gift_card_code_normalize(code)
    card = GiftCard.objects.filter(code=normal).first() if normal else None
    if card is None or not card.pin_hash:
        raise ValidationError.for_field(
            "gift_card_code", _("No gift card has this code."), code="gift_card_unknown"
        )
    now = timezone.now()
    if card.locked_until and card.locked_until > now:
        _refuse_locked(card.locked_until - now)
    given = gift_card_pin_hash(code=card.code, pin=str(pin or "").strip())
    if hmac.compare_digest(given, card.pin_hash):
        if card.pin_failures:
            GiftCard.objects.filter(pk=card.pk).update(pin_failures=0)
        return card
    with transaction.atomic():
        card = gift_card_lock(card.pk)
        failures = card.pin_failures + 1
        if failures >= MAX_PIN_FAILURES:
            card.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            card.pin_failures = 0
        else:
            card.pin_failures = failures
        card.save(update_fields=["pin_failures", "locked_until", "updated_at"])
    if failures >= MAX_PIN_FAILURES:
        logger.warning("gift card %s locked after %s wrong PINs", card.masked, failures)
        _refuse_locked(timedelta(minutes=LOCK_MINUTES))
    left = MAX_PIN_FAILURES - failures
    raise ValidationError.for_field(
        "gift_card_pin",
        _("The PIN is wrong; %(left)d tries left before the card is locked.") % {"left": left},
        code="gift_card_wrong_pin",
    )


def _refuse_locked(wait: timedelta) -> NoReturn:
    seconds = max(int(wait.total_seconds()), 1)
    raise Throttled(
        _("Too many wrong PINs: this gift card is locked for %(minutes)d minutes.")
        % {"minutes": math.ceil(seconds / 60)},
        retry_after=seconds,
    )


def _require_usable(card: GiftCard, *, currency: str) -> None:
    """A field error on "gift_card_code" for a card that cannot pay now."""
    now = timezone.now()
    if card.status == GiftCard.Status.DISABLED:
        message, code = _("This gift card is disabled."), "gift_card_disabled"
    elif card.status == GiftCard.Status.EXPIRED or (card.expires_at and card.expires_at <= now):
        message = _("This gift card expired on %(date)s.") % {
            "date": timezone.localtime(card.expires_at).date().isoformat()
            if card.expires_at
            else "-"
        }
        code = "gift_card_expired"
    elif card.currency != currency:
        message = _("This gift card is in %(currency)s.") % {"currency": card.currency}
        code = "currency_mismatch"
    elif card.balance <= 0:
        message, code = _("This gift card has no balance left."), "gift_card_empty"
    else:
        return
    raise ValidationError.for_field("gift_card_code", message, code=code)


# --- paying and refunding -------------------------------------------------------------------


def _gift_card_pay(
    *,
    order: Order,
    amount: Decimal | None,
    actor: User | None,
    channel: Channel,
    code: Any,
    pin: Any,
) -> tuple[Payment, GatewayResult]:
    """Pay (part of) the order from a gift card: by default as much as the card holds and the
    order may take from gift cards. The PIN is checked first (outside the payment's
    transaction), then under the order's lock and the card's the amount is taken."""
    found = gift_card_authenticate(code=code, pin=pin)
    with transaction.atomic():
        order = order_lock(order)
        _require_payable(order)
        card = gift_card_lock(found.pk)
        _require_usable(card, currency=order.currency)
        due = selectors.order_amount_due(order=order)
        limit = min(due, selectors.order_gift_card_payable(order=order))
        if limit <= 0 and due > 0:
            raise ValidationError.for_field(
                "gateway",
                _("Gift cards cannot pay for gift cards; pay the rest another way."),
                code="gift_card_not_for_gift_cards",
            )
        if amount is None:
            amount = min(card.balance, limit) if limit > 0 else due
        amount = _require_amount(order=order, amount=amount, due=due)
        if amount > limit:
            raise ValidationError.for_field(
                "amount",
                _("At most %(limit)s %(currency)s of this order can be paid by gift card.")
                % {"limit": limit, "currency": order.currency},
                code="gift_card_limit",
            )
        payment = Payment.objects.create(
            order=order,
            channel=channel,
            gateway=GIFT_CARD,
            kind=Payment.Kind.GIFT_CARD,
            amount=amount,
            currency=order.currency,
            data={"gift_card": card.pk, "gift_card_masked": card.masked},
            created_by=actor if actor and actor.pk else None,
        )
        entry = _move(
            card,
            amount=-amount,
            kind=GiftCardEntry.Kind.SPEND,
            key=f"spend:{payment.reference}",
            payment=payment,
            order_number=order.number,
            channel=channel,
            actor=actor,
        )
        result = GatewayResult(
            status=Status.CAPTURED,
            provider_reference=f"gift-card:{entry.pk}",
            amount=amount,
            currency=payment.currency,
            raw={"entry": entry.pk, "balance_after": str(entry.balance_after)},
        )
        _apply(order, payment, result)
    return payment, result


def _gift_card_refund(
    *, payment: Payment, amount: Decimal, key: str, refund: Refund, actor: User | None
) -> GatewayResult:
    """Put `amount` of a gift-card payment back onto its card (inside the refund's transaction,
    the order and payment locked). A card that has expired meanwhile is opened again for
    OMNI_GIFT_CARD_REFUND_DAYS, so the money handed back can be spent."""
    card = gift_card_lock(int(payment.data["gift_card"]))
    entry = _move(
        card,
        amount=amount,
        kind=GiftCardEntry.Kind.REFUND,
        key=f"refund:{key}",
        payment=payment,
        refund=refund,
        order_number=refund.order.number,
        channel=payment.channel,
        actor=actor,
    )
    now = timezone.now()
    if card.status == GiftCard.Status.EXPIRED or (card.expires_at and card.expires_at <= now):
        card.status = GiftCard.Status.ACTIVE
        card.expires_at = now + timedelta(days=settings.OMNI_GIFT_CARD_REFUND_DAYS)
        card.save(update_fields=["status", "expires_at", "updated_at"])
    return GatewayResult(
        status=Status.REFUNDED,
        provider_reference=f"gift-card:{entry.pk}",
        amount=amount,
        raw={"entry": entry.pk},
    )


@dataclass(frozen=True)
class GiftCardBalance:
    card: GiftCard
    entries: list[GiftCardEntry]


def gift_card_balance(*, code: Any, pin: Any) -> GiftCardBalance:
    """The balance, expiry and history of the card with this code and PIN (the PIN's tries
    and lock as for a payment)."""
    card = gift_card_authenticate(code=code, pin=pin)
    entries = list(GiftCardEntry.objects.filter(card=card).order_by("-created_at", "-id")[:50])
    return GiftCardBalance(card=card, entries=entries)
