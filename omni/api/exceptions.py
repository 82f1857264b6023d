"""Every API error leaves in one shape: {"code", "message", "fields"}.

DRF's views raise into exception_handler(); what fails outside them on an /api/ path (an unknown
URL, a body over DATA_UPLOAD_MAX_MEMORY_SIZE read by a middleware, an error in a middleware)
reaches Django's handlers below (omni/urls.py names them), and omni.guard turns any other error
page under /api/ into the same shape. An unexpected exception is a 500 "server_error" whose
`reference` is logged with the traceback; nothing of the exception itself is sent.
"""

from __future__ import annotations

import logging
import secrets
import sys
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from omni.errors import OmniError, Throttled


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub.0": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key in ("non_field_errors", "__all__") else str(key)
            out.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def flatten_errors(detail: Any) -> dict[str, list[str]]:
    """A serializer's errors as the `fields` of the one error shape, for an answer that reports
    them per item (an ingest batch's rejected events)."""
    return _flatten(detail)


def _first_code(codes: Any) -> str | None:
    if isinstance(codes, dict):
        for value in codes.values():
            found = _first_code(value)
            if found:
                return found
    elif isinstance(codes, list):
        for value in codes:
            found = _first_code(value)
            if found:
                return found
    elif isinstance(codes, str):
        return codes
    return None


def _body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, OmniError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
        return Response(exc.as_dict(), status=exc.status_code, headers=headers)

    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = drf.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):  # a body too large, too many fields, ...
        _log_suspicious(exc, getattr(context.get("request"), "_request", None))
        return Response(_status_body(_status_of(exc)), status=_status_of(exc))

    response = drf_exception_handler(exc, context)
    if response is None:
        return _server_error(exc, context)

    if isinstance(exc, drf.ValidationError):
        fields = _flatten(exc.detail)
        code = _first_code(exc.get_codes()) or "invalid"
        # A field-level code ("required", "invalid") is less useful at the top than "invalid".
        top = code if code not in ("required", "null", "blank", "invalid_choice") else "invalid"
        response.data = _body(top, _("Some of the data sent is not valid."), fields)
    else:
        detail = exc.detail if isinstance(exc, drf.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, drf.APIException) else "error"
        if isinstance(code, list | dict):
            code = _first_code(code) or "error"
        response.data = _body(str(code), str(detail))
    return response


# --- outside DRF's views, and the unexpected ------------------------------------------------

logger = logging.getLogger("omni.api")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _status_messages() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad_request", _("The request could not be understood.")),
        401: ("not_authenticated", _("Sign in to do this.")),
        403: ("permission_denied", _("You are not allowed to do this.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
        406: ("not_acceptable", _("The response cannot be given in the format asked for.")),
        413: ("request_too_large", _("The request body is too large.")),
        415: ("unsupported_media_type", _("This content type is not supported.")),
        429: ("throttled", _("Too many requests. Try again later.")),
        500: ("server_error", _("Something went wrong on our side. It has been logged.")),
    }


def _status_body(status: int) -> dict:
    code, message = _status_messages().get(
        status, ("error", _("The request could not be completed."))
    )
    return _body(code, message)


def error_response(
    status: int, *, code: str = "", message: str = "", reference: str = ""
) -> JsonResponse:
    """The API's error shape for a status, for errors that no view described."""
    body = _status_body(status)
    body["code"], body["message"] = code or body["code"], message or body["message"]
    if reference:
        body["reference"] = reference
    return JsonResponse(body, status=status)


def _status_of(exc: SuspiciousOperation) -> int:
    return 413 if isinstance(exc, RequestDataTooBig) else 400


def _log_suspicious(exc: SuspiciousOperation, request: HttpRequest | None) -> None:
    # As Django's own handler logs it.
    logging.getLogger(f"django.security.{type(exc).__name__}").error(
        str(exc), exc_info=exc, extra={"status_code": _status_of(exc), "request": request}
    )


def _log_unexpected(request: HttpRequest | None, exc_info) -> str:
    reference = secrets.token_hex(6)
    logger.error(
        "Server error %s on %s %s",
        reference,
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        exc_info=exc_info,
        extra={"status_code": 500, "request": request, "reference": reference},
    )
    return reference


def _server_error(exc: Exception, context: dict) -> Response:
    """An exception no handler knows: logged with a reference, answered without internals."""
    request = getattr(context.get("request"), "_request", None)
    reference = _log_unexpected(request, (type(exc), exc, exc.__traceback__))
    # Error reporters (and Django's test client, which raises it again) listen to this.
    got_request_exception.send(sender=None, request=request)
    set_rollback()
    body = _status_body(500)
    body["reference"] = reference
    response = Response(body, status=500)
    response._has_been_logged = True  # with its reference, in place of Django's own line
    return response


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, SuspiciousOperation):
        return error_response(_status_of(exception))
    return error_response(400)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    return error_response(403)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return error_response(404)


def handler500(request: HttpRequest) -> HttpResponse:
    if not is_api(request):
        return defaults.server_error(request)
    response = error_response(500, reference=_log_unexpected(request, sys.exc_info()))
    response._has_been_logged = True  # with its reference, in place of Django's own line
    return response
