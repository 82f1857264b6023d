from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import selectors, services
from customers.api.serializers import ConsentInput, ConsentOutput
from omni.client_address import client_address


class MyConsentsApi(APIView):
    """The signed-in customer's consents to commercial messages (KVKK and IYS): the decision in
    force per channel and recipient type. Withdrawing (RET) is as easy as giving (ONAY)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ConsentOutput(many=True), tags=["me"])
    def get(self, request):
        customer = services.customer_for_user(user=request.user)
        return Response(
            ConsentOutput(selectors.consents_current(customer=customer), many=True).data
        )

    @extend_schema(request=ConsentInput, responses={201: ConsentOutput}, tags=["me"])
    def post(self, request):
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        decision = services.consent_record(
            customer=services.customer_for_user(user=request.user),
            consent_type=values["type"],
            recipient_type=values["recipient_type"],
            status=values["status"],
            source=values["channel"],
            text_version=values["text_version"],
            ip_address=client_address(request) or None,
        )
        return Response(ConsentOutput(decision).data, status=status.HTTP_201_CREATED)
