"""The staff screens may use the camera (the counter scans barcodes with a tablet's camera).

The site's Permissions-Policy (PERMISSIONS_POLICY, django-permissions-policy) turns the camera
off everywhere: no shopper page needs it. Under /staff/ only, this middleware (listed before
PermissionsPolicyMiddleware, so it sees the response after the header is set) allows it for
the site's own pages, `camera=(self)`; every other feature stays off.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Permissions-Policy"
STAFF_PREFIX = "/staff/"
_CAMERA_OFF = re.compile(r"(^|,\s*)camera=\(\)")


def staff_camera_allowed(value: str) -> str:
    """The policy with the camera allowed for the site itself (added if it is not named)."""
    if "camera=" not in value:
        return f"{value}, camera=(self)" if value else "camera=(self)"
    return _CAMERA_OFF.sub(r"\1camera=(self)", value)


class StaffCameraPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(STAFF_PREFIX) and HEADER in response:
            response[HEADER] = staff_camera_allowed(response[HEADER])
        return response
