"""What the inventory admin's pages share: the read-only base, the service error shown on a
form, the SKU column.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import ProductVariant
from omni.admin_tools import ReadOnlyMixin
from omni.errors import OmniError

# A stock action shows one input per selected row; past this the page is not the right tool.
STOCK_ACTION_MAX_ROWS = 100
LEDGER_INLINE_ROWS = 20


class _ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Rows that only services write: listed and viewed, never added, edited or deleted here."""


def _variant_by_code(code: str) -> ProductVariant | None:
    """The variant with this SKU, or with this barcode (what a scanner reads)."""
    code = code.strip()
    if not code:
        return None
    return ProductVariant.objects.filter(Q(sku=code) | Q(barcode=code)).first()


def _show_service_error(
    form: forms.Form, exc: OmniError, *, fields: dict[str, str] | None = None
) -> None:
    """Put a service's refusal on the form: each message of `exc.fields` on the form field of
    that name (or the one `fields` renames it to), else `exc.message` above the form."""
    fields = fields or {}
    placed = False
    for name, texts in exc.fields.items():
        target = fields.get(name, name)
        if target not in form.fields:
            continue
        placed = True
        shown = [str(e) for e in form.errors.get(target, [])]
        for text in texts:
            if text not in shown:
                form.add_error(target, text)
    if not placed:
        form.add_error(None, exc.message)


def _read_only_inlines(formsets) -> None:
    """Save nothing from read-only inlines, and tell the change message so."""
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def _sku_column(path: str = "variant"):
    """A list column showing the SKU of the variant at `path` ("stock__variant", ...)."""

    @admin.display(description=_("SKU"), ordering=f"{path}__sku")
    def sku(self, obj) -> str:
        for part in path.split("__"):
            obj = getattr(obj, part)
        return obj.sku

    return sku
