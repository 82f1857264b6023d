"""Sign-in, the store picker and the home screen of the staff screens."""

from __future__ import annotations

from typing import cast

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.views import SignInView
from staff.access import SESSION_STORE, staff_signed_in, staff_view
from staff.selectors import staff_stores


def _next(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


class StaffSignInView(SignInView):
    """The accounts sign-in (throttled, the same rules) on the staff screens' own page."""

    template_name = "staff/sign_in.html"

    def get_default_redirect_url(self) -> str:
        return reverse("staff:home")


@staff_view
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/home.html")


@staff_signed_in
@require_http_methods(["GET", "POST"])
def store_pick(request: HttpRequest) -> HttpResponse:
    """Choose the store to work at (staff of several stores)."""
    stores = staff_stores(user=cast(User, request.user))
    error = ""
    if request.method == "POST":
        code = request.POST.get("store", "")
        if any(store.code == code for store in stores):
            request.session[SESSION_STORE] = code
            return HttpResponseRedirect(_next(request, reverse("staff:home")))
        error = "unknown"
    return render(
        request,
        "staff/store_pick.html",
        {
            "stores": stores,
            "current": request.session.get(SESSION_STORE),
            "next": _next(request, ""),
            "error": error,
        },
        status=400 if error else 200,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("staff:sign-in"))
