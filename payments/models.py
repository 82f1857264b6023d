"""Payments: what each channel offers, the payments of an order with their transaction ledger,
refunds, store credit, and the provider notifications already handled.

Totals on a Payment (authorised, captured, refunded) are written only by payments.services,
always together with the ledger row that explains them, so they equal the sums of the ledger.
The database refuses, whatever writes it, a capture beyond what was authorised, a refund beyond
what was captured, a negative store-credit balance, and (PostgreSQL triggers, migration 0002) a
payment in another currency than its order or a transaction in another than its payment.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel
from omni.money import AmountField, CurrencyField


def new_reference(prefix: str = "PAY") -> str:
    """Ours, unguessable, unique: the provider's idempotency id for the payment."""
    return f"{prefix}-{secrets.token_hex(10).upper()}"


class ChannelGateway(models.Model):
    """A payment gateway a channel offers, with its configuration (merged over the defaults in
    settings.OMNI_PAYMENT_GATEWAYS, where secrets come from the environment)."""

    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.CASCADE,
        related_name="payment_gateways",
        verbose_name=_("channel"),
    )
    gateway = models.CharField(_("gateway"), max_length=40)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    config = models.JSONField(
        _("configuration"),
        default=dict,
        blank=True,
        help_text=_("Overrides the gateway's defaults; keep secrets in the environment."),
    )

    class Meta:
        ordering = ["channel_id", "sort_order", "gateway"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "gateway"], name="channel_gateway_unique")
        ]
        verbose_name = _("channel payment gateway")
        verbose_name_plural = _("channel payment gateways")

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.gateway}"


class Payment(TimeStampedModel):
    """One payment towards an order (an order may have several: store credit plus card, cash
    plus card). Its state changes through payments.services.payment_transition only."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTION_REQUIRED = "action_required", _("Awaiting 3-D Secure")
        AUTHORISED = "authorised", _("Authorised")
        CAPTURED = "captured", _("Captured")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        VOIDED = "voided", _("Voided")
        DECLINED = "declined", _("Declined")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Abandoned")

    class Kind(models.TextChoices):
        CARD = "card", _("Card")
        CASH = "cash", _("Cash")
        TERMINAL = "terminal", _("Card terminal")
        STORE_CREDIT = "store_credit", _("Store credit")
        LINK = "link", _("Payment link")
        LOYALTY = "loyalty", _("Loyalty points")
        GIFT_CARD = "gift_card", _("Gift card")

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="payments", verbose_name=_("order")
    )
    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("paid on"),
    )
    gateway = models.CharField(_("gateway"), max_length=40)
    kind = models.CharField(_("method"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    reference = models.CharField(_("reference"), max_length=40, unique=True, default=new_reference)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    currency = CurrencyField(_("currency"))
    amount = AmountField(_("amount"))
    amount_authorised = AmountField(_("authorised"), default=0)
    amount_captured = AmountField(_("captured"), default=0)
    amount_refunded = AmountField(_("refunded"), default=0)
    card_last4 = models.CharField(_("card (last 4)"), max_length=4, blank=True)
    # Instalments (taksit) the shopper chose, and what they pay in all with the bank's charge
    # for them (null: a single payment, `amount`). `amount` is what counts towards the order.
    instalments = models.PositiveSmallIntegerField(_("instalments"), default=1)
    instalment_total = AmountField(_("total in instalments"), null=True, blank=True)
    # 3-D Secure: where the shopper is sent, and where the provider sends them back.
    redirect_url = models.URLField(_("3-D Secure page"), max_length=500, blank=True)
    return_url = models.URLField(_("return URL"), max_length=500, blank=True)
    # What the gateway asked to keep for later calls (PaymentRef.data); never a secret.
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The provider's timestamp of the last result applied: an older notification is ignored.
    provider_updated_at = models.FloatField(default=0)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    error_message = models.CharField(_("error"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["order", "status"], name="payment_order_status"),
            models.Index(fields=["gateway", "provider_reference"], name="payment_provider_ref"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_authorised__gte=0)
                & Q(amount_captured__gte=0)
                & Q(amount_refunded__gte=0),
                name="payment_totals_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_authorised__lte=F("amount")),
                name="payment_authorised_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_captured__lte=F("amount_authorised")),
                name="payment_captured_within_authorised",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount_captured")),
                name="payment_refunded_within_captured",
            ),
            models.CheckConstraint(
                condition=Q(instalments__gte=1, instalments__lte=12)
                & (Q(instalment_total__isnull=True) | Q(instalment_total__gte=F("amount"))),
                name="payment_instalments_valid",
            ),
        ]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return self.reference

    @property
    def refundable(self):
        return self.amount_captured - self.amount_refunded


class Refund(TimeStampedModel):
    """Money handed back for an order, to the original payments, as store credit or in cash at a
    store's till, once per idempotency key whatever the retries."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    class Destination(models.TextChoices):
        ORIGINAL = "original", _("Original payment method")
        STORE_CREDIT = "store_credit", _("Store credit")
        # Handed back from a store's till, whatever the order was paid with.
        CASH = "cash", _("Cash")

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order")
    )
    return_request = models.ForeignKey(
        "orders.Return",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("return"),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    amount = AmountField(_("amount"))
    currency = CurrencyField(_("currency"))
    destination = models.CharField(
        _("refund to"), max_length=20, choices=Destination.choices, default=Destination.ORIGINAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refunded by"),
    )
    # Where it was made: the store whose till handed cash back (the end of day counts it).
    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made at"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")
        ]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self) -> str:
        return f"refund {self.pk} of {self.order_id}"


# Where a refund can be sent from anywhere (the API, the admin); cash needs a store's till.
REMOTE_REFUND_DESTINATIONS = [
    (value, label)
    for value, label in Refund.Destination.choices
    if value != Refund.Destination.CASH
]


class PaymentTransaction(models.Model):
    """The ledger of a payment: every authorise, capture, void and refund, with what the
    provider answered (secrets and card data removed). Pending rows hold their amount against
    the payment's totals until they settle, so two concurrent captures or refunds cannot both
    pass."""

    class Kind(models.TextChoices):
        AUTHORISE = "authorise", _("Authorise")
        CAPTURE = "capture", _("Capture")
        VOID = "void", _("Void")
        REFUND = "refund", _("Refund")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="transactions")
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    amount = AmountField()
    currency = CurrencyField()
    provider_reference = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=160, unique=True)
    raw = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_txn_not_negative")
        ]
        indexes = [
            models.Index(
                fields=["payment", "kind"],
                name="payment_txn_pending",
                condition=Q(status="pending"),
            )
        ]
        verbose_name = _("payment transaction")
        verbose_name_plural = _("payment transactions")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} {self.status}"


class StoreCreditAccount(TimeStampedModel):
    """A customer's store credit: one balance, spendable on any channel as a payment method."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="store_credit",
        verbose_name=_("customer"),
    )
    currency = CurrencyField(_("currency"), default="TRY")
    balance = AmountField(_("balance"), default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="store_credit_not_negative")
        ]
        verbose_name = _("store credit")
        verbose_name_plural = _("store credit")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance} {self.currency}"


class StoreCreditEntry(models.Model):
    """The store-credit ledger: the balance always equals the sum of its entries."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        SPEND = "spend", _("Spent")
        REVERSAL = "reversal", _("Returned to credit")
        MERGE = "merge", _("Profiles merged")

    account = models.ForeignKey(
        StoreCreditAccount, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = AmountField(_("amount"))  # signed: + credit, - spent
    balance_after = AmountField(_("balance after"))
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("store credit entry")
        verbose_name_plural = _("store credit entries")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class WebhookReceipt(models.Model):
    """A provider notification already handled: a second one with the same event id is
    answered 200 and changes nothing."""

    gateway = models.CharField(max_length=40)
    event_id = models.CharField(max_length=120)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, blank=True)
    outcome = models.CharField(max_length=40)
    occurred_at = models.FloatField(default=0)
    raw = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once")
        ]
        verbose_name = _("webhook received")
        verbose_name_plural = _("webhooks received")

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id}"


class PaymentLinkSend(models.Model):
    """A payment link asked to be sent by SMS or e-mail (payments.links.link_send), kept until
    its task has settled it: sent, found sent before, or its link expired. The beat sends one
    whose message was lost (payments.tasks.link_sends_pending)."""

    key = models.CharField(max_length=64, unique=True)  # the send's idempotency key
    token = models.TextField()
    via = models.CharField(max_length=10)
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=8, default="tr")
    expires_at = models.DateTimeField()  # the link's
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.via} to {self.recipient}"


class TillCount(models.Model):
    """The cash a staff member counted in their till at the end of a business day at a store,
    beside the cash the till should hold then (payments.selectors.till_cash_expected).

    Append-only: a recount or a typing mistake is corrected by a new entry. The newest entry of
    a (store, staff member, business day) is the count in force; the earlier ones stay as its
    history, so a difference can never be quietly rewritten."""

    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "store"},
        verbose_name=_("store"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    business_date = models.DateField(_("business day"))
    currency = CurrencyField(_("currency"))
    counted = AmountField(_("cash counted"))
    expected = AmountField(_("cash expected"))  # when counted
    difference = AmountField(_("difference"))  # counted less expected: negative is short
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("counted at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["channel", "business_date"], name="till_count_store_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(counted__gte=0), name="till_count_not_negative"),
            models.CheckConstraint(
                condition=Q(difference=F("counted") - F("expected")),
                name="till_count_difference",
            ),
        ]
        verbose_name = _("till count")
        verbose_name_plural = _("till counts")

    def __str__(self) -> str:
        return f"till {self.channel_id} {self.business_date} by {self.staff_id}: {self.counted}"


from payments.models_gift_cards import (  # noqa: E402 (gift cards are payments' models too)
    GiftCard,
    GiftCardEntry,
    GiftCardProduct,
)

__all__ = [
    "ChannelGateway",
    "GiftCard",
    "GiftCardEntry",
    "GiftCardProduct",
    "Payment",
    "PaymentLinkSend",
    "PaymentTransaction",
    "Refund",
    "StoreCreditAccount",
    "StoreCreditEntry",
    "TillCount",
    "WebhookReceipt",
    "new_reference",
]
