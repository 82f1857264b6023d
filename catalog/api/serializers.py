from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Brand, Category, Product, ProductVariant, TaxClass
from catalog.validators import sku_validator, validate_ean13
from omni.api.serializers import DateTimeField, ModelSerializer, Serializer
from omni.money import MAX_DIGITS, Money, validate_currency
from sales_channels.models import Channel


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "amount": {"type": "string", "example": "1299.90"},
            "currency": {"type": "string", "example": "TRY"},
        },
        "nullable": True,
    }
)
class MoneyField(serializers.Field):
    """{"amount": "1299.90", "currency": "TRY"} from an amount and the row's currency."""

    def __init__(self, amount: str, currency: str = "currency", **kwargs):
        self.amount_attr = amount
        self.currency_attr = currency
        kwargs.setdefault("read_only", True)
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, obj):
        amount = getattr(obj, self.amount_attr, None)
        if amount is None:
            return None
        return Money(amount, getattr(obj, self.currency_attr)).as_dict()


class BrandOutput(ModelSerializer):
    class Meta:
        model = Brand
        fields = ["slug", "name"]


class CategoryRefOutput(ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]


class CategoryTreeOutput(Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    children = serializers.ListField(child=serializers.DictField())


class ImageOutput(Serializer):
    url = serializers.SerializerMethodField()
    alt = serializers.CharField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, image) -> str:
        request = self.context.get("request")
        url = image.image.url
        return request.build_absolute_uri(url) if request else url


class ProductListOutput(ModelSerializer):
    brand = BrandOutput(allow_null=True)
    category = CategoryRefOutput()
    image = serializers.SerializerMethodField()
    price = MoneyField("price_from")
    price_max = MoneyField("price_to")
    on_sale = serializers.BooleanField()

    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "name",
            "brand",
            "category",
            "image",
            "price",
            "price_max",
            "on_sale",
        ]

    @extend_schema_field(ImageOutput(allow_null=True))
    def get_image(self, product):
        images = product.images.all()  # prefetched
        return ImageOutput(images[0], context=self.context).data if images else None


class VariantOutput(ModelSerializer):
    name = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()
    price = MoneyField("price")
    compare_at_price = MoneyField("compare_at_price")
    lowest_prior_price = MoneyField(
        "lowest_prior_price",
        help_text="The lowest price of the 30 days before the current price took effect.",
    )

    class Meta:
        model = ProductVariant
        fields = [
            "id",
            "sku",
            "barcode",
            "name",
            "attributes",
            "weight_grams",
            "price",
            "compare_at_price",
            "lowest_prior_price",
        ]

    def get_name(self, variant) -> str:
        return " / ".join(v.name for v in variant.attribute_values.all())

    def get_attributes(self, variant) -> dict[str, str]:
        return {v.attribute.code: v.slug for v in variant.attribute_values.all()}


class ProductDetailOutput(ProductListOutput):
    description = serializers.CharField()
    breadcrumbs = CategoryRefOutput(many=True)
    images = ImageOutput(many=True, source="images.all")
    attributes = serializers.SerializerMethodField()
    variants = VariantOutput(many=True, source="channel_variants")

    class Meta(ProductListOutput.Meta):
        fields = [
            *ProductListOutput.Meta.fields,
            "description",
            "breadcrumbs",
            "images",
            "attributes",
            "variants",
        ]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "object"}},
                },
            },
        }
    )
    def get_attributes(self, product) -> list[dict]:
        """The choices a shopper picks a variant by, in display order."""
        attributes: dict[str, dict] = {}
        for variant in product.channel_variants:
            for value in variant.attribute_values.all():
                entry = attributes.setdefault(
                    value.attribute.code,
                    {
                        "code": value.attribute.code,
                        "name": value.attribute.name,
                        "values": {},
                        "_order": value.attribute.sort_order,
                    },
                )
                entry["values"].setdefault(
                    value.slug,
                    {
                        "slug": value.slug,
                        "name": value.name,
                        "swatch": value.swatch or None,
                        "_order": (value.sort_order, value.slug),
                    },
                )
        result = []
        for entry in sorted(attributes.values(), key=lambda e: (e.pop("_order"), e["code"])):
            values = sorted(entry["values"].values(), key=lambda v: v["_order"])
            for v in values:
                v.pop("_order")
            result.append({**entry, "values": values})
        return result


# --- merchant input -----------------------------------------------------------------------

AMOUNT = {"max_digits": MAX_DIGITS, "decimal_places": 2}


class SuggestionsInput(Serializer):
    q = serializers.CharField(
        max_length=100, allow_blank=True, trim_whitespace=True, help_text=_("Text typed so far.")
    )


class SuggestionOutput(ModelSerializer):
    price = MoneyField("price_from")

    class Meta:
        model = Product
        fields = ["slug", "name", "price"]


class PriceInput(Serializer):
    price = serializers.DecimalField(min_value=0, **AMOUNT)
    compare_at_price = serializers.DecimalField(
        min_value=0, required=False, allow_null=True, **AMOUNT
    )
    currency = serializers.CharField(max_length=3, required=False, validators=[validate_currency])


class ChannelPriceInput(PriceInput):
    channel = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Channel.objects.filter(is_active=True),
        error_messages={"does_not_exist": _("Unknown sales channel: {value}.")},
    )


class VariantInput(Serializer):
    sku = serializers.CharField(max_length=64, validators=[sku_validator])
    barcode = serializers.CharField(
        max_length=13,
        required=False,
        allow_null=True,
        allow_blank=True,
        validators=[validate_ean13],
    )
    attributes = serializers.DictField(
        child=serializers.SlugField(),
        required=False,
        help_text='Attribute code to value slug, e.g. {"renk": "kirmizi", "beden": "m"}.',
    )
    # Bounded as their columns are (a larger number was a 500 from PostgreSQL).
    weight_grams = serializers.IntegerField(
        min_value=0, max_value=2_147_483_647, required=False, allow_null=True
    )
    sort_order = serializers.IntegerField(min_value=0, max_value=32_767, required=False)


class VariantCreateInput(VariantInput):
    prices = ChannelPriceInput(many=True, required=False)


class VariantUpdateInput(VariantInput):
    sku = serializers.CharField(max_length=64, validators=[sku_validator], required=False)


class ProductWriteInput(Serializer):
    name_tr = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description_tr = serializers.CharField(required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    slug = serializers.SlugField(max_length=220, required=False)
    brand = serializers.SlugRelatedField(
        slug_field="slug", queryset=Brand.objects.all(), required=False, allow_null=True
    )
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    tax_class = serializers.SlugRelatedField(slug_field="code", queryset=TaxClass.objects.all())
    is_active = serializers.BooleanField(required=False)


class ProductCreateInput(ProductWriteInput):
    variants = VariantCreateInput(many=True, required=False)


class ListingInput(Serializer):
    is_published = serializers.BooleanField()
    published_at = serializers.DateTimeField(required=False, allow_null=True)


class BulkAdjustInput(Serializer):
    channel = serializers.SlugField()
    skus = serializers.ListField(
        child=serializers.CharField(max_length=64), min_length=1, max_length=10000
    )
    mode = serializers.ChoiceField(choices=["percent", "amount", "set"])
    value = serializers.DecimalField(**AMOUNT)


class BulkAdjustOutput(Serializer):
    changed = serializers.IntegerField()


class ChannelPriceOutput(Serializer):
    channel = serializers.CharField(source="channel.code")
    price = MoneyField("price")
    compare_at_price = MoneyField("compare_at_price")
    lowest_prior_price = MoneyField("lowest_prior_price")
    version = serializers.IntegerField()


class ListingOutput(Serializer):
    channel = serializers.CharField(source="channel.code")
    is_published = serializers.BooleanField()
    published_at = DateTimeField(allow_null=True)  # a client's moment: RFC 3339 whatever it is


class MerchantVariantOutput(ModelSerializer):
    attributes = serializers.SerializerMethodField()
    prices = ChannelPriceOutput(many=True, source="channel_prices.all")

    class Meta:
        model = ProductVariant
        fields = ["id", "sku", "barcode", "attributes", "weight_grams", "sort_order", "prices"]

    def get_attributes(self, variant) -> dict[str, str]:
        return {v.attribute.code: v.slug for v in variant.attribute_values.all()}


class MerchantProductOutput(ModelSerializer):
    brand = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tax_class = serializers.SlugRelatedField(slug_field="code", read_only=True)
    variants = MerchantVariantOutput(many=True, source="variants.all")
    listings = ListingOutput(many=True, source="channel_listings.all")

    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "name_tr",
            "name_en",
            "description_tr",
            "description_en",
            "brand",
            "category",
            "tax_class",
            "is_active",
            "created_at",
            "updated_at",
            "variants",
            "listings",
        ]
