"""The merchant's pages (returns, delivery, the KVKK notice, the cookie policy...) and the
cookie notice's "got it"."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from sales_channels.selectors import retailer_get
from storefront import content


@require_GET
def page_view(request: HttpRequest, slug: str) -> HttpResponse:
    page = content.shop_page_get(slug=slug)
    if page is None:
        raise Http404
    # storefront.urls.on_web sets the channel (its return window fills {{return_days}})
    channel = getattr(request, "channel", None)
    values = content.page_values(retailer=retailer_get(), channel=channel)
    body = content.page_body_html(page.body or "", values=values)
    return render(request, "storefront/page.html", {"page": page, "body": body})


@require_POST
def cookie_notice_seen(request: HttpRequest) -> HttpResponse:
    """Remember for a year that the notice was read. htmx removes the notice in place; without
    JavaScript the shopper is sent back to the page they were on."""
    if request.headers.get("HX-Request"):
        response: HttpResponse = HttpResponse("")
    else:
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("storefront:home")
        response = HttpResponseRedirect(back)
    response.set_cookie(
        content.COOKIE_NOTICE_COOKIE,
        "seen",
        max_age=content.COOKIE_NOTICE_DAYS * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
