"""The staff fulfilment API's input and output: small serializers, one per shape. Inputs check
the shape at the boundary; the services check everything that depends on the order's state."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from omni.api.serializers import Serializer
from orders.models import Fulfilment, Order
from orders.services.fulfilment import OPEN_STATUSES

MAX_SHIP_LINES = 200

# --- queries --------------------------------------------------------------------------------


class StaffFulfilmentQuery(Serializer):
    location = serializers.CharField(
        required=False, max_length=40, help_text="Code of the stock location (the pick list)."
    )
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in OPEN_STATUSES],
        required=False,
        help_text="Only fulfilments in this status (default: all that are still to do).",
    )


class StaffPickupQuery(Serializer):
    location = serializers.CharField(
        required=False, max_length=40, help_text="Code of the pickup store."
    )
    status = serializers.ChoiceField(
        choices=[
            (Order.Status.CONFIRMED.value, Order.Status.CONFIRMED.label),
            (Order.Status.READY_FOR_PICKUP.value, Order.Status.READY_FOR_PICKUP.label),
        ],
        required=False,
        help_text="confirmed: still to be made ready; ready_for_pickup: waiting for the customer.",
    )


# --- inputs ---------------------------------------------------------------------------------


class StaffShipLineInput(Serializer):
    line = serializers.IntegerField(min_value=1, help_text="The order line's id.")
    quantity = serializers.IntegerField(min_value=1)


class StaffShipInput(Serializer):
    carrier = serializers.CharField(max_length=60)
    tracking_number = serializers.CharField(max_length=80)
    lines = StaffShipLineInput(
        many=True,
        required=False,
        allow_empty=False,
        max_length=MAX_SHIP_LINES,
        help_text="Ship only these units; without it the whole fulfilment ships.",
    )

    def validate_lines(self, lines: list[dict]) -> list[dict]:
        seen: set[int] = set()
        for index, line in enumerate(lines):
            if line["line"] in seen:
                raise serializers.ValidationError(
                    {str(index): {"line": [_("This line is already in the list.")]}},
                    code="duplicate",
                )
            seen.add(line["line"])
        return lines

    @staticmethod
    def quantities(data: dict) -> dict[int, int] | None:
        lines = data.get("lines")
        return None if lines is None else {ln["line"]: ln["quantity"] for ln in lines}


class StaffCollectInput(Serializer):
    code = serializers.CharField(
        max_length=12, help_text="The pickup code the customer shows (typed or scanned)."
    )


# --- outputs --------------------------------------------------------------------------------

FULFILMENT_STATUSES = ", ".join(Fulfilment.Status.values)
ORDER_STATUSES = ", ".join(Order.Status.values)


class StaffItemOutput(Serializer):
    line = serializers.IntegerField(help_text="The order line's id (for a partial shipment).")
    sku = serializers.CharField()
    product_name = serializers.CharField()
    variant_name = serializers.CharField()
    quantity = serializers.IntegerField()


class StaffFulfilmentLineOutput(StaffItemOutput):
    def to_representation(self, instance):
        line = instance.order_line
        return {
            "line": line.pk,
            "sku": line.sku,
            "product_name": line.product_name,
            "variant_name": line.variant_name,
            "quantity": instance.quantity,
        }


class StaffOrderLineOutput(StaffItemOutput):
    def to_representation(self, instance):
        return {
            "line": instance.pk,
            "sku": instance.sku,
            "product_name": instance.product_name,
            "variant_name": instance.variant_name,
            "quantity": instance.quantity,
        }


class StaffFulfilmentOrderOutput(Serializer):
    number = serializers.CharField()
    status = serializers.CharField(help_text=ORDER_STATUSES)
    delivery = serializers.CharField(help_text=", ".join(Order.Delivery.values))
    channel = serializers.CharField(source="channel.code")
    shipping_address = serializers.DictField(child=serializers.CharField())
    shipping_method = serializers.CharField(source="shipping_method.name", allow_null=True)


class StaffFulfilmentOutput(Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text=FULFILMENT_STATUSES)
    location = serializers.CharField(source="location.code")
    order = StaffFulfilmentOrderOutput()
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    created_at = serializers.DateTimeField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    lines = StaffFulfilmentLineOutput(many=True)


class StaffShipOutput(Serializer):
    fulfilment = StaffFulfilmentOutput(help_text="What was shipped.")
    remainder = StaffFulfilmentOutput(
        allow_null=True, help_text="What stays behind to ship later (a new pending fulfilment)."
    )
    order_status = serializers.CharField(help_text=ORDER_STATUSES)


class StaffPickupOutput(Serializer):
    """A click-and-collect order at its store. The pickup code is never shown to staff: the
    customer proves the order is theirs with it."""

    number = serializers.CharField()
    status = serializers.CharField(help_text=ORDER_STATUSES)
    location = serializers.CharField(source="pickup_location.code")
    customer_name = serializers.SerializerMethodField()
    email = serializers.EmailField()
    phone = serializers.CharField()
    items_arrived = serializers.BooleanField(
        help_text="Every unit is at the store (no transfer for the order still under way)."
    )
    ready_by = serializers.DateTimeField(source="pickup_ready_by", allow_null=True)
    collect_by = serializers.DateTimeField(source="pickup_deadline", allow_null=True)
    lines = StaffOrderLineOutput(many=True)

    def get_customer_name(self, order: Order) -> str:
        if order.customer_id:
            return f"{order.customer.first_name} {order.customer.last_name}".strip()
        return (order.billing_address or {}).get("full_name", "")
