"""The account's loyalty page ("Puanlarım"): the balance, pending points, tier and what is left
for the next one, the card's barcode to show at a till, and the history of movements, read
through customers' loyalty selectors; the card is issued on first sight
(customers.identities.loyalty_card_issue)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from customers.identities import loyalty_card_issue
from customers.loyalty.card import loyalty_card_svg
from customers.loyalty.selectors import loyalty_history, loyalty_summary
from storefront.views.account import _signed_in
from storefront.views.privacy import _me

HISTORY_PAGE = 20


@_signed_in
@require_GET
def loyalty(request: HttpRequest) -> HttpResponse:
    customer = _me(request)
    summary = loyalty_summary(customer=customer)
    page = Paginator(loyalty_history(customer=customer), HISTORY_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "storefront/account/loyalty.html",
        {"summary": summary, "page": page},
    )


@_signed_in
@require_GET
def loyalty_card(request: HttpRequest) -> HttpResponse:
    """The signed-in shopper's card as an EAN-13 barcode (SVG), to print or show at a till."""
    card = loyalty_card_issue(customer=_me(request))
    response = HttpResponse(loyalty_card_svg(number=card.value), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response
