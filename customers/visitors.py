"""An anonymous visitor's id, bound to the client it was issued to.

The server, never the client, picks a visitor's id: the first anonymous batch of events gets a
new random id and a *visitor token*, the id signed with the site's secret key (django.core
.signing), handed back in the answer (`visitor_token`, the `X-Omni-Visitor` header, and an
`omni_visitor` cookie for the browser). Later batches send the token; at sign-in the app sends it
too, and only events stored under the id it names are joined to the profile. Knowing another
visitor's id is therefore worth nothing: without its token, nobody writes under it or claims
its events (README, "Customer timeline").
"""

from __future__ import annotations

import uuid
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

VISITOR_HEADER = "X-Omni-Visitor"
VISITOR_COOKIE = "omni_visitor"
VISITOR_MAX_AGE = 400 * 24 * 3600  # browsers cap a cookie at 400 days
_SALT = "customers.visitors.visitor-token"


def visitor_token_issue() -> tuple[UUID, str]:
    """A new visitor id and its token."""
    visitor_id = uuid.uuid4()
    return visitor_id, signing.dumps(visitor_id.hex, salt=_SALT, compress=False)


def visitor_token_read(token: str | None) -> UUID | None:
    """The visitor id a token names, or None when it is missing, forged or too old."""
    if not token:
        return None
    try:
        value = signing.loads(token, salt=_SALT, max_age=VISITOR_MAX_AGE)
        return UUID(hex=value)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def visitor_token_sent(request: HttpRequest, body_token: str | None = None) -> str | None:
    """The token the client sent: in the body, the header, or the cookie."""
    return body_token or request.headers.get(VISITOR_HEADER) or request.COOKIES.get(VISITOR_COOKIE)


def visitor_token_hand_back(response: HttpResponse, token: str) -> HttpResponse:
    response[VISITOR_HEADER] = token
    response.set_cookie(
        VISITOR_COOKIE,
        token,
        max_age=VISITOR_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
