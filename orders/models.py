"""Carts, orders, fulfilment and returns: one cart and one order life across every channel."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from omni.models import TimeStampedModel
from omni.money import AmountField, CurrencyField

# --- carts ----------------------------------------------------------------------------------


class Cart(TimeStampedModel):
    """A shopper's cart. A customer has one active cart that every channel sees; an anonymous
    visitor's cart is found by its token until they sign in and it merges into theirs."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ORDERED = "ordered", _("Ordered")
        MERGED = "merged", _("Merged")
        ABANDONED = "abandoned", _("Abandoned")

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="carts"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    origin_channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started on"),
    )
    last_channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("last seen on"),
    )
    # Stock held for this cart through inventory reservations ("cart:<token>") until then.
    reserved_until = models.DateTimeField(null=True, blank=True)
    # Promotion codes the shopper entered, as typed after normalising (upper case), in the
    # order entered: every channel prices the cart with them (campaigns checks each one).
    codes = models.JSONField(_("promotion codes"), default=list, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="active"),
                name="one_active_cart_per_customer",
            )
        ]
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return f"cart {self.token}"

    @property
    def reservation_reference(self) -> str:
        return f"cart:{self.token}"


class CartLine(models.Model):
    """A variant in a cart, with the price the shopper saw when adding it, so that checkout can
    tell them what changed."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    seen_price = AmountField()
    seen_currency = CurrencyField()
    seen_channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"


class SavedItem(models.Model):
    """Saved for later (a wishlist), per customer, shared by every channel."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="saved_items"
    )
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "variant"], name="saved_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} ♥ {self.variant_id}"


# --- checkout -------------------------------------------------------------------------------


class ShippingMethod(models.Model):
    """A way to deliver home on a channel, to a country, at a price (free above a threshold)."""

    class Kind(models.TextChoices):
        HOME = "home", _("Home delivery")
        SHIP_FROM_STORE = "ship_from_store", _("Ship from store")

    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.CASCADE, related_name="shipping_methods"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.HOME)
    country = CountryField(_("country"), default="TR")
    price = AmountField(_("price"), validators=[MinValueValidator(0)])
    free_over = AmountField(
        _("free over"),
        null=True,
        blank=True,
        help_text=_("Free when the goods cost at least this."),
    )
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=20)
    min_days = models.PositiveSmallIntegerField(_("delivery from (days)"), default=1)
    max_days = models.PositiveSmallIntegerField(_("delivery to (days)"), default=3)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["channel_id", "price", "code"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "code"], name="shipping_method_unique_code")
        ]
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")

    def __str__(self) -> str:
        return self.name


# --- orders ---------------------------------------------------------------------------------


class Order(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        CONFIRMED = "confirmed", _("Confirmed")
        PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
        COLLECTED = "collected", _("Collected")
        CANCELLED = "cancelled", _("Cancelled")

    class Delivery(models.TextChoices):
        HOME = "home", _("Home delivery")
        PICKUP = "pickup", _("Click and collect")
        SHIP_FROM_STORE = "ship_from_store", _("Ship from store")

    number = models.CharField(_("number"), max_length=32, unique=True)
    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("channel"),
    )
    origin_channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cart started on"),
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="tr"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    delivery = models.CharField(_("delivery"), max_length=20, choices=Delivery.choices)
    shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    pickup_location = models.ForeignKey(
        "inventory.StockLocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pickup_orders",
        verbose_name=_("pickup store"),
    )
    pickup_code = models.CharField(_("pickup code"), max_length=12, blank=True)
    pickup_ready_by = models.DateTimeField(_("ready for pickup by"), null=True, blank=True)
    pickup_deadline = models.DateTimeField(_("collect by"), null=True, blank=True)
    currency = CurrencyField()
    subtotal = AmountField(_("goods"))
    discount_total = AmountField(_("discounts"), default=0)
    shipping_total = AmountField(_("shipping"), default=0)
    tax_total = AmountField(_("of which VAT"), default=0)
    total = AmountField(_("total"))
    # The prices and taxes as they were when the order was placed (per-rate VAT breakdown).
    pricing = models.JSONField(default=dict, blank=True)
    cart = models.ForeignKey(
        Cart, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by staff"),
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="order_customer_recent"),
            models.Index(fields=["status", "channel"], name="order_status_channel"),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.number

    @property
    def reference(self) -> str:
        """What the order's stock is held under in inventory."""
        return f"order:{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, related_name="+"
    )
    sku = models.CharField(max_length=64)
    product_name = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = AmountField()
    discount = AmountField(default=0)
    line_total = AmountField()  # unit price x quantity - discount, tax included
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    tax_amount = AmountField(default=0)
    quantity_shipped = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_positive"),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=models.F("quantity")),
                name="order_line_ship_within",
            ),
            models.CheckConstraint(
                condition=Q(quantity_returned__lte=models.F("quantity")),
                name="order_line_return_within",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"

    @property
    def line_ref(self) -> str:
        return f"line:{self.pk}"


class OrderEvent(models.Model):
    """The order's history: every change, with who made it, on which channel, and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.ForeignKey(
        "sales_channels.Channel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key for placing an order: replaying it returns the first outcome;
    the same key with another body is refused; one still being processed is a conflict."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("In flight")
        DONE = "done", _("Done")

    scope = models.CharField(max_length=80)  # whose key it is: "user:12" or "cart:<token>"
    key = models.CharField(max_length=120)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.key}"


# --- fulfilment -----------------------------------------------------------------------------


class Fulfilment(TimeStampedModel):
    """What one location sends (or hands over) of an order."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To pick")
        PICKING = "picking", _("Picking")
        PACKED = "packed", _("Packed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        HANDED_OVER = "handed_over", _("Handed over")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments")
    location = models.ForeignKey(
        "inventory.StockLocation", on_delete=models.PROTECT, related_name="fulfilments"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["location", "status"], name="fulfilment_location_status")]
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")

    def __str__(self) -> str:
        return f"{self.order_id}@{self.location_id} {self.status}"


class FulfilmentLine(models.Model):
    fulfilment = models.ForeignKey(Fulfilment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="fulfilment_lines"
    )
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_line_id}"


# --- returns --------------------------------------------------------------------------------


class Return(TimeStampedModel):
    """A return of (part of) an order from any channel, handed in at any location that accepts
    returns, possibly with an exchange for another variant."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        RECEIVED = "received", _("Received")
        REFUNDED = "refunded", _("Refunded")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested on"),
    )
    location = models.ForeignKey(
        "inventory.StockLocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed in at"),
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    note = models.CharField(_("note"), max_length=300, blank=True)
    refund_amount = AmountField(_("refund"), default=0)
    currency = CurrencyField()
    exchange_order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exchange order"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")

    def __str__(self) -> str:
        return f"R{self.pk} of {self.order_id}"


class ReturnLine(models.Model):
    class Reason(models.TextChoices):
        SIZE = "size", _("Wrong size")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        DAMAGED = "damaged", _("Arrived damaged")
        CHANGED_MIND = "changed_mind", _("Changed my mind")
        OTHER = "other", _("Other")

    class Condition(models.TextChoices):
        RESELLABLE = "resellable", _("Resellable")
        DAMAGED = "damaged", _("Damaged")

    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=30, choices=Reason.choices)
    condition = models.CharField(max_length=20, choices=Condition.choices, blank=True)
    exchange_variant = models.ForeignKey(
        "catalog.ProductVariant", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund_amount = AmountField(default=0)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_line_id}"


# --- legal forms of a distance sale -----------------------------------------------------------


class OrderAgreement(models.Model):
    """A legal form the shopper saw and accepted before paying for a distance sale (web, app):
    the pre-information form and the distance sales contract (Mesafeli Sözleşmeler
    Yönetmeliği), filled with this order's seller, buyer, items, prices and delivery. The text
    is kept exactly as accepted (with its SHA-256), never re-rendered."""

    class Kind(models.TextChoices):
        PRE_INFORMATION = "pre_information", _("Pre-information form")
        DISTANCE_SALES = "distance_sales", _("Distance sales contract")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="agreements")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    version = models.CharField(_("version"), max_length=20)
    language = models.CharField(_("language"), max_length=8, default="tr")
    html = models.TextField(_("text as accepted"))
    sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    accepted_ip = models.GenericIPAddressField(_("accepted from"), null=True, blank=True)

    class Meta:
        ordering = ["order", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="order_agreement_once")
        ]
        verbose_name = _("accepted legal form")
        verbose_name_plural = _("accepted legal forms")

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


# --- notifications --------------------------------------------------------------------------


class Notification(models.Model):
    """A message to the customer about their order, recorded in the transaction of the change
    it tells of, and sent once by a Celery task after the commit."""

    class Kind(models.TextChoices):
        CONFIRMED = "order_confirmed", _("Order confirmed")
        SHIPPED = "order_shipped", _("Order shipped")
        READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "order_cancelled", _("Order cancelled")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # What the notification is about within the order (a fulfilment, a return), for uniqueness.
    subject = models.CharField(max_length=60, blank=True, default="")
    language = models.CharField(max_length=8, default="tr")
    recipient = models.CharField(max_length=254)
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind", "subject"], name="notification_once")
        ]
        indexes = [
            models.Index(
                fields=["id"], name="notification_unsent", condition=Q(sent_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.order_id}"
