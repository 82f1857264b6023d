"""Input and output of the payments API. Money leaves as {"amount": "1299.90", "currency":
"TRY"}; card data comes in and is never echoed."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from omni.api.serializers import ModelSerializer, Serializer
from orders.api.serializers import MoneyField, NullableMoneyField
from payments.models import (
    REMOTE_REFUND_DESTINATIONS,
    Payment,
    PaymentTransaction,
    Refund,
    StoreCreditEntry,
)


class CardInput(Serializer):
    holder = serializers.CharField(max_length=100)
    number = serializers.CharField(max_length=23, write_only=True)
    exp_month = serializers.RegexField(r"^(0?[1-9]|1[0-2])$", write_only=True)
    exp_year = serializers.RegexField(r"^(\d{2}|\d{4})$", write_only=True)
    cvc = serializers.RegexField(r"^\d{3,4}$", write_only=True)

    def validate_number(self, value: str) -> str:
        digits = re.sub(r"[\s-]", "", value)
        if not re.fullmatch(r"\d{12,19}", digits):
            raise serializers.ValidationError(_("Enter the card number (12 to 19 digits)."))
        return digits


class PaymentStartInput(Serializer):
    gateway = serializers.CharField(max_length=40)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    card = CardInput(required=False)
    return_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    # gateway "gift_card": the card's code (dashes and spaces allowed) and its PIN.
    gift_card_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    gift_card_pin = serializers.CharField(
        max_length=12, required=False, allow_blank=True, write_only=True
    )
    # A card payment in instalments: a count the card offers (GET .../instalments/), checked
    # again with the provider; 1 (the default) is the single payment.
    instalments = serializers.IntegerField(min_value=1, max_value=12, default=1)


class InstalmentsQuery(Serializer):
    gateway = serializers.CharField(max_length=40)
    bin_number = serializers.CharField(
        max_length=23, help_text="The card number's first six digits (or more)."
    )


class InstalmentOptionOutput(Serializer):
    count = serializers.IntegerField(help_text="1: the single payment.")
    monthly = MoneyField("monthly")
    total = MoneyField("total", help_text="What the shopper pays in all, any charge included.")


class InstalmentPlanOutput(Serializer):
    order = serializers.CharField()
    bin_number = serializers.CharField()
    bank = serializers.CharField()
    amount = MoneyField("amount", help_text="What is due, which the options split.")
    options = InstalmentOptionOutput(many=True)


class PaymentCompleteInput(Serializer):
    params = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)


class OfflinePaymentInput(Serializer):
    gateway = serializers.ChoiceField(choices=["cash", "terminal", "gift_card"])
    # Required but for a gift card, which defaults to what the card and the order allow.
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    gift_card_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    gift_card_pin = serializers.CharField(
        max_length=12, required=False, allow_blank=True, write_only=True
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["gateway"] == "gift_card":
            for name in ("gift_card_code", "gift_card_pin"):
                if not attrs.get(name):
                    raise serializers.ValidationError({name: _("This field is required.")})
        elif attrs.get("amount") is None:
            raise serializers.ValidationError({"amount": _("This field is required.")})
        return attrs


class RefundInput(Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(max_length=3, required=False)
    reason = serializers.CharField(max_length=300)
    # Cash is handed back at a store's till (the staff returns screen), never through the API.
    to = serializers.ChoiceField(choices=REMOTE_REFUND_DESTINATIONS, default="original")
    idempotency_key = serializers.CharField(
        max_length=120,
        required=False,
        help_text=_("Or the Idempotency-Key header: a retry with the same key refunds once."),
    )


class TransactionOutput(ModelSerializer):
    amount = MoneyField("amount")

    class Meta:
        model = PaymentTransaction
        fields = ["kind", "status", "amount", "provider_reference", "error_code", "created_at"]


class PaymentOutput(ModelSerializer):
    order = serializers.CharField(source="order.number")
    channel = serializers.CharField(source="channel.code")
    amount = MoneyField("amount")
    authorised = MoneyField("amount_authorised")
    captured = MoneyField("amount_captured")
    refunded = MoneyField("amount_refunded")
    instalment_total = NullableMoneyField(
        "instalment_total",
        help_text="In instalments: what the shopper pays in all, the bank's charge included.",
    )
    next_action = serializers.SerializerMethodField()
    transactions = TransactionOutput(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "reference",
            "order",
            "channel",
            "gateway",
            "kind",
            "status",
            "amount",
            "authorised",
            "captured",
            "refunded",
            "card_last4",
            "instalments",
            "instalment_total",
            "error_code",
            "error_message",
            "next_action",
            "transactions",
            "created_at",
        ]

    def get_next_action(self, obj: Payment) -> dict | None:
        if obj.status != Payment.Status.ACTION_REQUIRED:
            return None
        return {"type": "redirect", "redirect_url": obj.redirect_url, "return_url": obj.return_url}


class PaymentStartOutput(PaymentOutput):
    html = serializers.SerializerMethodField()

    class Meta(PaymentOutput.Meta):
        fields = [*PaymentOutput.Meta.fields, "html"]

    def get_html(self, obj: Payment) -> str:
        result = self.context.get("result")
        return getattr(result, "html", "") or ""


class OrderPaymentsOutput(Serializer):
    order = serializers.CharField()
    total = MoneyField("total")
    due = MoneyField("due")
    payments = PaymentOutput(many=True)
    gateways = serializers.ListField(child=serializers.CharField())


class RefundOutput(ModelSerializer):
    order = serializers.CharField(source="order.number")
    amount = MoneyField("amount")

    class Meta:
        model = Refund
        fields = ["id", "order", "amount", "destination", "status", "reason", "created_at"]


class StoreCreditEntryOutput(ModelSerializer):
    amount = MoneyField("amount", currency="account.currency")
    channel = serializers.CharField(source="channel.code", allow_null=True, default=None)

    class Meta:
        model = StoreCreditEntry
        fields = ["kind", "amount", "channel", "created_at"]


class StoreCreditOutput(Serializer):
    customer = serializers.IntegerField()
    balance = MoneyField("balance")
    entries = StoreCreditEntryOutput(many=True)
