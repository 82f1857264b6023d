from __future__ import annotations

from rest_framework.permissions import BasePermission


def require_perms(*perms: str) -> type[BasePermission]:
    """A permission class: signed in (401 otherwise) and holding every Django permission named
    (403 otherwise). Merchant staff get permissions through their groups."""

    class RequirePerms(BasePermission):
        message = "You do not have the permission to do this."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(perms))

    RequirePerms.__name__ = "Require_" + "_".join(p.replace(".", "_") for p in perms)
    RequirePerms.required = perms
    return RequirePerms
