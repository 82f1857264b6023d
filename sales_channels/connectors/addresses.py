"""Where an outgoing webhook may go: in production only to public addresses over https.

A receiver's URL is typed into the admin by staff, so without a check it could point Omni at
its own loopback, the cloud's metadata service (169.254.169.254) or a private network (SSRF).
Two checks, one rule (`address_refusal`):
- on save, the URL must be https and must not name a loopback, private or link-local address
  (or `localhost`); a host name is not resolved then, since its address may change anyway;
- at send time the host is resolved once, every address it resolves to is checked, and the
  connection is made to a checked address (and the address actually connected to is checked
  again), so a name that resolves to a public address for the check and to a private one for
  the connection (DNS rebinding) gets nowhere.
OMNI_WEBHOOK_ALLOW_PRIVATE (development and tests, never production) turns both off, and lets
plain http through.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

LOCAL_NAMES = ("localhost", "localhost.localdomain")


class AddressRefused(Exception):  # not an OSError, so no retry swallows it
    """The receiver's host is, or resolves to, an address webhooks may not go to."""


def private_allowed() -> bool:
    return bool(getattr(settings, "OMNI_WEBHOOK_ALLOW_PRIVATE", False))


def address_refusal(address: str) -> str:
    """Why an IP address is not a webhook's to reach ("" when it is public)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return _("not an IP address")
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for refused, kind in (
        (ip.is_loopback, _("a loopback address")),
        (ip.is_link_local, _("a link-local address")),
        (ip.is_multicast, _("a multicast address")),
        (ip.is_unspecified, _("an unspecified address")),
        (ip.is_private, _("a private address")),
        (ip.is_reserved, _("a reserved address")),
        (not ip.is_global, _("not a public address")),
    ):
        if refused:
            return kind
    return ""


def url_refusal(url: str) -> str:
    """What the save-time check says of a webhook URL ("" when it may be saved)."""
    if private_allowed():
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return _("A webhook must use https.")
    host = (parts.hostname or "").rstrip(".").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return _("%(host)s is this machine; a webhook must go to a public address.") % {
            "host": host
        }
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return ""  # a name: checked when it is resolved, at each connection
    why = address_refusal(host)
    if why:
        return _("%(host)s is %(kind)s; a webhook must go to a public address.") % {
            "host": host,
            "kind": why,
        }
    return ""


def connect_public(
    address: tuple[str, int],
    timeout: float | object = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """socket.create_connection that reaches only public addresses: resolve once, refuse if any
    address is not public, connect to a checked one, and check the peer actually reached."""
    host, port = address
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_rest, sockaddr in found:
        why = address_refusal(sockaddr[0])
        if why:
            raise AddressRefused(
                _("%(host)s resolves to %(ip)s, %(kind)s; webhooks go only to public addresses.")
                % {"host": host, "ip": sockaddr[0], "kind": why}
            )
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in found:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)  # type: ignore[arg-type]
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            peer = sock.getpeername()[0]
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        why = address_refusal(peer)
        if why:
            sock.close()
            raise AddressRefused(
                _("%(host)s connected to %(ip)s, %(kind)s; webhooks go only to public addresses.")
                % {"host": host, "ip": peer, "kind": why}
            )
        return sock
    raise last_error or OSError(f"{host} did not resolve to any address")
