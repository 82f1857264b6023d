"""A shopper's (and the app's) legal forms of a distance sale: GET reads both filled for the
order (or as accepted), POST accepts them. Payments refuse to start without them
(orders.services.agreements). Another customer's order is a 404."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from omni.client_address import client_address
from omni.errors import NotFound
from orders import selectors
from orders.api.agreement_serializers import AgreementsAcceptInput, AgreementsOutput
from orders.api.cart_views import SHOPPER, ShopperApi
from orders.models import Order
from orders.services import agreements

TAGS = ["orders"]


def _answer(order: Order) -> dict:
    required = agreements.agreements_required(order)
    kept = agreements.agreements_list(order) if required else []
    if kept:
        forms = [
            {
                "kind": a.kind,
                "title": a.get_kind_display(),
                "version": a.version,
                "language": a.language,
                "html": a.html,
                "sha256": a.sha256,
                "accepted_at": a.accepted_at,
            }
            for a in kept
        ]
    elif required:
        forms = [
            {
                "kind": r.kind,
                "title": r.title,
                "version": r.version,
                "language": r.language,
                "html": r.document,
                "sha256": r.sha256,
                "accepted_at": None,
            }
            for r in agreements.agreements_render(order)
        ]
    else:
        forms = []
    return {
        "order": order.number,
        "needed": required,
        "accepted": len(kept) == len(agreements.KINDS),
        "forms": forms,
    }


class OrderAgreementsApi(ShopperApi):
    permission_classes = [IsAuthenticated]

    def _order(self, number: str) -> Order:
        customer = self.get_customer()
        if customer is None:  # signed in, never a customer yet: none of their orders exist
            raise NotFound(_("Order not found."), code="order_not_found")
        return selectors.order_get_for_customer(customer=customer, number=number)

    @extend_schema(
        tags=TAGS,
        parameters=SHOPPER,
        responses=AgreementsOutput,
        description=(
            "The pre-information form and the distance sales contract of one of your orders, "
            "filled with the seller, you, the items, prices, delivery and the right of "
            "withdrawal, in the order's language. Once accepted, the texts exactly as accepted. "
            "An order of a store or marketplace needs none (`needed`: false, no forms)."
        ),
    )
    def get(self, request, number: str):
        return Response(AgreementsOutput(_answer(self._order(number))).data)

    @extend_schema(
        tags=TAGS,
        parameters=SHOPPER,
        request=AgreementsAcceptInput,
        responses={201: AgreementsOutput},
        description=(
            "Accept both forms (before `POST /orders/<number>/payments/`, which answers 400 on "
            "`agreements` without them). Accepting again returns the first acceptance. 400 on "
            "`accept` when it is not true, on `sha256` when a form changed since it was read, "
            "on `agreements` for an order that needs none; 409 when the order no longer "
            "awaits payment."
        ),
    )
    def post(self, request, number: str):
        order = self._order(number)
        data = AgreementsAcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        agreements.agreements_accept(
            order=order, ip=client_address(request), sha256=data.validated_data.get("sha256")
        )
        return Response(AgreementsOutput(_answer(order)).data, status=status.HTTP_201_CREATED)
