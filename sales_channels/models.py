from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from omni.models import TimeStampedModel
from omni.money import CurrencyField

channel_code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,39}$",
    _("Use lowercase letters, digits and hyphens (at most 40)."),
    code="invalid_code",
)


class Channel(TimeStampedModel):
    """A place where the business sells: the web shop, the app, each store, a marketplace.

    Each physical store is a channel of its own, so its counter sales are that channel's sales.
    """

    class Kind(models.TextChoices):
        WEB = "web", _("Web storefront")
        APP = "app", _("Mobile app")
        STORE = "store", _("Physical store")
        MARKETPLACE = "marketplace", _("Marketplace")
        SOCIAL = "social", _("Social commerce")

    code = models.CharField(
        _("code"), max_length=40, unique=True, validators=[channel_code_validator]
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    currency = CurrencyField(verbose_name=_("currency"), default="TRY")
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="tr"
    )
    default_country = CountryField(_("default country"), default="TR")
    prices_include_tax = models.BooleanField(_("prices include tax"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    # How this channel sells.
    cart_reservation_minutes = models.PositiveIntegerField(
        _("hold stock during checkout (minutes)"),
        default=10,
        help_text=_("0: stock is not held before the order is placed."),
    )
    pay_later = models.BooleanField(
        _("pay later"),
        default=False,
        help_text=_("Orders are confirmed at once and paid at the counter or at pickup."),
    )
    return_window_days = models.PositiveIntegerField(_("return window (days)"), default=14)
    pickup_hold_days = models.PositiveIntegerField(
        _("pickup hold (days)"),
        default=7,
        help_text=_("A click-and-collect order not collected within this is cancelled."),
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("sales channel")
        verbose_name_plural = _("sales channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
