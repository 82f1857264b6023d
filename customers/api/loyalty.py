"""The loyalty programme on the app API: the signed-in customer's balance, history and card
barcode, and a customer's loyalty for staff. Thin: each view calls one selector or service."""

from typing import cast

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from customers import services
from customers.api.serializers import LoyaltyOutput, loyalty_output
from customers.api.views import IsCustomerStaff
from customers.identities import loyalty_card_issue
from customers.loyalty import selectors
from customers.loyalty.card import loyalty_card_svg
from customers.models import Customer, LoyaltyEntry
from omni.api.pagination import PageNumberPagination
from omni.api.serializers import ModelSerializer
from omni.errors import NotFound


class LoyaltyEntryOutput(ModelSerializer):
    class Meta:
        model = LoyaltyEntry
        fields = [
            "id",
            "kind",
            "points",
            "pending",
            "amount",
            "order_number",
            "available_at",
            "expires_at",
            "created_at",
        ]
        read_only_fields = fields


def _summary(customer: Customer) -> dict:
    return loyalty_output(selectors.loyalty_summary(customer=customer))


class MyLoyaltyApi(APIView):
    """The signed-in customer's points: available (spendable at checkout; `value` is what they
    pay), pending (earned, waiting for the return window), the tier by 12-month spend and what
    is left to spend for the next one, and the loyalty card number."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=LoyaltyOutput, tags=["me"])
    def get(self, request):
        customer = services.customer_for_user(user=request.user)
        return Response(LoyaltyOutput(_summary(customer)).data)


class MyLoyaltyHistoryApi(generics.ListAPIView):
    """The signed-in customer's points history, newest first, page by page (`page`,
    `page_size` up to 100)."""

    permission_classes = [IsAuthenticated]
    serializer_class = LoyaltyEntryOutput
    pagination_class = PageNumberPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, signed in as nobody
            return LoyaltyEntry.objects.none()
        user = cast(User, self.request.user)  # IsAuthenticated
        return selectors.loyalty_history(customer=services.customer_for_user(user=user))

    @extend_schema(tags=["me"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MyLoyaltyCardApi(APIView):
    """The signed-in customer's loyalty card as a printable EAN-13 barcode (SVG). A customer
    without a card gets one (the same number every time after)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "image/svg+xml"): bytes}, tags=["me"])
    def get(self, request):
        card = loyalty_card_issue(customer=services.customer_for_user(user=request.user))
        response = HttpResponse(loyalty_card_svg(number=card.value), content_type="image/svg+xml")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class StaffCustomerLoyaltyApi(APIView):
    """A customer's points and tier, for store staff and merchant staff who may view
    customers."""

    permission_classes = [IsCustomerStaff]

    @extend_schema(responses=LoyaltyOutput, tags=["staff"])
    def get(self, request, customer_id: int):
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise NotFound("No such customer.")
        return Response(LoyaltyOutput(_summary(customer)).data)
