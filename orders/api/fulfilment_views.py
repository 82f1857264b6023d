"""The staff fulfilment API: the pick list of a location, picking, packing, shipping and
delivery, and click and collect at the store counter.

Who may do what (staff_scope): store staff act at the stores they work at (user.stores, each a
store channel, and the stock location of that channel); merchant staff holding
"orders.change_order" act at every location. A fulfilment, order or location outside a user's
stores answers 404, exactly like one that does not exist, so store staff cannot learn what
other stores hold. Views are thin: look up within the scope, call one service, read again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from inventory.models import StockLocation
from omni.errors import NotFound, PermissionDenied
from orders.api import fulfilment_serializers
from orders.models import Fulfilment, Order
from orders.selectors import fulfilments_read, pickup_orders
from orders.services import fulfilment as services
from sales_channels.models import Channel

TAGS = ["staff"]
CHANGE_ORDER = "orders.change_order"

# --- who may act where ----------------------------------------------------------------------


@dataclass(frozen=True)
class StaffScope:
    """The locations a staff user may see and act at; `location_ids` None: all of them."""

    user: User
    location_ids: frozenset[int] | None

    def allows(self, location_id: int | None) -> bool:
        return self.location_ids is None or location_id in self.location_ids


def is_fulfilment_staff(user: User) -> bool:
    """Store staff (at their stores) or merchant staff who may change orders (anywhere)."""
    if not (user and user.is_authenticated):
        return False
    return user.is_store_staff or (user.is_merchant_staff and user.has_perm(CHANGE_ORDER))


def staff_scope(request: Request) -> StaffScope:
    """The requesting user's scope, worked out once per request (one query for store staff)."""
    scope = getattr(request, "_staff_scope", None)
    if scope is not None:
        return scope
    user = request.user
    if not is_fulfilment_staff(user):
        raise PermissionDenied(_("Only store or merchant staff may do this."))
    if user.is_merchant_staff and user.has_perm(CHANGE_ORDER):
        scope = StaffScope(user, None)
    else:
        ids = StockLocation.objects.filter(
            channel__kind=Channel.Kind.STORE, channel__staff=user
        ).values_list("pk", flat=True)
        scope = StaffScope(user, frozenset(ids))
    request._staff_scope = scope
    return scope


class IsFulfilmentStaff(BasePermission):
    """Signed in (401 otherwise) as store staff or as merchant staff with the permission to
    change orders (403 otherwise)."""

    message = "Only store or merchant staff may do this."

    def has_permission(self, request, view) -> bool:
        return is_fulfilment_staff(request.user)


def _location(scope: StaffScope, code: str) -> StockLocation:
    location = StockLocation.objects.filter(code=code).first()
    if location is None or not scope.allows(location.pk):
        raise NotFound(
            _("Unknown stock location: %(value)s.") % {"value": code}, code="unknown_location"
        )
    return location


def _in_scope(queryset: QuerySet, scope: StaffScope, field: str) -> QuerySet:
    if scope.location_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": scope.location_ids})


# --- reads ----------------------------------------------------------------------------------


def pick_list(
    *, scope: StaffScope, location: StockLocation | None = None, status: str | None = None
) -> QuerySet[Fulfilment]:
    """What is still to pick, pack or ship, oldest first, of orders whose goods may leave
    (confirmed or partly shipped)."""
    queryset = fulfilments_read().filter(
        status__in=[status] if status else services.OPEN_STATUSES,
        order__status__in=services.WORKABLE_ORDER_STATUSES,
    )
    if location is not None:
        queryset = queryset.filter(location=location)
    return _in_scope(queryset, scope, "location_id").order_by("created_at", "id")


def pickups_waiting(
    *, scope: StaffScope, location: StockLocation | None = None, status: str | None = None
) -> QuerySet[Order]:
    """Click-and-collect orders at the store: to be made ready, or waiting for the customer."""
    statuses = [status] if status else [Order.Status.CONFIRMED, Order.Status.READY_FOR_PICKUP]
    queryset = pickup_orders().filter(status__in=statuses)
    if location is not None:
        queryset = queryset.filter(pickup_location=location)
    return _in_scope(queryset, scope, "pickup_location_id").order_by("created_at", "id")


def _valid(serializer_class: type[serializers.Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- the pick list and its steps ------------------------------------------------------------


class StaffFulfilmentListApi(ListAPIView):
    """The pick list of a location: fulfilments still to pick, pack or ship, oldest first.
    Without `location`, those of every location the user may act at."""

    permission_classes = [IsFulfilmentStaff]
    serializer_class = fulfilment_serializers.StaffFulfilmentOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Fulfilment.objects.none()
        scope = staff_scope(self.request)
        query = _valid(fulfilment_serializers.StaffFulfilmentQuery, self.request.query_params)
        location = _location(scope, query["location"]) if "location" in query else None
        return pick_list(scope=scope, location=location, status=query.get("status"))

    @extend_schema(tags=TAGS, parameters=[fulfilment_serializers.StaffFulfilmentQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _fulfilment_for(request: Request, pk: int) -> Fulfilment:
    """A fulfilment at one of the user's locations (404 otherwise, as if it did not exist)."""
    scope = staff_scope(request)
    found = _in_scope(
        Fulfilment.objects.select_related("location__channel").filter(pk=pk), scope, "location_id"
    ).first()
    if found is None:
        raise NotFound(_("Fulfilment not found."))
    return found


class _FulfilmentStepApi(APIView):
    permission_classes = [IsFulfilmentStaff]
    step: Callable[..., Fulfilment]

    @extend_schema(tags=TAGS, request=None, responses=fulfilment_serializers.StaffFulfilmentOutput)
    def post(self, request, pk: int):
        fulfilment = _fulfilment_for(request, pk)
        self.step(fulfilment=fulfilment, actor=request.user, channel=fulfilment.location.channel)
        return Response(
            fulfilment_serializers.StaffFulfilmentOutput(fulfilments_read().get(pk=pk)).data
        )


class StaffFulfilmentStartApi(_FulfilmentStepApi):
    """Picking starts (pending → picking)."""

    step = staticmethod(services.fulfilment_start)


class StaffFulfilmentPackApi(_FulfilmentStepApi):
    """Picked and packed (pending or picking → packed)."""

    step = staticmethod(services.fulfilment_pack)


class StaffFulfilmentDeliverApi(_FulfilmentStepApi):
    """The carrier delivered it (shipped → delivered); the order is delivered with its last
    fulfilment."""

    step = staticmethod(services.fulfilment_deliver)


class StaffFulfilmentShipApi(APIView):
    """A packed fulfilment leaves with a carrier, whole or in part (`lines`); what stays behind
    becomes a new pending fulfilment (`remainder`). The customer is told."""

    permission_classes = [IsFulfilmentStaff]

    @extend_schema(
        tags=TAGS,
        request=fulfilment_serializers.StaffShipInput,
        responses=fulfilment_serializers.StaffShipOutput,
    )
    def post(self, request, pk: int):
        fulfilment = _fulfilment_for(request, pk)
        data = _valid(fulfilment_serializers.StaffShipInput, request.data)
        shipment = services.fulfilment_ship(
            fulfilment=fulfilment,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            quantities=fulfilment_serializers.StaffShipInput.quantities(data),
            actor=request.user,
            channel=fulfilment.location.channel,
        )
        ids = [pk] + ([shipment.remainder.pk] if shipment.remainder else [])
        read = fulfilments_read().in_bulk(ids)
        return Response(
            fulfilment_serializers.StaffShipOutput(
                {
                    "fulfilment": read[pk],
                    "remainder": read.get(shipment.remainder.pk) if shipment.remainder else None,
                    "order_status": shipment.order.status,
                }
            ).data
        )


# --- click and collect ----------------------------------------------------------------------


class StaffPickupListApi(ListAPIView):
    """Click-and-collect orders at the user's stores: confirmed ones still to be made ready
    (with whether their items have arrived) and those waiting for the customer."""

    permission_classes = [IsFulfilmentStaff]
    serializer_class = fulfilment_serializers.StaffPickupOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Order.objects.none()
        scope = staff_scope(self.request)
        query = _valid(fulfilment_serializers.StaffPickupQuery, self.request.query_params)
        location = _location(scope, query["location"]) if "location" in query else None
        return pickups_waiting(scope=scope, location=location, status=query.get("status"))

    @extend_schema(tags=TAGS, parameters=[fulfilment_serializers.StaffPickupQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _pickup_order_for(request: Request, number: str) -> Order:
    """A click-and-collect order to be collected at one of the user's stores (404 otherwise)."""
    scope = staff_scope(request)
    found = _in_scope(
        Order.objects.select_related("pickup_location__channel").filter(number=number),
        scope,
        "pickup_location_id",
    ).first()
    if found is None:
        raise NotFound(_("Order not found."))
    return found


def _pickup_read(order: Order) -> dict:
    return fulfilment_serializers.StaffPickupOutput(pickup_orders().get(pk=order.pk)).data


class StaffOrderReadyForPickupApi(APIView):
    """The order's goods are set aside at the store: the customer is sent a pickup code and
    the date to collect by. Refused (409) while any item is still on its way to the store."""

    permission_classes = [IsFulfilmentStaff]

    @extend_schema(tags=TAGS, request=None, responses=fulfilment_serializers.StaffPickupOutput)
    def post(self, request, number: str):
        order = _pickup_order_for(request, number)
        store = order.pickup_location.channel if order.pickup_location else None
        services.order_ready_for_pickup(order=order, actor=request.user, channel=store)
        return Response(_pickup_read(order))


class StaffOrderCollectApi(APIView):
    """The customer collects: staff enter or scan the pickup code. A wrong code is a 400 on
    `code` and changes nothing; an order already collected is a 409."""

    permission_classes = [IsFulfilmentStaff]

    @extend_schema(
        tags=TAGS,
        request=fulfilment_serializers.StaffCollectInput,
        responses=fulfilment_serializers.StaffPickupOutput,
    )
    def post(self, request, number: str):
        order = _pickup_order_for(request, number)
        data = _valid(fulfilment_serializers.StaffCollectInput, request.data)
        store = order.pickup_location.channel if order.pickup_location else None
        services.order_collect(order=order, code=data["code"], actor=request.user, channel=store)
        return Response(_pickup_read(order))
