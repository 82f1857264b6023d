"""Promotions and the codes behind them: what the one pricing function grants a cart on any
channel (campaigns.engine), and what each placed order used (Redemption).

A promotion is a benefit (`kind` with its `value` and kind-specific `config`) under conditions
(channels, what the line is, the cart, the customer, a window in Europe/Istanbul). Automatic
promotions apply by themselves; the others need one of their codes on the cart. Every write goes
through campaigns.services, which validates it (promotion_clean) and records the outbox event
when it changes a channel's prices.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from omni.models import TimeStampedModel
from omni.money import AmountField, CurrencyField


class Promotion(TimeStampedModel):
    class Kind(models.TextChoices):
        # value: the percent (0-100) off
        PERCENT = "percent", _("Percent off")
        # value: the amount off, in `currency`
        AMOUNT = "amount", _("Amount off")
        # value: the unit price the matching lines sell at
        FIXED_PRICE = "fixed_price", _("Fixed price")
        # config {"buy": 2, "get": 1, "percent": 100}: of every buy+get matching units, the
        # `get` cheapest are `percent` off ("2nd item 50 % off": buy 1, get 1, 50)
        BUY_X_GET_Y = "buy_x_get_y", _("Buy X get Y")
        # config {"quantity": 3, "pay": 2} ("3 for 2") or {"quantity": 2, "price": "500"}
        # ("any 2 for 500 TL"), over the matching units, as many times as they fit
        BUNDLE = "bundle", _("Bundle")
        # config {"tiers": [{"from": "500", "percent": "10"}, {"from": "1000", "percent": "15"}]}
        # on the matching goods' subtotal: the highest tier reached
        TIERED = "tiered", _("Tiered spend")
        # value: the percent off shipping (100: free)
        SHIPPING = "shipping", _("Shipping discount")
        # config {"variant": <id>, "quantity": 1}: that variant is free when in the cart
        GIFT = "gift", _("Gift item")

    class Target(models.TextChoices):
        LINES = "lines", _("Each matching line")
        ORDER = "order", _("The order")

    class Stacking(models.TextChoices):
        # applies on top of the others, after those of a higher priority
        COMBINABLE = "combinable", _("Combinable")
        # applies alone: the shopper gets the better of it and the combinable ones together
        EXCLUSIVE = "exclusive", _("Exclusive")

    name = models.CharField(_("name"), max_length=120)  # the merchant's own
    # What the shopper reads on the cart, the order and the receipt (translated, campaigns.
    # translation): "2. ürüne %50 indirim".
    label = models.CharField(pgettext_lazy("promotion", "label"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    target = models.CharField(
        _("applies to"), max_length=10, choices=Target.choices, default=Target.LINES
    )
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, default=0)
    currency = CurrencyField(verbose_name=_("currency"), default="TRY")
    config = models.JSONField(_("settings"), default=dict, blank=True)

    # Conditions. An empty set means "any".
    channels = models.ManyToManyField(
        "sales_channels.Channel", blank=True, related_name="+", verbose_name=_("channels")
    )
    products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+", verbose_name=_("products")
    )
    variants = models.ManyToManyField(
        "catalog.ProductVariant", blank=True, related_name="+", verbose_name=_("variants")
    )
    categories = models.ManyToManyField(  # each with its subtree
        "catalog.Category", blank=True, related_name="+", verbose_name=_("categories")
    )
    brands = models.ManyToManyField(
        "catalog.Brand", blank=True, related_name="+", verbose_name=_("brands")
    )
    attribute_values = models.ManyToManyField(  # a collection by attribute ("colour: red")
        "catalog.AttributeValue", blank=True, related_name="+", verbose_name=_("attribute values")
    )
    segments = models.ManyToManyField(
        "customers.Segment", blank=True, related_name="+", verbose_name=_("customer segments")
    )
    loyalty_tiers = models.ManyToManyField(
        "customers.LoyaltyTier", blank=True, related_name="+", verbose_name=_("loyalty tiers")
    )
    min_subtotal = AmountField(_("minimum subtotal"), null=True, blank=True)
    min_quantity = models.PositiveIntegerField(_("minimum quantity"), null=True, blank=True)
    first_order_only = models.BooleanField(_("first order only"), default=False)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)

    # How it combines with others: higher priority applies first.
    stacking = models.CharField(
        _("stacking"), max_length=12, choices=Stacking.choices, default=Stacking.COMBINABLE
    )
    priority = models.IntegerField(_("priority"), default=0)

    requires_code = models.BooleanField(_("needs a code"), default=False)
    is_active = models.BooleanField(_("active"), default=True)  # False: paused
    # A total discount cap: the promotion ends when it is spent (Redemption amounts).
    budget = AmountField(_("budget"), null=True, blank=True)
    spent = AmountField(_("spent"), default=0, editable=False)
    # Uses across all its codes and automatic redemptions; per customer (known customers).
    usage_limit = models.PositiveIntegerField(_("total uses"), null=True, blank=True)
    per_customer_limit = models.PositiveIntegerField(_("uses per customer"), null=True, blank=True)
    times_used = models.PositiveIntegerField(_("used"), default=0, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [
            models.Index(fields=["is_active", "requires_code"], name="promotion_live"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="promotion_value_not_negative"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="promotion_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(spent__lte=F("budget")),
                name="promotion_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=F("usage_limit")),
                name="promotion_within_uses",
            ),
        ]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")

    def __str__(self) -> str:
        return self.name


class CodeBatch(models.Model):
    """Codes generated in one go (services.code_batch_generate), exported as CSV."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="batches")
    prefix = models.CharField(_("prefix"), max_length=12, blank=True)
    count = models.PositiveIntegerField(_("codes"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("code batch")
        verbose_name_plural = _("code batches")

    def __str__(self) -> str:
        return f"{self.promotion_id}: {self.count}"


class Code(models.Model):
    """A code that unlocks its promotion. Stored upper case; matched case-insensitively."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("code"), max_length=40, unique=True)
    batch = models.ForeignKey(
        CodeBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="codes"
    )
    usage_limit = models.PositiveIntegerField(
        _("uses"), null=True, blank=True, help_text=_("1: single use. Empty: no limit.")
    )
    per_customer_limit = models.PositiveIntegerField(_("uses per customer"), null=True, blank=True)
    times_used = models.PositiveIntegerField(_("used"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(times_used__lte=F("usage_limit")),
                name="code_within_uses",
            ),
        ]
        verbose_name = _("code")
        verbose_name_plural = _("codes")

    def __str__(self) -> str:
        return self.code


class Redemption(models.Model):
    """A promotion (and its code) used by a placed order, with what it took off. Released
    (`released_at`) when the order is cancelled or fully refunded: the use and the budget come
    back."""

    id = models.BigAutoField(primary_key=True)
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    code = models.ForeignKey(
        Code, on_delete=models.PROTECT, null=True, blank=True, related_name="redemptions"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.PROTECT, related_name="+"
    )
    amount = AmountField(_("amount"), validators=[MinValueValidator(0)])
    currency = CurrencyField(verbose_name=_("currency"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "promotion"], name="redemption_once"),
        ]
        indexes = [
            models.Index(fields=["promotion", "customer"], name="redemption_customer"),
            models.Index(fields=["code", "customer"], name="redemption_code_customer"),
        ]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")

    def __str__(self) -> str:
        return f"{self.promotion_id} on {self.order_id}"


class PromotionWindowSweep(models.Model):
    """How far the beat has looked for promotion windows opening or closing (campaigns.
    channel_prices.promotion_windows_sweep): one row per sweep, moved on by a conditional
    UPDATE."""

    WINDOWS = "windows"

    name = models.CharField(max_length=40, unique=True)
    swept_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.swept_until}"
