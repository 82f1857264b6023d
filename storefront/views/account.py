"""The account: sign-in, sign-up, sign-out and password reset; orders, returns, saved items,
addresses and the profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts import throttle
from customers import services as customers_services
from omni.errors import Conflict, NotFound, Throttled, ValidationError
from orders import selectors as order_selectors
from orders.models import Order
from orders.services import agreements, lifecycle, returns
from sales_channels.emails import email_context, email_sender
from storefront import forms, selectors
from storefront.views.shopper import (
    CART_SESSION_KEY,
    _customer,
    _field_errors,
    _merge_guest_cart,
    _next_url,
    _shopper_order,
)


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
    email_template_name = "storefront/email/password_reset.txt"
    html_email_template_name = "storefront/email/password_reset.html"
    subject_template_name = "storefront/email/password_reset_subject.txt"
    success_url = reverse_lazy("storefront:password-reset-done")

    def form_valid(self, form):
        try:
            throttle.password_reset_attempt(self.request, email=form.cleaned_data["email"])
        except Throttled as error:
            form.add_error(None, error.message)
            return throttle.page_refused(self.form_invalid(form), error)
        # As every e-mail to a shopper: from the retailer, looking like the shop.
        self.from_email = email_sender()
        self.extra_email_context = email_context(language=get_language() or "tr")
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
    page = selectors.order_page(customer=_customer(request), number=request.GET.get("page") or 1)
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
            "timeline": selectors.order_timeline(order),
            "can_return": returns.return_window_open(order=order),
            "legal_forms": agreements.agreements_list(order),
            "payments": selectors.order_payments_shown(order),
            "next": selectors.order_next_steps(order),
        },
    )


@_signed_in
@require_POST
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """Cancel an order still awaiting payment (orders' cancel service: the stock goes back)."""
    order = _shopper_order(request, number)
    try:
        lifecycle.order_cancel(
            order=order,
            actor=request.user,
            channel=request.channel,
            reason=_("Cancelled by the customer before paying."),
            only_from=(Order.Status.PENDING,),
        )
    except Conflict as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
    return redirect("storefront:order", number=order.number)


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
        {"addresses": list(selectors.address_list(customer=customer)), "form": form},
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
