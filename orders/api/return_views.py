"""Returns and exchanges: thin views over orders.services.returns.

Shoppers see and return only their own orders: another customer's order or return is a 404,
as if it did not exist. Staff endpoints are for store staff (at their own stores) and merchant
staff holding orders.change_return; anyone else gets a 403. Which returns a staff member reaches
is one rule, orders.selectors.returns_for_staff; another store's return is a 404."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework import status as http
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.services import customer_for_user
from omni.errors import NotFound, OmniError, PermissionDenied, ValidationError
from orders.api import return_serializers
from orders.models import Order, Return
from orders.selectors import returns_for_staff
from orders.services import returns
from sales_channels.api.channel import CHANNEL_HEADER, CHANNEL_PARAMETER, request_channel
from sales_channels.models import Channel
from sales_channels.selectors import channel_get_active

TAGS = ["returns"]
STAFF_TAGS = ["staff: returns"]


def _valid(serializer_class: type[serializers.Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _shown(return_request: Return) -> dict:
    return return_serializers.ReturnOutput(returns.returns_query().get(pk=return_request.pk)).data


@contextmanager
def _fields_renamed(rename: Callable[[str], str]) -> Iterator[None]:
    """Name a service's field errors as this API's client sent them."""
    try:
        yield
    except OmniError as error:
        error.fields = {rename(name): messages for name, messages in error.fields.items()}
        raise


_REQUEST_FIELDS = {"order_line_id": "line", "exchange_variant_id": "exchange_sku"}


def _request_field(name: str) -> str:
    """ "lines.0.order_line_id" → "lines.0.line"; "lines.1.exchange_variant_id" →
    "lines.1.exchange_sku"."""
    head, _dot, last = name.rpartition(".")
    return f"{head}.{_REQUEST_FIELDS[last]}" if head and last in _REQUEST_FIELDS else name


def _receive_field(lines: list[dict]) -> Callable[[str], str]:
    """ "conditions.<return line id>" → "lines.<index>.line"; "conditions" → "lines"."""
    index = {line["line"]: i for i, line in enumerate(lines)}

    def rename(name: str) -> str:
        found = re.fullmatch(r"(?:conditions|exchange)\.(\d+)", name)
        if found and int(found[1]) in index:
            return f"lines.{index[int(found[1])]}.line"
        return "lines" if name == "conditions" else name

    return rename


# --- shopper --------------------------------------------------------------------------------


def _customer_order(request: Request, number: str) -> Order:
    """The signed-in customer's order with this number; anyone else's is not found."""
    customer = customer_for_user(user=request.user)
    order = Order.objects.filter(number=number, customer=customer).first()
    if order is None:
        raise NotFound(_("Order not found."), code="order_not_found")
    return order


def _customer_return(request: Request, pk: int) -> Return:
    customer = customer_for_user(user=request.user)
    found = Return.objects.filter(pk=pk, order__customer=customer).first()
    if found is None:
        raise NotFound(_("Return not found."), code="return_not_found")
    return found


def _shopper_channel(request: Request, order: Order) -> Channel:
    """Where a shopper asks: the channel of the request (?channel= or the header), else the
    order's own. A store's returns are started by its staff at the counter."""
    if not (request.query_params.get("channel") or request.headers.get(CHANNEL_HEADER)):
        return order.channel
    channel = request_channel(request)
    if channel.kind == Channel.Kind.STORE:
        raise ValidationError.for_field(
            "channel",
            _("A return at a store is started by its staff at the counter."),
            code="store_channel",
        )
    return channel


class OrderReturnsApi(APIView):
    """The returns of one of the shopper's orders (GET), or a new one (POST): lines of the order
    with a quantity, a reason and optionally a variant to exchange for."""

    @extend_schema(tags=TAGS, responses=return_serializers.ReturnOutput(many=True))
    def get(self, request, number: str):
        order = _customer_order(request, number)
        found = returns.returns_query().filter(order=order).order_by("-id")
        return Response(return_serializers.ReturnOutput(found, many=True).data)

    @extend_schema(
        tags=TAGS,
        parameters=[CHANNEL_PARAMETER],
        request=return_serializers.ReturnRequestInput,
        responses={201: return_serializers.ReturnOutput},
    )
    def post(self, request, number: str):
        order = _customer_order(request, number)
        data = _valid(return_serializers.ReturnRequestInput, request.data)
        with _fields_renamed(_request_field):
            created = returns.return_request(
                order=order,
                channel=_shopper_channel(request, order),
                lines=data["lines"],
                actor=request.user,
                note=data["note"],
            )
        return Response(_shown(created), status=http.HTTP_201_CREATED)


class ReturnDetailApi(APIView):
    """One of the shopper's returns."""

    @extend_schema(tags=TAGS, responses=return_serializers.ReturnOutput)
    def get(self, request, pk: int):
        return Response(_shown(_customer_return(request, pk)))


class ReturnCancelApi(APIView):
    """The shopper calls off a return they requested (before it is handed in)."""

    @extend_schema(tags=TAGS, request=None, responses=return_serializers.ReturnOutput)
    def post(self, request, pk: int):
        found = _customer_return(request, pk)
        returns.return_cancel(return_request=found, actor=request.user)
        return Response(_shown(found))


# --- staff ----------------------------------------------------------------------------------


class IsReturnsStaff(BasePermission):
    """Store staff, or merchant staff holding orders.change_return."""

    message = "Only store staff and merchant staff who handle returns may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.is_store_staff or user.has_perm(returns.PERM_CHANGE_RETURN))
        )


def _staff_channel(request: Request, order: Order, code: str | None) -> Channel:
    """The channel a staff member starts a return on: the store they work at (named, when they
    work at several), or for merchant staff the one named, else the order's own."""
    user = request.user
    if user.has_perm(returns.PERM_CHANGE_RETURN) and not user.is_store_staff:
        return channel_get_active(code) if code else order.channel
    stores: Mapping[str, Channel] = {c.code: c for c in user.stores.filter(is_active=True)}
    if code:
        if code not in stores:
            raise PermissionDenied(
                _("You do not work at %(store)s.") % {"store": code},
                fields={"channel": [_("Choose one of your stores.")]},
            )
        return stores[code]
    if len(stores) != 1:
        raise ValidationError.for_field(
            "channel", _("Choose the store where the return is made."), code="required"
        )
    return next(iter(stores.values()))


def _staff_return(request: Request, pk: int, *, handing_in: bool = False) -> Return:
    """A return in the staff member's scope (orders.selectors.returns_for_staff); another
    store's is not found, exactly like one that does not exist."""
    found = returns_for_staff(user=request.user, handing_in=handing_in).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Return not found."), code="return_not_found")
    return found


class StaffReturnCreateApi(APIView):
    """A clerk starts a return at the counter for any order, found by its number."""

    permission_classes = [IsReturnsStaff]

    @extend_schema(
        tags=STAFF_TAGS,
        request=return_serializers.StaffReturnRequestInput,
        responses={201: return_serializers.ReturnOutput},
    )
    def post(self, request):
        data = _valid(return_serializers.StaffReturnRequestInput, request.data)
        order = Order.objects.filter(number=data["order"]).first()
        if order is None:
            raise NotFound(_("Order not found."), code="order_not_found")
        channel = _staff_channel(request, order, data.get("channel"))
        with _fields_renamed(_request_field):
            created = returns.return_request(
                order=order,
                channel=channel,
                lines=data["lines"],
                actor=request.user,
                note=data["note"],
            )
        return Response(_shown(created), status=http.HTTP_201_CREATED)


class StaffReturnReceiveApi(APIView):
    """The return is handed in and inspected: each line resellable (back into the location's
    stock) or damaged (written off). Places the exchange order, if any; a 409 when the
    exchange variant is out of stock (nothing is received: drop the exchange, or wait)."""

    permission_classes = [IsReturnsStaff]

    @extend_schema(
        tags=STAFF_TAGS,
        request=return_serializers.ReturnReceiveInput,
        responses=return_serializers.ReturnOutput,
    )
    def post(self, request, pk: int):
        found = _staff_return(request, pk, handing_in=True)
        data = _valid(return_serializers.ReturnReceiveInput, request.data)
        location = data["location"]
        if not returns.staff_may_receive_at(user=request.user, location=location):
            raise PermissionDenied(
                _("You may receive returns only at your own stores."),
                fields={"location": [_("Not one of your stores.")]},
            )
        with _fields_renamed(_receive_field(data["lines"])):
            returns.return_receive(
                return_request=found,
                location=location,
                conditions={line["line"]: line["condition"] for line in data["lines"]},
                actor=request.user,
            )
        return Response(_shown(found))


class StaffReturnRefundApi(APIView):
    """Received → refunded: the refund is handed to payments and the customer told."""

    permission_classes = [IsReturnsStaff]

    @extend_schema(tags=STAFF_TAGS, request=None, responses=return_serializers.ReturnOutput)
    def post(self, request, pk: int):
        found = _staff_return(request, pk)
        returns.return_refund(return_request=found, actor=request.user)
        return Response(_shown(found))


class StaffReturnRejectApi(APIView):
    """Requested → rejected, with the reason."""

    permission_classes = [IsReturnsStaff]

    @extend_schema(
        tags=STAFF_TAGS,
        request=return_serializers.ReturnRejectInput,
        responses=return_serializers.ReturnOutput,
    )
    def post(self, request, pk: int):
        found = _staff_return(request, pk)
        data = _valid(return_serializers.ReturnRejectInput, request.data)
        returns.return_reject(return_request=found, note=data["note"], actor=request.user)
        return Response(_shown(found))


class StaffReturnDropExchangeApi(APIView):
    """Before receipt: the exchange lines become refund lines (say the variant is out of
    stock)."""

    permission_classes = [IsReturnsStaff]

    @extend_schema(tags=STAFF_TAGS, request=None, responses=return_serializers.ReturnOutput)
    def post(self, request, pk: int):
        found = _staff_return(request, pk, handing_in=True)
        returns.return_drop_exchange(return_request=found, actor=request.user)
        return Response(_shown(found))
