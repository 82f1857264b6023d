"""The cart and the saved items ("save for later")."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from omni.errors import Conflict, NotFound, OmniError, ValidationError
from orders import selectors as order_selectors
from orders.services import carts
from storefront import forms
from storefront.views.shopper import (
    CART_SESSION_KEY,
    _404,
    _cart,
    _customer,
    _next_url,
    _remember_count,
)


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    form = forms.AddToCartForm(request.POST)
    back = _next_url(request, reverse("storefront:cart"))
    if not form.is_valid():
        messages.error(request, _("Choose an option and a quantity."))
        return HttpResponseRedirect(back)
    try:
        variant_id = order_selectors.variant_id_for_sku(form.cleaned_data["sku"])
        customer = _customer(request)
        # No cart yet: cart_add starts one with the line, so a refused item leaves none.
        line = carts.cart_add(
            cart=None if customer else _cart(request),
            customer=customer,
            channel=request.channel,
            variant_id=variant_id,
            quantity=form.cleaned_data["quantity"],
        )
    except (ValidationError, Conflict) as error:
        messages.error(request, _first_message(error))
        return HttpResponseRedirect(back)
    if customer is None:
        request.session[CART_SESSION_KEY] = str(line.cart.token)
    messages.success(request, _("Added to your cart."))
    return redirect("storefront:cart")


def _first_message(error: OmniError) -> str:
    for msgs in (error.fields or {}).values():
        if msgs:
            return str(msgs[0])
    return str(error.message)


@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    return cart_page(request)


def cart_page(
    request: HttpRequest, *, code_form: forms.PromotionCodeForm | None = None, status: int = 200
) -> HttpResponse:
    """The cart page; with a refused code, its form shows why (the cart is unchanged)."""
    cart = _cart(request)
    customer = _customer(request)
    summary = (
        order_selectors.cart_summary(cart=cart, channel=request.channel, customer=customer)
        if cart
        else None
    )
    _remember_count(request, summary.item_count if summary else 0)
    saved = (
        list(order_selectors.saved_item_list(customer=customer, channel=request.channel)[:50])
        if customer
        else []
    )
    changes = {c.line_id: c for c in summary.changes} if summary else {}
    return render(
        request,
        "storefront/cart.html",
        {
            "summary": summary,
            "saved": saved,
            "changes": changes,
            "code_form": code_form or forms.PromotionCodeForm(),
        },
        status=status,
    )


@require_POST
def cart_line(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = _cart(request)
    if cart is None:
        raise Http404
    form = forms.QuantityForm(request.POST)
    try:
        if request.POST.get("action") == "remove" or (
            form.is_valid() and form.cleaned_data["quantity"] == 0
        ):
            carts.cart_remove(cart=cart, channel=request.channel, line_id=line_id)
        elif form.is_valid():
            carts.cart_set_quantity(
                cart=cart,
                channel=request.channel,
                line_id=line_id,
                quantity=form.cleaned_data["quantity"],
            )
        else:
            messages.error(request, _("Enter a quantity from 0 to 99."))
    except NotFound as error:
        raise _404(error) from None
    except (ValidationError, Conflict) as error:
        messages.error(request, _first_message(error))
    return redirect("storefront:cart")


@require_POST
def cart_refresh(request: HttpRequest) -> HttpResponse:
    cart = _cart(request)
    if cart is not None:
        changes = carts.cart_refresh(cart=cart, channel=request.channel)
        if changes:
            messages.info(request, _("Your cart is up to date with today's prices and stock."))
    return redirect("storefront:cart")


@require_POST
def saved_add(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        messages.info(request, _("Sign in to save items for later."))
        return redirect(f"{reverse('storefront:sign-in')}?next={_next_url(request, '')}")
    try:
        variant_id = order_selectors.variant_id_for_sku(request.POST.get("sku", ""))
        carts.saved_item_add(customer=customer, variant_id=variant_id)
        line_id = request.POST.get("line")
        if line_id:  # "save for later" from the cart: the line leaves the cart
            cart = _cart(request)
            if cart is not None:
                carts.cart_remove(cart=cart, channel=request.channel, line_id=int(line_id))
    except (ValidationError, NotFound) as error:
        messages.error(request, _first_message(error))
        return HttpResponseRedirect(_next_url(request, reverse("storefront:saved")))
    messages.success(request, _("Saved for later."))
    return HttpResponseRedirect(_next_url(request, reverse("storefront:saved")))


@require_POST
def saved_change(request: HttpRequest, sku: str) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        raise Http404
    try:
        variant_id = order_selectors.variant_id_for_sku(sku)
        if request.POST.get("action") == "move":
            carts.saved_item_move_to_cart(
                customer=customer, channel=request.channel, variant_id=variant_id
            )
            messages.success(request, _("Moved to your cart."))
        else:
            carts.saved_item_remove(customer=customer, variant_id=variant_id)
    except (ValidationError, NotFound):
        raise Http404 from None
    except Conflict as error:
        messages.error(request, _first_message(error))
    return HttpResponseRedirect(_next_url(request, reverse("storefront:saved")))


# --- checkout -------------------------------------------------------------------------------
