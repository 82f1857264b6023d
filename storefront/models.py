"""The shop's own pages that the merchant writes and edits in the admin: returns and exchanges,
delivery, the KVKK privacy notice (aydınlatma metni), the cookie policy, about us. Each is
reached at storefront:page by its slug, in Turkish and English (modeltranslation: title_tr,
title_en, body_tr, body_en; English falls back to Turkish when empty)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel

# The body's plain-text conventions, shown to the merchant under the field (storefront.content
# renders them; no HTML is ever taken from the database).
BODY_HELP = _(
    "Plain text. A blank line starts a new paragraph; a line starting with “## ” is a heading, "
    "with “- ” an item of a list; **words** are bold; web addresses and e-mail addresses become "
    "links. These are replaced by the retailer's details: {{legal_name}}, {{trade_name}}, "
    "{{address}}, {{city}}, {{phone}}, {{email}}, {{kep_address}}, {{mersis_number}}, "
    "{{tax_office}}, {{tax_number}}, {{trade_registry_number}}, {{website}}; {{return_days}} and "
    "{{pickup_days}} by the web channel's return window and how long a store keeps an order "
    "for collection, in days."
)


# modeltranslation swaps the manager for a class made at run time, which django-stubs cannot see.
class ShopPage(TimeStampedModel):  # type: ignore[django-manager-missing]
    slug = models.SlugField(
        _("address on the site"),
        max_length=80,
        unique=True,
        help_text=_(
            "The end of the page's address, as iade-ve-degisim in /tr/page/iade-ve-degisim/. "
            "Other pages and e-mails link to it, so it cannot be changed once the page is saved."
        ),
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), blank=True, help_text=BODY_HELP)
    in_footer = models.BooleanField(
        _("linked in the footer"), default=True, help_text=_("Listed in every page's footer.")
    )
    sort_order = models.PositiveSmallIntegerField(_("order in the footer"), default=0)
    is_published = models.BooleanField(
        _("published"), default=True, help_text=_("An unpublished page answers “not found”.")
    )

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("shop page")
        verbose_name_plural = _("shop pages")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("storefront:page", kwargs={"slug": self.slug})
