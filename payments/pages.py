"""A page made of a payment provider's own HTML: iyzico's 3-D Secure answer is a form that posts
the shopper to their bank's page and submits itself with an inline script.

Omni's Content-Security-Policy allows neither inline scripts nor forms to other sites, and the
bank's host is not known in advance, so this one response carries a policy of its own: inline
script and style (the provider's, which Omni cannot give a nonce), forms to any https page (the
bank's, or the provider's at OMNI_TEST_GATEWAY_URL), nothing else from elsewhere, and it still
cannot be framed."""

from __future__ import annotations

from django.http import HttpResponse

from omni.csp import form_action_origins

PROVIDER_PAGE_POLICY = {
    "default-src": ["'none'"],
    "script-src": ["'unsafe-inline'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["'self'", "https:", "data:"],
    "form-action": ["https:"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}


def provider_page(html: str) -> HttpResponse:
    """The provider's HTML as it is, under PROVIDER_PAGE_POLICY."""
    response = HttpResponse(html)
    policy = dict(PROVIDER_PAGE_POLICY)
    policy["form-action"] = [*policy["form-action"], *form_action_origins()]
    response._csp_replace = policy  # read by django-csp's middleware (omni.csp)
    return response
