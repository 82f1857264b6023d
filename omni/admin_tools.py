"""Shared pieces of the merchant admin."""

from __future__ import annotations


class ReadOnlyMixin:
    """For rows that only services write (ledgers, events, orders): listed and viewed in the
    admin, never added, changed or deleted there. Works on a ModelAdmin and on an inline."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
