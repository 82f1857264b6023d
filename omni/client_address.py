"""The address of the client that sent a request, as far as Omni's own proxies vouch for it.

`X-Forwarded-For` is a list every proxy appends to: the client can write anything at its left,
and only the entries added by proxies Omni trusts are true. With `OMNI_TRUSTED_PROXY_COUNT` = N
(the proxies in front of the app server, each appending the address it was reached from) the
client is the Nth entry from the right; with 0 (the default: nothing in front) it is
`REMOTE_ADDR` and the header is ignored. A forged leftmost value therefore changes nothing.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


def client_address(request: HttpRequest) -> str:
    """The client's IP address ("" when there is none, e.g. a test client without one)."""
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.OMNI_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if not hops:
        return remote
    # Fewer hops than proxies: the request skipped the outer ones; the leftmost is then the
    # address the outermost proxy that did handle it saw.
    return _valid(hops[-trusted] if len(hops) >= trusted else hops[0]) or remote
