"""Stock: one truth across distribution centres and stores, shared by every channel.

Every quantity that changes is written in the same transaction as a ledger movement
(StockMovement), so on hand and allocated always equal the sums of the ledger
(`manage.py stock_audit` proves it). All writers of a variant's stock first lock its
VariantInventory row, which serialises them and makes each availability event exact.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from omni.models import TimeStampedModel


class StockLocation(TimeStampedModel):
    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", _("Distribution centre")
        STORE = "store", _("Store")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # A store's own sales channel (its counter sales are that channel's sales).
    channel = models.OneToOneField(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="store_location",
        limit_choices_to={"kind": "store"},
        verbose_name=_("store channel"),
    )
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    district = models.CharField(_("district"), max_length=80, blank=True)
    city = models.CharField(_("city"), max_length=80)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    country = CountryField(_("country"), default="TR")
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    ships_to_customers = models.BooleanField(_("ships to customers"), default=True)
    click_and_collect = models.BooleanField(_("click and collect"), default=False)
    accepts_returns = models.BooleanField(_("accepts returns"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("stock location")
        verbose_name_plural = _("stock locations")

    def __str__(self) -> str:
        return self.name


class ChannelLocation(models.Model):
    """A channel sells from an ordered list of locations. The safety stock is held back from
    this channel at this location (so the marketplace, say, cannot sell the last two units)."""

    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.CASCADE, related_name="stock_locations"
    )
    location = models.ForeignKey(StockLocation, on_delete=models.CASCADE, related_name="channels")
    priority = models.PositiveSmallIntegerField(_("priority"), default=0)
    safety_stock = models.PositiveIntegerField(_("safety stock"), default=0)

    class Meta:
        ordering = ["channel_id", "priority", "location_id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "location"], name="channel_location_unique")
        ]
        verbose_name = _("channel location")
        verbose_name_plural = _("channel locations")

    def __str__(self) -> str:
        return f"{self.channel_id} ← {self.location_id} ({self.priority})"


class VariantInventory(models.Model):
    """One row per stocked variant: the lock every stock change of the variant takes first, and
    the version of its availability, which grows with every change."""

    variant = models.OneToOneField(
        "catalog.ProductVariant",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="inventory",
    )
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("variant inventory")
        verbose_name_plural = _("variant inventories")

    def __str__(self) -> str:
        return f"{self.variant_id} v{self.version}"


class Stock(models.Model):
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="stocks"
    )
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="stocks")
    on_hand = models.IntegerField(_("on hand"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)
    reorder_point = models.PositiveIntegerField(
        _("reorder point"),
        null=True,
        blank=True,
        help_text=_("Alert when the free stock (on hand less allocated) falls to this."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["variant_id", "location_id"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="stock_unique_location"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0), name="stock_allocated_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("on_hand")), name="stock_allocated_within_on_hand"
            ),
        ]
        verbose_name = _("stock")
        verbose_name_plural = _("stock")

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.location_id}: {self.on_hand}/{self.allocated}"

    @property
    def free(self) -> int:
        return self.on_hand - self.allocated


class StockMovement(models.Model):
    """The append-only stock ledger. on_hand is the sum of on_hand_delta, allocated the sum of
    allocated_delta, per stock row."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", pgettext_lazy("stock movement", "Receipt")
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        WRITE_OFF = "write_off", _("Return written off")
        ADJUSTMENT = "adjustment", _("Adjustment")
        COUNT = "count", _("Count correction")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        ALLOCATION = "allocation", _("Allocation")
        RELEASE = "release", _("Release")

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    on_hand_delta = models.IntegerField(default=0)
    allocated_delta = models.IntegerField(default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Not indexed: the ledger is read by stock row, reference or date, and every index is paid
    # for on each movement, written while the variant is locked.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # What caused it: "order:1042", "transfer:7", "external:TILL-55-0001", ...
    reference = models.CharField(_("reference"), max_length=120, blank=True, db_index=True)
    # Sales and returns recorded from outside Omni are idempotent by their external reference.
    external_ref = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001 (NULL: none)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref"],
                name="movement_external_ref_unique",
                condition=Q(external_ref__isnull=False),
            )
        ]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock ledger")

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} @ {self.stock_id}"


class Reservation(models.Model):
    """Stock held for a cart until it expires. An expired reservation never blocks a sale: it is
    ignored by every availability sum, and a beat task deletes it."""

    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="reservations")
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.CASCADE, related_name="+"
    )
    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    reference = models.CharField(max_length=120, db_index=True)  # e.g. "cart:<token>"
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["expires_at"]
        indexes = [models.Index(fields=["stock", "expires_at"], name="reservation_live")]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity} of {self.variant_id}"


class Allocation(models.Model):
    """Stock promised to an order line at one location until it is shipped or released."""

    class Status(models.TextChoices):
        ALLOCATED = "allocated", _("Allocated")
        CONSUMED = "consumed", _("Shipped")
        RELEASED = "released", _("Released")
        # On its way to the order's pickup store by transfer; allocated there on arrival.
        IN_TRANSIT = "in_transit", _("In transit")
        MOVED = "moved", _("Moved to another location")

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="allocations")
    # Read by reference and by stock row. Not indexed: every index is paid for on each
    # allocation, which is written while the variant is locked.
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reference = models.CharField(max_length=120, db_index=True)  # "order:1042"
    line_ref = models.CharField(max_length=120, blank=True)  # "line:5531"
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ALLOCATED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")

    def __str__(self) -> str:
        return f"{self.reference} {self.quantity} x {self.variant_id} @ {self.location_id}"


class Transfer(TimeStampedModel):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SHIPPED = "shipped", _("In transit")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    source = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="transfers_out"
    )
    destination = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="transfers_in"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    # A transfer that brings an order's units to its pickup store: the order's own allocation
    # at the source is what travels (no second hold), and it is allocated again on arrival.
    order_reference = models.CharField(_("for order"), max_length=120, blank=True, db_index=True)
    expected_at = models.DateTimeField(_("expected"), null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=F("destination")), name="transfer_between_two_locations"
            )
        ]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")

    def __str__(self) -> str:
        return f"T{self.pk} {self.source_id}→{self.destination_id} ({self.status})"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transfer", "variant"], name="transfer_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"


class LowStockAlert(models.Model):
    """Raised once when a stock row's free quantity falls to its reorder point; closed when it
    is replenished above it. Merchants are notified by a Celery task."""

    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="alerts")
    free_at_alert = models.IntegerField()
    reorder_point = models.PositiveIntegerField()
    opened_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["stock"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_alert_per_stock",
            )
        ]
        verbose_name = _("low stock alert")
        verbose_name_plural = _("low stock alerts")

    def __str__(self) -> str:
        return f"low stock {self.stock_id} ({self.free_at_alert} ≤ {self.reorder_point})"


class AvailabilityRefresh(models.Model):
    """Channels to be told their availability again after their stock configuration changed:
    recorded in the transaction of the change, worked through by a Celery task a chunk of
    variants at a time (a location may hold very many), each chunk in a transaction of its own
    that moves `after_variant` on. A lost task or a dead worker leaves it to the beat sweep."""

    channel_ids = models.JSONField(_("channels"))
    location_ids = models.JSONField(_("locations"))
    after_variant = models.BigIntegerField(default=0)  # variants up to this id are done
    events = models.PositiveIntegerField(_("events recorded"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="availability_refresh_open", condition=Q(done_at=None))
        ]
        verbose_name = _("availability refresh")
        verbose_name_plural = _("availability refreshes")

    def __str__(self) -> str:
        return f"availability refresh {self.pk} (channels {self.channel_ids})"


class StockDiscrepancy(models.Model):
    """Units a location handed over that its stock did not hold: a till's sale recorded after
    the stock had gone (sold online meanwhile, miscounted). The sale stands (the goods left the
    store); the manager finds out why and resolves it (a count, a transfer, a write-off)."""

    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="discrepancies"
    )
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="+"
    )
    quantity_short = models.PositiveIntegerField(_("quantity short"))
    # What handed the goods over, e.g. "till:<sale id>" (unique with the variant: a replay
    # raises nothing twice).
    reference = models.CharField(_("reference"), max_length=120)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("resolved by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference", "variant"], name="stock_discrepancy_unique_reference"
            ),
            models.CheckConstraint(
                condition=Q(quantity_short__gt=0), name="stock_discrepancy_positive"
            ),
        ]
        indexes = [
            models.Index(
                fields=["location", "created_at"],
                name="stock_discrepancy_open",
                condition=Q(resolved_at=None),
            )
        ]
        verbose_name = _("stock discrepancy")
        verbose_name_plural = _("stock discrepancies")

    def __str__(self) -> str:
        return f"{self.quantity_short} short of {self.variant_id} at {self.location_id}"
