"""The edge of every request, before any view runs.

- A NUL character in the path, the query string, a header or a form body is a 400. No URL,
  parameter or field of Omni's may hold one, and PostgreSQL refuses it in text, so letting it
  through turns a lookup (`?channel=`, an order number in the path, a SKU in a form) into a
  500. Of a multipart body the fields and the files' names are checked, not the files, which
  may hold any byte; Django parses only a POST's (a PUT's or PATCH's fields reach the API's
  serializers, whose every field refuses NUL: omni.api.serializers).
- Under /api/ every error answer is JSON in the one error shape: an error page that did not
  come from the API's exception handler or Django's handlers (omni.api.exceptions), such as a
  debug page while DEBUG is on, is replaced by the shape for its status.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from omni.api.exceptions import error_response, is_api
from omni.text import holds_nul

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _holds_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path_info:
        return True
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        return True
    for name, value in request.META.items():
        if (name.startswith("HTTP_") or name == "CONTENT_TYPE") and "\x00" in str(value):
            return True
    if request.content_type == _FORM and request.method in ("POST", "PUT", "PATCH"):
        # Read (and kept by Django for whoever parses it next); bounded by
        # DATA_UPLOAD_MAX_MEMORY_SIZE, as request.POST would be.
        body = request.body
        return b"%00" in body or b"\x00" in body
    if request.content_type == _MULTIPART and request.method == "POST":
        # Parsed here as Django parses it for any form view (and as CSRF checking does);
        # DRF takes request.POST and request.FILES from here.
        return holds_nul(request.POST) or holds_nul(request.FILES)
    return False


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = is_api(request)
        if _holds_nul(request):
            if not api:
                return HttpResponseBadRequest("NUL characters are not allowed in a request.")
            return error_response(
                400,
                code="invalid_characters",
                message=_("NUL characters are not allowed in a request."),
            )
        response = self.get_response(request)
        if api and response.status_code >= 400 and not _is_json(response):
            shaped = error_response(response.status_code)
            for header in _KEPT_HEADERS:
                if header in response:
                    shaped[header] = response[header]
            return shaped
        return response


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "")
    return content_type.startswith("application/json") or "+json" in content_type
