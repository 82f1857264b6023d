"""Gift cards' ledger and issue: the code and the PIN (kept only as a keyed hash), every move of
a balance with its entry, a card issued by staff or for a paid order's gift-card line, its PIN
e-mailed once, and its expiry written off. payments.services.gift_cards pays and refunds with
them and re-exports the public names; this module imports no other payment service, so that
answers (the order paid in full) can issue the cards of a sale."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer
from omni.errors import ValidationError
from omni.money import CURRENCIES, quantize
from omni.tasks import enqueue_after_commit
from orders.models import Order, OrderLine
from payments.locks import gift_card_claim_unsent, gift_card_lock
from payments.models import GiftCard, GiftCardEntry, GiftCardProduct, Payment, Refund
from sales_channels.emails import email_send
from sales_channels.models import Channel

logger = logging.getLogger("payments.services.gift_cards")

ZERO = Decimal(0)
# 32 signs without 0/O, 1/I: 16 of them are 80 random bits, read aloud at a till without doubt.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
PIN_LENGTH = 6


# --- code and PIN ---------------------------------------------------------------------------


def gift_card_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def gift_card_pin_new() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_LENGTH))


def gift_card_code_normalize(code: Any) -> str:
    """A code as typed (spaces, dashes, lower case) as it is stored."""
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


def gift_card_pin_hash(*, code: str, pin: str) -> str:
    """The PIN keyed by SECRET_KEY and bound to its card: a leaked table cannot be searched for
    PINs without the key."""
    message = f"gift-card-pin:{code}:{pin}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def gift_card_expiry(now: datetime | None = None) -> datetime | None:
    """When a card issued now expires: settings.OMNI_GIFT_CARD_VALIDITY_DAYS on (0: never)."""
    days = settings.OMNI_GIFT_CARD_VALIDITY_DAYS
    return (now or timezone.now()) + timedelta(days=days) if days else None


# --- the ledger -----------------------------------------------------------------------------


def _move(
    card: GiftCard,
    *,
    amount: Decimal,
    kind: str,
    key: str,
    payment: Payment | None = None,
    refund: Refund | None = None,
    order_number: str = "",
    channel: Channel | None = None,
    actor: User | None = None,
    reason: str = "",
) -> GiftCardEntry:
    """Move a (locked) card's balance by `amount` and write its entry. A debit is one
    conditional UPDATE (balance >= what it takes): a balance that does not cover it is a field
    error on "amount", and nothing moves."""
    moved = GiftCard.objects.filter(pk=card.pk)
    if amount < 0:
        moved = moved.filter(balance__gte=-amount)
    if not moved.update(balance=F("balance") + amount, updated_at=timezone.now()):
        card.refresh_from_db(fields=["balance"])
        raise ValidationError.for_field(
            "amount",
            _("The gift card's balance (%(balance)s %(currency)s) does not cover %(amount)s.")
            % {"balance": card.balance, "currency": card.currency, "amount": -amount},
            code="insufficient_gift_card_balance",
        )
    card.refresh_from_db(fields=["balance"])
    return GiftCardEntry.objects.create(
        card=card,
        kind=kind,
        amount=amount,
        balance_after=card.balance,
        key=key,
        payment=payment,
        refund=refund,
        order_number=order_number,
        channel=channel,
        actor=actor if actor and actor.pk else None,
        reason=reason[:300],
    )


# --- issuing --------------------------------------------------------------------------------


def _require_issue_terms(
    *, amount: Any, currency: str, reason: str, expires_at: datetime | None
) -> Decimal:
    if currency not in CURRENCIES or currency not in settings.OMNI_GIFT_CARD_CURRENCIES:
        raise ValidationError.for_field(
            "currency",
            _("Gift cards are issued in %(currencies)s.")
            % {"currencies": ", ".join(settings.OMNI_GIFT_CARD_CURRENCIES)},
            code="invalid_currency",
        )
    try:
        value = Decimal(str(amount))
    except Exception:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0 or quantize(value, currency) != value:
        raise ValidationError.for_field(
            "amount",
            _("Enter a positive amount in %(currency)s, to the cent.") % {"currency": currency},
            code="invalid_amount",
        )
    if value > settings.OMNI_GIFT_CARD_MAX_AMOUNT:
        raise ValidationError.for_field(
            "amount",
            _("A gift card holds at most %(max)s %(currency)s.")
            % {"max": settings.OMNI_GIFT_CARD_MAX_AMOUNT, "currency": currency},
            code="amount_too_large",
        )
    if not (reason or "").strip():
        raise ValidationError.for_field(
            "reason", _("Say why this gift card is issued."), code="required"
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError.for_field(
            "expires_at", _("The expiry must be in the future."), code="invalid_expiry"
        )
    return value


def _card_create(
    *,
    amount: Decimal,
    currency: str,
    source: str,
    issue_key: str,
    reason: str,
    actor: User | None,
    pin: str = "",
    order_number: str = "",
    **fields: Any,
) -> GiftCard:
    code = gift_card_code_new()
    card = GiftCard.objects.create(
        code=code,
        pin_hash=gift_card_pin_hash(code=code, pin=pin) if pin else "",
        currency=currency,
        initial_amount=amount,
        balance=ZERO,
        source=source,
        issue_key=issue_key,
        reason=reason[:300],
        issued_by=actor if actor and actor.pk else None,
        **fields,
    )
    _move(
        card,
        amount=amount,
        kind=GiftCardEntry.Kind.ISSUE,
        key=f"issue:{issue_key}",
        actor=actor,
        reason=reason,
        order_number=order_number,
    )
    return card


def gift_card_issue(
    *,
    amount: Any,
    currency: str,
    reason: str,
    actor: User | None,
    holder: Customer | None = None,
    expires_at: datetime | None = None,
) -> tuple[GiftCard, str]:
    """Staff issue a card (goodwill, a competition, a replacement) for `amount`, with a reason.
    Returns the card and its PIN, which is shown this once and kept only as a hash. The expiry
    defaults to the configured validity. Bad terms are field errors and nothing is saved."""
    value = _require_issue_terms(
        amount=amount, currency=currency, reason=reason, expires_at=expires_at
    )
    pin = gift_card_pin_new()
    with transaction.atomic():
        card = _card_create(
            amount=value,
            currency=currency,
            source=GiftCard.Source.ISSUED,
            issue_key=f"staff:{secrets.token_hex(12)}",
            reason=reason.strip(),
            actor=actor,
            pin=pin,
            holder=holder,
            expires_at=expires_at or gift_card_expiry(),
            pin_sent_at=timezone.now(),  # handed to staff: nothing to e-mail
        )
    return card, pin


def gift_cards_issue_for_order(*, order: Order) -> list[GiftCard]:
    """The (locked, now covered) order's gift-card lines become cards, one per unit, once: for
    the product's fixed amount or the line's unit price. Each card's code and a fresh PIN are
    e-mailed to the order's address after the commit (gift_card_pins_send, swept by the beat).
    Called by payments whenever a payment makes the order covered; a second call issues
    nothing."""
    lines = list(
        OrderLine.objects.filter(order_id=order.pk, variant__in=_gift_card_variants())
        .order_by("pk")
        .values("pk", "variant_id", "quantity", "unit_price")
    )
    if not lines:
        return []
    amounts = dict(
        GiftCardProduct.objects.filter(
            variant_id__in=[ln["variant_id"] for ln in lines]
        ).values_list("variant_id", "amount")
    )
    keys = {f"sale:{ln['pk']}:{n}": ln for ln in lines for n in range(1, ln["quantity"] + 1)}
    done = set(GiftCard.objects.filter(issue_key__in=keys).values_list("issue_key", flat=True))
    issued = []
    for key, line in keys.items():
        if key in done:
            continue
        issued.append(
            _card_create(
                amount=amounts.get(line["variant_id"]) or line["unit_price"],
                currency=order.currency,
                source=GiftCard.Source.SOLD,
                issue_key=key,
                reason=_("Sold on order %(number)s") % {"number": order.number},
                actor=None,
                order_number=order.number,
                order_line_id=line["pk"],
                buyer_id=order.customer_id,
                holder_id=order.customer_id,
                recipient_email=order.email,
                language=order.language,
                expires_at=gift_card_expiry(),
            )
        )
    if issued:
        from payments.tasks import gift_card_pins_send as task

        enqueue_after_commit(task, [card.pk for card in issued])
    return issued


def _gift_card_variants():
    return GiftCardProduct.objects.filter(is_active=True).values("variant_id")


def gift_card_pin_send(*, card_id: int) -> bool:
    """Make a sold card's PIN and e-mail it with the code, once: the card is claimed under its
    lock (SKIP LOCKED), its PIN hash and the time written, and the mail sent in the same
    transaction, so a mail that fails leaves the card unsent for the next try. The PIN exists
    only in this function and the e-mail. False: sent already, taken by another worker, or no
    address to send to."""
    with transaction.atomic():
        card = gift_card_claim_unsent(card_id)
        if card is None:
            return False
        pin = gift_card_pin_new()
        card.pin_hash = gift_card_pin_hash(code=card.code, pin=pin)
        card.pin_sent_at = timezone.now()
        card.save(update_fields=["pin_hash", "pin_sent_at", "updated_at"])
        email_send(
            to=[card.recipient_email],
            template="payments/email/gift_card",
            context={"card": card, "code": card.grouped, "pin": pin},
            language=card.language or "tr",
        )
    logger.info("gift card %s: code and PIN e-mailed", card.masked)
    return True


def gift_card_pins_unsent(*, before: datetime, limit: int = 200) -> list[int]:
    """Sold cards whose e-mail has not gone out since before `before` (a lost message, a mail
    server down): the beat sends them."""
    return list(
        GiftCard.objects.filter(pin_sent_at__isnull=True, created_at__lt=before)
        .exclude(recipient_email="")
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- expiry ---------------------------------------------------------------------------------


def gift_card_expire(*, card_id: int, now: datetime | None = None) -> GiftCardEntry | None:
    """A card past its expiry: what is left is written off by an `expire` entry and the card
    marked expired, once per expiry date (a rerun, or a card not yet due, does nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        card = gift_card_lock(card_id)
        if (
            card.status != GiftCard.Status.ACTIVE
            or card.expires_at is None
            or card.expires_at > now
        ):
            return None
        entry = None
        if card.balance > 0:
            entry = _move(
                card,
                amount=-card.balance,
                kind=GiftCardEntry.Kind.EXPIRE,
                key=f"expire:{card.pk}:{card.expires_at.isoformat()}",
                reason=_("Expired"),
            )
        card.status = GiftCard.Status.EXPIRED
        card.save(update_fields=["status", "updated_at"])
    return entry


def gift_cards_expire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    now = now or timezone.now()
    due = GiftCard.objects.filter(status=GiftCard.Status.ACTIVE, expires_at__lte=now).order_by("pk")
    done = 0
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        gift_card_expire(card_id=pk, now=now)
        done += 1
    return done


# --- disabling ------------------------------------------------------------------------------


def gift_card_disable(*, card_id: int, actor: User | None, reason: str) -> GiftCard:
    """Staff stop a card (lost, stolen, sold by mistake): it pays no more; its balance stays on
    the ledger, and a zero `adjust` entry records who stopped it and why."""
    if not (reason or "").strip():
        raise ValidationError.for_field(
            "reason", _("Say why this gift card is disabled."), code="required"
        )
    with transaction.atomic():
        card = gift_card_lock(card_id)
        if card.status == GiftCard.Status.DISABLED:
            return card
        card.status = GiftCard.Status.DISABLED
        card.save(update_fields=["status", "updated_at"])
        GiftCardEntry.objects.create(
            card=card,
            kind=GiftCardEntry.Kind.ADJUST,
            amount=ZERO,
            balance_after=card.balance,
            key=f"disable:{card.pk}:{timezone.now().isoformat()}",
            actor=actor if actor and actor.pk else None,
            reason=reason.strip()[:300],
        )
    return card


def gift_cards_cancel_for_order(*, order: Order) -> int:
    """The (locked) order is cancelled, and its money goes back: the cards it sold are disabled
    and what is left on them written off (an `adjust` entry), once. A card already partly spent
    is logged for staff, who settle the difference with the buyer. Returns the cards stopped."""
    stopped = 0
    ids = list(
        GiftCard.objects.filter(order_line__order_id=order.pk, status=GiftCard.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        card = gift_card_lock(pk)
        if card.status != GiftCard.Status.ACTIVE:
            continue
        if card.balance < card.initial_amount:
            logger.warning(
                "order %s cancelled: its gift card %s was already used (%s of %s left)",
                order.number,
                card.masked,
                card.balance,
                card.initial_amount,
            )
        if card.balance > 0:
            _move(
                card,
                amount=-card.balance,
                kind=GiftCardEntry.Kind.ADJUST,
                key=f"cancel:{card.pk}",
                order_number=order.number,
                reason=_("Order %(number)s cancelled") % {"number": order.number},
            )
        card.status = GiftCard.Status.DISABLED
        card.save(update_fields=["status", "updated_at"])
        stopped += 1
    return stopped


def gift_cards_merge(source: Customer, target: Customer) -> int:
    """Two profiles merged into one (customers.merge, registered in PaymentsConfig.ready()):
    the cards the source holds or bought become the target's. Returns the cards moved."""
    held = GiftCard.objects.filter(holder=source).update(holder=target)
    bought = GiftCard.objects.filter(buyer=source).update(buyer=target)
    return max(held, bought)
