"""The payments API: thin views over payments.services.

Shoppers (signed in) pay their own orders and see their own payments: anyone else's order or
payment is a 404, as if it did not exist. Staff endpoints are for store staff (orders of their
stores, or collected there) and merchant staff holding the payments permission; anyone else
gets a 403, and an order out of a store clerk's reach is a 404."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import throttle
from accounts.models import User
from customers.merge import customer_resolved_pk
from customers.models import Customer
from customers.services import customer_for_user
from omni.errors import NotFound, ValidationError
from orders.models import Order
from orders.selectors import staff_channel_get
from payments import selectors, services
from payments.api import serializers
from payments.gateways.base import Card
from payments.models import Payment, Refund
from sales_channels.api.channel import CHANNEL_HEADER, CHANNEL_PARAMETER, request_channel

TAGS = ["payments"]
STAFF_TAGS = ["staff: payments"]
PERM_RECORD = "payments.add_payment"
PERM_REFUND = "payments.add_refund"
PERM_CREDIT = "payments.view_storecreditaccount"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A retry with the same key refunds once (or send `idempotency_key`).",
)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _require_currency(order: Order, data: dict) -> None:
    currency = data.get("currency")
    if currency and currency != order.currency:
        raise ValidationError.for_field(
            "currency",
            _("Order %(number)s is paid in %(currency)s.")
            % {"number": order.number, "currency": order.currency},
            code="currency_mismatch",
        )


def _require_gift_card(data: dict) -> None:
    for name in ("gift_card_code", "gift_card_pin"):
        if not data.get(name):
            raise ValidationError.for_field(
                name, _("Enter the gift card's code and PIN."), code="required"
            )


def _shown(payment: Payment) -> Payment:
    return selectors.payments_query().get(pk=payment.pk)


def _order_payments(order: Order, channel_code: str | None = None) -> dict:
    return {
        "order": order.number,
        "total": order.total,
        "due": selectors.order_amount_due(order=order),
        "currency": order.currency,
        "payments": list(selectors.payments_for_order(order=order)),
        "gateways": [cg.gateway for cg in selectors.channel_gateways(order.channel)],
    }


# --- shopper --------------------------------------------------------------------------------


def _customer(request: Request) -> Customer:
    return customer_for_user(user=request.user)


def _customer_order(request: Request, number: str) -> Order:
    order = Order.objects.filter(number=number, customer=_customer(request)).first()
    if order is None:
        raise NotFound(_("Order not found."), code="order_not_found")
    return order


def _customer_payment(request: Request, reference: str) -> Payment:
    payment = selectors.payment_get_for_customer(customer=_customer(request), reference=reference)
    if payment is None:
        raise NotFound(_("Payment not found."), code="payment_not_found")
    return payment


class OrderPaymentsApi(APIView):
    """The payments of one of the shopper's own orders and what is still due (GET); start a
    payment (POST)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=serializers.OrderPaymentsOutput)
    def get(self, request, number: str):
        order = _customer_order(request, number)
        return Response(serializers.OrderPaymentsOutput(_order_payments(order)).data)

    @extend_schema(
        tags=TAGS,
        parameters=[CHANNEL_PARAMETER],
        request=serializers.PaymentStartInput,
        responses={201: serializers.PaymentStartOutput},
        description=(
            "Pay (part of) what is due with a gateway the channel offers (`test`, or "
            "`store_credit`, `loyalty` points or a `gift_card` with `gift_card_code` and "
            "`gift_card_pin` on any channel). The answer's `status`: `captured` or `authorised` "
            "(paid), `action_required` (send the shopper to `next_action.redirect_url`; after "
            "they come back, POST `/payments/<reference>/complete/`), `pending` (the result "
            "comes later: poll `/payments/<reference>/`), `declined` or `failed`. An amount "
            "above what is due, or another currency than the order's, is a 400. A card payment "
            "in `instalments` takes a count the card offers (GET "
            "`/orders/<number>/instalments/`), checked again with the provider: another is a "
            "400 on `instalments`."
        ),
    )
    def post(self, request, number: str):
        order = _customer_order(request, number)
        data = _valid(serializers.PaymentStartInput, request.data)
        _require_currency(order, data)
        channel = (
            request_channel(request)
            if request.query_params.get("channel") or request.headers.get(CHANNEL_HEADER)
            else order.channel
        )
        card = Card(**data["card"]) if data.get("card") else None
        if data["gateway"] not in selectors.LEDGER_GATEWAYS and card is None:
            raise ValidationError.for_field("card", _("Enter the card details."), code="required")
        if data["gateway"] == "gift_card":
            _require_gift_card(data)
            throttle.gift_card_attempt(request)
        payment, result = services.payment_start(
            order=order,
            gateway_code=data["gateway"],
            amount=data.get("amount"),
            card=card,
            return_url=data.get("return_url", ""),
            actor=request.user,
            channel=channel,
            gift_card_code=data.get("gift_card_code", ""),
            gift_card_pin=data.get("gift_card_pin", ""),
            instalments=data["instalments"],
        )
        out = serializers.PaymentStartOutput(_shown(payment), context={"result": result})
        return Response(out.data, status=http.HTTP_201_CREATED)


class OrderInstalmentsApi(APIView):
    """The instalment options of a card for what is due on one of the shopper's orders."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        parameters=[serializers.InstalmentsQuery, CHANNEL_PARAMETER],
        responses=serializers.InstalmentPlanOutput,
        description=(
            "Instalments (taksit) for the card whose number starts with `bin_number`, with "
            "`gateway` (one the channel offers): each count with its monthly amount and its "
            "total, any instalment charge included, for what is due on the order. The single "
            "payment (count 1) comes first; a debit card, another currency or a gateway "
            "without instalments has only it. Pass the chosen count as `instalments` when "
            "starting the payment. A BIN that is not six digits is a 400 on `bin_number`."
        ),
    )
    def get(self, request, number: str):
        order = _customer_order(request, number)
        data = _valid(serializers.InstalmentsQuery, request.query_params)
        channel = (
            request_channel(request)
            if request.query_params.get("channel") or request.headers.get(CHANNEL_HEADER)
            else order.channel
        )
        plan = services.instalment_options(
            order=order,
            gateway_code=data["gateway"],
            bin_number=data["bin_number"],
            channel=channel,
        )
        out = serializers.InstalmentPlanOutput(
            {
                "order": order.number,
                "bin_number": plan.bin_number,
                "bank": plan.bank,
                "amount": plan.amount,
                "currency": plan.currency,
                "options": plan.options,
            }
        )
        return Response(out.data)


class PaymentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS, responses=serializers.PaymentOutput, description="A payment's status."
    )
    def get(self, request, reference: str):
        return Response(serializers.PaymentOutput(_customer_payment(request, reference)).data)


class PaymentCompleteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        request=serializers.PaymentCompleteInput,
        responses=serializers.PaymentOutput,
        description=(
            "After 3-D Secure: finish the payment. `params` are what the provider put in the "
            "return URL; the result is asked of the provider itself."
        ),
    )
    def post(self, request, reference: str):
        payment = _customer_payment(request, reference)
        data = _valid(serializers.PaymentCompleteInput, request.data)
        payment = services.payment_complete(payment=payment, params=data.get("params") or {})
        return Response(serializers.PaymentOutput(_shown(payment)).data)


# --- staff ----------------------------------------------------------------------------------


def _is_payment_staff(user: User, perm: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user.is_store_staff or (user.is_merchant_staff and user.has_perm(perm))


def _staff_permission(perm: str) -> type[BasePermission]:
    class StaffPermission(BasePermission):
        message = "Only store staff, or merchant staff with the permission, may do this."

        def has_permission(self, request, view) -> bool:
            return _is_payment_staff(request.user, perm)

    return StaffPermission


def _staff_order(request: Request, number: str, perm: str) -> Order:
    """An order the staff member may act on: merchant staff with `perm` any; store staff those
    of their stores or collected there. Otherwise not found."""
    orders = Order.objects.filter(number=number)
    user = request.user
    if not (user.is_merchant_staff and user.has_perm(perm)):
        stores = user.stores.values("pk")
        orders = orders.filter(Q(channel__in=stores) | Q(pickup_location__channel__in=stores))
    order = orders.select_related("channel").first()
    if order is None:
        raise NotFound(_("Order not found."), code="order_not_found")
    return order


class StaffOrderPaymentsApi(APIView):
    permission_classes = [_staff_permission(PERM_RECORD)]

    @extend_schema(tags=STAFF_TAGS, responses=serializers.OrderPaymentsOutput)
    def get(self, request, number: str):
        order = _staff_order(request, number, PERM_RECORD)
        return Response(serializers.OrderPaymentsOutput(_order_payments(order)).data)

    @extend_schema(
        tags=STAFF_TAGS,
        parameters=[CHANNEL_PARAMETER],
        request=serializers.OfflinePaymentInput,
        responses={201: serializers.PaymentOutput, 200: serializers.PaymentOutput},
        description=(
            "Record cash or a card-terminal payment taken at the counter, on the staff member's "
            "store (`?channel=` when they work at several). The same terminal `reference` again "
            "returns the first payment (200). A `gift_card` with `gift_card_code` and "
            "`gift_card_pin` pays from the card at once (`amount` optional)."
        ),
    )
    def post(self, request, number: str):
        order = _staff_order(request, number, PERM_RECORD)
        data = _valid(serializers.OfflinePaymentInput, request.data)
        _require_currency(order, data)
        code = request.query_params.get("channel") or request.headers.get(CHANNEL_HEADER)
        channel = staff_channel_get(user=request.user, code=code)
        if data["gateway"] == "gift_card":
            payment, _result = services.payment_start(
                order=order,
                gateway_code="gift_card",
                amount=data.get("amount"),
                actor=request.user,
                channel=channel,
                gift_card_code=data["gift_card_code"],
                gift_card_pin=data["gift_card_pin"],
            )
            return Response(
                serializers.PaymentOutput(_shown(payment)).data, status=http.HTTP_201_CREATED
            )
        before = Payment.objects.filter(order=order).count()
        payment = services.payment_record_offline(
            order=order,
            gateway_code=data["gateway"],
            amount=data["amount"],
            actor=request.user,
            channel=channel,
            reference=data.get("reference", ""),
        )
        created = Payment.objects.filter(order=order).count() > before
        return Response(
            serializers.PaymentOutput(_shown(payment)).data,
            status=http.HTTP_201_CREATED if created else http.HTTP_200_OK,
        )


class StaffRefundApi(APIView):
    permission_classes = [_staff_permission(PERM_REFUND)]

    @extend_schema(
        tags=STAFF_TAGS,
        parameters=[IDEMPOTENCY_PARAMETER],
        request=serializers.RefundInput,
        responses={201: serializers.RefundOutput},
        description=(
            "Refund part or all of what was captured, to the original payments or as store "
            "credit (`to`). Idempotent by key: a retry returns the first refund."
        ),
    )
    def post(self, request, number: str):
        order = _staff_order(request, number, PERM_REFUND)
        data = _valid(serializers.RefundInput, request.data)
        _require_currency(order, data)
        key = data.get("idempotency_key") or request.headers.get("Idempotency-Key", "")
        if not key:
            raise ValidationError.for_field(
                "idempotency_key",
                _("Send an Idempotency-Key header or an idempotency_key."),
                code="required",
            )
        refund = services.refund_create(
            order=order,
            amount=data["amount"],
            reason=data["reason"],
            to=data["to"],
            idempotency_key=f"staff:{order.pk}:{key}",
            actor=request.user,
        )
        refund = Refund.objects.select_related("order").get(pk=refund.pk)
        return Response(serializers.RefundOutput(refund).data, status=http.HTTP_201_CREATED)


class StaffStoreCreditApi(APIView):
    permission_classes = [_staff_permission(PERM_CREDIT)]

    @extend_schema(
        tags=STAFF_TAGS,
        responses=serializers.StoreCreditOutput,
        description="A customer's store-credit balance and latest entries.",
    )
    def get(self, request, customer_id: int):
        # A merged-away id: the survivor's credit.
        customer = Customer.objects.filter(pk=customer_resolved_pk(customer_id)).first()
        if customer is None:
            raise NotFound(_("Customer not found."), code="customer_not_found")
        balance, currency = selectors.store_credit_balance(customer=customer)
        return Response(
            serializers.StoreCreditOutput(
                {
                    "customer": customer.pk,
                    "balance": balance,
                    "currency": currency,
                    "entries": selectors.store_credit_entries(customer=customer),
                }
            ).data
        )
