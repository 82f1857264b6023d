"""The merchant API for promotions: list, create, read and change them, schedule, pause,
resume and copy them, list and add their named codes, and "try a cart". Merchant staff with the
campaigns.*_promotion permissions; thin views over campaigns.services.promotions and
campaigns.selectors."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import selectors
from campaigns.api.promotion_serializers import (
    MerchantPromotionBatchInput,
    MerchantPromotionBatchOutput,
    MerchantPromotionCodeInput,
    MerchantPromotionCodeOutput,
    MerchantPromotionFilterInput,
    MerchantPromotionInput,
    MerchantPromotionOutput,
    MerchantPromotionPreviewInput,
    MerchantPromotionPreviewOutput,
    MerchantPromotionScheduleInput,
)
from campaigns.models import Code, CodeBatch, Promotion
from campaigns.services import promotions as services
from campaigns.services.codes import code_batch_csv, code_batch_generate
from customers.api.segment_views import merchant_perms
from customers.models import Customer
from omni.errors import NotFound, ValidationError
from orders.models import ShippingMethod
from sales_channels.models import Channel

TAGS = ["promotions"]
VIEW = merchant_perms("campaigns.view_promotion")
ADD = merchant_perms("campaigns.add_promotion")
CHANGE = merchant_perms("campaigns.change_promotion")


def _promotion(promotion_id: int) -> Promotion:
    found = (
        selectors.with_totals(Promotion.objects.filter(pk=promotion_id))
        .prefetch_related(*selectors.condition_ids())
        .first()
    )
    if found is None:
        raise NotFound(_("No such promotion."))
    return found


def _output(promotion: Promotion) -> dict[str, Any]:
    return MerchantPromotionOutput(_promotion(promotion.pk)).data


class PromotionListApi(ListAPIView):
    """The promotions, newest first, paginated (`page`, `page_size`); filtered by status, kind,
    channel (those on every channel included) and `search` (a name or an exact code)."""

    serializer_class = MerchantPromotionOutput

    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else ADD)()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Promotion.objects.none()
        filters = MerchantPromotionFilterInput(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return selectors.promotions_list(
            status=data.get("status"),
            kind=data.get("kind"),
            channel_id=data.get("channel"),
            search=self.request.query_params.get("search", "").strip(),
            now=self._now,
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self._now}

    @cached_property
    def _now(self):
        return timezone.now()

    @extend_schema(
        tags=TAGS, parameters=[MerchantPromotionFilterInput, OpenApiParameter("search", str)]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS, request=MerchantPromotionInput, responses={201: MerchantPromotionOutput}
    )
    def post(self, request):
        data = MerchantPromotionInput(data=request.data)
        data.is_valid(raise_exception=True)
        promotion = services.promotion_create(actor=request.user, **data.validated_data)
        return Response(_output(promotion), status=status.HTTP_201_CREATED)


class PromotionDetailApi(APIView):
    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else CHANGE)()]

    @extend_schema(tags=TAGS, responses=MerchantPromotionOutput)
    def get(self, request, promotion_id: int):
        return Response(MerchantPromotionOutput(_promotion(promotion_id)).data)

    @extend_schema(tags=TAGS, request=MerchantPromotionInput, responses=MerchantPromotionOutput)
    def patch(self, request, promotion_id: int):
        promotion = _promotion(promotion_id)
        data = MerchantPromotionInput(data=request.data)
        data.is_valid(raise_exception=True)
        promotion = services.promotion_update(promotion=promotion, **data.validated_data)
        return Response(_output(promotion))


class _PromotionAction(APIView):
    permission_classes = [CHANGE]


class PromotionPauseApi(_PromotionAction):
    @extend_schema(tags=TAGS, request=None, responses=MerchantPromotionOutput)
    def post(self, request, promotion_id: int):
        promotion = services.promotion_pause(promotion=_promotion(promotion_id))
        return Response(_output(promotion))


class PromotionResumeApi(_PromotionAction):
    @extend_schema(tags=TAGS, request=None, responses=MerchantPromotionOutput)
    def post(self, request, promotion_id: int):
        promotion = services.promotion_resume(promotion=_promotion(promotion_id))
        return Response(_output(promotion))


class PromotionScheduleApi(_PromotionAction):
    @extend_schema(
        tags=TAGS, request=MerchantPromotionScheduleInput, responses=MerchantPromotionOutput
    )
    def post(self, request, promotion_id: int):
        promotion = _promotion(promotion_id)
        data = MerchantPromotionScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        promotion = services.promotion_schedule(promotion=promotion, **data.validated_data)
        return Response(_output(promotion))


class PromotionCopyApi(APIView):
    permission_classes = [ADD]

    @extend_schema(tags=TAGS, request=None, responses={201: MerchantPromotionOutput})
    def post(self, request, promotion_id: int):
        copy = services.promotion_copy(promotion=_promotion(promotion_id), actor=request.user)
        return Response(_output(copy), status=status.HTTP_201_CREATED)


class PromotionCodesApi(ListAPIView):
    """The promotion's named codes, paginated; a generated batch is downloaded as CSV."""

    serializer_class = MerchantPromotionCodeOutput

    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else CHANGE)()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Code.objects.none()
        return selectors.promotion_codes(promotion=_promotion(self.kwargs["promotion_id"]))

    @extend_schema(tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS, request=MerchantPromotionCodeInput, responses={201: MerchantPromotionCodeOutput}
    )
    def post(self, request, promotion_id: int):
        promotion = _promotion(promotion_id)
        data = MerchantPromotionCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        code = services.code_create(promotion=promotion, **data.validated_data)
        return Response(MerchantPromotionCodeOutput(code).data, status=status.HTTP_201_CREATED)


class PromotionBatchesApi(ListAPIView):
    """The promotion's generated batches of codes, newest first, paginated; POST generates one
    (campaigns.services.codes.code_batch_generate: unique, unguessable codes)."""

    serializer_class = MerchantPromotionBatchOutput

    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else CHANGE)()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CodeBatch.objects.none()
        promotion = _promotion(self.kwargs["promotion_id"])
        return CodeBatch.objects.filter(promotion=promotion).order_by("-created_at", "-id")

    @extend_schema(tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        request=MerchantPromotionBatchInput,
        responses={201: MerchantPromotionBatchOutput},
    )
    def post(self, request, promotion_id: int):
        promotion = _promotion(promotion_id)
        data = MerchantPromotionBatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        batch = code_batch_generate(promotion=promotion, actor=request.user, **data.validated_data)
        return Response(MerchantPromotionBatchOutput(batch).data, status=status.HTTP_201_CREATED)


class PromotionBatchCsvApi(APIView):
    """A batch's codes as CSV (code, uses, used), streamed."""

    permission_classes = [VIEW]

    @extend_schema(tags=TAGS, responses={(200, "text/csv"): bytes})
    def get(self, request, promotion_id: int, batch_id: int):
        batch = CodeBatch.objects.filter(pk=batch_id, promotion_id=promotion_id).first()
        if batch is None:
            raise NotFound(_("No such batch of codes."))
        response = StreamingHttpResponse(
            code_batch_csv(batch), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="promotion-{promotion_id}-batch-{batch_id}.csv"'
        )
        return response


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
        "gifts": [
            {
                "variant_id": g.variant_id,
                "sku": g.sku,
                "quantity": g.quantity,
                "label": g.label,
                "promotion": g.promotion,
                "in_cart": g.in_cart,
            }
            for g in preview.gifts
        ],
        "rejected_codes": quote.rejected_codes,
    }


class PromotionPreviewApi(APIView):
    """Try a cart: what these SKUs would pay on the channel now, for the customer, with the
    codes, and why (each line's discount and the promotion that gave it, the shipping
    discount, the codes refused and why). Nothing is saved."""

    permission_classes = [VIEW]

    @extend_schema(
        tags=TAGS, request=MerchantPromotionPreviewInput, responses=MerchantPromotionPreviewOutput
    )
    def post(self, request):
        data = MerchantPromotionPreviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        channel = Channel.objects.filter(code=values["channel"]).first()
        if channel is None:
            raise ValidationError.for_field("channel", _("No such channel."), code="unknown")
        customer = None
        if values.get("customer"):
            customer = Customer.objects.filter(pk=values["customer"]).first()
            if customer is None:
                raise ValidationError.for_field("customer", _("No such customer."), code="unknown")
        method = None
        if values.get("shipping_method"):
            method = ShippingMethod.objects.filter(
                channel=channel, code=values["shipping_method"]
            ).first()
            if method is None:
                raise ValidationError.for_field(
                    "shipping_method", _("No such shipping method on this channel."), code="unknown"
                )
        preview = selectors.cart_preview(
            channel=channel,
            customer=customer,
            lines=[selectors.PreviewLineInput(x["sku"], x["quantity"]) for x in values["lines"]],
            codes=values.get("codes") or (),
            shipping_method=method,
        )
        return Response(MerchantPromotionPreviewOutput(preview_as_dict(preview)).data)
