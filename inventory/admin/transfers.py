"""Transfers between locations: requested here, shipped, received or cancelled by action."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from inventory import services
from inventory.admin.common import (
    _read_only_inlines,
    _show_service_error,
    _sku_column,
    _variant_by_code,
)
from inventory.models import (
    StockLocation,
    Transfer,
    TransferLine,
)
from omni.admin_tools import ReadOnlyMixin
from omni.errors import OmniError

# --- transfers ------------------------------------------------------------------------------


class TransferRequestForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=StockLocation.objects.filter(is_active=True),
        label=pgettext_lazy("transfer", "From"),
    )
    destination = forms.ModelChoiceField(
        queryset=StockLocation.objects.filter(is_active=True), label=pgettext_lazy("transfer", "To")
    )
    expected_at = forms.DateTimeField(
        label=_("Expected"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reference = forms.CharField(label=_("Reference"), max_length=120, required=False)


class TransferLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU or barcode"), max_length=64, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), required=False, min_value=1)

    def clean(self):
        data = super().clean()
        code = (data.get("sku") or "").strip()
        if not code:
            if data.get("quantity") is not None:
                self.add_error("sku", _("Enter the SKU or barcode."))
            return data
        data["variant"] = _variant_by_code(code)
        if data["variant"] is None:
            self.add_error("sku", _("No variant has the SKU or barcode %(code)s.") % {"code": code})
        if data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter how many units to move."))
        return data


class BaseTransferLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            variant = form.cleaned_data.get("variant")
            if variant is None:
                continue
            if variant.pk in seen:
                form.add_error("sku", _("This variant is on another line already."))
            seen.add(variant.pk)

    def lines(self) -> dict[int, int]:
        return {
            form.cleaned_data["variant"].pk: form.cleaned_data["quantity"]
            for form in self.forms
            if form.cleaned_data.get("variant") is not None
        }


TransferLineFormSet = forms.formset_factory(
    TransferLineForm, formset=BaseTransferLineFormSet, extra=5
)


class TransferLineInline(ReadOnlyMixin, admin.TabularInline):
    model = TransferLine
    fields = ["sku", "product", "quantity"]
    readonly_fields = fields
    extra = 0

    sku = _sku_column()

    @admin.display(description=_("product"))
    def product(self, obj: TransferLine) -> str:
        return str(obj.variant.product)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "source",
        "destination",
        "status",
        "units",
        "reference",
        "expected_at",
        "shipped_at",
        "received_at",
        "requested_by",
        "created_at",
    ]
    list_filter = ["status", "source", "destination"]
    list_select_related = ["source", "destination", "requested_by"]
    search_fields = ["reference", "source__code", "destination__code", "lines__variant__sku"]
    search_help_text = _("Reference, location code or SKU")
    fields = [
        "source",
        "destination",
        "status",
        "reference",
        "expected_at",
        "requested_by",
        "created_at",
        "shipped_at",
        "received_at",
    ]
    readonly_fields = [
        "source",
        "destination",
        "status",
        "requested_by",
        "created_at",
        "shipped_at",
        "received_at",
    ]
    inlines = [TransferLineInline]
    actions = ["ship", "receive", "cancel"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unit_total=Sum("lines__quantity"))

    @admin.display(description=_("transfer"), ordering="id")
    def number(self, obj: Transfer) -> str:
        return f"T{obj.pk}"

    @admin.display(description=_("units"), ordering="unit_total")
    def units(self, obj: Transfer) -> int:
        return obj.unit_total or 0

    def has_delete_permission(self, request, obj=None):
        return False  # a transfer holds stock and is in the ledger; it is cancelled instead

    def save_model(self, request, obj, form, change):
        # Only the reference and the expected date are edited here; the status is the services'.
        if form.changed_data:
            obj.save(update_fields=[*form.changed_data, "updated_at"])

    def save_related(self, request, form, formsets, change):
        _read_only_inlines(formsets)  # the lines are fixed once requested

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        """A transfer is requested through the service, which holds its units at the source."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        post = request.POST if request.method == "POST" else None
        form = TransferRequestForm(post)
        lines = TransferLineFormSet(post, prefix="lines")
        if post is not None and form.is_valid() and lines.is_valid():
            data = form.cleaned_data
            try:
                transfer = services.transfer_request(
                    source=data["source"],
                    destination=data["destination"],
                    lines=lines.lines(),
                    expected_at=data["expected_at"],
                    reference=data["reference"],
                    actor=request.user,
                )
            except OmniError as exc:
                _show_service_error(form, exc)
                for line in lines.forms:
                    variant = line.cleaned_data.get("variant")
                    if variant is not None and variant.sku in exc.fields:
                        line.add_error("quantity", exc.fields[variant.sku])
            else:
                self.message_user(
                    request,
                    gettext("Transfer T%(id)d requested; its units are held at %(source)s.")
                    % {"id": transfer.pk, "source": transfer.source.name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:inventory_transfer_change", args=[transfer.pk])
                )
        return render(
            request,
            "admin/inventory/transfer_request.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Request a transfer"),
                "form": form,
                "lines": lines,
                "opts": self.model._meta,
                "has_view_permission": self.has_view_permission(request),
            },
        )

    def _apply(
        self,
        request: HttpRequest,
        queryset,
        service: Callable[..., Transfer],
        to: str,
    ) -> None:
        transfers = list(queryset.order_by("id"))
        # Refuse the whole selection before changing any of it. Each transfer then goes in a
        # transaction of its own: one transaction over several would lock their variants out of
        # the one order every writer follows, and could deadlock with a checkout.
        refused = [t for t in transfers if not services.TRANSFER_MACHINE.allows(t.status, to)]
        for transfer in refused:
            self.message_user(
                request,
                gettext("T%(id)d is %(status)s; it cannot be %(to)s.")
                % {
                    "id": transfer.pk,
                    "status": transfer.get_status_display().lower(),
                    "to": Transfer.Status(to).label.lower(),
                },
                messages.ERROR,
            )
        if refused:
            self.message_user(request, gettext("No transfer was changed."), messages.ERROR)
            return
        done = 0
        for transfer in transfers:
            try:
                service(transfer=transfer, actor=request.user)
            except OmniError as exc:  # changed by someone else since the page was shown
                self.message_user(request, f"T{transfer.pk}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                gettext("%(n)d transfers %(to)s.")
                % {"n": done, "to": Transfer.Status(to).label.lower()},
                messages.SUCCESS,
            )

    @admin.action(description=_("Ship (the units leave the source)"), permissions=["change"])
    def ship(self, request, queryset):
        self._apply(request, queryset, services.transfer_ship, Transfer.Status.SHIPPED)

    @admin.action(
        description=_("Receive (the units enter the destination)"), permissions=["change"]
    )
    def receive(self, request, queryset):
        self._apply(request, queryset, services.transfer_receive, Transfer.Status.RECEIVED)

    @admin.action(description=_("Cancel (release the held units)"), permissions=["change"])
    def cancel(self, request, queryset):
        self._apply(request, queryset, services.transfer_cancel, Transfer.Status.CANCELLED)
