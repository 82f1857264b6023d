"""The customer: one profile across every channel, with or without an account.

A web or app shopper who signs up has a user account and a profile; a walk-in customer known
by phone at a store, or a guest who checks out with an e-mail address, has a profile only. The
CRM (timeline, consents, segments) builds on this row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel


class Customer(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="tr"
    )
    first_channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first seen on"),
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One guest profile per e-mail. A profile with an account is the account's own: a
            # guest's orders are not joined to an account by an unverified e-mail address.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email="") & Q(user__isnull=True),
                name="customer_guest_email_unique",
            ),
        ]
        indexes = [models.Index(fields=["phone"], name="customer_phone")]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or self.phone or f"#{self.pk}"


# A postal address as orders keep it (a JSON snapshot) and as a saved Address holds it.
POSTAL_FIELDS = (
    "full_name",
    "phone",
    "line1",
    "line2",
    "district",
    "city",
    "postal_code",
    "country",
)


class Address(TimeStampedModel):
    """An address a customer keeps for next time."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(_("label"), max_length=40, blank=True)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    line1 = models.CharField(_("address"), max_length=200)
    line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    district = models.CharField(_("district"), max_length=80, blank=True)
    city = models.CharField(_("city"), max_length=80)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    country = models.CharField(_("country"), max_length=2, default="TR")
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "-id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city}"
