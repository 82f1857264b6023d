from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Concat
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from catalog.validators import sku_validator, validate_ean13
from omni.models import TimeStampedModel
from omni.money import AmountField, CurrencyField
from omni.search import Fold


class TaxClass(models.Model):
    """What rate of VAT a product carries; prices are entered with tax included.

    Turkey's KDV has three rates: 1 %, 10 % and 20 %.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["rate"]
        verbose_name = _("tax class")
        verbose_name_plural = _("tax classes")

    def __str__(self) -> str:
        return f"{self.name} ({self.rate}%)"


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


class Category(MP_Node):
    """The category tree. A subtree is every node whose path starts with its root's path."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    node_order_by = ["slug"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Attribute(models.Model):
    """What variants of a product differ by: size, colour, ..."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")

    def __str__(self) -> str:
        return self.name


class AttributeValue(models.Model):
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="values")
    slug = models.SlugField(_("slug"), max_length=60)
    name = models.CharField(_("name"), max_length=100)
    swatch = models.CharField(
        _("swatch colour"),
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1a2b3c."))],
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["attribute__sort_order", "sort_order", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["attribute", "slug"], name="attribute_value_unique_slug"
            )
        ]
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")

    def __str__(self) -> str:
        return f"{self.attribute.code}: {self.name}"


def _folded_languages(field: str) -> models.GeneratedField:
    """A stored column of `field` in Turkish and English, one after the other, folded."""
    text = models.TextField()
    both = Concat(
        Coalesce(f"{field}_tr", Value(""), output_field=text),
        Value(" "),
        Coalesce(f"{field}_en", Value(""), output_field=text),
        output_field=text,
    )
    return models.GeneratedField(
        expression=Fold(both), output_field=models.TextField(), db_persist=True
    )


class Product(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    description = models.TextField(_("description"), blank=True)
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    tax_class = models.ForeignKey(TaxClass, on_delete=models.PROTECT, related_name="products")
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive products are hidden on every channel.")
    )
    # What search compares (catalog.search): the names and the descriptions in both languages,
    # folded (omni.search), kept by the database itself and trigram-indexed on PostgreSQL, so
    # that neither matching nor ranking folds a row at query time.
    search_name = _folded_languages("name")
    search_text = _folded_languages("description")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="product_newest")]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/")
    alt = models.CharField(_("alternative text"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self) -> str:
        return self.alt or self.image.name


class ProductVariant(TimeStampedModel):
    """What is actually sold and stocked: one size and colour of a product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True, validators=[sku_validator])
    barcode = models.CharField(
        _("barcode (EAN-13)"),
        max_length=13,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_ean13],
    )
    attribute_values = models.ManyToManyField(
        AttributeValue, blank=True, related_name="variants", verbose_name=_("attribute values")
    )
    # "|beden:m|renk:siyah|": kept by the catalog services, read by the attribute filter.
    attribute_key = models.CharField(max_length=500, blank=True, default="", editable=False)
    weight_grams = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["product_id", "sort_order", "id"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")

    def __str__(self) -> str:
        return self.sku


class ProductChannelListing(TimeStampedModel):
    """Whether a product is published on a channel, and from when.

    price_min, price_max and on_sale summarise the variants' prices on the channel; the price
    service keeps them current in the transaction of each price change, so a listing page can
    filter and sort by price with an index instead of aggregating every variant.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="channel_listings")
    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.CASCADE, related_name="product_listings"
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(
        _("visible from"), null=True, blank=True, help_text=_("Empty: as soon as published.")
    )
    price_min = AmountField(null=True, blank=True, editable=False)
    price_max = AmountField(null=True, blank=True, editable=False)
    on_sale = models.BooleanField(default=False, editable=False)
    currency = CurrencyField(editable=False, default="TRY")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "channel"], name="listing_unique_channel")
        ]
        indexes = [
            models.Index(fields=["channel", "is_published", "price_min"], name="listing_price"),
        ]
        verbose_name = _("channel listing")
        verbose_name_plural = _("channel listings")

    def __str__(self) -> str:
        return f"{self.product_id} on {self.channel_id}"


class VariantChannelPrice(TimeStampedModel):
    """A variant's current price on a channel, in the channel's currency, tax included.

    A variant without a price on a channel is not sold there. Every change goes through
    catalog.services.prices_set, which keeps the history and writes the outbox event.
    """

    variant = models.ForeignKey(
        ProductVariant, on_delete=models.CASCADE, related_name="channel_prices"
    )
    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.CASCADE, related_name="variant_prices"
    )
    price = AmountField(_("price"), validators=[MinValueValidator(0)])
    compare_at_price = AmountField(_("compare-at price"), null=True, blank=True)
    currency = CurrencyField(verbose_name=_("currency"))
    # The lowest price in the 30 days before the current price took effect: what a store must
    # show beside a reduced price (EU Omnibus directive; Turkey's rule on price reductions).
    lowest_prior_price = AmountField(null=True, blank=True, editable=False)
    price_since = models.DateTimeField(editable=False)
    # Grows with every change of this variant's price on this channel (the history row id, or
    # a number taken from the history's sequence when only the sale price below changed).
    version = models.BigIntegerField(default=0, editable=False)
    # What an automatic, unconditional promotion sells it at now, and that sale's window: kept
    # by campaigns (campaigns.channel_prices, through catalog.services.sale_prices_set), read by
    # the feeds and the marketplaces, which cannot ask campaigns. Cleared when the price changes
    # until campaigns works it out again.
    sale_price = AmountField(_("sale price"), null=True, blank=True, editable=False)
    sale_starts_at = models.DateTimeField(null=True, blank=True, editable=False)
    sale_ends_at = models.DateTimeField(null=True, blank=True, editable=False)
    # campaigns.Promotion's id: campaigns sits above catalog, so no foreign key.
    sale_promotion_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variant", "channel"], name="price_unique_channel"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_not_negative"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gt=F("price")),
                name="price_compare_at_above_price",
            ),
        ]
        verbose_name = _("channel price")
        verbose_name_plural = _("channel prices")

    def __str__(self) -> str:
        return f"{self.price} {self.currency}"


class VariantPriceHistory(models.Model):
    """Every price a variant has had on a channel, and when. Append-only apart from closing."""

    variant = models.ForeignKey(
        ProductVariant, on_delete=models.CASCADE, related_name="price_history"
    )
    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.CASCADE, related_name="+"
    )
    # Empty while the variant was not sold on the channel (its price was removed).
    price = AmountField(null=True, blank=True)
    compare_at_price = AmountField(null=True, blank=True)
    currency = CurrencyField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["variant", "channel", "ended_at"], name="price_history_window")
        ]
        verbose_name = _("price history entry")
        verbose_name_plural = _("price history")

    def __str__(self) -> str:
        return f"{self.price} {self.currency} from {self.started_at:%Y-%m-%d}"
