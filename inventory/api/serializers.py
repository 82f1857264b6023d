"""Input serializers validate at the boundary, so that a service fails only for operational
reasons (stock that is not there, a transition not allowed); output serializers shape what
leaves. Every list of SKUs is resolved in one query, and an unknown one is named in the error
at the path of the line that sent it ("lines.2.sku")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import ProductVariant
from inventory import routing, selectors
from inventory.geo import city_position
from inventory.models import Stock, StockLocation, StockMovement, Transfer
from omni.api.serializers import ModelSerializer, Serializer
from sales_channels.models import Channel

MAX_SKUS = 100  # one request of the app's cart, or of a product page's variants
MAX_LINES = 500  # a supplier's delivery note, a transfer, an order

# --- lookups --------------------------------------------------------------------------------


class LookupField(serializers.SlugRelatedField):
    """An object by its code, with an error that names the value and a stable code
    ("unknown_sku", "unknown_location", ...) rather than DRF's generic "does_not_exist"."""

    def __init__(self, *, unknown: str, error_code: str, **kwargs) -> None:
        self.unknown = unknown
        self.error_code = error_code
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str | int) or isinstance(data, bool):
            self.fail("invalid")
        try:
            return self.get_queryset().get(**{self.slug_field: str(data)})
        except ObjectDoesNotExist:
            raise serializers.ValidationError(
                str(self.unknown) % {"value": data}, code=self.error_code
            ) from None


def sku_field(**kwargs) -> LookupField:
    return LookupField(
        slug_field="sku",
        queryset=ProductVariant.objects.all(),
        unknown=gettext_lazy("Unknown SKU: %(value)s."),
        error_code="unknown_sku",
        **kwargs,
    )


def location_field(**kwargs) -> LookupField:
    return LookupField(
        slug_field="code",
        queryset=StockLocation.objects.all(),
        unknown=gettext_lazy("Unknown stock location: %(value)s."),
        error_code="unknown_location",
        **kwargs,
    )


def channel_field(**kwargs) -> LookupField:
    return LookupField(
        slug_field="code",
        queryset=Channel.objects.filter(is_active=True),
        unknown=gettext_lazy("Unknown sales channel: %(value)s."),
        error_code="unknown_channel",
        **kwargs,
    )


def _unknown_skus(skus) -> str:
    return _("Unknown SKU: %(skus)s.") % {"skus": ", ".join(skus)}


@dataclass(frozen=True)
class Lines:
    """Validated lines: units per variant (a SKU sent on several lines is added up), and the
    SKU of each variant for the answer."""

    quantities: dict[int, int]
    skus: dict[int, str]


class LineInput(Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)


def resolve_lines(lines: list[dict]) -> Lines:
    found = selectors.variant_ids_by_sku(line["sku"] for line in lines)
    errors = [
        {} if line["sku"] in found else {"sku": [_unknown_skus([line["sku"]])]} for line in lines
    ]
    if any(errors):
        raise serializers.ValidationError(errors, code="unknown_sku")
    quantities: dict[int, int] = defaultdict(int)
    for line in lines:
        quantities[found[line["sku"]]] += line["quantity"]
    return Lines(dict(quantities), {vid: sku for sku, vid in found.items()})


class LinesInput(Serializer):
    lines = LineInput(many=True, max_length=MAX_LINES)

    def validate_lines(self, value: list[dict]) -> Lines:
        # Checked here rather than with allow_empty=False, whose error would be reported at
        # "lines.non_field_errors" instead of at "lines".
        if not value:
            raise serializers.ValidationError(_("Add at least one line."), code="required")
        return resolve_lines(value)


class PositionInput(Serializer):
    """Where the shopper is: a position, or a Turkish province (its centre), or nothing."""

    city = serializers.CharField(
        required=False, max_length=80, help_text="A Turkish province, e.g. Ankara or İzmir."
    )
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, min_value=-180, max_value=180)

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        city, lat, lng = attrs.pop("city", None), attrs.pop("lat", None), attrs.pop("lng", None)
        if (lat is None) != (lng is None):
            raise serializers.ValidationError(
                {"lng" if lng is None else "lat": [_("Give the latitude and the longitude.")]},
                code="required",
            )
        if city is not None and lat is not None:
            raise serializers.ValidationError(
                {"city": [_("Give a city or a position, not both.")]}, code="invalid"
            )
        origin = (lat, lng) if lat is not None else None
        if city is not None:
            origin = city_position(city)
            if origin is None:
                raise serializers.ValidationError(
                    {"city": [_("Unknown city: %(city)s.") % {"city": city}]},
                    code="unknown_city",
                )
        attrs["origin"] = origin
        return attrs


# --- shopper: availability ------------------------------------------------------------------


class SkusQuery(Serializer):
    sku = serializers.ListField(
        child=serializers.CharField(max_length=64),
        min_length=1,
        max_length=MAX_SKUS,
        help_text=f"A SKU; repeat for several (?sku=A&sku=B), at most {MAX_SKUS}.",
    )

    def validate_sku(self, value: list[str]) -> dict[str, int]:
        """{sku: variant id} in the order asked, each once."""
        skus = list(dict.fromkeys(value))
        found = selectors.variant_ids_by_sku(skus)
        missing = [sku for sku in skus if sku not in found]
        if missing:
            raise serializers.ValidationError(_unknown_skus(missing), code="unknown_sku")
        return {sku: found[sku] for sku in skus}


class StoresQuery(PositionInput, SkusQuery):
    pass


class AvailabilityOutput(Serializer):
    sku = serializers.CharField()
    available = serializers.IntegerField(help_text="Units the channel can sell now.")


class StoreItemOutput(Serializer):
    sku = serializers.CharField()
    available = serializers.IntegerField()


class StoreAvailabilityOutput(Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    city = serializers.CharField()
    district = serializers.CharField()
    distance_km = serializers.FloatField(
        allow_null=True, help_text="From the position or city asked about; null without one."
    )
    available = serializers.IntegerField(
        help_text="Units to collect here; for several SKUs, the fewest of any of them."
    )
    state = serializers.ChoiceField(
        choices=[selectors.IN_STOCK, selectors.LOW, selectors.OUT],
        help_text=f"low: 1 to {selectors.LOW_STOCK_DISPLAY} units.",
    )
    items = serializers.SerializerMethodField()

    @extend_schema_field(StoreItemOutput(many=True))
    def get_items(self, store: selectors.StoreAvailability) -> list[dict]:
        skus = self.context["skus"]
        return [{"sku": skus[vid], "available": n} for vid, n in store.by_variant.items()]


# --- merchant: routing preview --------------------------------------------------------------


class RoutePreviewInput(PositionInput, LinesInput):
    channel = channel_field()
    pickup_location = location_field(
        required=False, allow_null=True, help_text="Click and collect at this location (code)."
    )


class PlanItemOutput(Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()


class ShipmentOutput(Serializer):
    location = serializers.CharField(help_text="Code of the location that ships.")
    items = PlanItemOutput(many=True)


class ShortfallOutput(Serializer):
    sku = serializers.CharField()
    requested = serializers.IntegerField()
    available = serializers.IntegerField()


class PlanOutput(Serializer):
    feasible = serializers.BooleanField()
    shipments = ShipmentOutput(many=True)
    explanation = serializers.ListField(child=serializers.CharField())
    shortfall = ShortfallOutput(many=True)


def plan_data(plan: routing.Plan, skus: dict[int, str]) -> dict:
    return {
        "feasible": plan.feasible,
        "shipments": [
            {
                "location": s.code,
                "items": [{"sku": skus[vid], "quantity": q} for vid, q in s.items.items()],
            }
            for s in plan.shipments
        ],
        "explanation": plan.explanation,
        "shortfall": [
            {"sku": skus[vid], "requested": asked, "available": have}
            for vid, (asked, have) in sorted(plan.shortfall.items())
        ],
    }


# --- merchant: stock operations -------------------------------------------------------------


class ReceiveInput(LinesInput):
    location = location_field()
    reference = serializers.CharField(
        max_length=120, required=False, allow_blank=True, help_text="A delivery note, say."
    )


class AdjustInput(Serializer):
    location = location_field()
    sku = sku_field()
    delta = serializers.IntegerField(
        min_value=-1_000_000, max_value=1_000_000, help_text="Units to add; negative takes away."
    )
    reason = serializers.CharField(max_length=200)

    def validate_delta(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError(
                _("Enter a whole number other than zero."), code="invalid"
            )
        return value


class CountInput(Serializer):
    location = location_field()
    sku = sku_field()
    counted = serializers.IntegerField(min_value=0, max_value=1_000_000)


# A pattern, not an enum, in the schema: drf-spectacular names enums by field name, and a
# second "kind" enum would rename the channels' KindEnum that clients already use.
@extend_schema_field({"type": "string", "pattern": "^(sale|return)$", "example": "sale"})
class ExternalKindField(serializers.ChoiceField):
    pass


class ExternalMovementInput(Serializer):
    location = location_field()
    sku = sku_field()
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    kind = ExternalKindField(choices=[StockMovement.Kind.SALE, StockMovement.Kind.RETURN])
    external_ref = serializers.CharField(
        max_length=120, help_text="The other system's id; the same id again records nothing."
    )
    channel = channel_field(required=False, allow_null=True)


class StockQuery(Serializer):
    sku = sku_field(required=False)
    location = location_field(required=False)


class StockOutput(ModelSerializer):
    sku = serializers.CharField()
    location = serializers.CharField(source="location_code")
    reserved = serializers.IntegerField(help_text="Held by carts, not yet expired.")
    free = serializers.IntegerField(help_text="On hand less allocated.")

    class Meta:
        model = Stock
        fields = [
            "sku",
            "location",
            "on_hand",
            "allocated",
            "reserved",
            "free",
            "reorder_point",
            "updated_at",
        ]
        read_only_fields = fields


class MovementOutput(ModelSerializer):
    kind = serializers.CharField()
    sku = serializers.CharField(source="stock.variant.sku")
    location = serializers.CharField(source="stock.location.code")
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "kind",
            "sku",
            "location",
            "quantity",
            "on_hand_delta",
            "reference",
            "external_ref",
            "channel",
            "created_at",
        ]
        read_only_fields = fields


# --- merchant: transfers --------------------------------------------------------------------


class TransferInput(LinesInput):
    source = location_field()
    destination = location_field()
    reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
    expected_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs["source"].pk == attrs["destination"].pk:
            raise serializers.ValidationError(
                {"destination": [_("A transfer goes to another location.")]},
                code="same_location",
            )
        return attrs


class TransferQuery(Serializer):
    status = serializers.ChoiceField(choices=Transfer.Status.choices, required=False)
    location = location_field(required=False, help_text="Either end of the transfer.")


class TransferLineOutput(Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()


class TransferOutput(ModelSerializer):
    source = serializers.CharField(source="source.code")
    destination = serializers.CharField(source="destination.code")
    lines = TransferLineOutput(many=True, source="lines.all")

    class Meta:
        model = Transfer
        fields = [
            "id",
            "source",
            "destination",
            "status",
            "reference",
            "expected_at",
            "shipped_at",
            "received_at",
            "created_at",
            "lines",
        ]
        read_only_fields = fields
