"""Pay-by-link: the shopper's page (/pay/<token>/, server-rendered, Turkish or English) and the
staff API that makes a link, shows it as a QR code and sends it by SMS or e-mail.

Views are thin: read the form or the input, call one service of payments.links, render.
A link that does not verify is a 400 page, an expired or used one a 410, one whose cart or
order is gone a 404, one whose amount no longer matches a 409; none of them moves money.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from omni.api.serializers import Serializer
from omni.client_address import client_address
from omni.errors import NotFound, OmniError, ValidationError
from orders.api.cart_views import STAFF, StaffMixin
from orders.models import Order
from orders.services import carts
from payments import links
from payments.forms import CardForm
from payments.gateways.base import Status
from payments.models import Payment
from payments.pages import provider_page

# --- the shopper's page ---------------------------------------------------------------------


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    return wanted if wanted in ("tr", "en") else translation.get_language() or "tr"


def _error_page(request: HttpRequest, error: OmniError) -> HttpResponse:
    return render(request, "payments/link_error.html", {"error": error}, status=error.status_code)


def _page(
    request: HttpRequest,
    link: links.OpenLink,
    form: CardForm,
    *,
    error: str = "",
    code: int = 200,
    legal_error: str = "",
) -> HttpResponse:
    language = _language(request)
    return render(
        request,
        "payments/link.html",
        {
            "link": link,
            "form": form,
            "error": error,
            "lang": language,
            "legal_forms": links.link_agreements(link, language=language),
            "legal_error": legal_error,
            "legal_ticked": request.POST.get("accept_agreements") == "on",
        },
        status=code,
    )


def _result_response(
    request: HttpRequest, token: str, payment: Payment | None, *, html: str = "", redirect: str = ""
) -> HttpResponse:
    """Where the shopper goes after a payment step: the bank (3-D Secure) or the result."""
    if payment is not None and payment.status == Payment.Status.ACTION_REQUIRED:
        if redirect:
            return HttpResponseRedirect(redirect)
        if html:  # the provider's self-submitting form to the bank, under its own policy
            return provider_page(html)
    return HttpResponseRedirect(reverse("payment-links:done", kwargs={"token": token}))


@require_http_methods(["GET", "POST"])
def link_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what the link pays (lines, amount) and a card form. POST: pay with the card."""
    with translation.override(_language(request)):
        try:
            link = links.link_open(token=token)
        except OmniError as error:
            return _error_page(request, error)
        if request.method == "GET":
            return _page(request, link, CardForm())
        form = CardForm(request.POST)
        # a distance sale's legal forms, shown on the page, are accepted with the payment
        needs_forms = bool(links.link_agreements(link, language=_language(request)))
        ticked = request.POST.get("accept_agreements") == "on"
        if not form.is_valid() or (needs_forms and not ticked):
            legal_error = (
                _(
                    "Read and accept the pre-information form and the distance sales contract "
                    "before paying."
                )
                if needs_forms and not ticked
                else ""
            )
            return _page(request, link, form, code=400, legal_error=legal_error)
        return_url = request.build_absolute_uri(
            reverse("payment-links:return", kwargs={"token": token})
        )
        try:
            payment, result = links.link_pay(
                token=token,
                card=form.card(),
                return_url=return_url,
                accepted_ip=client_address(request) if needs_forms else None,
            )
        except OmniError as error:  # the link, the order service or the provider said no
            return _error_page(request, error)
        if result.status in (Status.DECLINED, Status.FAILED):
            message = _("The payment was not completed: %(reason)s No money was taken.") % {
                "reason": result.error_message or _("the bank refused it.")
            }
            return _page(request, link, CardForm(), error=message, code=402)
        return _result_response(
            request, token, payment, html=result.html, redirect=result.redirect_url
        )


@csrf_exempt  # the bank's page posts the shopper back here
@require_http_methods(["GET", "POST"])
def link_return(request: HttpRequest, token: str) -> HttpResponse:
    """Back from 3-D Secure: finish the payment (the provider is asked), then show the result."""
    with translation.override(_language(request)):
        try:
            link, payment = links.link_complete(
                token=token, params={**request.GET.dict(), **request.POST.dict()}
            )
        except OmniError as error:
            return _error_page(request, error)
        if payment is not None and payment.status in (
            Payment.Status.DECLINED,
            Payment.Status.FAILED,
            Payment.Status.CANCELLED,
        ):
            message = _("The payment was not completed: %(reason)s No money was taken.") % {
                "reason": payment.error_message or _("the bank refused it.")
            }
            return _page(request, link, CardForm(), error=message, code=402)
        return HttpResponseRedirect(reverse("payment-links:done", kwargs={"token": token}))


@require_http_methods(["GET"])
def link_done(request: HttpRequest, token: str) -> HttpResponse:
    with translation.override(_language(request)):
        try:
            link = links.link_open(token=token, allow_expired=True, allow_paid=True)
        except OmniError as error:
            return _error_page(request, error)
        return render(request, "payments/link_done.html", {"link": link})


# --- the staff API --------------------------------------------------------------------------


class LinkCreateInput(Serializer):
    order = serializers.CharField(
        required=False, help_text="An order's number: pay what it still owes."
    )
    customer = serializers.IntegerField(
        required=False, help_text="A customer's id: pay their cart (with the delivery below)."
    )
    delivery = serializers.ChoiceField(choices=Order.Delivery.choices, required=False)
    shipping_method = serializers.CharField(required=False, allow_blank=True, default="")
    address_id = serializers.IntegerField(
        required=False, help_text="One of the customer's saved addresses (home delivery)."
    )
    pickup_location = serializers.CharField(required=False, allow_blank=True, default="")
    send_by = serializers.MultipleChoiceField(
        choices=links.SEND_VIA, required=False, help_text="Send the link at once."
    )
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if bool(attrs.get("order")) == bool(attrs.get("customer")):
            raise serializers.ValidationError(
                {"order": [_("Give an order number or a customer, not both.")]}
            )
        if attrs.get("customer") and not attrs.get("delivery"):
            raise serializers.ValidationError(
                {"delivery": [_("Choose how the cart's order is delivered.")]}
            )
        return attrs


class LinkOutput(Serializer):
    url = serializers.URLField()
    token = serializers.CharField()
    kind = serializers.CharField(help_text='What the link pays: "cart" or "order".')
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField()
    qr_svg = serializers.CharField(help_text="The URL as a QR code: an SVG data URI.")
    sent_by = serializers.ListField(child=serializers.CharField())


def qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


class PaymentLinkCreateApi(StaffMixin, APIView):
    """Make a payment link for an order (what it still owes, on its channel) or for a
    customer's cart (on the staff member's channel, with the delivery given), and send it by
    SMS or e-mail if asked (after the commit). Store staff only for orders of their stores."""

    @extend_schema(
        tags=["staff"], parameters=STAFF, request=LinkCreateInput, responses={201: LinkOutput}
    )
    def post(self, request):
        data = LinkCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        send_by = sorted(values.get("send_by") or ())
        if values.get("order"):
            order = self._order(values["order"])
            customer = order.customer
            link = links.link_create_for_order(
                order=order, actor=request.user, sent_via=tuple(send_by)
            )
            phone, email = order.phone, order.email
            language = order.language
        else:
            self.kwargs["customer_id"] = values["customer"]
            customer = self.get_customer()
            channel = self.get_channel()
            cart = carts.cart_find_for_customer(customer=customer)
            if cart is None:  # nothing to pay; and a refused request starts no cart
                raise ValidationError.for_field(
                    "cart", gettext("The cart is empty."), code="empty_cart"
                )
            link = links.link_create_for_cart(
                cart=cart,
                channel=channel,
                delivery=values["delivery"],
                shipping_method=values.get("shipping_method", ""),
                address_id=values.get("address_id"),
                pickup_location=values.get("pickup_location", ""),
            )
            phone, email, language = customer.phone, customer.email, customer.language
        recipients = {"sms": values.get("phone") or phone, "email": values.get("email") or email}
        missing = {
            ("phone" if via == "sms" else "email"): [_("No recipient for this link.")]
            for via in send_by
            if not recipients[via]
        }
        if missing:
            raise ValidationError(fields=missing)
        for via in send_by:
            links.link_send(link=link, via=via, to=recipients[via], language=language)
        url = request.build_absolute_uri(link.path)
        return Response(
            LinkOutput(
                {
                    "url": url,
                    "token": link.token,
                    "kind": link.data.kind,
                    "amount": link.data.amount,
                    "currency": link.data.currency,
                    "expires_at": link.data.expires_at,
                    "qr_svg": qr_svg(url),
                    "sent_by": send_by,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )

    def _order(self, number: str) -> Order:
        """An order the staff member may act on: any for merchant staff; for store staff only
        one placed on one of their stores (another is not found, as if it did not exist)."""
        user = self.request.user
        orders = Order.objects.select_related("channel", "customer").filter(number=number)
        if user.is_store_staff:
            orders = orders.filter(channel__in=user.stores.all())
        order = orders.first()
        if order is None:
            raise NotFound(gettext("Order not found."), code="order_not_found")
        return order
