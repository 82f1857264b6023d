"""The loyalty programme's rows (imported by customers.models, so they belong to customers;
a module of its own beside it, so the loyalty package can import customers.models).

Balances are whole points. An account's `available` and `pending` are the sums of its
entries' `points` and `pending` columns; the database refuses a negative balance
(loyalty_account_available_gte_0), whatever a caller does. Entries are never deleted and their
amounts never change: only a lot's `open_points` / `open_pending` (what of it is still
unspent, unexpired, not yet matured) run down, so expiry can be FIFO.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.money import AmountField, CurrencyField


class LoyaltyProgramme(models.Model):
    """One programme per currency: what a currency unit paid earns, what a point is worth when
    spent, how long points live, and how long they wait for the return window."""

    name = models.CharField(_("name"), max_length=100)
    currency = CurrencyField(verbose_name=_("currency"), unique=True)
    earn_rate = models.DecimalField(
        _("points per currency unit"), max_digits=8, decimal_places=4, default=1
    )
    point_value = models.DecimalField(
        _("value of a point"), max_digits=8, decimal_places=4, default="0.05"
    )
    expiry_months = models.PositiveIntegerField(_("points expire after (months)"), default=12)
    pending_days = models.PositiveIntegerField(
        _("pending days"),
        null=True,
        blank=True,
        help_text=_("Blank: the return window of the channel the order was paid on."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(earn_rate__gte=0), name="loyalty_earn_rate_gte_0"),
            models.CheckConstraint(condition=Q(point_value__gt=0), name="loyalty_point_value_gt_0"),
        ]
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class LoyaltyTier(models.Model):
    """A tier reached by what the customer paid in the last 12 months; its multiplier scales
    the programme's earn rate."""

    programme = models.ForeignKey(LoyaltyProgramme, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(_("name"), max_length=60)
    min_spend = AmountField(_("12-month spend from"))
    earn_multiplier = models.DecimalField(
        _("earn multiplier"), max_digits=5, decimal_places=2, default=1
    )

    class Meta:
        ordering = ["programme", "min_spend"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "min_spend"], name="loyalty_tier_unique_threshold"
            ),
            models.CheckConstraint(
                condition=Q(earn_multiplier__gt=0), name="loyalty_tier_multiplier_gt_0"
            ),
        ]
        verbose_name = _("loyalty tier")
        verbose_name_plural = _("loyalty tiers")

    def __str__(self) -> str:
        return self.name


class LoyaltyAccount(models.Model):
    """A customer's points: one account per customer, in its programme's currency."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="loyalty_account"
    )
    programme = models.ForeignKey(
        LoyaltyProgramme, on_delete=models.PROTECT, related_name="accounts"
    )
    available = models.IntegerField(_("available points"), default=0)
    pending = models.IntegerField(_("pending points"), default=0)
    tier = models.ForeignKey(
        LoyaltyTier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tier"),
    )
    spend_12m = AmountField(_("12-month spend"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(available__gte=0), name="loyalty_account_available_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(pending__gte=0), name="loyalty_account_pending_gte_0"
            ),
        ]
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.available} (+{self.pending})"


class LoyaltyEntryKind(models.TextChoices):
    EARN_PENDING = "earn_pending", _("earned, pending")
    EARN = "earn", _("earned")
    SPEND = "spend", _("spent")
    SPEND_REVERSED = "spend_reversed", _("spend reversed")
    TAKE_BACK = "take_back", _("taken back")
    EXPIRE = "expire", _("expired")
    ADJUST = "adjust", _("adjusted")
    MERGE_IN = "merge_in", _("merged in")
    MERGE_OUT = "merge_out", _("merged out")


class LoyaltyEntry(models.Model):
    """One movement of an account. `points` moves the available balance, `pending` the pending
    one (both signed). A lot (an entry that added points) keeps what of it is still open, for
    FIFO spending and expiry. `key` is unique: an event replayed writes nothing new."""

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=20, choices=LoyaltyEntryKind.choices)
    points = models.IntegerField(_("points"), default=0)
    pending = models.IntegerField(_("pending points"), default=0)
    # The money the entry is about: paid (earn), taken back (return), paid with points (spend).
    amount = AmountField(_("amount"), default=0)
    order_number = models.CharField(_("order"), max_length=40, blank=True, db_index=True)
    return_ref = models.CharField(_("return"), max_length=40, blank=True)
    payment_ref = models.CharField(_("payment"), max_length=60, blank=True)
    available_at = models.DateTimeField(_("available at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    open_points = models.IntegerField(default=0)
    open_pending = models.IntegerField(default=0)
    # Points a take-back could not collect (the balance was short): written off, see README.
    shortfall = models.IntegerField(_("not collected"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(open_points__gte=0, open_pending__gte=0),
                name="loyalty_entry_open_gte_0",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], name="loyalty_lot_expiry", condition=Q(open_points__gt=0)
            ),
            models.Index(
                fields=["available_at"],
                name="loyalty_lot_matures",
                condition=Q(open_pending__gt=0),
            ),
            models.Index(fields=["account", "-created_at", "-id"], name="loyalty_entry_history"),
        ]
        verbose_name = _("loyalty entry")
        verbose_name_plural = _("loyalty entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}/{self.pending:+d}"
