"""The merchant API's promotion shapes. The rules are promotion_clean's (campaigns.services.
promotions), not these serializers': they only read the wire types, so every surface gives the
same messages."""

from __future__ import annotations

from rest_framework import serializers

from campaigns.models import Code, CodeBatch, Promotion
from campaigns.selectors import Status, promotion_status
from omni.api.serializers import DateTimeField, ModelSerializer, Serializer

IDS_HELP = "Ids; an empty list means any."


def _ids(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text=IDS_HELP, **kwargs
    )


class MerchantPromotionInput(Serializer):
    """Every field of a promotion that the merchant sets. On create, name, label_tr and kind
    are needed; on PATCH only what changes is sent."""

    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    label_tr = serializers.CharField(max_length=120, required=False, allow_blank=True)
    label_en = serializers.CharField(max_length=120, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Promotion.Kind.choices, required=False)
    target = serializers.ChoiceField(choices=Promotion.Target.choices, required=False)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    config = serializers.JSONField(
        required=False, help_text="Settings of the kind (see Promotion.Kind in the README)."
    )
    channels = _ids()
    products = _ids()
    variants = _ids()
    categories = _ids()
    brands = _ids()
    attribute_values = _ids()
    segments = _ids()
    loyalty_tiers = _ids()
    min_subtotal = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    min_quantity = serializers.IntegerField(required=False, allow_null=True)
    first_order_only = serializers.BooleanField(required=False)
    starts_at = DateTimeField(
        required=False, allow_null=True, help_text="Without an offset: Europe/Istanbul time."
    )
    ends_at = DateTimeField(
        required=False, allow_null=True, help_text="Without an offset: Europe/Istanbul time."
    )
    stacking = serializers.ChoiceField(choices=Promotion.Stacking.choices, required=False)
    priority = serializers.IntegerField(required=False)
    requires_code = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)
    budget = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )
    usage_limit = serializers.IntegerField(required=False, allow_null=True)
    per_customer_limit = serializers.IntegerField(required=False, allow_null=True)
    code = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="A first named code."
    )
    code_usage_limit = serializers.IntegerField(required=False, allow_null=True)


class MerchantPromotionOutput(ModelSerializer):
    status = serializers.SerializerMethodField()
    # Its unreleased redemptions (selectors.with_totals): the truth whether the row counts or not.
    times_used = serializers.IntegerField(source="uses_total", read_only=True)
    spent = serializers.DecimalField(
        max_digits=12, decimal_places=2, source="given_total", read_only=True
    )
    channels = serializers.SerializerMethodField()
    products = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField()
    categories = serializers.SerializerMethodField()
    brands = serializers.SerializerMethodField()
    attribute_values = serializers.SerializerMethodField()
    segments = serializers.SerializerMethodField()
    loyalty_tiers = serializers.SerializerMethodField()

    class Meta:
        model = Promotion
        fields = [
            "id",
            "name",
            "label",
            "label_tr",
            "label_en",
            "kind",
            "target",
            "value",
            "currency",
            "config",
            "status",
            "channels",
            "products",
            "variants",
            "categories",
            "brands",
            "attribute_values",
            "segments",
            "loyalty_tiers",
            "min_subtotal",
            "min_quantity",
            "first_order_only",
            "starts_at",
            "ends_at",
            "stacking",
            "priority",
            "requires_code",
            "is_active",
            "budget",
            "spent",
            "usage_limit",
            "per_customer_limit",
            "times_used",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_status(self, promotion: Promotion) -> str:
        return str(promotion_status(promotion, now=self.context.get("now")).value)

    def _pks(self, promotion: Promotion, name: str) -> list[int]:
        return [row.pk for row in getattr(promotion, name).all()]

    def get_channels(self, promotion: Promotion) -> list[int]:
        return self._pks(promotion, "channels")

    def get_products(self, promotion: Promotion) -> list[int]:
        return self._pks(promotion, "products")

    def get_variants(self, promotion: Promotion) -> list[int]:
        return self._pks(promotion, "variants")

    def get_categories(self, promotion: Promotion) -> list[int]:
        return self._pks(promotion, "categories")

    def get_brands(self, promotion: Promotion) -> list[int]:
        return self._pks(promotion, "brands")

    def get_attribute_values(self, promotion: Promotion) -> list[int]:
        return self._pks(promotion, "attribute_values")

    def get_segments(self, promotion: Promotion) -> list[int]:
        return self._pks(promotion, "segments")

    def get_loyalty_tiers(self, promotion: Promotion) -> list[int]:
        return self._pks(promotion, "loyalty_tiers")


class MerchantPromotionFilterInput(Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Promotion.Kind.choices, required=False)
    channel = serializers.IntegerField(min_value=1, required=False)


class MerchantPromotionScheduleInput(Serializer):
    starts_at = DateTimeField(allow_null=True)
    ends_at = DateTimeField(allow_null=True)


class MerchantPromotionCodeInput(Serializer):
    code = serializers.CharField(max_length=40)
    usage_limit = serializers.IntegerField(required=False, allow_null=True)
    per_customer_limit = serializers.IntegerField(required=False, allow_null=True)


class MerchantPromotionCodeOutput(ModelSerializer):
    class Meta:
        model = Code
        fields = [
            "id",
            "code",
            "usage_limit",
            "per_customer_limit",
            "times_used",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class MerchantPromotionBatchInput(Serializer):
    count = serializers.IntegerField(help_text="At most 10,000.")
    prefix = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    usage_limit = serializers.IntegerField(
        required=False, allow_null=True, default=1, help_text="Uses per code; null: no limit."
    )
    per_customer_limit = serializers.IntegerField(required=False, allow_null=True)


class MerchantPromotionBatchOutput(ModelSerializer):
    class Meta:
        model = CodeBatch
        fields = ["id", "prefix", "count", "created_at"]
        read_only_fields = fields


class MerchantPromotionPreviewLineInput(Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=999)


class MerchantPromotionPreviewInput(Serializer):
    channel = serializers.CharField(help_text="The channel's code.")
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    shipping_method = serializers.CharField(
        required=False, allow_blank=True, help_text="A shipping method's code on the channel."
    )
    lines = MerchantPromotionPreviewLineInput(many=True, allow_empty=False)
    codes = serializers.ListField(child=serializers.CharField(max_length=40), required=False)


class MerchantPromotionReasonOutput(Serializer):
    promotion = serializers.CharField()
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the wire name shadows a Field attribute
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    code = serializers.CharField()


class MerchantPromotionPreviewLineOutput(Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    gross = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    reasons = MerchantPromotionReasonOutput(many=True)


class MerchantPromotionGiftOutput(Serializer):
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # the wire name shadows a Field attribute
    promotion = serializers.CharField()
    in_cart = serializers.BooleanField()


class MerchantPromotionPreviewOutput(Serializer):
    channel = serializers.CharField()
    currency = serializers.CharField()
    lines = MerchantPromotionPreviewLineOutput(many=True)
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping_discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    savings = serializers.DecimalField(max_digits=12, decimal_places=2)
    promotions = MerchantPromotionReasonOutput(many=True)
    gifts = MerchantPromotionGiftOutput(many=True)
    rejected_codes = serializers.DictField(child=serializers.CharField())
