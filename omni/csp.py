"""The Content-Security-Policy of every response (django-csp, configured in settings), with
form-action reaching the payment provider's pages.

A card form posts to Omni, which answers 3-D Secure with a redirect to the provider's page; the
browser checks that redirect against the form page's form-action, so the provider's origin must
be in it. Which origins is read at each response (OMNI_CSP_FORM_ACTION, and OMNI_TEST_GATEWAY_URL
while OMNI_ALLOW_TEST_GATEWAY is on), so a changed setting applies at once. A page of the provider's own HTML (iyzico's self-submitting
form to the bank) gets its own policy: payments.pages.provider_page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def origin(url: str) -> str:
    """`https://host[:port]` of a URL ("" when it has none)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def form_action_origins() -> list[str]:
    """Where a form on an Omni page may send the browser besides Omni itself: the test
    gateway's provider only where that gateway may be used (never a default production)."""
    urls = list(settings.OMNI_CSP_FORM_ACTION)
    if settings.OMNI_ALLOW_TEST_GATEWAY:
        urls.append(getattr(settings, "OMNI_TEST_GATEWAY_URL", ""))
    return sorted({found for url in urls if (found := origin(url))})


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        replaced = (parts.replace or {}).get("form-action")
        if replaced is None:  # a page that set its own form-action keeps it
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", ()), *form_action_origins()]
            parts.update = update
        return parts
