"""What Omni keeps about its marketplaces: barcodes per channel, what each marketplace was last
told of each variant, the price-and-stock batches it is still processing, and the order packages
imported from it."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel
from omni.money import AmountField

MARKETPLACE = Q(kind="marketplace")


class BarcodeMapping(TimeStampedModel):
    """The barcode a marketplace knows a variant by, when it is not the variant's own EAN."""

    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to=MARKETPLACE,
        verbose_name=_("channel"),
    )
    variant = models.ForeignKey(
        "catalog.ProductVariant",
        on_delete=models.CASCADE,
        related_name="marketplace_barcodes",
        verbose_name=_("variant"),
    )
    barcode = models.CharField(_("barcode"), max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "variant"], name="barcode_map_variant"),
            models.UniqueConstraint(fields=["channel", "barcode"], name="barcode_map_barcode"),
        ]
        verbose_name = _("barcode mapping")
        verbose_name_plural = _("barcode mappings")

    def __str__(self) -> str:
        return f"{self.barcode} → {self.variant_id}"


class MarketplaceItem(TimeStampedModel):
    """A variant as a marketplace last accepted it: what was sent (only a change is sent again)
    and whether the marketplace took it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Sent, being processed")
        OK = "ok", _("Accepted")
        RETRYING = "retrying", _("Failed, sent again")
        FAILED = "failed", _("Refused")

    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.CASCADE, related_name="+"
    )
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.CASCADE, related_name="marketplace_items"
    )
    barcode = models.CharField(_("barcode"), max_length=64, blank=True)
    # None: never sent (or to be sent again after a failure).
    sent_quantity = models.IntegerField(_("quantity sent"), null=True, blank=True)
    sent_sale_price = AmountField(_("sale price sent"), null=True, blank=True)
    sent_list_price = AmountField(_("list price sent"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "variant"], name="marketplace_item_unique")
        ]
        verbose_name = _("marketplace item")
        verbose_name_plural = _("marketplace items")

    def __str__(self) -> str:
        return f"{self.barcode} ({self.channel_id})"


class PushBatch(TimeStampedModel):
    """A price-and-inventory request the marketplace accepted and processes in its own time; a
    beat task asks for its result and sends the failed items again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being processed")
        COMPLETED = "completed", _("Completed")
        EXPIRED = "expired", _("Result no longer available")

    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.CASCADE, related_name="+"
    )
    batch_request_id = models.CharField(_("batch request id"), max_length=120)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    # [{"variant_id", "barcode", "quantity", "salePrice", "listPrice"}] as sent.
    items = models.JSONField(_("items"), default=list)
    body_hash = models.CharField(max_length=64)
    polls = models.PositiveIntegerField(_("polls"), default=0)
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    succeeded = models.PositiveIntegerField(_("succeeded"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    # {barcode: [reasons]} of the items that failed.
    failures = models.JSONField(_("failures"), default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "batch_request_id"], name="push_batch_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "next_poll_at"], name="push_batch_due")]
        ordering = ["-created_at"]
        verbose_name = _("price and stock batch")
        verbose_name_plural = _("price and stock batches")

    def __str__(self) -> str:
        return self.batch_request_id


class PackageImport(TimeStampedModel):
    """A marketplace order package and the Omni order made of it (at most one per package)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed")

    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("channel"),
    )
    package_id = models.CharField(_("package id"), max_length=40)
    marketplace_order = models.CharField(_("marketplace order number"), max_length=40, blank=True)
    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="marketplace_package",
        verbose_name=_("order"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    payload = models.JSONField(_("package as received"), default=dict)
    # The last package status Omni reported (Picking, Invoiced, ...).
    remote_status = models.CharField(_("status reported"), max_length=20, blank=True)
    tracking_sent = models.CharField(_("tracking number reported"), max_length=80, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "package_id"], name="package_import_unique")
        ]
        ordering = ["-created_at"]
        verbose_name = _("marketplace package")
        verbose_name_plural = _("marketplace packages")

    def __str__(self) -> str:
        return f"{self.package_id} ({self.get_status_display()})"
