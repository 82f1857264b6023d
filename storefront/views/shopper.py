"""Whose cart and whose order: the shopper of a storefront request, and the helpers every page
family shares (the session's keys, the next URL, a service's errors on a form)."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest

from customers.models import Customer
from customers.services import customer_for_user
from omni.errors import NotFound, OmniError, ValidationError
from orders import selectors as order_selectors
from orders.models import Cart, Order
from orders.services import carts
from storefront import selectors

CART_SESSION_KEY = "storefront_cart"
ORDERS_SESSION_KEY = "storefront_orders"
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


def cart_count(request: HttpRequest) -> int:
    """The header's count: what the shopper's cart holds now, read from the cart itself (one
    query, none for a visitor without a cart), so a change made in the app or on another
    device shows on the next page. A page that has just read the cart hands its count over
    with _remember_count and saves the query."""
    if not hasattr(request, "_sf_cart_count"):
        if request.user.is_authenticated:
            count = order_selectors.cart_item_count(user_id=request.user.pk)
        else:
            token = _guest_token(request)
            count = order_selectors.cart_item_count(token=token) if token else 0
        request._sf_cart_count = count
    return request._sf_cart_count


def _remember_count(request: HttpRequest, count: int) -> None:
    """The count of the cart this request has read (or emptied), for the header."""
    request._sf_cart_count = count


def _merge_guest_cart(request: HttpRequest, user) -> None:
    """Signing in (or up) brings the guest cart into the customer's one cart (orders' merge)."""
    carts.cart_merge_on_sign_in(
        user=user, token=request.session.pop(CART_SESSION_KEY, None), channel=request.channel
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


def _first_message(error: OmniError) -> str:
    for msgs in (error.fields or {}).values():
        if msgs:
            return str(msgs[0])
    return str(error.message)


def _shopper_order(request: HttpRequest, number: str) -> Order:
    """The order if it is the shopper's: the customer's, or a guest's placed in this session."""
    customer = _customer(request)
    try:
        if customer is not None:
            return order_selectors.order_get_for_customer(customer=customer, number=number)
        order = order_selectors.order_detail_queryset().filter(number=number).first()
    except NotFound as error:
        raise _404(error) from None
    if order is None or not selectors.guest_may_see(
        order=order, numbers=request.session.get(ORDERS_SESSION_KEY, [])
    ):
        raise Http404
    return order
