"""The counter's offline sales: the service worker, the offline till page, the till's local
price list and the endpoint that receives the sales a till kept while the server was
unreachable (staff.services.till_sync records them)."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from omni.errors import OmniError, ValidationError
from staff.access import StaffRequest, staff_view
from staff.selectors.offline import till_price_list
from staff.services.till_sync import till_sale_record

# What the service worker keeps for the till to open with no network: the page and its files.
TILL_ASSETS = (
    "staff/staff.css",
    "staff/offline.css",
    "staff/htmx-2.0.11.min.js",
    "staff/offline.js",
    "staff/till.js",
    "staff/favicon.svg",
)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The staff screens' service worker. Served under /staff/offline/ but controlling all of
    /staff/ (Service-Worker-Allowed), and never from a stale HTTP cache (no-cache), so that a
    new version installs on the next visit. Its cache name follows the files it keeps."""
    precache = [reverse("staff:offline-till"), *(static(name) for name in TILL_ASSETS)]
    version = hashlib.sha256("|".join(precache).encode()).hexdigest()[:12]
    response = render(
        request,
        "staff/offline/sw.js",
        {"precache": json.dumps(precache), "version": version, "till": precache[0]},
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/staff/"
    response["Cache-Control"] = "no-cache"
    return response


@staff_view
@require_GET
def till(request: StaffRequest) -> HttpResponse:
    """The offline till: sells from the price list kept in the browser and keeps each sale
    there until the server has it. Works with no network once opened online (the service
    worker keeps it)."""
    return render(request, "staff/offline/till.html")


@staff_view
@require_GET
def catalog(request: StaffRequest) -> HttpResponse:
    """The store's price list for the till (barcode, SKU, name, price charged, currency)."""
    response = JsonResponse(till_price_list(store=request.store))
    response["Cache-Control"] = "no-store"
    return response


@staff_view
@require_GET
def csrf(request: StaffRequest) -> HttpResponse:
    """A fresh CSRF token for the queue: the till page may be an old copy from the cache."""
    response = JsonResponse({"csrf": get_token(request)})
    response["Cache-Control"] = "no-store"
    return response


def _error(error: OmniError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status_code)


@staff_view
@require_POST
def sales(request: StaffRequest) -> HttpResponse:
    """Receive one sale a till kept while offline (JSON; its id in the Idempotency-Key header
    too). 201 with the order the first time, 200 with the same order on a replay; 400 with the
    fields in error; 409 when another sale was sent under the same id."""
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        return _error(ValidationError(_("Send the sale as JSON."), code="invalid_json"))
    sale_id = payload.get("id") if isinstance(payload, dict) else None
    key = request.headers.get("Idempotency-Key")
    if key and str(key) != str(sale_id):
        return _error(
            ValidationError.for_field(
                "id", _("The Idempotency-Key must be the sale's id."), code="key_mismatch"
            )
        )
    store_code = payload.get("store") if isinstance(payload, dict) else None
    store = next((s for s in request.stores if s.code == store_code), None)
    if store is None:
        return _error(
            ValidationError.for_field(
                "store", _("The sale's store is not one you work at."), code="invalid_store"
            )
        )
    location = getattr(store, "store_location", None)
    if location is None:
        return _error(
            ValidationError.for_field(
                "store", _("This store has no stock location."), code="invalid_store"
            )
        )
    try:
        result = till_sale_record(
            sale_id=sale_id, payload=payload, store=store, location=location, actor=request.user
        )
    except OmniError as error:
        return _error(error)
    return JsonResponse(
        {
            "id": str(result.sale.pk),
            "order": result.order.number,
            "status": result.sale.status,
            "replayed": result.replayed,
            "price_changes": result.sale.price_changes,
        },
        status=200 if result.replayed else 201,
    )


urlpatterns = [
    path("sw.js", service_worker, name="offline-sw"),
    path("till/", till, name="offline-till"),
    path("catalog.json", catalog, name="offline-catalog"),
    path("csrf/", csrf, name="offline-csrf"),
    path("sales/", sales, name="offline-sales"),
]
