"""The merchant API for segments: list, create, read, change and delete them, preview a rule
before saving it, and page through a segment's members. Merchant staff only, with the
customers.*_segment permissions: the member list is a bulk read of customers, which store
staff never get."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import segments, services
from customers.api.segment_serializers import (
    FieldOutput,
    MemberOutput,
    PreviewInput,
    PreviewOutput,
    SegmentInput,
    SegmentOutput,
    SegmentPatchInput,
)
from customers.models import Segment, SegmentMembership
from customers.segment_rules import rules_fields
from omni.api.permissions import require_perms
from omni.errors import NotFound

TAGS = ["segments"]


def merchant_perms(*perms: str) -> type[BasePermission]:
    """omni's require_perms, for merchant staff only: a permission granted to a store staff
    member by mistake does not open a bulk read of customers."""
    base = require_perms(*perms)

    class MerchantPerms(base):  # type: ignore[valid-type,misc]
        def has_permission(self, request, view) -> bool:
            return super().has_permission(request, view) and request.user.is_merchant_staff

    MerchantPerms.__name__ = "Merchant" + base.__name__
    return MerchantPerms


VIEW = merchant_perms("customers.view_segment")
ADD = merchant_perms("customers.add_segment")
CHANGE = merchant_perms("customers.change_segment")
DELETE = merchant_perms("customers.delete_segment")


def _segment(segment_id: int) -> Segment:
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        raise NotFound("No such segment.")
    return segment


class SegmentListApi(APIView):
    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else ADD)()]

    @extend_schema(tags=TAGS, responses=SegmentOutput(many=True))
    def get(self, request):
        return Response(SegmentOutput(Segment.objects.order_by("name"), many=True).data)

    @extend_schema(tags=TAGS, request=SegmentInput, responses={201: SegmentOutput})
    def post(self, request):
        data = SegmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        segment = services.segment_create(**data.validated_data)
        return Response(SegmentOutput(segment).data, status=status.HTTP_201_CREATED)


class SegmentDetailApi(APIView):
    def get_permissions(self):
        method = self.request.method or "GET"
        return [{"GET": VIEW, "PATCH": CHANGE, "DELETE": DELETE}.get(method, CHANGE)()]

    @extend_schema(tags=TAGS, responses=SegmentOutput)
    def get(self, request, segment_id: int):
        return Response(SegmentOutput(_segment(segment_id)).data)

    @extend_schema(tags=TAGS, request=SegmentPatchInput, responses=SegmentOutput)
    def patch(self, request, segment_id: int):
        data = SegmentPatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        segment = services.segment_update(segment=_segment(segment_id), **data.validated_data)
        return Response(SegmentOutput(segment).data)

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request, segment_id: int):
        services.segment_delete(segment=_segment(segment_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentPreviewApi(APIView):
    """How many customers an unsaved rule matches now, and 20 of them (the newest)."""

    permission_classes = [VIEW]

    @extend_schema(tags=TAGS, request=PreviewInput, responses=PreviewOutput)
    def post(self, request):
        data = PreviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(PreviewOutput(segments.segment_preview(**data.validated_data)).data)


class SegmentFieldsApi(APIView):
    """The fields a rule may name, with their operators and values (for an editor)."""

    permission_classes = [VIEW]

    @extend_schema(tags=TAGS, responses=FieldOutput(many=True))
    def get(self, request):
        return Response(FieldOutput(rules_fields(), many=True).data)


class SegmentMembersApi(ListAPIView):
    """The segment's members, who entered last first; paginated (`page`, `page_size`)."""

    permission_classes = [VIEW]
    serializer_class = MemberOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return SegmentMembership.objects.none()
        return segments.segment_members(segment=_segment(self.kwargs["segment_id"]))

    @extend_schema(tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
