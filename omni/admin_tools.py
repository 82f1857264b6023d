"""Shared pieces of the merchant admin."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.db import models

from omni import safejson


class _SafeDecoder(json.JSONDecoder):
    """What a form's JSONField decodes with (`json.loads(text, cls=...)`, in cleaning and in
    showing the text again): omni.safejson, so JSON nested too deep or with a NUL is "not
    valid JSON" rather than a RecursionError or a jsonb column's DataError (a 500)."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return safejson.loads(s)
        except safejson.UnsafeJSON as error:
            raise json.JSONDecodeError(str(error), s, 0) from None


class JSONFormField(forms.JSONField):
    def __init__(self, *, decoder: Any = None, **kwargs: Any) -> None:
        super().__init__(decoder=_SafeDecoder, **kwargs)


class SafeJSONMixin:
    """For a ModelAdmin (or inline) that edits a JSONField: its text is read as the API's is."""

    formfield_overrides: Mapping[type[models.Field], Mapping[str, Any]] = {
        models.JSONField: {"form_class": JSONFormField}
    }


class ReadOnlyMixin:
    """For rows that only services write (ledgers, events, orders): listed and viewed in the
    admin, never added, changed or deleted there. Works on a ModelAdmin and on an inline."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
