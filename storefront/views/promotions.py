"""Promotion codes on the cart page: the same checks and the same cart codes as the app and the
store counter (campaigns.services.codes)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.services.codes import cart_code_apply, cart_code_remove
from omni.errors import Conflict, ValidationError
from sales_channels.models import Channel
from storefront import forms
from storefront.views.cart import cart_page
from storefront.views.shopper import _cart, _customer, _field_errors, _first_message


def _channel(request: HttpRequest) -> Channel:
    return request.channel  # type: ignore[attr-defined]  # set by storefront.urls.on_web


@require_POST
def cart_code_add(request: HttpRequest) -> HttpResponse:
    """Apply a code: refused (unknown, expired, used up, not here), the cart page shows why
    beside the field and the cart is unchanged."""
    form = forms.PromotionCodeForm(request.POST)
    cart = _cart(request)
    if cart is None:
        messages.error(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    if not form.is_valid():
        return cart_page(request, code_form=form, status=400)
    try:
        cart_code_apply(
            cart=cart,
            code=form.cleaned_data["code"],
            channel=_channel(request),
            customer=_customer(request),
        )
    except ValidationError as error:
        _field_errors(form, error)
        return cart_page(request, code_form=form, status=400)
    except Conflict as error:
        form.add_error("code", _first_message(error))
        return cart_page(request, code_form=form, status=409)
    messages.success(request, _("The code is on your cart."))
    return redirect("storefront:cart")


@require_POST
def cart_code_drop(request: HttpRequest) -> HttpResponse:
    cart = _cart(request)
    code = request.POST.get("code", "")
    if cart is not None and code:
        try:
            cart_code_remove(cart=cart, code=code, channel=_channel(request))
        except (ValidationError, Conflict) as error:
            messages.error(request, _first_message(error))
    return redirect("storefront:cart")
