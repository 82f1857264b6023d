"""Thin views: validate the input, call one selector or service, shape the output. Errors leave
through the project's one handler as {"code", "message", "fields"}."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status as http
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from catalog.models import ProductVariant
from inventory import selectors, services
from inventory.api import serializers
from inventory.models import Stock, StockLocation, StockMovement, Transfer
from omni.api.permissions import require_perms
from sales_channels.api.channel import CHANNEL_PARAMETER, request_channel

TAGS = ["inventory"]


def _valid(serializer_class: type[Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _stock_rows(location: StockLocation, variant_ids: Iterable[int]) -> list[Stock]:
    """The stock rows an operation touched, read again: the services write counters as deltas
    in the database (F() expressions), so the Stock objects they return hold the old values."""
    return list(selectors.stock_list(variant_ids=variant_ids, location_id=location.pk))


def _stock_row(location: StockLocation, variant: ProductVariant) -> Stock:
    rows = _stock_rows(location, [variant.pk])
    if rows:
        return rows[0]
    # A count of zero where nothing was ever stocked writes nothing: show the empty row.
    row = Stock(variant=variant, location=location)
    row.sku, row.location_code, row.reserved = variant.sku, location.code, 0
    return row


# --- shopper --------------------------------------------------------------------------------


class AvailabilityApi(APIView):
    """Units of each SKU the channel can sell now (for the app's cart and product pages)."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        parameters=[CHANNEL_PARAMETER, serializers.SkusQuery],
        responses=serializers.AvailabilityOutput(many=True),
    )
    def get(self, request):
        channel = request_channel(request)
        skus = _valid(serializers.SkusQuery, request.query_params)["sku"]
        available = selectors.availability_for_channel(channel=channel, variant_ids=skus.values())
        data = [{"sku": sku, "available": available[vid]} for sku, vid in skus.items()]
        return Response(serializers.AvailabilityOutput(data, many=True).data)


class StoreAvailabilityApi(APIView):
    """Stores where the SKU can be collected, nearest first to a position or a city: in stock,
    low or out ("available in 3 stores near you")."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        parameters=[serializers.StoresQuery],
        responses=serializers.StoreAvailabilityOutput(many=True),
    )
    def get(self, request):
        query = _valid(serializers.StoresQuery, request.query_params)
        skus = query["sku"]
        stores = selectors.availability_by_store(variant_ids=skus.values(), origin=query["origin"])
        context = {"skus": {vid: sku for sku, vid in skus.items()}}
        return Response(
            serializers.StoreAvailabilityOutput(stores, many=True, context=context).data
        )


# --- merchant: routing and stock ------------------------------------------------------------


class RoutePreviewApi(APIView):
    """The locations that would fulfil an order now, and why (inventory.routing), without
    holding anything. An order that cannot be filled answers with its shortfall."""

    permission_classes = [require_perms("inventory.view_stock")]

    @extend_schema(
        tags=TAGS, request=serializers.RoutePreviewInput, responses=serializers.PlanOutput
    )
    def post(self, request):
        data = _valid(serializers.RoutePreviewInput, request.data)
        lines = data["lines"]
        plan = selectors.fulfilment_plan(
            channel=data["channel"],
            lines=lines.quantities,
            destination=data["origin"],
            pickup_location=data.get("pickup_location"),
        )
        return Response(serializers.PlanOutput(serializers.plan_data(plan, lines.skus)).data)


class StockListApi(ListAPIView):
    """Stock rows by variant and location, filtered by SKU and location code."""

    permission_classes = [require_perms("inventory.view_stock")]
    serializer_class = serializers.StockOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Stock.objects.none()
        query = _valid(serializers.StockQuery, self.request.query_params)
        variant = query.get("sku")
        location = query.get("location")
        return selectors.stock_list(
            variant_ids=[variant.pk] if variant else None,
            location_id=location.pk if location else None,
        )

    @extend_schema(tags=TAGS, parameters=[serializers.StockQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class StockReceiveApi(APIView):
    """Goods in at a location: one ledger movement a line, all lines or none."""

    permission_classes = [require_perms("inventory.change_stock")]

    @extend_schema(
        tags=TAGS, request=serializers.ReceiveInput, responses=serializers.StockOutput(many=True)
    )
    def post(self, request):
        data = _valid(serializers.ReceiveInput, request.data)
        location, lines = data["location"], data["lines"]
        services.stock_receive_many(
            location=location,
            lines=lines.quantities,
            reference=data.get("reference", ""),
            actor=request.user,
        )
        return Response(
            serializers.StockOutput(_stock_rows(location, lines.quantities), many=True).data
        )


class StockAdjustApi(APIView):
    """Correct stock by a number of units, with a reason (damage, loss, found)."""

    permission_classes = [require_perms("inventory.change_stock")]

    @extend_schema(tags=TAGS, request=serializers.AdjustInput, responses=serializers.StockOutput)
    def post(self, request):
        data = _valid(serializers.AdjustInput, request.data)
        services.stock_adjust(
            variant=data["sku"],
            location=data["location"],
            delta=data["delta"],
            reason=data["reason"],
            actor=request.user,
        )
        return Response(serializers.StockOutput(_stock_row(data["location"], data["sku"])).data)


class StockCountApi(APIView):
    """A cycle count: the counted units replace on hand; the difference is a ledger movement."""

    permission_classes = [require_perms("inventory.change_stock")]

    @extend_schema(tags=TAGS, request=serializers.CountInput, responses=serializers.StockOutput)
    def post(self, request):
        data = _valid(serializers.CountInput, request.data)
        services.stock_count(
            variant=data["sku"],
            location=data["location"],
            counted=data["counted"],
            actor=request.user,
        )
        return Response(serializers.StockOutput(_stock_row(data["location"], data["sku"])).data)


class ExternalMovementApi(APIView):
    """A sale or return made outside Omni (a store's till, another system). Idempotent by
    `external_ref`: 201 when recorded, 200 with the first record when it was already."""

    permission_classes = [require_perms("inventory.change_stock")]

    @extend_schema(
        tags=TAGS,
        request=serializers.ExternalMovementInput,
        responses={201: serializers.MovementOutput, 200: serializers.MovementOutput},
    )
    def post(self, request):
        data = _valid(serializers.ExternalMovementInput, request.data)
        movement, created = services.external_movement_record(
            variant=data["sku"],
            location=data["location"],
            quantity=data["quantity"],
            kind=data["kind"],
            external_ref=data["external_ref"],
            channel=data.get("channel"),
            actor=request.user,
        )
        movement = StockMovement.objects.select_related(
            "stock__variant", "stock__location", "channel"
        ).get(pk=movement.pk)
        return Response(
            serializers.MovementOutput(movement).data,
            status=http.HTTP_201_CREATED if created else http.HTTP_200_OK,
        )


# --- merchant: transfers --------------------------------------------------------------------


class TransferListApi(ListAPIView):
    """Transfers between locations, newest first. POST requests one: its units are held at
    the source from then on."""

    serializer_class = serializers.TransferOutput

    def get_permissions(self):
        perm = (
            "inventory.add_transfer" if self.request.method == "POST" else "inventory.view_transfer"
        )
        return [require_perms(perm)()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Transfer.objects.none()
        query = _valid(serializers.TransferQuery, self.request.query_params)
        location = query.get("location")
        return selectors.transfer_list(
            status=query.get("status"), location_id=location.pk if location else None
        )

    @extend_schema(tags=TAGS, parameters=[serializers.TransferQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS, request=serializers.TransferInput, responses={201: serializers.TransferOutput}
    )
    def post(self, request):
        data = _valid(serializers.TransferInput, request.data)
        transfer = services.transfer_request(
            source=data["source"],
            destination=data["destination"],
            lines=data["lines"].quantities,
            expected_at=data.get("expected_at"),
            reference=data.get("reference", ""),
            actor=request.user,
        )
        transfer = selectors.transfer_list().get(pk=transfer.pk)
        return Response(serializers.TransferOutput(transfer).data, status=http.HTTP_201_CREATED)


class _TransferTransitionApi(APIView):
    permission_classes = [require_perms("inventory.change_transfer")]
    apply: Callable[..., Transfer]

    @extend_schema(tags=TAGS, request=None, responses=serializers.TransferOutput)
    def post(self, request, pk: int):
        transfer = get_object_or_404(Transfer, pk=pk)
        self.apply(transfer=transfer, actor=request.user)
        return Response(serializers.TransferOutput(selectors.transfer_list().get(pk=pk)).data)


class TransferShipApi(_TransferTransitionApi):
    """The units leave the source and are in transit."""

    apply = staticmethod(services.transfer_ship)


class TransferReceiveApi(_TransferTransitionApi):
    """The units arrive at the destination."""

    apply = staticmethod(services.transfer_receive)


class TransferCancelApi(_TransferTransitionApi):
    """Cancel before shipping: the units held at the source are released."""

    apply = staticmethod(services.transfer_cancel)
