"""The web storefront: thin views over the same services and selectors as the API.

Whose cart: a signed-in customer's one active cart (the one the app and the stores see), or a
guest's cart whose token is kept in the session (the web's Cart-Token). Anything that is not
the shopper's (an order, a line, an address) is a 404.
"""

from __future__ import annotations

import json
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts import throttle
from catalog.models import Category
from customers import services as customers_services
from customers.models import Customer
from customers.services import customer_for_guest, customer_for_user
from omni.errors import (
    Conflict,
    InsufficientStock,
    NotFound,
    OmniError,
    Throttled,
    ValidationError,
)
from orders import selectors as order_selectors
from orders.models import Cart, Order
from orders.services import carts, checkout, returns
from payments.forms import GatewayCardForm
from payments.pages import provider_page
from storefront import forms, services
from storefront import selectors as sf

CART_SESSION_KEY = "storefront_cart"
ORDERS_SESSION_KEY = "storefront_orders"
COUNT_SESSION_KEY = "storefront_cart_count"
LAST_CART_SESSION_KEY = "storefront_last_cart"


def _404(error: OmniError | None = None):
    return Http404(error.message if error else "")


# --- whose cart -----------------------------------------------------------------------------


def _customer(request: HttpRequest) -> Customer | None:
    if not request.user.is_authenticated:
        return None
    if not hasattr(request, "_sf_customer"):
        request._sf_customer = customer_for_user(user=request.user, channel=request.channel)
    return request._sf_customer


def _guest_token(request: HttpRequest) -> UUID | None:
    try:
        return UUID(request.session.get(CART_SESSION_KEY, ""))
    except ValueError:
        return None


def _cart(request: HttpRequest) -> Cart | None:
    """The shopper's cart on the web: the customer's one cart, or the guest's by the token kept
    in the session (None until the first item is added: cart_add starts it)."""
    channel = request.channel
    customer = _customer(request)
    if customer is not None:
        return carts.cart_seen_for_customer(customer=customer, channel=channel)
    token = _guest_token(request)
    if token is not None:
        try:
            return carts.cart_by_token(token=token, channel=channel)
        except NotFound:
            request.session.pop(CART_SESSION_KEY, None)
    return None


def _remember_count(request: HttpRequest, count: int) -> None:
    request.session[COUNT_SESSION_KEY] = count


def _merge_guest_cart(request: HttpRequest, user) -> None:
    """Signing in (or up) brings the guest cart into the customer's one cart (orders' merge)."""
    token = request.session.pop(CART_SESSION_KEY, None)
    if not token:
        return
    try:
        anonymous = carts.cart_by_token(token=token)
    except NotFound:
        return
    channel = request.channel
    carts.cart_merge(
        anonymous=anonymous,
        customer=customer_for_user(user=user, channel=channel),
        channel=channel,
    )


def _next_url(request: HttpRequest, default: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _field_errors(form, error: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Put a service's field errors on the form's fields (input is kept by the bound form)."""
    rename = rename or {}
    for name, msgs in (error.fields or {}).items():
        key = name.rsplit(".", 1)[-1] if "." in name else name
        key = rename.get(key, key)
        for message in msgs:
            form.add_error(key if key in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)


# --- catalogue ------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    page = sf.home_page(channel=request.channel)
    return render(request, "storefront/home.html", {"page": page})


def _listing(request: HttpRequest, *, category: Category | None, template: str, extra: dict):
    listing = sf.product_listing(
        channel=request.channel,
        request=request,
        data=request.GET,
        category=category,
        page_number=request.GET.get("page") or 1,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"listing": listing, "category": category, "query": query.urlencode(), **extra}
    return render(request, template, context)


@require_GET
def category_view(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug, is_active=True)
    crumbs = [*Category.objects.get_ancestors(category), category]
    return _listing(
        request, category=category, template="storefront/listing.html", extra={"crumbs": crumbs}
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    return _listing(request, category=None, template="storefront/listing.html", extra={})


@require_GET
def product_view(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        page = sf.product_page(
            channel=request.channel,
            slug=slug,
            sku=request.GET.get("sku", ""),
            city=request.GET.get("city", "").strip()[:80],
        )
    except NotFound as error:
        raise _404(error) from None
    if request.headers.get("HX-Request") and request.GET.get("part") == "stores":
        return render(request, "storefront/partials/stores.html", {"page": page})
    return render(
        request,
        "storefront/product.html",
        {
            "page": page,
            "form": forms.AddToCartForm(
                initial={"sku": page.selected.sku if page.selected else ""}
            ),
            "structured_data": _product_ld(request, page),
        },
    )


def _product_ld(request: HttpRequest, page: sf.ProductPage) -> str:
    """schema.org Product with one Offer per variant (https://schema.org/Product)."""
    product = page.product
    url = request.build_absolute_uri(reverse("storefront:product", args=[product.slug]))
    availability = {
        "in_stock": "https://schema.org/InStock",
        "low": "https://schema.org/LimitedAvailability",
        "out": "https://schema.org/OutOfStock",
    }
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description,
        "sku": page.selected.sku if page.selected else "",
        "url": url,
        "image": [request.build_absolute_uri(i.image.url) for i in product.images.all()],
        "brand": {"@type": "Brand", "name": product.brand.name} if product.brand else None,
        "offers": [
            {
                "@type": "Offer",
                "sku": v.sku,
                "name": v.name,
                "price": str(v.price),
                "priceCurrency": v.currency,
                "availability": availability[v.state],
                "url": f"{url}?sku={v.sku}",
            }
            for v in page.variants
        ],
    }
    return json.dumps({k: v for k, v in data.items() if v not in (None, "", [])})


# --- cart -----------------------------------------------------------------------------------


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
        {"summary": summary, "saved": saved, "changes": changes},
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


def _checkout_form(request: HttpRequest, cart: Cart, data=None):
    customer = _customer(request)
    city = (data or {}).get("city", "") if data is not None else ""
    initial: dict = {}
    if customer is not None and data is None:
        default = sf.address_list(customer=customer).first()
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
    options = checkout.delivery_options(cart=cart, channel=request.channel, city=city)
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
    channel = request.channel
    if request.method == "POST":  # the same form sent again (a double click, a reload)
        placed = sf.order_placed_with_key(
            scope=_checkout_scope(request, cart), key=request.POST.get("idempotency_key", "")
        )
        if placed is not None:
            return redirect("storefront:pay", number=placed)
    if cart is None or not cart.lines.exists():
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    customer = _customer(request)
    if request.method == "GET":
        try:  # hold the stock while the shopper checks out (the web channel's minutes)
            carts.cart_reserve(cart=cart, channel=channel)
        except InsufficientStock as error:
            messages.error(request, _stock_message(error))
            return redirect("storefront:cart")
        form, options = _checkout_form(request, cart)
        return _checkout_render(request, cart, form, options)

    form, options = _checkout_form(request, cart, request.POST)
    if not form.is_valid():
        return _checkout_render(request, cart, form, options, status=400)
    values = form.cleaned_data
    try:
        delivery = checkout.delivery_build(
            channel=channel,
            method=values["delivery"],
            shipping_method=values.get("shipping_method"),
            address=form.address(),
            pickup_location=values.get("pickup_location"),
        )
    except ValidationError as error:
        _field_errors(form, error, forms.ADDRESS_ERROR_FIELDS)
        return _checkout_render(request, cart, form, options, status=400)

    def place(record):
        return checkout.order_place(
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
        order = checkout.order_place_once(
            scope=_checkout_scope(request, cart),
            key=values["idempotency_key"],
            fingerprint=checkout.request_fingerprint(
                {"channel": channel.code, **form.place_values()}
            ),
            place=place,
        )
    except checkout.CartChanged:
        messages.warning(
            request, _("Some items changed since you added them. Review your cart and try again.")
        )
        return redirect("storefront:cart")
    except InsufficientStock as error:
        messages.error(request, _stock_message(error))
        return redirect("storefront:cart")
    except ValidationError as error:
        _field_errors(form, error, forms.ADDRESS_ERROR_FIELDS)
        return _checkout_render(request, cart, form, options, status=400)
    except Conflict as error:
        messages.error(request, str(error.message))
        return redirect("storefront:cart")
    if customer is not None and values.get("save_address") and delivery.address:
        customers_services.address_save(customer=customer, data=delivery.address)
    if customer is None:
        numbers = request.session.get(ORDERS_SESSION_KEY, [])
        request.session[ORDERS_SESSION_KEY] = [*numbers[-19:], order.number]
        request.session[LAST_CART_SESSION_KEY] = str(cart.token)
        request.session.pop(CART_SESSION_KEY, None)
    _remember_count(request, 0)
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


def _shopper_order(request: HttpRequest, number: str) -> Order:
    """The order if it is the shopper's: the customer's, or a guest's placed in this session."""
    customer = _customer(request)
    try:
        if customer is not None:
            return order_selectors.order_get_for_customer(customer=customer, number=number)
        order = order_selectors.order_detail_queryset().filter(number=number).first()
    except NotFound as error:
        raise _404(error) from None
    if order is None or not sf.guest_may_see(
        order=order, numbers=request.session.get(ORDERS_SESSION_KEY, [])
    ):
        raise Http404
    return order


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, number: str) -> HttpResponse:
    """The payment step: an online gateway of the web channel and the card; 3-D Secure sends
    the shopper to the bank and back to pay_return."""
    order = _shopper_order(request, number)
    if order.status != Order.Status.PENDING:
        return redirect("storefront:done", number=order.number)
    gateways = services.online_gateways(channel=request.channel)
    form = GatewayCardForm(request.POST or None, gateways=gateways) if gateways else None
    if request.method == "POST" and form is not None and form.is_valid():
        step = services.payment_begin(
            order=order,
            gateway_code=form.cleaned_data["gateway"],
            card=form.card(),
            return_url=request.build_absolute_uri(
                reverse("storefront:pay-return", args=[order.number])
            ),
            actor=request.user,
        )
        if step.status == "redirect" and step.redirect_url:
            return HttpResponseRedirect(step.redirect_url)
        if step.status == "redirect" and step.html:
            return provider_page(step.html)  # the bank's self-submitting 3-D Secure form
        if step.status == "paid":
            return redirect("storefront:done", number=order.number)
        form.add_error(None, step.message)
    return render(
        request,
        "storefront/pay.html",
        {"order": order, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


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
    order = _shopper_order(request, number)
    return render(request, "storefront/done.html", {"order": order})


# --- account --------------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """Sign-in with the cart merge, throttled as every way in is (accounts.throttle: a form
    error and 429 once this client has failed too often for the account)."""

    template_name = "storefront/account/sign_in.html"
    authentication_form = forms.SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("storefront:account")

    def form_invalid(self, form):
        response = self.render_to_response(self.get_context_data(form=form), status=400)
        return throttle.page_refused(response, form.throttled) if form.throttled else response

    def form_valid(self, form):
        user = form.get_user()
        token = self.request.session.get(CART_SESSION_KEY)
        login(self.request, user)
        if token:
            self.request.session[CART_SESSION_KEY] = token
        _merge_guest_cart(self.request, user)
        response = HttpResponseRedirect(self.get_success_url())
        return throttle.device_remember(response, email=user.email)


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("storefront:account")
    form = forms.SignUpForm(request.POST or None)
    refused = None
    if request.method == "POST":
        try:
            throttle.sign_up_attempt(request)
        except Throttled as error:
            refused = error
            form.add_error(None, error.message)
    if request.method == "POST" and not refused and form.is_valid():
        try:
            user = accounts_services.user_create(
                **form.cleaned_data, language=get_language() or "tr"
            )
        except ValidationError as error:
            _field_errors(form, error)
        else:
            token = request.session.get(CART_SESSION_KEY)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if token:
                request.session[CART_SESSION_KEY] = token
            _merge_guest_cart(request, user)
            return HttpResponseRedirect(_next_url(request, reverse("storefront:account")))
    response = render(
        request,
        "storefront/account/sign_up.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
    return throttle.page_refused(response, refused) if refused else response


class SignOutView(auth_views.LogoutView):
    next_page = reverse_lazy("storefront:home")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "storefront/account/password_reset.html"
    email_template_name = "storefront/account/password_reset_email.txt"
    subject_template_name = "storefront/account/password_reset_subject.txt"
    success_url = reverse_lazy("storefront:password-reset-done")

    def form_valid(self, form):
        try:
            throttle.password_reset_attempt(self.request, email=form.cleaned_data["email"])
        except Throttled as error:
            form.add_error(None, error.message)
            return throttle.page_refused(self.form_invalid(form), error)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "storefront/account/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "storefront/account/password_reset_confirm.html"
    success_url = reverse_lazy("storefront:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "storefront/account/password_reset_complete.html"


def _signed_in(view):
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('storefront:sign-in')}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@_signed_in
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """Orders from every channel (store purchases included), newest first."""
    page = sf.order_page(customer=_customer(request), number=request.GET.get("page") or 1)
    return render(request, "storefront/account/orders.html", {"page": page})


@_signed_in
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _shopper_order(request, number)
    return render(
        request,
        "storefront/account/order.html",
        {
            "order": order,
            "timeline": sf.order_timeline(order),
            "can_return": returns.return_window_open(order=order),
        },
    )


@_signed_in
@require_http_methods(["GET", "POST"])
def order_return(request: HttpRequest, number: str) -> HttpResponse:
    order = _shopper_order(request, number)
    returnable = [
        (line, line.quantity_shipped - line.quantity_returned)
        for line in order.lines.all()
        if line.quantity_shipped - line.quantity_returned > 0
    ]
    form = forms.ReturnForm(request.POST or None, returnable=returnable)
    if request.method == "POST" and form.is_valid():
        lines = form.lines()
        if not lines:
            form.add_error(None, _("Choose at least one item to return."))
        else:
            try:
                returns.return_request(
                    order=order,
                    channel=request.channel,
                    lines=lines,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                _field_errors(form, error)
            except Conflict as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("Your return is requested."))
                return redirect("storefront:order", number=order.number)
    return render(
        request,
        "storefront/account/return.html",
        {"order": order, "form": form},
        status=400 if form.errors else 200,
    )


@_signed_in
@require_GET
def saved(request: HttpRequest) -> HttpResponse:
    items = list(
        order_selectors.saved_item_list(customer=_customer(request), channel=request.channel)[:100]
    )
    return render(request, "storefront/account/saved.html", {"items": items})


@_signed_in
@require_http_methods(["GET", "POST"])
def addresses(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    form = forms.AddressForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("delete"):
            try:
                customers_services.address_delete(
                    customer=customer, address_id=int(request.POST["delete"])
                )
            except (NotFound, ValueError):
                raise Http404 from None
            return redirect("storefront:addresses")
        if form.is_valid():
            data = dict(form.cleaned_data)
            is_default = data.pop("is_default", False)
            customers_services.address_save(customer=customer, data=data, is_default=is_default)
            messages.success(request, _("Address saved."))
            return redirect("storefront:addresses")
    return render(
        request,
        "storefront/account/addresses.html",
        {"addresses": list(sf.address_list(customer=customer)), "form": form},
        status=400 if form.errors else 200,
    )


@_signed_in
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST" and "sign_out_device" in request.POST:
        # The app's signed-in devices (API tokens): one, or every one of them.
        device = request.POST["sign_out_device"]
        if device == "all":
            accounts_services.auth_tokens_revoke_all(user=user)
        else:
            try:
                accounts_services.device_revoke(user=user, pk=int(device))
            except (NotFound, ValueError):
                raise Http404 from None
        messages.success(request, _("Signed out."))
        return redirect("storefront:profile")
    form = forms.ProfileForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "language": user.language,
        },
    )
    if request.method == "POST" and form.is_valid():
        accounts_services.user_update_profile(user=user, **form.cleaned_data)
        messages.success(request, _("Profile saved."))
        return redirect("storefront:profile")
    return render(
        request,
        "storefront/account/profile.html",
        {"form": form, "devices": list(accounts_selectors.devices_for_user(user=user))},
        status=400 if form.errors else 200,
    )
