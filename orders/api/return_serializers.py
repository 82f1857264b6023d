"""Serializers of the returns API. Input serializers check the shape at the boundary (and turn
an exchange SKU into its variant, naming an unknown one at its path: "lines.0.exchange_sku");
the rules of returning (window, quantities, the exchange variant) are the service's
(orders.services.returns). Money leaves as {"amount", "currency"} like every order amount."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from catalog.models import ProductVariant
from inventory.api.serializers import location_field
from omni.api.serializers import ModelSerializer, Serializer
from orders.api.serializers import MoneyField
from orders.models import Return, ReturnLine

MAX_RETURN_LINES = 100


# --- input ----------------------------------------------------------------------------------


class ReturnLineInput(Serializer):
    line = serializers.IntegerField(min_value=1, help_text="The order line's id.")
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)
    reason = serializers.ChoiceField(choices=ReturnLine.Reason.choices)
    exchange_sku = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Exchange for this variant of the same product instead of a refund.",
    )


class ReturnRequestInput(Serializer):
    lines = ReturnLineInput(many=True, max_length=MAX_RETURN_LINES)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate_lines(self, value: list[dict]) -> list[dict]:
        """The lines as orders.services.returns.return_request takes them."""
        if not value:
            raise serializers.ValidationError(_("Add at least one line."), code="required")
        skus = {line["exchange_sku"] for line in value if line.get("exchange_sku")}
        found = dict(ProductVariant.objects.filter(sku__in=skus).values_list("sku", "id"))
        errors = [
            {"exchange_sku": [_("Unknown SKU: %(sku)s.") % {"sku": line["exchange_sku"]}]}
            if line.get("exchange_sku") and line["exchange_sku"] not in found
            else {}
            for line in value
        ]
        if any(errors):
            raise serializers.ValidationError(errors, code="unknown_sku")
        return [
            {
                "order_line_id": line["line"],
                "quantity": line["quantity"],
                "reason": line["reason"],
                "exchange_variant_id": found.get(line.get("exchange_sku") or ""),
            }
            for line in value
        ]


class StaffReturnRequestInput(ReturnRequestInput):
    order = serializers.CharField(max_length=32, help_text="The order's number.")
    channel = serializers.CharField(
        max_length=40,
        required=False,
        help_text="The store (its channel code) where the return is started; store staff of "
        "one store may leave it out. Merchant staff: defaults to the order's channel.",
    )


class ReturnReceiveLineInput(Serializer):
    line = serializers.IntegerField(min_value=1, help_text="The return line's id.")
    condition = serializers.ChoiceField(choices=ReturnLine.Condition.choices)


class ReturnReceiveInput(Serializer):
    location = location_field(help_text="Code of the stock location where it is handed in.")
    lines = ReturnReceiveLineInput(many=True, max_length=MAX_RETURN_LINES)

    def validate_lines(self, value: list[dict]) -> list[dict]:
        if not value:
            raise serializers.ValidationError(_("Add at least one line."), code="required")
        seen: set[int] = set()
        errors = []
        for line in value:
            errors.append(
                {"line": [_("This line is given twice.")]} if line["line"] in seen else {}
            )
            seen.add(line["line"])
        if any(errors):
            raise serializers.ValidationError(errors, code="duplicate")
        return value


class ReturnRejectInput(Serializer):
    note = serializers.CharField(max_length=300, help_text="Why the return is rejected.")


# --- output ---------------------------------------------------------------------------------


class ReturnLineOutput(ModelSerializer):
    line = serializers.IntegerField(source="order_line_id", help_text="The order line's id.")
    sku = serializers.CharField(source="order_line.sku")
    product_name = serializers.CharField(source="order_line.product_name")
    variant_name = serializers.CharField(source="order_line.variant_name")
    exchange_sku = serializers.CharField(
        source="exchange_variant.sku", allow_null=True, default=None
    )
    refund_amount = MoneyField("refund_amount", currency="return_request.currency")

    class Meta:
        model = ReturnLine
        fields = [
            "id",
            "line",
            "sku",
            "product_name",
            "variant_name",
            "quantity",
            "reason",
            "condition",
            "exchange_sku",
            "refund_amount",
        ]
        read_only_fields = fields


class ReturnOutput(ModelSerializer):
    """A return; load it with orders.services.returns.returns_query() (a fixed number of
    queries)."""

    order = serializers.CharField(source="order.number")
    channel = serializers.CharField(source="channel.code", help_text="Where it was requested.")
    location = serializers.CharField(
        source="location.code", allow_null=True, default=None, help_text="Where it was handed in."
    )
    refund_amount = MoneyField("refund_amount", help_text="Computed when the return is received.")
    exchange_order = serializers.CharField(
        source="exchange_order.number", allow_null=True, default=None
    )
    lines = ReturnLineOutput(many=True, read_only=True)

    class Meta:
        model = Return
        fields = [
            "id",
            "order",
            "status",
            "channel",
            "location",
            "note",
            "refund_amount",
            "exchange_order",
            "lines",
            "created_at",
            "received_at",
        ]
        read_only_fields = fields
