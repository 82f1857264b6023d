import datetime as dt
import json

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.loyalty.selectors import LoyaltySummary
from customers.models import (
    CLAIM_KINDS,
    POSTAL_FIELDS,
    Address,
    ConsentDecision,
    ConsentStatus,
    ConsentType,
    CustomerIdentity,
    CustomerMerge,
    CustomerMetrics,
    DataRequest,
    DataRequestKind,
    IdentityClaim,
    RecipientType,
    TimelineKind,
)
from customers.sections import customer_360_sections, section_json
from customers.selectors import TIMELINE_PAGE_MAX
from customers.timeline import INGEST_BATCH_MAX, INGEST_KINDS
from omni.api.serializers import ModelSerializer, Serializer


class ConsentOutput(ModelSerializer):
    class Meta:
        model = ConsentDecision
        fields = [
            "type",
            "recipient_type",
            "status",
            "recipient",
            "source",
            "decided_at",
            "text_version",
        ]
        read_only_fields = fields


class ConsentInput(Serializer):
    type = serializers.ChoiceField(
        choices=ConsentType.choices, help_text="EPOSTA (e-mail), MESAJ (SMS) or ARAMA (calls)."
    )
    recipient_type = serializers.ChoiceField(
        choices=RecipientType.choices, default=RecipientType.BIREYSEL
    )
    status = serializers.ChoiceField(
        choices=ConsentStatus.choices, help_text="ONAY to give consent, RET to withdraw it."
    )
    text_version = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The version of the consent text the person was shown (required for ONAY).",
    )
    channel = serializers.ChoiceField(
        choices=[("app", "app"), ("web", "web")],
        default="app",
        help_text="Where the person decided: the app or the web shop (the decision's source).",
    )


# --- the timeline -------------------------------------------------------------------------------

EVENT_DATA_MAX_CHARS = 4000


class TimelineEventInput(Serializer):
    """One behavioural event the app or the storefront sends."""

    id = serializers.CharField(
        max_length=64, help_text="The client's own id for the event, unique on its channel."
    )
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in INGEST_KINDS])
    occurred_at = serializers.DateTimeField()
    data = serializers.JSONField(required=False, default=dict)  # type: ignore[assignment]  # the wire name shadows a Serializer attribute

    def validate_occurred_at(self, value):
        if value > timezone.now() + dt.timedelta(days=1):
            raise serializers.ValidationError("This time is in the future.")
        return value

    def validate_data(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Send an object.")
        if len(json.dumps(value, ensure_ascii=False)) > EVENT_DATA_MAX_CHARS:
            raise serializers.ValidationError(
                f"Keep the data under {EVENT_DATA_MAX_CHARS} characters."
            )
        return value


class TimelineIngestInput(Serializer):
    visitor_token = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=(
            "The visitor token an earlier answer handed out (or the X-Omni-Visitor header, or "
            "the omni_visitor cookie); without one an anonymous batch starts a new visitor."
        ),
    )

    def validate(self, attrs):
        if "visitor_id" in self.initial_data:
            raise serializers.ValidationError(
                {"visitor_id": _("The server issues visitor ids: send the visitor_token instead.")}
            )
        return attrs

    events = serializers.ListField(
        allow_empty=False,
        max_length=INGEST_BATCH_MAX,
        help_text=f"Up to {INGEST_BATCH_MAX} events; each is checked on its own.",
    )


class TimelineRejectedOutput(Serializer):
    index = serializers.IntegerField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]  # the wire name shadows a Serializer attribute


class TimelineIngestOutput(Serializer):
    accepted = serializers.ListField(child=serializers.IntegerField())
    rejected = TimelineRejectedOutput(many=True)
    visitor_token = serializers.CharField(
        required=False, help_text="An anonymous client's token: send it with its next batches."
    )


class TimelineQueryInput(Serializer):
    cursor = serializers.CharField(required=False, max_length=200)
    kind = serializers.ListField(
        child=serializers.ChoiceField(choices=TimelineKind.choices), required=False
    )
    channel = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    limit = serializers.IntegerField(min_value=1, max_value=TIMELINE_PAGE_MAX, default=50)


class TimelineEventOutput(Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    channel = serializers.CharField(source="channel.code", default=None, allow_null=True)
    store = serializers.IntegerField(source="store_id", allow_null=True)
    data = serializers.JSONField()  # type: ignore[assignment]  # the wire name shadows a Serializer attribute


class TimelinePageOutput(Serializer):
    events = TimelineEventOutput(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class StaffNoteInput(Serializer):
    text = serializers.CharField(max_length=2000, help_text="The note, in plain text.")


class IdentityOutput(ModelSerializer):
    class Meta:
        model = CustomerIdentity
        fields = ["kind", "marketplace", "value", "verified_at"]
        read_only_fields = fields


class DataRequestOutput(ModelSerializer):
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = DataRequest
        fields = [
            "id",
            "kind",
            "status",
            "requested_at",
            "due_at",
            "completed_at",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, request: DataRequest) -> bool:
        return request.status in ("received", "in_progress") and request.due_at < timezone.now()


class DataRequestInput(Serializer):
    kind = serializers.ChoiceField(
        choices=DataRequestKind.choices,
        help_text="export (a zip of everything held about you) or erasure (be forgotten).",
    )


class CustomerMetricsOutput(ModelSerializer):
    """A customer's metrics (customers.metrics; README, "Customer metrics"), read-only."""

    class Meta:
        model = CustomerMetrics
        fields = [
            "orders_count",
            "revenue_net",
            "returns_amount",
            "currency",
            "average_order_value",
            "first_purchase_at",
            "last_purchase_at",
            "purchase_frequency_days",
            "channel_mix",
            "favourite_store",
            "rfm_recency",
            "rfm_frequency",
            "rfm_monetary",
            "rfm_score",
            "rfm_segment",
            "clv_historic",
            "clv_predicted",
            "computed_at",
        ]


class IdentityClaimInput(Serializer):
    kind = serializers.ChoiceField(
        choices=CLAIM_KINDS,
        help_text="email or phone: the kinds a code can be sent to.",
    )
    value = serializers.CharField(
        max_length=254, help_text="The address, or the phone number typed any way."
    )


class IdentityClaimOutput(ModelSerializer):
    class Meta:
        model = IdentityClaim
        fields = ["id", "kind", "value", "sent_at", "verified_at"]
        read_only_fields = fields


class IdentityVerifyInput(Serializer):
    code = serializers.RegexField(r"^\s*[0-9]{6}\s*$", help_text="The 6-digit code sent.")


class DuplicateCustomerOutput(Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    has_account = serializers.SerializerMethodField()

    def get_has_account(self, customer) -> bool:
        return customer.user_id is not None


class DuplicatePairOutput(Serializer):
    """source: the profile to merge away; target: the one to keep."""

    reasons = serializers.ListField(child=serializers.CharField())

    def get_fields(self):
        # "source" is a Field attribute: these two are added here, not declared.
        fields = super().get_fields()
        fields["source"] = DuplicateCustomerOutput()
        fields["target"] = DuplicateCustomerOutput()
        return fields


class MergeInput(Serializer):
    def get_fields(self):
        fields = super().get_fields()
        fields["source"] = serializers.IntegerField(help_text="The profile merged away.")
        fields["target"] = serializers.IntegerField(help_text="The profile that survives.")
        return fields


class MergeOutput(ModelSerializer):
    class Meta:
        model = CustomerMerge
        fields = ["id", "source", "target", "actor", "reason", "moved", "merged_at"]
        read_only_fields = fields


# --- the staff's 360 view -----------------------------------------------------------------------


class Customer360ProfileOutput(Serializer):
    id = serializers.IntegerField()
    email = serializers.CharField()
    phone = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    language = serializers.CharField()
    has_account = serializers.SerializerMethodField()
    first_channel = serializers.CharField(
        source="first_channel.code", default=None, allow_null=True
    )
    created_at = serializers.DateTimeField()

    def get_has_account(self, customer) -> bool:
        return customer.user_id is not None


class Customer360AddressOutput(ModelSerializer):
    class Meta:
        model = Address
        fields = ["id", "label", *POSTAL_FIELDS, "is_default"]
        read_only_fields = fields


class Customer360TotalOutput(Serializer):
    """An order's total as the orders API gives it: {"amount", "currency"}."""

    amount = serializers.DecimalField(source="total", max_digits=12, decimal_places=2)
    currency = serializers.CharField()


class Customer360OrderOutput(Serializer):
    number = serializers.CharField()
    channel = serializers.CharField(help_text="the channel's code")
    status = serializers.CharField()
    total = Customer360TotalOutput(source="*")
    placed_at = serializers.DateTimeField()
    items = serializers.IntegerField()
    returned = serializers.IntegerField(help_text="items returned")


class Customer360CartOutput(Serializer):
    channel = serializers.CharField(help_text="the channel it was last touched on")
    started_on = serializers.CharField()
    items = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class Customer360SegmentOutput(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TierOutput(Serializer):
    name = serializers.CharField()
    min_spend = serializers.DecimalField(max_digits=14, decimal_places=2)
    earn_multiplier = serializers.DecimalField(max_digits=5, decimal_places=2)


class LoyaltyOutput(Serializer):
    enrolled = serializers.BooleanField()
    available = serializers.IntegerField()
    pending = serializers.IntegerField()
    currency = serializers.CharField(allow_blank=True)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    spend_12m = serializers.DecimalField(max_digits=14, decimal_places=2)
    tier = TierOutput(allow_null=True)
    next_tier = TierOutput(allow_null=True)
    to_next_tier = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    card_number = serializers.CharField(allow_blank=True)


def loyalty_output(found: LoyaltySummary | None) -> dict:
    """What LoyaltyOutput shows of a summary (none: not enrolled)."""
    if found is None:
        return {
            "enrolled": False,
            "available": 0,
            "pending": 0,
            "currency": "",
            "value": None,
            "spend_12m": 0,
            "tier": None,
            "next_tier": None,
            "to_next_tier": None,
            "card_number": "",
        }
    return {
        "enrolled": True,
        "available": found.available,
        "pending": found.pending,
        "currency": found.currency,
        "value": found.value,
        "spend_12m": found.spend_12m,
        "tier": found.tier,
        "next_tier": found.next_tier,
        "to_next_tier": found.to_next_tier,
        "card_number": found.card_number,
    }


class Customer360Output(Serializer):
    """One person across every channel. `metrics`, `segments` and `loyalty` are null until
    their apps register a section (customers.sections); `sections` holds any other."""

    customer = Customer360ProfileOutput()
    identities = IdentityOutput(many=True)
    addresses = Customer360AddressOutput(many=True)
    consents = ConsentOutput(many=True, help_text="The decision in force per channel.")
    timeline = TimelinePageOutput(help_text="The first page; the timeline endpoint pages on.")
    data_requests = DataRequestOutput(many=True)
    order_count = serializers.SerializerMethodField()
    orders = serializers.SerializerMethodField()
    carts = serializers.SerializerMethodField()
    metrics = CustomerMetricsOutput(
        allow_null=True, help_text="Null until the customer's metrics are first computed."
    )
    segments = serializers.SerializerMethodField()
    loyalty = serializers.SerializerMethodField()
    sections = serializers.SerializerMethodField()

    def get_order_count(self, view) -> int:
        return view.orders.count if view.orders else 0

    @extend_schema_field(Customer360OrderOutput(many=True))
    def get_orders(self, view):
        return Customer360OrderOutput(view.orders.recent if view.orders else [], many=True).data

    @extend_schema_field(Customer360CartOutput(many=True))
    def get_carts(self, view):
        return Customer360CartOutput(view.orders.carts if view.orders else [], many=True).data

    def _section(self, name: str, value):
        return section_json(_section_named(name), value)

    @extend_schema_field(Customer360SegmentOutput(many=True))
    def get_segments(self, view):
        return Customer360SegmentOutput(view.segments or [], many=True).data

    @extend_schema_field(LoyaltyOutput)
    def get_loyalty(self, view):
        return LoyaltyOutput(loyalty_output(view.loyalty)).data

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_sections(self, view) -> dict:
        return {name: self._section(name, value) for name, value in view.extra.items()}


def _section_named(name: str):
    return next((s for s in customer_360_sections() if s.name == name), None)


class StaffDataRequestInput(Serializer):
    kind = serializers.ChoiceField(
        choices=DataRequestKind.choices,
        help_text="export (a zip of everything held about the person) or erasure.",
    )
    proof_note = serializers.CharField(
        max_length=500,
        help_text="How the person's identity was checked (an ID card seen, a signed letter).",
    )


class StaffDataRequestOutput(DataRequestOutput):
    requested_by = serializers.EmailField(
        source="requested_by.email", default=None, allow_null=True
    )

    class Meta(DataRequestOutput.Meta):
        fields = [*DataRequestOutput.Meta.fields, "requested_by", "proof_note", "note"]
        read_only_fields = fields
