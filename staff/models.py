"""What the staff screens keep of their own: the sales a till made while the server was
unreachable, as they arrived (staff.services.till_sync)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.money import AmountField


class TillSale(models.Model):
    """A sale a till made offline and sent when the network came back. Its id is the one the
    till made (crypto.randomUUID()) before it showed the sale as done, so a resend can never
    become a second order: the row is the sale's idempotency key, and `fingerprint` tells a
    replay from another sale sent under the same id."""

    class Status(models.TextChoices):
        RECORDED = "recorded", _("Recorded")
        # Recorded, but the store's stock lacked some of what was handed over: a discrepancy
        # was raised for the manager (inventory.StockDiscrepancy).
        STOCK_SHORT = "stock_short", _("Recorded, stock short")

    id = models.UUIDField(primary_key=True, editable=False)
    store = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    made_at = models.DateTimeField(_("made at the till"))
    payload = models.JSONField(_("as the till sent it"))
    fingerprint = models.CharField(max_length=64, editable=False)
    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="till_sale", null=True
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # What the till charged; the order is placed at these prices (orders' as_sold).
    total = AmountField(_("total"))
    # {SKU: [the till's price, the channel's price when received]} where they differed: the
    # order keeps the till's price (what the customer paid); the manager sees the difference.
    price_changes = models.JSONField(_("price changes"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["store", "made_at"], name="till_sale_store_made")]
        verbose_name = _("till sale")
        verbose_name_plural = _("till sales")

    def __str__(self) -> str:
        return f"till sale {self.id}"
