"""Gift cards on the web: the account's page ("Hediye kartlarım": the cards the shopper holds
or bought, with their code, balance and expiry, and a form that checks any card's balance and
history by its code and PIN) and the payment step's gift-card form, through the same services
as the API (rate-limited per address, and a card locked after five wrong PINs)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import throttle
from omni.errors import Conflict, Throttled, ValidationError
from orders.models import Order
from payments import selectors
from payments import selectors as payment_selectors
from payments import services as payment_services
from payments.forms import GatewayCardForm
from payments.services import gift_cards
from sales_channels.models import Channel
from storefront import services as storefront_services
from storefront.views.account import _signed_in
from storefront.views.legal import legal_forms_accept, legal_forms_context
from storefront.views.privacy import _me
from storefront.views.shopper import _field_errors, _shopper_order


class BalanceForm(forms.Form):
    code = forms.CharField(
        label=_("Gift card code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "XXXX-XXXX-XXXX-XXXX"}),
    )
    pin = forms.CharField(
        label=_("PIN"),
        max_length=12,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


@_signed_in
@require_http_methods(["GET", "POST"])
def gift_cards_page(request: HttpRequest) -> HttpResponse:
    customer = _me(request)
    form = BalanceForm(request.POST or None)
    found, refused, status = None, None, 200
    if request.method == "POST":
        try:
            throttle.gift_card_attempt(request)
            if form.is_valid():
                found = gift_cards.gift_card_balance(
                    code=form.cleaned_data["code"], pin=form.cleaned_data["pin"]
                )
        except Throttled as error:
            refused = error
            form.add_error(None, error.message)
        except ValidationError as error:
            _field_errors(form, error, rename={"gift_card_code": "code", "gift_card_pin": "pin"})
        if found is None:
            status = 400
    response = render(
        request,
        "storefront/account/gift_cards.html",
        {
            "cards": list(selectors.gift_cards_of_customer(customer=customer)[:50]),
            "form": form,
            "found": found,
        },
        status=status,
    )
    return throttle.page_refused(response, refused) if refused else response


# --- paying an order with a gift card (the payment step) --------------------------------------


class GiftCardPayForm(forms.Form):
    gift_card_code = forms.CharField(
        label=_("Gift card code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "XXXX-XXXX-XXXX-XXXX"}),
    )
    gift_card_pin = forms.CharField(
        label=_("PIN"),
        max_length=12,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


def gift_card_pay_context(order: Order, gift_form: GiftCardPayForm | None = None) -> dict:
    """What the payment step shows about gift cards: the form, what is still due, and what gift
    cards paid already."""
    due, paid = payment_selectors.order_gift_card_totals(order=order)
    return {"gift_form": gift_form or GiftCardPayForm(), "due": due, "gift_paid": paid}


@require_POST
def pay_gift_card(request: HttpRequest, number: str) -> HttpResponse:
    """Pay as much of the order as the card holds (the rest by card on the same page); the
    PIN's tries and the address's limit as everywhere (a form error, 429 when locked)."""
    order = _shopper_order(request, number)
    if order.status != Order.Status.PENDING:
        return redirect("storefront:done", number=order.number)
    channel: Channel = request.channel  # type: ignore[attr-defined]  # set by on_web
    gift_form = GiftCardPayForm(request.POST)
    legal_form = legal_forms_accept(request, order)
    refused = None
    try:
        throttle.gift_card_attempt(request)
        if gift_form.is_valid() and legal_form is None:
            payment, _result = payment_services.payment_start(
                order=order,
                gateway_code="gift_card",
                actor=request.user if request.user.is_authenticated else None,
                channel=channel,
                gift_card_code=gift_form.cleaned_data["gift_card_code"],
                gift_card_pin=gift_form.cleaned_data["gift_card_pin"],
            )
            messages.success(
                request,
                gettext("%(amount)s %(currency)s paid with your gift card.")
                % {"amount": formats.localize(payment.amount), "currency": payment.currency},
            )
            return redirect("storefront:pay", number=order.number)
    except Throttled as error:
        refused = error
        gift_form.add_error(None, error.message)
    except (ValidationError, Conflict) as error:
        if isinstance(error, ValidationError):
            _field_errors(
                gift_form, error, rename={"gateway": "gift_card_code", "amount": "gift_card_code"}
            )
        else:
            gift_form.add_error(None, error.message)
    gateways = storefront_services.online_gateways(channel=channel)
    response = render(
        request,
        "storefront/pay.html",
        {
            "order": order,
            "form": GatewayCardForm(gateways=gateways) if gateways else None,
            **gift_card_pay_context(order, gift_form),
            **legal_forms_context(order, legal_form),
            "legal_where": "gift-card",  # the form whose checkbox was sent says what is wrong
        },
        status=400,
    )
    return throttle.page_refused(response, refused) if refused else response
