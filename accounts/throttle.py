"""One throttling policy for every way into an account: the storefront's and the browser's
sign-in, sign-up and password reset, the admin login, and the API's token and sign-up.

The scopes and their rates are the one table below (`OMNI_THROTTLE_RATES` overrides a rate).
django-ratelimit counts them in fixed windows in Django's `default` cache, which is Redis in
production, so every web process and server shares one count that a restart keeps. The client
is `omni.client_address` (the trusted proxies' word, never a raw header).

Sign-in counts failures only, keyed so that an attacker cannot lock a customer out:
- per e-mail and client address: the lock-out an attacker earns for themselves;
- per client address over every e-mail: credential stuffing from one client;
- per e-mail over every address: a distributed attack on one account. A client that signed in
  to that account before carries a signed "known device" cookie (or `X-Omni-Device` header,
  the value the API hands back in that header) and is exempt, so the customer's own devices
  still get in while the attack goes on (OWASP's device cookies).
Sign-up and password reset count every attempt, per address (and reset per e-mail too, counted
whether or not the account exists, so a limit reveals nothing; a known device is exempt from
the per-e-mail one, so that an attacker's requests do not stop the customer's).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

from accounts.models import normalize_email
from omni.client_address import client_address
from omni.errors import Throttled


@dataclass(frozen=True)
class Scope:
    name: str
    per: str  # "address", "account", "account+address" or "client" (a key the caller names)
    rate: str  # django-ratelimit's "count/period": "5/15m" is 5 per 15 minutes


SCOPES = {
    scope.name: scope
    for scope in (
        Scope("sign-in.account-address", per="account+address", rate="5/15m"),
        Scope("sign-in.address", per="address", rate="30/15m"),
        Scope("sign-in.account", per="account", rate="50/h"),
        Scope("sign-up.address", per="address", rate="10/h"),
        Scope("password-reset.address", per="address", rate="10/h"),
        Scope("password-reset.account", per="account", rate="3/h"),
        # The events API (customers' timeline ingest, up to 500 events a batch): per client (the
        # customer, or the visitor token's id) and per address, which a store's or a mobile
        # carrier's shared address reaches only with many clients behind it.
        Scope("events.client", per="client", rate="60/m"),
        Scope("events.address", per="address", rate="600/m"),
        # Gift cards' code and PIN, tried by a shopper (balance, payment) from one address: on
        # top of each card's own lock after five wrong PINs (payments.services.gift_cards).
        Scope("gift-card.address", per="address", rate="30/h"),
    )
}

DEVICE_COOKIE = "omni_device"
DEVICE_HEADER = "X-Omni-Device"
DEVICE_MAX_AGE = 365 * 24 * 3600
_DEVICE_SALT = "accounts.throttle.known-device"


def _rate(scope: Scope) -> str:
    return settings.OMNI_THROTTLE_RATES.get(scope.name, scope.rate)


def _address(request: HttpRequest) -> str:
    """The client's address; an IPv6 client is its /64, which one host usually has whole."""
    address = client_address(request)
    if ":" in address:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return address


def _usages(
    request: HttpRequest, scopes: Iterable[str], *, email: str, increment: bool, client: str = ""
) -> list[dict]:
    address = _address(request)
    keys = {
        "address": address,
        "account": email,
        "account+address": f"{email} {address}",
        "client": client,
    }
    usages = []
    for name in scopes:
        scope = SCOPES[name]
        usage = get_usage(
            request,
            group=name,
            key=lambda _group, _request, value=keys[scope.per]: value,
            rate=_rate(scope),
            increment=increment,
        )
        if usage is not None:  # None: RATELIMIT_ENABLE is off
            usages.append(usage)
    return usages


def _refuse(waits: list[int]) -> None:
    if waits:
        retry_after = max(max(waits), 1)
        minutes = math.ceil(retry_after / 60)
        raise Throttled(
            ngettext(
                "Too many attempts. Try again in %(minutes)d minute.",
                "Too many attempts. Try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
            retry_after=retry_after,
        )


# --- sign-in --------------------------------------------------------------------------------


def sign_in_allow(request: HttpRequest, *, email: str) -> None:
    """Raise Throttled when this client may not try this account's password now. Counted
    failures block once they reach the limit (a cache that cannot be read blocks too)."""
    email = normalize_email(email)
    scopes = ["sign-in.account-address", "sign-in.address"]
    if not device_known(request, email=email):
        scopes.append("sign-in.account")
    usages = _usages(request, scopes, email=email, increment=False)
    _refuse([u["time_left"] for u in usages if u["count"] >= u["limit"]])


def sign_in_failed(request: HttpRequest, *, email: str) -> None:
    """Count a wrong password (or an unknown or inactive account) in every sign-in scope."""
    email = normalize_email(email)
    _usages(
        request,
        ["sign-in.account-address", "sign-in.address", "sign-in.account"],
        email=email,
        increment=True,
    )


# --- attempts: sign-up, password reset --------------------------------------------------------


def _attempt(request: HttpRequest, scopes: list[str], *, email: str = "") -> None:
    usages = _usages(request, scopes, email=email, increment=True)
    _refuse([u["time_left"] for u in usages if u["should_limit"]])


def events_attempt(request: HttpRequest, *, client: str) -> None:
    """Count a batch sent to the events API by this client (a customer's or visitor's key) and
    from its address; raise Throttled past either limit."""
    usages = _usages(
        request, ["events.client", "events.address"], email="", increment=True, client=client
    )
    _refuse([u["time_left"] for u in usages if u["should_limit"]])


def gift_card_attempt(request: HttpRequest) -> None:
    """Count a gift card's code and PIN tried from this address; raise Throttled past the
    limit."""
    _attempt(request, ["gift-card.address"])


def sign_up_attempt(request: HttpRequest) -> None:
    """Count a sign-up from this client; raise Throttled past the limit."""
    _attempt(request, ["sign-up.address"])


def password_reset_attempt(request: HttpRequest, *, email: str) -> None:
    """Count a password-reset request from this client for this e-mail (whether or not it
    has an account); raise Throttled past either limit. A device that signed in to the account
    before is exempt from the per-e-mail limit, as at sign-in: an attacker who asks for the
    customer's resets cannot stop the customer asking from their own device."""
    email = normalize_email(email)
    scopes = ["password-reset.address"]
    if not device_known(request, email=email):
        scopes.append("password-reset.account")
    _attempt(request, scopes, email=email)


# --- known devices ----------------------------------------------------------------------------


def _account_key(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]


def device_token(*, email: str) -> str:
    """The signed mark of a device that signed in to this account."""
    return signing.dumps(_account_key(email), salt=_DEVICE_SALT)


def device_known(request: HttpRequest, *, email: str) -> bool:
    value = request.headers.get(DEVICE_HEADER) or request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return False
    try:
        account = signing.loads(value, salt=_DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return False
    return account == _account_key(email)


def device_remember(response: HttpResponse, *, email: str) -> HttpResponse:
    """After a successful sign-in: mark this device as known to the account (a cookie for the
    browser, and the same value in a header for an app to send back as `X-Omni-Device`)."""
    token = device_token(email=email)
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=DEVICE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    response[DEVICE_HEADER] = token
    return response


def page_refused(response: HttpResponse, error: Throttled) -> HttpResponse:
    """A page that refused a throttled client (its form shows why): 429 with Retry-After."""
    response.status_code = 429
    response["Retry-After"] = str(error.retry_after)
    return response
