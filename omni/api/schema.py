"""The OpenAPI schema's error responses, documented once for every operation.

Every error leaves in one shape (omni.api.exceptions), so the schema has one `Error` component
and one response per status. Which statuses an operation can give follows from what the view
is, not from a list kept by hand:

- 400 on every one: besides its own input, any request with a NUL character in its path,
  query or headers is refused at the edge (omni/guard.py);
- 401 when it reads credentials (a wrong, expired or revoked token is refused even where
  signing in is optional);
- 403 when it needs more than signing in (a Django permission, a staff role), or is a write
  that a browser session could send without its CSRF token;
- 404 when it names something: in its path, in a header (Cart-Token) or in its body (a SKU,
  an order, a customer), or when it pages a list (a page past the end);
- 409 on every write: a state change may not be allowed in the current state, stock may have
  run out, a request with the same Idempotency-Key may still be in flight;
- 413 and 415 when it takes a body (over DATA_UPLOAD_MAX_MEMORY_SIZE; in a media type it
  does not read);
- 422 when it takes an Idempotency-Key (the key was used for another request);
- 429 when it is throttled: it has DRF throttles or its own `check_throttles`, or it is a way
  in that takes no credentials (sign-up, sign-in), which accounts.throttle limits.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated
from rest_framework.views import APIView

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error the API gives has this shape.",
    "properties": {
        "code": {
            "type": "string",
            "description": "Stable and machine-readable: invalid, not_found, insufficient_stock, "
            "invalid_transition, throttled, ...",
        },
        "message": {"type": "string", "description": "For people, in the request's language."},
        "fields": {
            "type": "object",
            "description": 'Messages per field ("lines.0.quantity"); empty when the error '
            "is not about a field.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "reference": {
            "type": "string",
            "description": "On an unexpected error only: quote it to support, it finds the log line.",
        },
    },
    "required": ["code", "message", "fields"],
}

# status: (component name, description)
ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is not valid; `fields` says what is wrong with each field."),
    401: ("Unauthorized", "Not signed in, or the token is unknown, expired or revoked."),
    403: (
        "Forbidden",
        "Signed in without the permission this needs (or a session request without its CSRF "
        "token).",
    ),
    404: ("NotFound", "Nothing of that name, or none that this caller may see."),
    409: (
        "Conflict",
        "The request conflicts with the current state: a change not allowed now, not enough "
        "stock, or a request with the same Idempotency-Key still in flight.",
    ),
    413: ("RequestTooLarge", "The body is over the size limit (2.5 MB by default)."),
    415: (
        "UnsupportedMediaType",
        "The body is in a media type this operation does not read (send application/json).",
    ),
    422: ("Unprocessable", "The Idempotency-Key was already used for a different request."),
    429: ("TooManyRequests", "Too many attempts; try again after `Retry-After` seconds."),
}

_ERROR = ResolvedComponent(
    name="Error", type=ResolvedComponent.SCHEMA, object="omni.api.Error", schema=ERROR_SCHEMA
)


def _error_response(status: int) -> ResolvedComponent:
    name, description = ERROR_RESPONSES[status]
    body: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ERROR.ref}},
    }
    if status == 429:
        body["headers"] = {
            "Retry-After": {
                "schema": {"type": "integer"},
                "description": "Seconds to wait before trying again.",
            }
        }
    return ResolvedComponent(
        name=name, type=ResolvedComponent.RESPONSE, object=f"omni.api.{name}", schema=body
    )


class AutoSchema(BaseAutoSchema):
    """drf-spectacular's AutoSchema, plus the error responses each operation can give."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        statuses = self.error_statuses(operation)
        if statuses:
            registry.register_on_missing(_ERROR)
        responses = operation["responses"]
        for status in statuses:
            if str(status) in responses:  # the view documents it itself
                continue
            component = _error_response(status)
            registry.register_on_missing(component)
            responses[str(status)] = component.ref
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_statuses(self, operation: dict) -> list[int]:
        view = self.view
        parameters = operation.get("parameters", [])
        unsafe = self.method not in SAFE_METHODS
        authenticators = view.get_authenticators()
        permissions = view.get_permissions()

        statuses = [400]
        if authenticators:
            statuses.append(401)
        if any(type(p) not in (AllowAny, IsAuthenticated) for p in permissions) or (
            unsafe and any(isinstance(a, SessionAuthentication) for a in authenticators)
        ):
            statuses.append(403)
        if (
            any(p["in"] in ("path", "header") for p in parameters)
            or operation.get("requestBody")
            or (self.method == "GET" and self._is_list_view() and self._get_paginator())
        ):
            statuses.append(404)
        if unsafe:
            statuses.append(409)
        if operation.get("requestBody"):
            statuses += [413, 415]
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters):
            statuses.append(422)
        if (
            view.get_throttles()
            or type(view).check_throttles is not APIView.check_throttles
            or not authenticators
        ):
            statuses.append(429)
        return statuses
