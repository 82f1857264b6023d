"""Gift cards: a means of payment on every channel, like store credit, with a code, a PIN kept
only as a keyed hash, and an append-only ledger (GiftCardEntry) whose sum is the balance.

They live in payments, not campaigns: payments debits the card inside the transaction that
records the payment, and campaigns sits above payments in the layers. A product variant is
sold as a gift card when a GiftCardProduct names it, so catalog needs no change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel
from omni.money import AmountField, CurrencyField


def code_grouped(code: str) -> str:
    """A card's code as printed and shown: XXXX-XXXX-XXXX-XXXX."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class GiftCard(TimeStampedModel):
    """One gift card. Its balance moves only with a GiftCardEntry (payments.services.gift_cards),
    and the database refuses a balance below zero or above what the card was issued for."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISABLED = "disabled", _("Disabled")
        EXPIRED = "expired", _("Expired")

    class Source(models.TextChoices):
        SOLD = "sold", _("Sold")
        ISSUED = "issued", _("Issued by staff")

    code = models.CharField(_("code"), max_length=16, unique=True)
    # HMAC-SHA256 of the PIN under SECRET_KEY; blank until a sold card's PIN is e-mailed.
    pin_hash = models.CharField(max_length=64, blank=True)
    currency = CurrencyField(_("currency"), default="TRY")
    initial_amount = AmountField(_("initial amount"))
    balance = AmountField(_("balance"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # Who may see it in their account: the holder (staff may name one), and the buyer.
    holder = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("holder"),
    )
    buyer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bought by"),
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sold on"),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The sale's unit this card is ("sale:<line id>:<n>"): a sale issues each card once.
    issue_key = models.CharField(max_length=80, unique=True)
    # Where a sold card's code and PIN go, and when they went (the PIN is made at that moment).
    recipient_email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, default="tr")
    pin_sent_at = models.DateTimeField(_("PIN sent"), null=True, blank=True)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="gift_card_not_negative"),
            models.CheckConstraint(
                condition=Q(initial_amount__gt=0), name="gift_card_initial_positive"
            ),
            models.CheckConstraint(
                condition=Q(balance__lte=F("initial_amount")), name="gift_card_within_initial"
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="gift_card_expiry_due",
                condition=Q(status="active"),
            ),
            models.Index(
                fields=["id"], name="gift_card_pin_unsent", condition=Q(pin_sent_at__isnull=True)
            ),
        ]
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")

    def __str__(self) -> str:
        return self.masked

    @property
    def grouped(self) -> str:
        return code_grouped(self.code)

    @property
    def masked(self) -> str:
        """The code as lists show it to anyone but its holder: the last four only."""
        return f"****-****-****-{self.code[-4:]}"

    def usable_at(self, when=None) -> bool:
        when = when or timezone.now()
        return self.status == self.Status.ACTIVE and (
            self.expires_at is None or self.expires_at > when
        )


class GiftCardEntry(models.Model):
    """The gift card's ledger, append-only: the balance always equals the sum of its entries.
    Each entry has a unique key from what caused it, so a retry never moves money twice."""

    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issued")
        SPEND = "spend", _("Spent")
        REFUND = "refund", _("Refunded to the card")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjusted")

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = AmountField(_("amount"))  # signed: + onto the card, - off it
    balance_after = AmountField(_("balance after"))
    key = models.CharField(max_length=120, unique=True)
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(
        "payments.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order_number = models.CharField(_("order"), max_length=32, blank=True)
    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("gift card entry")
        verbose_name_plural = _("gift card entries")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class GiftCardProduct(models.Model):
    """A product variant sold as a gift card: when an order with it is paid, one card per unit
    is issued, for `amount` (blank: the line's unit price paid) and e-mailed to the buyer."""

    variant = models.OneToOneField(
        "catalog.ProductVariant",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("variant"),
    )
    amount = AmountField(_("card amount"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("gift card product")
        verbose_name_plural = _("gift card products")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="gift_card_product_amount_positive",
            )
        ]

    def __str__(self) -> str:
        return f"gift card {self.variant_id}"
