"""Who may open a staff screen, and at which store.

Every staff view is wrapped in `staff_view`: a visitor is sent to the staff sign-in; a signed-in
user who is not staff gets a 403 page that says what the screens are for; a staff member works
at one store at a time (`request.store`, a store channel, and `request.location`, its stock
location), kept in the session and switched from the store picker. Store staff reach their own
stores only; merchant staff who may add orders reach any store. Anything a screen looks up by
id or number is filtered by `request.store` (or `request.location`) in the view's selector, so
what belongs to another store is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.models import User
from inventory.models import StockLocation
from sales_channels.models import Channel
from staff.selectors import staff_stores, user_may_use_staff_screens

SESSION_STORE = "staff_store"


class StaffRequest(HttpRequest):
    """The request a staff view gets (annotate views with it): signed-in staff at a store."""

    user: User
    store: Channel
    location: StockLocation | None
    stores: list[Channel]


def store_for_request(request: HttpRequest) -> tuple[Channel | None, list[Channel]]:
    """The store the staff member works at now: the one chosen in the session, else their only
    store; None when they must choose (or have none)."""
    stores = staff_stores(user=cast(User, request.user))
    chosen = request.session.get(SESSION_STORE)
    found = next((store for store in stores if store.code == chosen), None)
    if found is None and len(stores) == 1:
        found = stores[0]
    return found, stores


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A staff screen: signed in, staff, at a store (request.store, request.location,
    request.stores for the picker)."""

    @wraps(view)
    def wrapper(request: Any, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('staff:sign-in')}?{query}")
        if not user_may_use_staff_screens(request.user):
            return render(request, "staff/not_staff.html", status=403)
        store, stores = store_for_request(request)
        if store is None:
            if not stores:
                return render(request, "staff/no_store.html", status=403)
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('staff:store')}?{query}")
        request.store = store
        request.location = getattr(store, "store_location", None)
        request.stores = stores
        return view(request, *args, **kwargs)

    return wrapper


def staff_signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and staff, at no store yet (the store picker)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('staff:sign-in')}?{query}")
        if not user_may_use_staff_screens(request.user):
            return render(request, "staff/not_staff.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
