"""The merchant API for promotions: list, create, read and change them, schedule, pause,
resume and copy them, list and add their named codes, and "try a cart". Merchant staff with the
campaigns.*_promotion permissions; thin views over campaigns.services.promotions and
campaigns.selectors."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import selectors
from campaigns.api.promotion_serializers import (
    CodeInput,
    CodeOutput,
    PreviewInput,
    PreviewOutput,
    PromotionFilterInput,
    PromotionInput,
    PromotionOutput,
    ScheduleInput,
)
from campaigns.models import Promotion
from campaigns.services import promotions as services
from customers.api.segment_views import merchant_perms
from customers.models import Customer
from omni.api.pagination import PageNumberPagination
from omni.errors import NotFound, ValidationError
from orders.models import ShippingMethod
from sales_channels.models import Channel

TAGS = ["promotions"]
VIEW = merchant_perms("campaigns.view_promotion")
ADD = merchant_perms("campaigns.add_promotion")
CHANGE = merchant_perms("campaigns.change_promotion")


def _promotion(promotion_id: int) -> Promotion:
    found = (
        Promotion.objects.filter(pk=promotion_id)
        .prefetch_related(*selectors.condition_ids())
        .first()
    )
    if found is None:
        raise NotFound("No such promotion.")
    return found


def _output(promotion: Promotion) -> dict[str, Any]:
    return PromotionOutput(_promotion(promotion.pk)).data


class PromotionListApi(APIView):
    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else ADD)()]

    @extend_schema(
        tags=TAGS,
        parameters=[PromotionFilterInput, OpenApiParameter("search", str)],
        responses=PromotionOutput(many=True),
    )
    def get(self, request):
        """The promotions, newest first, paginated (`page`, `page_size`)."""
        filters = PromotionFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        now = timezone.now()
        found = selectors.promotions_list(
            status=data.get("status"),
            kind=data.get("kind"),
            channel_id=data.get("channel"),
            search=request.query_params.get("search", "").strip(),
            now=now,
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(found, request, view=self)
        return paginator.get_paginated_response(
            PromotionOutput(page, many=True, context={"now": now}).data
        )

    @extend_schema(tags=TAGS, request=PromotionInput, responses={201: PromotionOutput})
    def post(self, request):
        data = PromotionInput(data=request.data)
        data.is_valid(raise_exception=True)
        promotion = services.promotion_create(actor=request.user, **data.validated_data)
        return Response(_output(promotion), status=status.HTTP_201_CREATED)


class PromotionDetailApi(APIView):
    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else CHANGE)()]

    @extend_schema(tags=TAGS, responses=PromotionOutput)
    def get(self, request, promotion_id: int):
        return Response(PromotionOutput(_promotion(promotion_id)).data)

    @extend_schema(tags=TAGS, request=PromotionInput, responses=PromotionOutput)
    def patch(self, request, promotion_id: int):
        promotion = _promotion(promotion_id)
        data = PromotionInput(data=request.data)
        data.is_valid(raise_exception=True)
        promotion = services.promotion_update(promotion=promotion, **data.validated_data)
        return Response(_output(promotion))


class _PromotionAction(APIView):
    permission_classes = [CHANGE]


class PromotionPauseApi(_PromotionAction):
    @extend_schema(tags=TAGS, request=None, responses=PromotionOutput)
    def post(self, request, promotion_id: int):
        promotion = services.promotion_pause(promotion=_promotion(promotion_id))
        return Response(_output(promotion))


class PromotionResumeApi(_PromotionAction):
    @extend_schema(tags=TAGS, request=None, responses=PromotionOutput)
    def post(self, request, promotion_id: int):
        promotion = services.promotion_resume(promotion=_promotion(promotion_id))
        return Response(_output(promotion))


class PromotionScheduleApi(_PromotionAction):
    @extend_schema(tags=TAGS, request=ScheduleInput, responses=PromotionOutput)
    def post(self, request, promotion_id: int):
        promotion = _promotion(promotion_id)
        data = ScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        promotion = services.promotion_schedule(promotion=promotion, **data.validated_data)
        return Response(_output(promotion))


class PromotionCopyApi(APIView):
    permission_classes = [ADD]

    @extend_schema(tags=TAGS, request=None, responses={201: PromotionOutput})
    def post(self, request, promotion_id: int):
        copy = services.promotion_copy(promotion=_promotion(promotion_id), actor=request.user)
        return Response(_output(copy), status=status.HTTP_201_CREATED)


class PromotionCodesApi(APIView):
    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else CHANGE)()]

    @extend_schema(tags=TAGS, responses=CodeOutput(many=True))
    def get(self, request, promotion_id: int):
        """The promotion's named codes, paginated; a generated batch is downloaded as CSV."""
        codes = selectors.promotion_codes(promotion=_promotion(promotion_id))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(codes, request, view=self)
        return paginator.get_paginated_response(CodeOutput(page, many=True).data)

    @extend_schema(tags=TAGS, request=CodeInput, responses={201: CodeOutput})
    def post(self, request, promotion_id: int):
        promotion = _promotion(promotion_id)
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        code = services.code_create(promotion=promotion, **data.validated_data)
        return Response(CodeOutput(code).data, status=status.HTTP_201_CREATED)


def preview_as_dict(preview: selectors.CartPreview) -> dict[str, Any]:
    def reason(promotion: str, label: str, amount, code: str) -> dict[str, Any]:
        return {
            "promotion": promotion,
            "name": preview.names.get(promotion, ""),
            "label": label,
            "amount": amount,
            "code": code,
        }

    quote = preview.quote
    return {
        "channel": preview.channel.code,
        "currency": quote.currency,
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "gross": line.gross,
                "discount": line.discount,
                "total": line.total,
                "reasons": [reason(r.promotion, r.label, r.amount, r.code) for r in line.reasons],
            }
            for line in preview.lines
        ],
        "subtotal": quote.subtotal,
        "discount_total": quote.discount_total,
        "shipping": quote.shipping,
        "shipping_discount": quote.shipping_discount,
        "total": quote.total,
        "savings": quote.savings,
        "promotions": [reason(a.promotion, a.label, a.amount, a.code) for a in quote.promotions],
        "rejected_codes": quote.rejected_codes,
    }


class PromotionPreviewApi(APIView):
    """Try a cart: what these SKUs would pay on the channel now, for the customer, with the
    codes, and why (each line's discount and the promotion that gave it, the shipping
    discount, the codes refused and why). Nothing is saved."""

    permission_classes = [VIEW]

    @extend_schema(tags=TAGS, request=PreviewInput, responses=PreviewOutput)
    def post(self, request):
        data = PreviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        channel = Channel.objects.filter(code=values["channel"]).first()
        if channel is None:
            raise ValidationError.for_field("channel", "No such channel.", code="unknown")
        customer = None
        if values.get("customer"):
            customer = Customer.objects.filter(pk=values["customer"]).first()
            if customer is None:
                raise ValidationError.for_field("customer", "No such customer.", code="unknown")
        method = None
        if values.get("shipping_method"):
            method = ShippingMethod.objects.filter(
                channel=channel, code=values["shipping_method"]
            ).first()
            if method is None:
                raise ValidationError.for_field(
                    "shipping_method", "No such shipping method on this channel.", code="unknown"
                )
        preview = selectors.cart_preview(
            channel=channel,
            customer=customer,
            lines=[selectors.PreviewLineInput(x["sku"], x["quantity"]) for x in values["lines"]],
            codes=values.get("codes") or (),
            shipping_method=method,
        )
        return Response(PreviewOutput(preview_as_dict(preview)).data)
