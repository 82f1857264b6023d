"""The account's gift-card page ("Hediye kartlarım"): the cards the shopper holds or bought,
with their code, balance and expiry, and a form that checks any card's balance and history by
its code and PIN, through the same services as the API (rate-limited per address, and a card
locked after five wrong PINs)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts import throttle
from omni.errors import Throttled, ValidationError
from payments import selectors
from payments.services import gift_cards
from storefront.views.account import _signed_in
from storefront.views.privacy import _me
from storefront.views.shopper import _field_errors


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
