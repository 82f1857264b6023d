"""The gift-card API: the shopper's own cards, a balance check by code and PIN (rate-limited
per address, and each card locked after five wrong PINs), and for merchant staff the list of
cards with filters and the issue of a card with a reason. Thin views over
payments.services.gift_cards and payments.selectors."""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework import status as http
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import throttle
from accounts.models import User
from customers.models import Customer
from customers.services import customer_for_user
from omni.api.pagination import PageNumberPagination
from omni.api.permissions import require_perms
from omni.api.serializers import ModelSerializer, Serializer
from omni.errors import ValidationError
from orders.api.serializers import MoneyField
from payments import selectors
from payments.models import GiftCard, GiftCardEntry
from payments.services import gift_cards as services

TAGS = ["gift cards"]
ADMIN_TAGS = ["merchant: gift cards"]


def _merchant(perm: str) -> type[BasePermission]:
    base = require_perms(perm)

    class MerchantPerm(base):  # type: ignore[valid-type,misc]
        def has_permission(self, request, view) -> bool:
            return super().has_permission(request, view) and request.user.is_merchant_staff

    return MerchantPerm


VIEW = _merchant("payments.view_giftcard")
ADD = _merchant("payments.add_giftcard")


class GiftCardEntryOutput(ModelSerializer):
    amount = MoneyField("amount", currency="card.currency")
    balance_after = MoneyField("balance_after", currency="card.currency")

    class Meta:
        model = GiftCardEntry
        fields = ["kind", "amount", "balance_after", "order_number", "created_at"]


class GiftCardOutput(ModelSerializer):
    code = serializers.CharField(source="grouped")
    initial_amount = MoneyField("initial_amount")
    balance = MoneyField("balance")

    class Meta:
        model = GiftCard
        fields = ["id", "code", "status", "initial_amount", "balance", "expires_at", "source"]


class GiftCardStaffOutput(GiftCardOutput):
    holder = serializers.IntegerField(source="holder_id", allow_null=True)
    issued_by = serializers.CharField(source="issued_by.email", allow_null=True, default=None)

    class Meta(GiftCardOutput.Meta):
        fields = [
            *GiftCardOutput.Meta.fields,
            "holder",
            "issued_by",
            "reason",
            "locked_until",
            "created_at",
        ]


class GiftCardIssuedOutput(GiftCardStaffOutput):
    pin = serializers.SerializerMethodField()

    class Meta(GiftCardStaffOutput.Meta):
        fields = [*GiftCardStaffOutput.Meta.fields, "pin"]

    def get_pin(self, obj: GiftCard) -> str:
        return self.context["pin"]


class BalanceInput(Serializer):
    code = serializers.CharField(max_length=40)
    pin = serializers.CharField(max_length=12, write_only=True)


class BalanceOutput(Serializer):
    card = GiftCardOutput()
    entries = GiftCardEntryOutput(many=True)


class IssueInput(Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(max_length=3, default="TRY")
    reason = serializers.CharField(max_length=300)
    holder = serializers.IntegerField(required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class MyGiftCardsApi(generics.ListAPIView):
    """The signed-in shopper's gift cards: those they hold or bought, newest first, with their
    code, balance and expiry (`page`, `page_size`)."""

    permission_classes = [IsAuthenticated]
    serializer_class = GiftCardOutput
    pagination_class = PageNumberPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GiftCard.objects.none()
        user = cast(User, self.request.user)
        return selectors.gift_cards_of_customer(customer=customer_for_user(user=user))

    @extend_schema(tags=["me"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class GiftCardBalanceApi(APIView):
    """Any card's balance, expiry and latest movements, by its code and PIN. Counted per client
    address (429 past the limit); five wrong PINs lock the card for 15 minutes (429)."""

    permission_classes: list = []

    @extend_schema(tags=TAGS, request=BalanceInput, responses=BalanceOutput)
    def post(self, request):
        throttle.gift_card_attempt(request)
        data = _valid(BalanceInput, request.data)
        found = services.gift_card_balance(code=data["code"], pin=data["pin"])
        return Response(BalanceOutput({"card": found.card, "entries": found.entries}).data)


class GiftCardAdminApi(generics.ListAPIView):
    """Merchant staff: the gift cards, filtered, page by page (GET), and a card issued with a
    reason (POST, whose answer carries the PIN this once)."""

    serializer_class = GiftCardStaffOutput
    pagination_class = PageNumberPagination

    def get_permissions(self):
        return [(VIEW if self.request.method == "GET" else ADD)()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GiftCard.objects.none()
        params = self.request.query_params
        for name, choices in (("status", GiftCard.Status), ("source", GiftCard.Source)):
            if params.get(name) and params[name] not in choices.values:
                raise ValidationError.for_field(
                    name, str(_("Not a valid choice.")), code="invalid_choice"
                )
        holder = params.get("holder")
        if holder and not (holder.isdigit() and int(holder) < 2**63):
            raise ValidationError.for_field("holder", str(_("Enter a number.")), code="invalid")
        return selectors.gift_cards_query(
            status=params.get("status", ""),
            source=params.get("source", ""),
            holder=int(holder) if holder else None,
            code=services.gift_card_code_normalize(params.get("code", "")),
        )

    @extend_schema(
        tags=ADMIN_TAGS,
        parameters=[
            OpenApiParameter("status", str, enum=GiftCard.Status.values),
            OpenApiParameter("source", str, enum=GiftCard.Source.values),
            OpenApiParameter("holder", int),
            OpenApiParameter("code", str, description="the code's last characters"),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=ADMIN_TAGS, request=IssueInput, responses={201: GiftCardIssuedOutput})
    def post(self, request, *args, **kwargs):
        data = _valid(IssueInput, request.data)
        holder = None
        if data.get("holder"):
            holder = Customer.objects.filter(pk=data["holder"]).first()
            if holder is None:
                raise ValidationError.for_field(
                    "holder", str(_("No customer has this id.")), code="does_not_exist"
                )
        card, pin = services.gift_card_issue(
            amount=data["amount"],
            currency=data["currency"],
            reason=data["reason"],
            actor=request.user,
            holder=holder,
            expires_at=data.get("expires_at"),
        )
        card = GiftCard.objects.select_related("holder", "issued_by").get(pk=card.pk)
        out = GiftCardIssuedOutput(card, context={"pin": pin})
        return Response(out.data, status=http.HTTP_201_CREATED)
