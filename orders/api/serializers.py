"""Input and output serializers of the orders API. OrderOutput and OrderLineOutput are shared:
the shopper's orders, the staff screens, fulfilment and returns all show an order the same way.
Money leaves as {"amount": "1299.90", "currency": "TRY"}."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer
from omni.api.serializers import ModelSerializer, Serializer
from omni.money import Money
from orders.models import Fulfilment, Order, OrderEvent, OrderLine, ShippingMethod
from orders.selectors import OrderPromotions, order_promotions
from orders.services.carts import MAX_LINE_QUANTITY

MONEY_SCHEMA = {
    "type": "object",
    "properties": {
        "amount": {"type": "string", "example": "1299.90"},
        "currency": {"type": "string", "example": "TRY"},
    },
    "required": ["amount", "currency"],
}


def _path(obj, path: list[str]):
    for name in path:
        obj = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name)
        if obj is None:
            return None
    return obj


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """{"amount": "1299.90", "currency": "TRY"} from an amount and a currency, each found by a
    dotted path on the same object or mapping ("total", "quote.total"; "order.currency")."""

    def __init__(self, amount: str, currency: str = "currency", **kwargs):
        self.amount_path, self.currency_path = amount.split("."), currency.split(".")
        kwargs.setdefault("read_only", True)
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, obj):
        amount = _path(obj, self.amount_path)
        if amount is None:
            return None
        return Money(amount, _path(obj, self.currency_path)).as_dict()


@extend_schema_field({**MONEY_SCHEMA, "nullable": True})
class NullableMoneyField(MoneyField):
    """Money that may be absent (a price on a channel that no longer sells the item)."""


# --- promotions (shared by carts, quotes and orders) -----------------------------------------


@extend_schema_field(MONEY_SCHEMA)
class MoneyValueField(serializers.JSONField):
    """Money already shaped as {"amount", "currency"}."""


class PromotionOutput(Serializer):
    """A promotion as it applied: on a line, or to the whole cart or order."""

    promotion = serializers.CharField(help_text="The promotion's id.")
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        help_text="In the language of the request (an order's: of when it was placed)."
    )
    amount = MoneyValueField(help_text="What it took off.")
    code = serializers.CharField(help_text="The code it came through; empty when automatic.")


class RejectedCodeOutput(Serializer):
    code = serializers.CharField()
    reason = serializers.CharField()


def promotions_data(entries, currency: str) -> list[dict]:
    """Discounts or applied promotions (orders.pricing) as PromotionOutput rows."""
    return [
        {
            "promotion": e.promotion,
            "label": e.label,
            "amount": Money(e.amount, currency).as_dict(),
            "code": e.code,
        }
        for e in entries
    ]


def rejected_data(rejected: Mapping[str, str]) -> list[dict]:
    return [{"code": code, "reason": str(reason)} for code, reason in rejected.items()]


def _order_promotions(order: Order) -> OrderPromotions:
    """The order's promotions from its snapshot, read once per order object."""
    cached = vars(order)
    if "_promotions" not in cached:
        cached["_promotions"] = order_promotions(order)
    return cached["_promotions"]


# --- orders (shared) ------------------------------------------------------------------------


class OrderLineOutput(ModelSerializer):
    unit_price = MoneyField("unit_price", currency="order.currency")
    discount = MoneyField("discount", currency="order.currency")
    line_total = MoneyField("line_total", currency="order.currency")
    tax_amount = MoneyField("tax_amount", currency="order.currency")
    promotions = serializers.SerializerMethodField(
        help_text="The promotions that make up `discount`, with their labels."
    )

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "sku",
            "product_name",
            "variant_name",
            "quantity",
            "unit_price",
            "discount",
            "line_total",
            "tax_rate",
            "tax_amount",
            "quantity_shipped",
            "quantity_returned",
            "promotions",
        ]
        read_only_fields = fields

    @extend_schema_field(PromotionOutput(many=True))
    def get_promotions(self, line: OrderLine) -> list[dict]:
        order = line.order
        return promotions_data(_order_promotions(order).for_line(line.variant_id), order.currency)


class OrderEventOutput(ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = OrderEvent
        fields = ["kind", "from_status", "to_status", "message", "channel", "created_at"]
        read_only_fields = fields


class FulfilmentOutput(ModelSerializer):
    location = serializers.CharField(source="location.code", read_only=True)
    location_name = serializers.CharField(source="location.name", read_only=True)

    class Meta:
        model = Fulfilment
        fields = [
            "id",
            "location",
            "location_name",
            "status",
            "carrier",
            "tracking_number",
            "shipped_at",
            "delivered_at",
        ]
        read_only_fields = fields


class PickupOutput(Serializer):
    store = serializers.CharField(source="pickup_location.code")
    store_name = serializers.CharField(source="pickup_location.name")
    city = serializers.CharField(source="pickup_location.city")
    address = serializers.CharField(source="pickup_location.address_line")
    ready_by = serializers.DateTimeField(source="pickup_ready_by", allow_null=True)
    collect_by = serializers.DateTimeField(source="pickup_deadline", allow_null=True)
    code = serializers.SerializerMethodField(
        help_text="The pickup code, shown only once the order is ready for pickup."
    )

    def get_code(self, order: Order) -> str | None:
        if order.status == Order.Status.READY_FOR_PICKUP and order.pickup_code:
            return order.pickup_code
        return None


class OrderSummaryOutput(ModelSerializer):
    """An order in a list (history): no lines, no events."""

    channel = serializers.CharField(source="channel.code", read_only=True)
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    total = MoneyField("total")
    line_count = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "number",
            "channel",
            "channel_name",
            "status",
            "delivery",
            "total",
            "line_count",
            "created_at",
        ]
        read_only_fields = fields

    def get_line_count(self, order: Order) -> int:
        count = getattr(order, "line_count", None)
        return count if count is not None else len(order.lines.all())


class OrderRows(serializers.ListSerializer):
    """One of an order's relations: the rows in hand when the serializer's context has them
    (`placed`, a checkout.PlacedOrder: an order just placed), else the prefetched relation."""

    def get_attribute(self, instance):
        placed, name = self.context.get("placed"), self.field_name
        if placed is not None and name:
            return getattr(placed, name)
        return super().get_attribute(instance)


# An order just placed is given with the rows order_place wrote, read from none:
# OrderOutput(placed.order, context={"placed": placed}) (orders.api.cart_views).
class OrderOutput(ModelSerializer):
    """One order with everything a shopper or clerk needs: lines, money, fulfilments, pickup and
    the timeline. Load it with orders.selectors.order_detail_queryset() (a fixed number of
    queries). A line's money takes the order's currency: prefetched lines know their order,
    so it costs no query."""

    channel = serializers.CharField(source="channel.code", read_only=True)
    origin_channel = serializers.CharField(source="origin_channel.code", read_only=True)
    shipping_method = serializers.CharField(
        source="shipping_method.code", read_only=True, allow_null=True
    )
    subtotal = MoneyField("subtotal")
    discount_total = MoneyField("discount_total")
    shipping_total = MoneyField("shipping_total")
    tax_total = MoneyField("tax_total")
    total = MoneyField("total")
    tax_by_rate = serializers.SerializerMethodField()
    lines = OrderRows(child=OrderLineOutput(), read_only=True)
    fulfilments = OrderRows(child=FulfilmentOutput(), read_only=True)
    pickup = serializers.SerializerMethodField()
    events = OrderRows(child=OrderEventOutput(), read_only=True)
    promotions = serializers.SerializerMethodField(
        help_text="Each promotion the order used, with what it took off goods and shipping."
    )
    shipping_discount = serializers.SerializerMethodField()
    savings = serializers.SerializerMethodField(
        help_text="All the promotions took off: discount_total + shipping_discount."
    )

    class Meta:
        model = Order
        fields = [
            "number",
            "channel",
            "origin_channel",
            "status",
            "delivery",
            "shipping_method",
            "email",
            "phone",
            "shipping_address",
            "billing_address",
            "currency",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "tax_by_rate",
            "total",
            "lines",
            "fulfilments",
            "pickup",
            "events",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "promotions",
            "shipping_discount",
            "savings",
        ]
        read_only_fields = fields

    @extend_schema_field(PromotionOutput(many=True))
    def get_promotions(self, order: Order) -> list[dict]:
        return promotions_data(_order_promotions(order).promotions, order.currency)

    @extend_schema_field(MONEY_SCHEMA)
    def get_shipping_discount(self, order: Order) -> dict:
        return Money(_order_promotions(order).shipping_discount, order.currency).as_dict()

    @extend_schema_field(MONEY_SCHEMA)
    def get_savings(self, order: Order) -> dict:
        return Money(_order_promotions(order).savings, order.currency).as_dict()

    @extend_schema_field(
        {"type": "object", "additionalProperties": MONEY_SCHEMA, "example": {"20": {}}}
    )
    def get_tax_by_rate(self, order: Order) -> dict:
        by_rate = (order.pricing or {}).get("tax_by_rate", {})
        return {rate: Money(amount, order.currency).as_dict() for rate, amount in by_rate.items()}

    @extend_schema_field(PickupOutput(allow_null=True))
    def get_pickup(self, order: Order) -> dict | None:
        if order.pickup_location_id is None:
            return None
        return PickupOutput(order).data


class OrderListOutput(OrderSummaryOutput):
    """An order in a history: the summary with its lines (no fulfilments, no events)."""

    lines = OrderLineOutput(many=True, read_only=True)

    class Meta(OrderSummaryOutput.Meta):
        fields = [*OrderSummaryOutput.Meta.fields, "lines"]
        read_only_fields = fields


# --- carts ----------------------------------------------------------------------------------


class CartChangeOutput(Serializer):
    line = serializers.IntegerField(source="line_id")
    sku = serializers.CharField()
    change = serializers.ChoiceField(
        source="kind", choices=["price_up", "price_down", "unavailable", "quantity_cut"]
    )
    before = serializers.CharField()
    after = serializers.CharField()


class CartLineOutput(Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    product_name = serializers.CharField()
    variant_name = serializers.CharField()
    quantity = serializers.IntegerField()
    seen_price = MoneyField("seen_price", currency="seen_currency", help_text="When added.")
    price = NullableMoneyField("price", help_text="On this channel now; null: not sold here.")
    line_total = MoneyField("line_total")
    available = serializers.BooleanField(source="sellable")
    discount = MoneyField("discount", help_text="The promotions', already in line_total.")
    promotions = serializers.SerializerMethodField(
        help_text="The promotions that make up `discount`, with their labels."
    )

    @extend_schema_field(PromotionOutput(many=True))
    def get_promotions(self, line) -> list[dict]:
        return promotions_data(line.discounts, line.currency)


class GiftOfferOutput(Serializer):
    """A gift the cart has earned: add its SKU to the cart and it costs nothing."""

    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    promotion = serializers.CharField()


@extend_schema_field({"type": "object", "additionalProperties": MONEY_SCHEMA})
class TaxByRateField(serializers.Field):
    """{"20": {"amount", "currency"}, ...}: the VAT inside the amounts, per rate (of a Quote)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, quote):
        return {
            rate: Money(amount, quote.currency).as_dict()
            for rate, amount in quote.tax_by_rate.items()
        }


class CartOutput(Serializer):
    token = serializers.UUIDField(
        help_text="An anonymous cart's token: send it as the Cart-Token header."
    )
    channel = serializers.CharField(source="channel.code")
    currency = serializers.CharField()
    item_count = serializers.IntegerField()
    lines = CartLineOutput(many=True)
    subtotal = MoneyField("quote.subtotal")
    discount_total = MoneyField("quote.discount_total")
    tax_by_rate = TaxByRateField(source="quote")
    tax_total = MoneyField("quote.tax_total")
    total = MoneyField("quote.total", help_text="Before delivery.")
    changes = CartChangeOutput(
        many=True, help_text="What changed since the lines were added (prices, availability)."
    )
    reserved_until = serializers.DateTimeField(source="cart.reserved_until", allow_null=True)
    promotions = serializers.SerializerMethodField(
        help_text="Each promotion applied, with what it took off and the code it came through."
    )
    shipping_discount = MoneyField("quote.shipping_discount")
    savings = MoneyField("quote.savings", help_text="All the promotions take off.")
    gifts = GiftOfferOutput(many=True, help_text="Gifts earned and not in the cart yet.")
    rejected_codes = serializers.SerializerMethodField(
        help_text="Codes on the cart that do not apply to it, and why."
    )

    @extend_schema_field(PromotionOutput(many=True))
    def get_promotions(self, summary) -> list[dict]:
        return promotions_data(summary.quote.promotions, summary.currency)

    @extend_schema_field(RejectedCodeOutput(many=True))
    def get_rejected_codes(self, summary) -> list[dict]:
        return rejected_data(summary.quote.rejected_codes)


class CartChangesOutput(Serializer):
    changes = CartChangeOutput(many=True)
    cart = CartOutput()


class CartLineAddInput(Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, default=1)


class CartLineUpdateInput(Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


# --- saved items ----------------------------------------------------------------------------


class SavedItemInput(Serializer):
    sku = serializers.CharField(max_length=64)


class SavedItemOutput(Serializer):
    sku = serializers.CharField(source="variant.sku")
    product_name = serializers.CharField(source="variant.product.name")
    product_slug = serializers.CharField(source="variant.product.slug")
    variant_name = serializers.SerializerMethodField()
    price = NullableMoneyField(
        "price_now", help_text="On the channel asked about now; null: not sold there."
    )
    created_at = serializers.DateTimeField()

    def get_variant_name(self, item) -> str:
        return " / ".join(v.name for v in item.variant.attribute_values.all())


# --- checkout -------------------------------------------------------------------------------


class DeliveryOptionsQuery(Serializer):
    country = serializers.CharField(min_length=2, max_length=2, default="TR")
    city = serializers.CharField(max_length=80, required=False, default="")


class ShippingOptionOutput(Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ShippingMethod.Kind.choices)
    price = MoneyField("price")
    min_days = serializers.IntegerField()
    max_days = serializers.IntegerField()


class PickupStoreOutput(Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    city = serializers.CharField()
    distance_km = serializers.FloatField(allow_null=True)
    ready_by = serializers.DateTimeField()
    from_store_stock = serializers.BooleanField()


class DeliveryOptionsOutput(Serializer):
    shipping_methods = ShippingOptionOutput(many=True)
    pickup_stores = PickupStoreOutput(many=True)


class AddressInput(Serializer):
    """A postal address; which parts are required is checked by checkout (address_clean)."""

    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    district = serializers.CharField(max_length=80, required=False, allow_blank=True)
    city = serializers.CharField(max_length=80, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)


class QuoteInput(Serializer):
    delivery = serializers.ChoiceField(choices=Order.Delivery.choices)
    shipping_method = serializers.CharField(max_length=40, required=False, allow_blank=True)
    address = AddressInput(required=False)
    pickup_location = serializers.CharField(max_length=40, required=False, allow_blank=True)


class QuoteLineOutput(Serializer):
    sku = serializers.CharField()
    product_name = serializers.CharField()
    variant_name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = MoneyField("unit_price")
    discount = MoneyField("discount")
    total = MoneyField("total")
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    tax = MoneyField("tax")


class QuoteOutput(Serializer):
    """The priced checkout: what placing the order would charge now."""

    currency = serializers.CharField(source="quote.currency")
    delivery = serializers.CharField(source="checkout.delivery.method")
    lines = QuoteLineOutput(many=True)
    subtotal = MoneyField("quote.subtotal", currency="quote.currency")
    discount_total = MoneyField("quote.discount_total", currency="quote.currency")
    shipping = MoneyField("quote.shipping", currency="quote.currency")
    tax_by_rate = TaxByRateField(source="quote")
    tax_total = MoneyField("quote.tax_total", currency="quote.currency")
    total = MoneyField("quote.total", currency="quote.currency")
    changes = CartChangeOutput(
        many=True, help_text="Anything here stops the order: refresh the cart and look again."
    )
    promotions = serializers.SerializerMethodField()
    shipping_discount = MoneyField("quote.shipping_discount", currency="quote.currency")
    savings = MoneyField("quote.savings", currency="quote.currency")
    rejected_codes = serializers.SerializerMethodField()

    @extend_schema_field(PromotionOutput(many=True))
    def get_promotions(self, data) -> list[dict]:
        quote = _path(data, ["quote"])
        return promotions_data(quote.promotions, quote.currency)

    @extend_schema_field(RejectedCodeOutput(many=True))
    def get_rejected_codes(self, data) -> list[dict]:
        return rejected_data(_path(data, ["quote"]).rejected_codes)


# A shopper's choice (orders.services.delivery.SHOPPER_DELIVERIES): ship from store is the
# merchant's way of fulfilling a home delivery, offered to staff only.
SHOPPER_DELIVERY_CHOICES = [
    (value, label)
    for value, label in Order.Delivery.choices
    if value in (Order.Delivery.HOME, Order.Delivery.PICKUP)
]


class PlaceOrderInput(Serializer):
    delivery = serializers.ChoiceField(choices=SHOPPER_DELIVERY_CHOICES)
    shipping_method = serializers.CharField(max_length=40, required=False, allow_blank=True)
    shipping_address = AddressInput(required=False)
    billing_address = AddressInput(required=False)
    pickup_location = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def validate(self, attrs):
        if self.context.get("guest") and not (attrs.get("email") or attrs.get("phone")):
            raise serializers.ValidationError(
                {"email": [_("An e-mail address or a phone number is required.")]}
            )
        return attrs


class StaffPlaceOrderInput(PlaceOrderInput):
    delivery = serializers.ChoiceField(choices=Order.Delivery.choices)
    handed_over = serializers.BooleanField(
        default=False,
        help_text="A counter sale: paid and handed over at once at the staff's own store.",
    )


class CancelInput(Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# --- staff ----------------------------------------------------------------------------------


class CustomerSearchQuery(Serializer):
    q = serializers.CharField(max_length=100)


class CustomerOutput(ModelSerializer):
    has_account = serializers.SerializerMethodField()
    order_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "email",
            "phone",
            "first_name",
            "last_name",
            "language",
            "has_account",
            "order_count",
        ]
        read_only_fields = fields

    def get_has_account(self, customer: Customer) -> bool:
        return customer.user_id is not None
