"""Metrics per customer (customers.metrics computes them): one row per customer, kept current
from orders' outbox events and rebuilt in full by `crm_recompute` (README, "Customer metrics")."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.money import AmountField, CurrencyField


class RfmSegment(models.TextChoices):
    """What an RFM score says of a customer (customers.metrics.rfm_segment has the rules)."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Needs attention")
    AT_RISK = "at_risk", _("At risk")
    CANNOT_LOSE = "cannot_lose", _("Cannot lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")
    NONE = "none", _("No purchase")


class CustomerMetrics(models.Model):
    """What a customer's orders add up to, in the currency most of them were paid in. Money is
    net of cancelled orders (left out) and of refunded returns (returns_amount)."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="metrics"
    )
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    revenue_net = AmountField(_("net revenue"), default=0)
    returns_amount = AmountField(_("refunded on returns"), default=0)
    currency = CurrencyField(_("currency"), default="TRY")
    average_order_value = AmountField(_("average order value"), default=0)
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    # Mean days between two orders; null with fewer than two.
    purchase_frequency_days = models.DecimalField(
        _("days between orders"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    # {channel code: orders}
    channel_mix = models.JSONField(_("orders per channel"), default=dict, blank=True)
    # The store (inventory's StockLocation id: a plain id, inventory is a layer above) of most
    # of the customer's store orders (counter sales and click-and-collect pickups).
    favourite_store = models.BigIntegerField(_("favourite store"), null=True, blank=True)
    rfm_recency = models.PositiveSmallIntegerField(_("RFM recency"), null=True, blank=True)
    rfm_frequency = models.PositiveSmallIntegerField(_("RFM frequency"), null=True, blank=True)
    rfm_monetary = models.PositiveSmallIntegerField(_("RFM monetary"), null=True, blank=True)
    rfm_score = models.CharField(_("RFM score"), max_length=3, blank=True)
    rfm_segment = models.CharField(
        _("RFM segment"), max_length=20, choices=RfmSegment.choices, default=RfmSegment.NONE
    )
    clv_historic = AmountField(_("lifetime value to date"), default=0)
    clv_predicted = AmountField(_("predicted value, next 12 months"), default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    # The thresholds (RfmThresholds.pk) the RFM scores were given against.
    thresholds_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["rfm_segment"], name="customer_metrics_segment"),
            models.Index(fields=["last_purchase_at"], name="customer_metrics_last"),
        ]
        verbose_name = _("customer metrics")
        verbose_name_plural = _("customer metrics")

    def __str__(self) -> str:
        return f"metrics of {self.customer_id}"


class RfmThresholds(models.Model):
    """The population's quintile cut points the RFM scores are given against: stored by each
    full recompute, read by the incremental path (the latest row). Each is a list of four
    ascending numbers: recency in days, frequency in orders, monetary in net revenue."""

    recency_days = models.JSONField()
    frequency = models.JSONField()
    monetary = models.JSONField()
    customers = models.PositiveIntegerField(default=0)  # buyers they were taken from
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"RFM thresholds #{self.pk}"


class CustomerMetricsPending(models.Model):
    """A customer whose metrics an event changed and that a task has yet to recompute: the
    dedup of the incremental path (one task per customer however many events) and what the
    sweep finds when a task's message was lost."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"metrics of {self.customer_id} pending"
