"""One error hierarchy for the whole of Omni.

Services raise these; the API's exception handler (omni.api.exceptions) turns each into
`{"code", "message", "fields"}` with its HTTP status, and forms and commands show the message.
The code is stable and machine-readable; the message is for people and may be translated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class OmniError(Exception):
    status_code = 400
    code = "error"
    default_message = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: Mapping[str, str | Sequence[str]] | None = None,
    ) -> None:
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.fields: dict[str, list[str]] = {
            name: [str(m) for m in ([msgs] if isinstance(msgs, str) else msgs)]
            for name, msgs in (fields or {}).items()
        }
        super().__init__(self.message)

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationError(OmniError):
    status_code = 400
    code = "invalid"
    default_message = "Some of the data sent is not valid."

    @classmethod
    def for_field(cls, field: str, message: str, *, code: str | None = None) -> ValidationError:
        return cls(message, code=code, fields={field: [message]})


class NotAuthenticated(OmniError):
    status_code = 401
    code = "not_authenticated"
    default_message = "Sign in to do this."


class PermissionDenied(OmniError):
    status_code = 403
    code = "permission_denied"
    default_message = "You are not allowed to do this."


class NotFound(OmniError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(OmniError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = "This change is not allowed in the current state."


class Unprocessable(OmniError):
    status_code = 422
    code = "unprocessable"
    default_message = "The request is well-formed but cannot be processed."


class Throttled(OmniError):
    """Too many attempts; `retry_after` (seconds) is when the next one may succeed. The API
    sends it as the Retry-After header."""

    status_code = 429
    code = "throttled"
    default_message = "Too many attempts. Try again later."

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        self.retry_after = max(int(retry_after), 1)
        super().__init__(message)


class InsufficientStock(Conflict):
    """Not enough sellable stock. `items` says which variants, how many were asked for and how
    many could be had, so that a checkout can tell the shopper and an integration can retry."""

    code = "insufficient_stock"
    default_message = "Not enough stock."

    def __init__(self, items: Sequence[tuple[str, int, int]], message: str | None = None) -> None:
        self.items = list(items)
        fields = {
            sku: [f"{requested} asked for, {available} available."]
            for sku, requested, available in self.items
        }
        if message is None:
            message = (
                "Not enough stock of "
                + ", ".join(
                    f"{sku} ({requested} asked for, {available} available)"
                    for sku, requested, available in self.items
                )
                + "."
            )
        super().__init__(message, fields=fields)
