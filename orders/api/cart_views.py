"""The shopper's (and the app's) carts, saved items, checkout and orders, and the same cart and
checkout for store or merchant staff acting on a customer's behalf.

Whose cart: a signed-in customer's one active cart (the one the web, the app and the staff
see), or an anonymous visitor's named by the `Cart-Token` header. Staff views are the shopper
views with the customer taken from the URL and the channel from the staff member's store.
Anything that is not the caller's (a cart line, an order, a saved item, another visitor's cart
token) is a 404, never a 403.
"""

from __future__ import annotations

from uuid import UUID

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.views import StaffCustomer360Api
from customers.models import Customer
from customers.selectors import user_may_view_customers
from customers.services import customer_for_guest, customer_for_user
from omni.errors import NotFound, ValidationError
from orders import selectors
from orders.api import serializers
from orders.models import Cart, Order, SavedItem
from orders.services import carts, checkout, lifecycle
from sales_channels.api.channel import CHANNEL_HEADER, CHANNEL_PARAMETER, request_channel
from sales_channels.models import Channel

CART_TOKEN_HEADER = "Cart-Token"  # noqa: S105 (a header name, not a secret)
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"  # as Stripe names it: this answer was given before

CART_TOKEN_PARAMETER = OpenApiParameter(
    CART_TOKEN_HEADER,
    OpenApiTypes.UUID,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "An anonymous visitor's cart (from POST /cart/). Ignored for a signed-in customer, "
        "whose one cart every channel shares."
    ),
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "A key the client makes up per order (a UUID). Sending the same request again with it "
        "returns the answer first given, status and body (with `Idempotent-Replayed: true`); "
        "the same key with another body is a 422; while the first request is still being "
        "processed, a 409."
    ),
)
STAFF_CHANNEL_PARAMETER = OpenApiParameter(
    "channel",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description=(
        "The channel to act on: for store staff one of their stores (may be left out by staff "
        "of one store); merchant staff name any channel. The "
        f"`{CHANNEL_HEADER}` header works too."
    ),
)
SHOPPER = [CHANNEL_PARAMETER, CART_TOKEN_PARAMETER]
STAFF = [
    STAFF_CHANNEL_PARAMETER,
    OpenApiParameter(CART_TOKEN_HEADER, location=OpenApiParameter.HEADER, exclude=True),
]


def _sku_errors(error: ValidationError) -> ValidationError:
    """The cart service names a bad item "variant"; this API knows items by their SKU."""
    if "variant" in error.fields:
        error.fields["sku"] = error.fields.pop("variant")
    return error


# --- whose cart -----------------------------------------------------------------------------


class ShopperApi(APIView):
    """A request by a shopper about their own cart, checkout or orders."""

    permission_classes = [AllowAny]
    staff = False

    def get_channel(self) -> Channel:
        return request_channel(self.request)

    def get_customer(self) -> Customer | None:
        """The signed-in customer's profile (created on first need); None for a visitor."""
        if not hasattr(self, "_customer"):
            user = self.request.user
            self._customer = (
                customer_for_user(user=user, channel=_optional_channel(self.request))
                if user.is_authenticated
                else None
            )
        return self._customer

    def cart_token(self) -> UUID:
        try:
            return UUID(self.request.headers.get(CART_TOKEN_HEADER, ""))
        except ValueError:
            raise NotFound(
                _("Cart not found: sign in or send the %(header)s header.")
                % {"header": CART_TOKEN_HEADER},
                code="cart_not_found",
            ) from None

    def get_cart(self) -> Cart:
        channel, customer = self.get_channel(), self.get_customer()
        if customer is not None:
            return carts.cart_for_customer(customer=customer, channel=channel)
        return carts.cart_by_token(token=self.cart_token(), channel=channel)

    def cart_to_change(self) -> dict:
        """Whose cart a line is added to, as carts.cart_add takes it: a customer's cart is only
        created with its first line, so a refused change writes nothing."""
        customer = self.get_customer()
        if customer is not None:
            return {"customer": customer}
        return {"cart": carts.cart_by_token(token=self.cart_token())}

    def cart_if_any(self) -> Cart:
        """The cart a line is changed in; a customer who has none yet has no such line."""
        customer = self.get_customer()
        if customer is None:
            return carts.cart_by_token(token=self.cart_token())
        cart = carts.cart_find_for_customer(customer=customer)
        if cart is None:
            raise NotFound(_("Cart line not found."), code="line_not_found")
        return cart

    def idempotency_scope(self) -> str:
        user = self.request.user
        return f"user:{user.pk}" if user.is_authenticated else f"cart:{self.cart_token()}"

    def cart_response(self, cart: Cart, *, code: int = status.HTTP_200_OK) -> Response:
        summary = selectors.cart_summary(
            cart=cart, channel=self.get_channel(), customer=self.get_customer()
        )
        return Response(serializers.CartOutput(summary).data, status=code)


class ActsForCustomers(BasePermission):
    message = "You do not have the permission to do this."

    def has_permission(self, request, view) -> bool:
        return selectors.user_may_act_for_customers(request.user)


class StaffMixin:
    """Staff acting for the customer in the URL, on the staff member's store channel."""

    permission_classes = [ActsForCustomers]
    staff = True

    def get_channel(self) -> Channel:
        request = self.request
        if getattr(request, "omni_channel", None) is None:
            code = request.query_params.get("channel") or request.headers.get(CHANNEL_HEADER)
            request.omni_channel = selectors.staff_channel_get(user=request.user, code=code)
        return request.omni_channel

    def get_customer(self) -> Customer:
        if not hasattr(self, "_customer"):
            self._customer = selectors.customer_get(pk=self.kwargs["customer_id"])
        return self._customer

    def idempotency_scope(self) -> str:
        return f"user:{self.request.user.pk}"


# --- the cart -------------------------------------------------------------------------------


class CartApi(ShopperApi):
    """The cart: GET the signed-in customer's (created on first need) or the one the
    Cart-Token names; POST starts an anonymous visitor's cart and returns its token."""

    @extend_schema(tags=["cart"], parameters=SHOPPER, responses=serializers.CartOutput)
    def get(self, request, **kwargs):
        return self.cart_response(self.get_cart())

    @extend_schema(
        tags=["cart"],
        parameters=[CHANNEL_PARAMETER],
        request=None,
        responses={201: serializers.CartOutput, 200: serializers.CartOutput},
        description="201 with a new anonymous cart; a signed-in customer gets their cart (200).",
    )
    def post(self, request, **kwargs):
        if self.get_customer() is not None:
            return self.cart_response(self.get_cart())
        cart = carts.cart_create_anonymous(channel=self.get_channel())
        return self.cart_response(cart, code=status.HTTP_201_CREATED)


class CartLineListApi(ShopperApi):
    @extend_schema(
        tags=["cart"],
        parameters=SHOPPER,
        request=serializers.CartLineAddInput,
        responses={201: serializers.CartOutput},
        description="Add an item (or more of one already in the cart) at its price now.",
    )
    def post(self, request, **kwargs):
        data = serializers.CartLineAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            line = carts.cart_add(
                **self.cart_to_change(),
                channel=self.get_channel(),
                sku=data.validated_data["sku"],
                quantity=data.validated_data["quantity"],
            )
        except ValidationError as error:
            raise _sku_errors(error) from None
        return self.cart_response(line.cart, code=status.HTTP_201_CREATED)


class CartLineDetailApi(ShopperApi):
    @extend_schema(
        tags=["cart"],
        parameters=SHOPPER,
        request=serializers.CartLineUpdateInput,
        responses=serializers.CartOutput,
    )
    def patch(self, request, line_id: int, **kwargs):
        data = serializers.CartLineUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        cart = self.cart_if_any()
        carts.cart_set_quantity(
            cart=cart,
            channel=self.get_channel(),
            line_id=line_id,
            quantity=data.validated_data["quantity"],
        )
        return self.cart_response(cart)

    @extend_schema(
        tags=["cart"], parameters=SHOPPER, request=None, responses={200: serializers.CartOutput}
    )
    def delete(self, request, line_id: int, **kwargs):
        cart = self.cart_if_any()
        carts.cart_remove(cart=cart, channel=self.get_channel(), line_id=line_id)
        return self.cart_response(cart)


class CartRefreshApi(ShopperApi):
    @extend_schema(
        tags=["cart"],
        parameters=SHOPPER,
        request=None,
        responses=serializers.CartChangesOutput,
        description=(
            "Apply what changed since the lines were added: prices become the channel's, "
            "quantities are cut to what can be had, lines that cannot be had leave the cart "
            "(a customer's are saved for later). Returns the changes made."
        ),
    )
    def post(self, request, **kwargs):
        cart = self.get_cart()
        changes = carts.cart_refresh(cart=cart, channel=self.get_channel())
        summary = selectors.cart_summary(
            cart=cart, channel=self.get_channel(), customer=self.get_customer()
        )
        return Response(serializers.CartChangesOutput({"changes": changes, "cart": summary}).data)


class CartReserveApi(ShopperApi):
    @extend_schema(
        tags=["cart"],
        parameters=SHOPPER,
        request=None,
        responses=serializers.CartOutput,
        description=(
            "Hold the cart's stock for the channel's checkout time (none on a channel that "
            "holds nothing); again to follow the cart and restart the clock. A 409 "
            "insufficient_stock names what cannot be had."
        ),
    )
    def post(self, request, **kwargs):
        cart = self.get_cart()
        carts.cart_reserve(cart=cart, channel=self.get_channel())
        cart.refresh_from_db(fields=["reserved_until"])
        return self.cart_response(cart)


# --- saved items ----------------------------------------------------------------------------


class SavedItemListApi(ShopperApi, ListAPIView):
    """The customer's saved items (shared by every channel), with the channel's price now."""

    permission_classes = [IsAuthenticated]
    serializer_class = serializers.SavedItemOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return SavedItem.objects.none()
        return selectors.saved_item_list(customer=self.get_customer(), channel=self.get_channel())

    @extend_schema(tags=["saved items"], parameters=[CHANNEL_PARAMETER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["saved items"],
        parameters=[CHANNEL_PARAMETER],
        request=serializers.SavedItemInput,
        responses={201: serializers.SavedItemOutput},
    )
    def post(self, request):
        data = serializers.SavedItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = self.get_customer()
        variant_id = selectors.variant_id_for_sku(data.validated_data["sku"])
        try:
            carts.saved_item_add(customer=customer, variant_id=variant_id)
        except ValidationError as error:
            raise _sku_errors(error) from None
        item = self.get_queryset().get(variant_id=variant_id)
        return Response(serializers.SavedItemOutput(item).data, status=status.HTTP_201_CREATED)


class SavedItemDetailApi(ShopperApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["saved items"], responses={204: None})
    def delete(self, request, sku: str):
        variant_id = _saved_variant_id(sku)
        carts.saved_item_remove(customer=self.get_customer(), variant_id=variant_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedItemMoveApi(ShopperApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["saved items"],
        parameters=[CHANNEL_PARAMETER],
        request=None,
        responses=serializers.CartOutput,
        description="Move a saved item into the cart (one unit) and show the cart.",
    )
    def post(self, request, sku: str):
        variant_id = _saved_variant_id(sku)
        try:
            carts.saved_item_move_to_cart(
                customer=self.get_customer(), channel=self.get_channel(), variant_id=variant_id
            )
        except ValidationError as error:
            raise _sku_errors(error) from None
        return self.cart_response(self.get_cart())


def _saved_variant_id(sku: str) -> int:
    """A SKU in the URL that is not a variant is a saved item that does not exist."""
    try:
        return selectors.variant_id_for_sku(sku)
    except ValidationError:
        raise NotFound(_("Saved item not found."), code="saved_item_not_found") from None


# --- checkout -------------------------------------------------------------------------------


class DeliveryOptionsApi(ShopperApi):
    @extend_schema(
        tags=["checkout"],
        parameters=[*SHOPPER, serializers.DeliveryOptionsQuery],
        responses=serializers.DeliveryOptionsOutput,
        description=(
            "Home delivery methods with their price for this cart, and the stores where it can "
            "be collected, nearest to `city` first, with when it is ready. Ship from store is "
            "the merchant's way of fulfilling a home delivery, not a shopper's option: it is "
            "listed for staff only."
        ),
    )
    def get(self, request, **kwargs):
        query = serializers.DeliveryOptionsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        channel = self.get_channel()
        options = checkout.delivery_options(
            cart=self.get_cart(),
            channel=channel,
            country=query.validated_data["country"],
            city=query.validated_data["city"],
            shopper=not self.staff,
        )
        return Response(serializers.DeliveryOptionsOutput(options).data)


class CheckoutQuoteApi(ShopperApi):
    @extend_schema(
        tags=["checkout"],
        parameters=SHOPPER,
        request=serializers.QuoteInput,
        responses=serializers.QuoteOutput,
        description=(
            "Price the cart for a delivery: lines, discounts, shipping, VAT by rate and the "
            "total, and what changed since the lines were added. Changes nothing."
        ),
    )
    def post(self, request, **kwargs):
        data = serializers.QuoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        values, channel = data.validated_data, self.get_channel()
        cart = self.get_cart()
        delivery = checkout.delivery_build(
            channel=channel,
            method=values["delivery"],
            shipping_method=values.get("shipping_method"),
            address=values.get("address"),
            pickup_location=values.get("pickup_location"),
            address_field="address",
            shopper=not self.staff,
        )
        prepared = checkout.checkout_prepare(
            cart=cart, channel=channel, delivery=delivery, customer=self.get_customer()
        )
        return Response(
            serializers.QuoteOutput(
                {
                    "checkout": prepared,
                    "quote": prepared.quote,
                    "lines": selectors.quote_lines(prepared),
                    "changes": prepared.changes,
                }
            ).data
        )


# --- orders ---------------------------------------------------------------------------------


def _order_answer(placed: Order | checkout.PlacedOrder) -> dict:
    """The body of the 201 for an order just placed (with the rows written, as order_place
    gives it), or for an order read again; stored with its Idempotency-Key."""
    if isinstance(placed, checkout.PlacedOrder):
        return serializers.OrderOutput(placed.order, context={"placed": placed}).data
    return serializers.OrderOutput(selectors.order_get(pk=placed.pk)).data


def _answer_response(answer: checkout.Answer) -> Response:
    """The answer to a place-order request, the same on a replay (then marked as one)."""
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
    return Response(answer.body, status=answer.status, headers=headers)


class OrderListApi(ShopperApi, ListAPIView):
    """GET: the signed-in customer's orders from every channel, newest first. POST: place the
    order for the cart (a guest's by Cart-Token, with an e-mail address or phone)."""

    serializer_class = serializers.OrderListOutput

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Order.objects.none()
        return selectors.order_list_for_customer(customer=self.get_customer())

    @extend_schema(tags=["orders"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["orders"],
        parameters=[*SHOPPER, IDEMPOTENCY_PARAMETER],
        request=serializers.PlaceOrderInput,
        responses={201: serializers.OrderOutput},
        description=(
            "Place the order: prices and stock are checked again (409 cart_changed or "
            "insufficient_stock: nothing is placed) and the stock is allocated with it."
        ),
    )
    def post(self, request):
        channel = self.get_channel()
        data = serializers.PlaceOrderInput(
            data=request.data, context={"guest": not request.user.is_authenticated}
        )
        data.is_valid(raise_exception=True)
        values = data.validated_data
        scope = self.idempotency_scope()

        def place(record):
            cart = self.get_cart()
            delivery = _delivery(channel, values, shopper=True)
            customer = self.get_customer() or customer_for_guest(
                email=values.get("email", ""),
                phone=values.get("phone", ""),
                language=getattr(request, "LANGUAGE_CODE", "tr"),
                channel=channel,
            )
            return checkout.order_place(
                cart=cart,
                channel=channel,
                delivery=delivery,
                email=values.get("email", ""),
                phone=values.get("phone", ""),
                billing_address=values.get("billing_address"),
                customer=customer,
                actor=request.user if request.user.is_authenticated else None,
                idempotency=record,
                respond=_order_answer,
            )

        answer = checkout.order_place_answered(
            scope=scope,
            key=request.headers.get(IDEMPOTENCY_HEADER, ""),
            fingerprint=checkout.request_fingerprint({"channel": channel.code, **request.data}),
            place=place,
            respond=_order_answer,
        )
        return _answer_response(answer)


def _delivery(channel: Channel, values: dict, *, shopper: bool = False) -> checkout.Delivery:
    return checkout.delivery_build(
        channel=channel,
        method=values["delivery"],
        shipping_method=values.get("shipping_method"),
        address=values.get("shipping_address"),
        pickup_location=values.get("pickup_location"),
        shopper=shopper,
    )


class OrderDetailApi(ShopperApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["orders"], responses=serializers.OrderOutput)
    def get(self, request, number: str):
        customer = self.get_customer()
        return Response(
            serializers.OrderOutput(
                selectors.order_get_for_customer(customer=customer, number=number)
            ).data
        )


class OrderCancelApi(ShopperApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["orders"],
        request=serializers.CancelInput,
        responses=serializers.OrderOutput,
        description="Cancel while the order is awaiting payment or confirmed (409 after).",
    )
    def post(self, request, number: str):
        data = serializers.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = self.get_customer()
        order = selectors.order_get_for_customer(customer=customer, number=number)
        lifecycle.order_cancel(
            order=order,
            actor=request.user,
            channel=_optional_channel(request),
            reason=data.validated_data["reason"],
            only_from=(Order.Status.PENDING, Order.Status.CONFIRMED),
        )
        return Response(serializers.OrderOutput(selectors.order_get(pk=order.pk)).data)


def _optional_channel(request) -> Channel | None:
    code = request.query_params.get("channel") or request.headers.get(CHANNEL_HEADER)
    return request_channel(request) if code else None


# --- staff on a customer's behalf -----------------------------------------------------------


class FindsCustomers(BasePermission):
    """Whoever acts for customers, and merchant staff who may view customers (the CRM)."""

    message = "You do not have the permission to do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return selectors.user_may_act_for_customers(user) or user_may_view_customers(user)


class StaffCustomerSearchApi(ListAPIView):
    """Find a customer by e-mail, phone (typed any way), name or loyalty card (at least two
    characters)."""

    permission_classes = [FindsCustomers]
    serializer_class = serializers.CustomerOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Customer.objects.none()
        query = serializers.CustomerSearchQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.customer_search(q=query.validated_data["q"])

    @extend_schema(tags=["staff"], parameters=[serializers.CustomerSearchQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class StaffCustomerDetailApi(StaffCustomer360Api):
    """customers' 360 view of the customer, for whoever finds customers (FindsCustomers)."""

    permission_classes = [FindsCustomers]


def _staff(view: type[ShopperApi], methods: list[str]) -> type[ShopperApi]:
    """The shopper view acting for the customer in the URL (documented under "staff")."""
    cls = type(
        f"Staff{view.__name__}",
        (StaffMixin, view),
        {"http_method_names": [*methods, "options"], "__doc__": view.__doc__},
    )
    schema = extend_schema(tags=["staff"], parameters=STAFF)
    return extend_schema_view(**dict.fromkeys(methods, schema))(cls)


StaffCartApi = _staff(CartApi, ["get"])
StaffCartLineListApi = _staff(CartLineListApi, ["post"])
StaffCartLineDetailApi = _staff(CartLineDetailApi, ["patch", "delete"])
StaffCartRefreshApi = _staff(CartRefreshApi, ["post"])
StaffCartReserveApi = _staff(CartReserveApi, ["post"])
StaffDeliveryOptionsApi = _staff(DeliveryOptionsApi, ["get"])
StaffCheckoutQuoteApi = _staff(CheckoutQuoteApi, ["post"])


class StaffOrderCreateApi(StaffMixin, ShopperApi):
    """Place the customer's cart as an order on the staff member's store channel: a counter
    sale handed over at once, click and collect, or home delivery from another location
    (endless aisle). The order records who placed it."""

    @extend_schema(
        tags=["staff"],
        parameters=[*STAFF, IDEMPOTENCY_PARAMETER],
        request=serializers.StaffPlaceOrderInput,
        responses={201: serializers.OrderOutput},
    )
    def post(self, request, customer_id: int):
        channel, customer = self.get_channel(), self.get_customer()
        data = serializers.StaffPlaceOrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        store = getattr(channel, "store_location", None)
        if values["delivery"] == Order.Delivery.PICKUP and not values.get("pickup_location"):
            values["pickup_location"] = store.code if store else ""

        def place(record):
            return checkout.order_place(
                cart=self.get_cart(),
                channel=channel,
                delivery=_delivery(channel, values),
                email=values.get("email", ""),
                phone=values.get("phone", ""),
                billing_address=values.get("billing_address"),
                customer=customer,
                actor=request.user,
                idempotency=record,
                respond=_order_answer,
                handed_over=values["handed_over"],
            )

        answer = checkout.order_place_answered(
            scope=self.idempotency_scope(),
            key=request.headers.get(IDEMPOTENCY_HEADER, ""),
            fingerprint=checkout.request_fingerprint(
                {"channel": channel.code, "customer": customer.pk, **request.data}
            ),
            place=place,
            respond=_order_answer,
        )
        return _answer_response(answer)
