"""Checkout and payment: the checkout form, the payment step, back from 3-D Secure, done."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from customers import services as customers_services
from customers.services import customer_for_guest
from omni.errors import Conflict, InsufficientStock, OmniError, ValidationError
from orders import selectors as order_selectors
from orders.models import Cart, Order
from orders.services import carts
from orders.services import checkout as checkout_services
from payments import services as payment_services
from payments.forms import InstalmentCardForm
from payments.pages import provider_page
from storefront import forms, selectors, services
from storefront.views.gift_cards import gift_card_pay_context
from storefront.views.legal import legal_forms_accept, legal_forms_context
from storefront.views.shopper import (
    CART_SESSION_KEY,
    LAST_CART_SESSION_KEY,
    ORDERS_SESSION_KEY,
    _cart,
    _customer,
    _field_errors,
    _remember_count,
    _shopper_order,
)


def _checkout_form(request: HttpRequest, cart: Cart, data=None):
    customer = _customer(request)
    city = (data or {}).get("city", "") if data is not None else ""
    initial: dict = {}
    if customer is not None and data is None:
        default = selectors.address_list(customer=customer).first()
        initial = {"email": customer.email, "phone": customer.phone}
        if default is not None:
            initial.update(
                full_name=default.full_name,
                address_phone=default.phone,
                line1=default.line1,
                line2=default.line2,
                district=default.district,
                city=default.city,
                postal_code=default.postal_code,
            )
            city = default.city
    options = checkout_services.delivery_options(
        cart=cart, channel=request.channel, city=city, shopper=True
    )
    form = forms.CheckoutForm(
        data,
        initial=initial,
        guest=customer is None,
        methods=options["shipping_methods"],
        stores=options["pickup_stores"],
    )
    return form, options


@require_http_methods(["GET", "POST"])
def checkout_view(request: HttpRequest) -> HttpResponse:
    cart = _cart(request)
    if request.method == "POST":  # the same form sent again (a double click, a reload)
        placed = selectors.order_placed_with_key(
            scope=_checkout_scope(request, cart), key=request.POST.get("idempotency_key", "")
        )
        if placed is not None:
            return redirect("storefront:pay", number=placed)
    if cart is None or not cart.lines.exists():
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    if request.method == "GET":
        return _checkout_start(request, cart)
    return _checkout_place(request, cart)


def _checkout_start(request: HttpRequest, cart: Cart) -> HttpResponse:
    """The checkout form, shown: the cart's stock is held while the shopper fills it in."""
    try:  # hold the stock while the shopper checks out (the web channel's minutes)
        carts.cart_reserve(cart=cart, channel=request.channel)
    except InsufficientStock as error:
        messages.error(request, _stock_message(error))
        return redirect("storefront:cart")
    form, options = _checkout_form(request, cart)
    return _checkout_render(request, cart, form, options)


def _checkout_place(request: HttpRequest, cart: Cart) -> HttpResponse:
    """The checkout form, sent: the delivery, then the order placed once for its key."""
    channel = request.channel
    customer = _customer(request)
    form, options = _checkout_form(request, cart, request.POST)
    if not form.is_valid():
        return _checkout_render(request, cart, form, options, status=400)
    values = form.cleaned_data
    try:
        delivery = checkout_services.delivery_build(
            channel=channel,
            method=values["delivery"],
            shipping_method=values.get("shipping_method"),
            address=form.address(),
            pickup_location=values.get("pickup_location"),
            shopper=True,
        )
    except ValidationError as error:
        _field_errors(form, error, forms.ADDRESS_ERROR_FIELDS)
        return _checkout_render(request, cart, form, options, status=400)

    def place(record):
        return checkout_services.order_place(
            cart=cart,
            channel=channel,
            delivery=delivery,
            email=values.get("email", ""),
            phone=values.get("phone", ""),
            customer=customer
            or customer_for_guest(
                email=values.get("email", ""),
                phone=values.get("phone", ""),
                language=get_language() or "tr",
                channel=channel,
            ),
            actor=request.user if request.user.is_authenticated else None,
            idempotency=record,
            language=get_language(),
        )

    try:
        order = checkout_services.order_place_once(
            scope=_checkout_scope(request, cart),
            key=values["idempotency_key"],
            fingerprint=checkout_services.request_fingerprint(
                {"channel": channel.code, **form.place_values()}
            ),
            place=place,
        )
    except checkout_services.CartChanged:
        messages.warning(
            request, _("Some items changed since you added them. Review your cart and try again.")
        )
        return redirect("storefront:cart")
    except InsufficientStock as error:
        messages.error(request, _stock_message(error))
        return redirect("storefront:cart")
    except checkout_services.PlacementRefused as error:
        # A promotion used up meanwhile: the form says so beside the cart priced again, with a
        # new key (the one sent answers this refusal again), so it can be placed as it is now.
        data = request.POST.copy()
        data["idempotency_key"] = str(uuid.uuid4())
        form, options = _checkout_form(request, cart, data)
        form.is_valid()
        form.add_error(None, error.message)
        return _checkout_render(request, cart, form, options, status=409)
    except ValidationError as error:
        _field_errors(form, error, forms.ADDRESS_ERROR_FIELDS)
        return _checkout_render(request, cart, form, options, status=400)
    except Conflict as error:
        messages.error(request, str(error.message))
        return redirect("storefront:cart")
    if customer is not None and values.get("save_address") and delivery.address:
        customers_services.address_save(customer=customer, data=delivery.address)
    return _checkout_placed(request, cart, customer, order)


def _checkout_placed(request: HttpRequest, cart: Cart, customer, order: Order) -> HttpResponse:
    """After the order: a guest's session remembers it and forgets the cart; on to payment."""
    if customer is None:
        numbers = request.session.get(ORDERS_SESSION_KEY, [])
        request.session[ORDERS_SESSION_KEY] = [*numbers[-19:], order.number]
        request.session[LAST_CART_SESSION_KEY] = str(cart.token)
        request.session.pop(CART_SESSION_KEY, None)
    return redirect("storefront:pay", number=order.number)


def _checkout_scope(request: HttpRequest, cart: Cart | None) -> str:
    """The API's Idempotency-Key scopes, so that a key is one order whichever face sent it."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    token = cart.token if cart is not None else request.session.get(LAST_CART_SESSION_KEY, "")
    return f"cart:{token}"


def _stock_message(error: InsufficientStock) -> str:
    return _("Some items are no longer available in the quantity you chose: %(skus)s.") % {
        "skus": ", ".join(sku for sku, _asked, _left in error.items)
    }


def _checkout_render(request, cart, form, options, *, status: int = 200) -> HttpResponse:
    summary = order_selectors.cart_summary(
        cart=cart, channel=request.channel, customer=_customer(request)
    )
    _remember_count(request, summary.item_count)
    methods = {m["code"]: m for m in options["shipping_methods"]}
    stores = {s["code"]: s for s in options["pickup_stores"]}
    return render(
        request,
        "storefront/checkout.html",
        {
            "form": form,
            "summary": summary,
            "methods": [
                (choice, methods[choice.data["value"]]) for choice in form["shipping_method"]
            ],
            "stores": [
                (choice, stores[choice.data["value"]]) for choice in form["pickup_location"]
            ],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, number: str) -> HttpResponse:
    """The payment step: the legal forms of a distance sale to accept, then an online gateway
    of the web channel and the card; 3-D Secure sends the shopper to the bank and back to
    pay_return."""
    order = _shopper_order(request, number)
    if order.status != Order.Status.PENDING:
        return redirect("storefront:done", number=order.number)
    gateways = services.online_gateways(channel=request.channel)
    form = InstalmentCardForm(request.POST or None, gateways=gateways) if gateways else None
    legal_form = legal_forms_accept(request, order) if request.method == "POST" else None
    if request.method == "POST" and form is not None and form.is_valid() and legal_form is None:
        step = services.payment_begin(
            order=order,
            gateway_code=form.cleaned_data["gateway"],
            card=form.card(),
            return_url=request.build_absolute_uri(
                reverse("storefront:pay-return", args=[order.number])
            ),
            actor=request.user,
            instalments=form.instalment_count(),
        )
        if step.status == "redirect" and step.redirect_url:
            return HttpResponseRedirect(step.redirect_url)
        if step.status == "redirect" and step.html:
            return provider_page(step.html)  # the bank's self-submitting 3-D Secure form
        if step.status == "paid":
            return redirect("storefront:done", number=order.number)
        form.add_error(None, step.message)
    refused = (form is not None and bool(form.errors)) or legal_form is not None
    return render(
        request,
        "storefront/pay.html",
        {
            "order": order,
            "form": form,
            **gift_card_pay_context(order),
            **legal_forms_context(order, legal_form),
            "legal_where": "card",  # the form whose checkbox was sent says what is wrong
        },
        status=400 if refused else 200,
    )


@require_GET
def pay_instalments(request: HttpRequest, number: str) -> HttpResponse:
    """The card step's instalments (an htmx partial): for the card's BIN (`bin`, its first six
    digits, never more) and the chosen gateway, each count with its monthly amount and total.
    Anything it cannot tell is the single payment: the payment start checks the count again."""
    order = _shopper_order(request, number)
    gateways = dict(services.online_gateways(channel=request.channel))
    gateway = request.GET.get("gateway") or next(iter(gateways), "")
    plan, problem = None, ""
    if gateway in gateways and order.status == Order.Status.PENDING:
        try:
            plan = payment_services.instalment_options(
                order=order,
                gateway_code=gateway,
                bin_number=request.GET.get("bin", "")[:6],
                channel=request.channel,
            )
        except ValidationError:
            plan = None
        except OmniError:  # the provider cannot be reached, nothing due
            problem = _("Instalments cannot be shown right now; you can pay in one.")
    return render(
        request,
        "storefront/partials/instalments.html",
        {
            "plan": plan,
            "problem": problem,
            "chosen": chosen if plan and plan.option(chosen := _chosen(request)) else 1,
        },
    )


def _chosen(request: HttpRequest) -> int:
    value = request.GET.get("instalments", "")
    return int(value) if value.isdigit() else 1


@csrf_exempt  # the bank's page posts the shopper back here (a cross-site POST: no session)
@require_http_methods(["GET", "POST"])
def pay_return(request: HttpRequest, number: str) -> HttpResponse:
    """Back from 3-D Secure: finish the order's waiting payment (payments ask the provider for
    the result) and go on to the confirmation, which checks whose order it is."""
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise Http404
    step = services.payment_finish(
        order=order, params={**request.GET.dict(), **request.POST.dict()}
    )
    if step.status == "declined":
        messages.error(request, step.message)
        return redirect("storefront:pay", number=order.number)
    return redirect("storefront:done", number=order.number)


@require_GET
def done(request: HttpRequest, number: str) -> HttpResponse:
    """The confirmation: delivery, payment, the pickup code where there is one, what next."""
    order = _shopper_order(request, number)
    return render(
        request,
        "storefront/done.html",
        {
            "order": order,
            "payments": selectors.order_payments_shown(order),
            "next": selectors.order_next_steps(order),
        },
    )


# --- account --------------------------------------------------------------------------------
