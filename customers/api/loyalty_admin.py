"""The merchant API for the loyalty programme: read the programmes with their tiers, and change a
programme's terms through customers.loyalty.services. Merchant staff with the
customers.*_loyaltyprogramme permissions; tiers are edited in the admin."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.segment_views import merchant_perms
from customers.loyalty.services import loyalty_programme_update
from customers.models import LoyaltyProgramme, LoyaltyTier
from omni.api.serializers import ModelSerializer, Serializer
from omni.errors import NotFound

TAGS = ["loyalty"]
VIEW = merchant_perms("customers.view_loyaltyprogramme")
CHANGE = merchant_perms("customers.change_loyaltyprogramme")


class TierAdminOutput(ModelSerializer):
    class Meta:
        model = LoyaltyTier
        fields = ["id", "name", "name_tr", "name_en", "min_spend", "earn_multiplier"]
        read_only_fields = fields


class ProgrammeOutput(ModelSerializer):
    tiers = TierAdminOutput(many=True, read_only=True)

    class Meta:
        model = LoyaltyProgramme
        fields = [
            "id",
            "name",
            "currency",
            "earn_rate",
            "point_value",
            "expiry_months",
            "pending_days",
            "is_active",
            "tiers",
        ]
        read_only_fields = fields


class ProgrammeInput(Serializer):
    name = serializers.CharField(max_length=100, required=False)
    earn_rate = serializers.DecimalField(
        max_digits=8, decimal_places=4, min_value=0, required=False
    )
    point_value = serializers.DecimalField(max_digits=8, decimal_places=4, required=False)
    expiry_months = serializers.IntegerField(min_value=1, max_value=120, required=False)
    pending_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False)


def _programmes():
    return LoyaltyProgramme.objects.prefetch_related("tiers").order_by("currency")


class ProgrammeListApi(APIView):
    """Every loyalty programme (one per currency) with its tiers."""

    permission_classes = [VIEW]

    @extend_schema(tags=TAGS, responses=ProgrammeOutput(many=True))
    def get(self, request):
        return Response(ProgrammeOutput(_programmes(), many=True).data)


class ProgrammeDetailApi(APIView):
    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else CHANGE)()]

    def _programme(self, programme_id: int) -> LoyaltyProgramme:
        programme = _programmes().filter(pk=programme_id).first()
        if programme is None:
            raise NotFound("No such loyalty programme.")
        return programme

    @extend_schema(tags=TAGS, responses=ProgrammeOutput)
    def get(self, request, programme_id: int):
        return Response(ProgrammeOutput(self._programme(programme_id)).data)

    @extend_schema(tags=TAGS, request=ProgrammeInput, responses=ProgrammeOutput)
    def patch(self, request, programme_id: int):
        data = ProgrammeInput(data=request.data)
        data.is_valid(raise_exception=True)
        programme = loyalty_programme_update(
            programme=self._programme(programme_id), **data.validated_data
        )
        return Response(ProgrammeOutput(programme).data)
