"""Stock rows with their ledger, and the receive, adjust and count actions; the ledger itself."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from inventory import services
from inventory.admin.common import (
    LEDGER_INLINE_ROWS,
    STOCK_ACTION_MAX_ROWS,
    _read_only_inlines,
    _ReadOnlyAdmin,
    _show_service_error,
    _sku_column,
    _variant_by_code,
)
from inventory.models import (
    Stock,
    StockLocation,
    StockMovement,
)
from omni.admin_tools import ReadOnlyMixin
from omni.errors import OmniError

# --- stock ----------------------------------------------------------------------------------


class StockLevelFilter(admin.SimpleListFilter):
    title = _("stock level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [
            ("out", _("Nothing free")),
            ("low", _("At or below the reorder point")),
            ("in", _("Free stock")),
        ]

    def queryset(self, request, queryset):
        # free_units is annotated by StockAdmin.get_queryset.
        if self.value() == "out":
            return queryset.filter(free_units__lte=0)
        if self.value() == "low":
            return queryset.filter(reorder_point__isnull=False, free_units__lte=F("reorder_point"))
        if self.value() == "in":
            return queryset.filter(free_units__gt=0)
        return queryset


class LatestMovementsFormSet(forms.BaseInlineFormSet):
    def get_queryset(self):
        # Sliced after the inline formset has filtered the ledger down to this stock row.
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[:LEDGER_INLINE_ROWS]
        return self._latest


class LatestMovementsInline(ReadOnlyMixin, admin.TabularInline):
    """The newest movements of the stock row; the whole ledger is one link away."""

    model = StockMovement
    formset = LatestMovementsFormSet
    fields = [
        "created_at",
        "kind",
        "quantity",
        "on_hand_delta",
        "allocated_delta",
        "reason",
        "reference",
        "channel",
        "actor",
    ]
    readonly_fields = fields
    ordering = ["-id"]
    extra = 0
    verbose_name_plural = _("latest movements (ledger)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel", "actor")


class _StockRowsForm(forms.Form):
    """One number for each selected stock row, and what the service needs besides.

    Subclasses name the service's argument (`value_name`, where its errors are placed) and call
    the service in `apply`."""

    value_name = "quantity"
    value_label = _("Quantity")
    title = ""
    submit = ""

    def __init__(self, *args, rows: list[Stock], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.common_fields = list(self.fields)
        for stock in rows:
            self.fields[self.row_field(stock)] = forms.IntegerField(
                label=f"{stock.variant.sku} @ {stock.location.code}",
                initial=self.initial_for(stock),
            )

    @staticmethod
    def row_field(stock: Stock) -> str:
        return f"row-{stock.pk}"

    def initial_for(self, stock: Stock) -> int | None:
        return None

    def lines(self) -> list[tuple[Stock, forms.BoundField]]:
        return [(stock, self[self.row_field(stock)]) for stock in self.rows]

    def common(self) -> list[forms.BoundField]:
        return [self[name] for name in self.common_fields]

    def apply(self, stock: Stock, value: int, *, data: dict, actor) -> None:
        raise NotImplementedError

    def apply_all(self, *, actor) -> bool:
        """Apply every row, or none: one refused row rolls back the others and its error is put
        on the form. Rows go in variant order, the order every writer locks variants in, as the
        locks of the earlier rows are held until the end."""
        refused = False
        data = dict(self.cleaned_data)  # an error put on the form takes its field out of it
        with transaction.atomic():
            for stock in sorted(self.rows, key=lambda s: (s.variant_id, s.location_id)):
                try:
                    self.apply(stock, data[self.row_field(stock)], data=data, actor=actor)
                except OmniError as exc:
                    refused = True
                    # The number is the service's `value_name`; a shortage names the SKU.
                    row = self.row_field(stock)
                    _show_service_error(
                        self, exc, fields={self.value_name: row, stock.variant.sku: row}
                    )
            if refused:
                transaction.set_rollback(True)
        return not refused


class StockReceiveForm(_StockRowsForm):
    title = _("Receive stock")
    submit = _("Receive")
    value_label = _("Units received")
    reference = forms.CharField(
        label=_("Reference"),
        max_length=120,
        required=False,
        help_text=_("The delivery note or purchase order, if any."),
    )

    def apply(self, stock, value, *, data, actor):
        services.stock_receive(
            variant=stock.variant,
            location=stock.location,
            quantity=value,
            reference=data["reference"],
            actor=actor,
        )


class StockAdjustForm(_StockRowsForm):
    title = _("Adjust stock")
    submit = _("Adjust")
    value_name = "delta"
    value_label = _("Change (negative takes away)")
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("Kept in the ledger with each change.")
    )

    def apply(self, stock, value, *, data, actor):
        services.stock_adjust(
            variant=stock.variant,
            location=stock.location,
            delta=value,
            reason=data["reason"],
            actor=actor,
        )


class StockCountForm(_StockRowsForm):
    title = _("Cycle count")
    submit = _("Record the count")
    value_name = "counted"
    value_label = _("Counted")

    def initial_for(self, stock):
        return stock.on_hand

    def apply(self, stock, value, *, data, actor):
        services.stock_count(
            variant=stock.variant, location=stock.location, counted=value, actor=actor
        )


class StockReceiveNewForm(forms.Form):
    """Goods in for a variant wherever it is, including where it has never been stocked."""

    sku = forms.CharField(label=_("SKU or barcode"), max_length=64)
    location = forms.ModelChoiceField(
        queryset=StockLocation.objects.filter(is_active=True), label=_("Location")
    )
    quantity = forms.IntegerField(label=_("Units received"))
    reference = forms.CharField(
        label=_("Reference"),
        max_length=120,
        required=False,
        help_text=_("The delivery note or purchase order, if any."),
    )

    def clean_sku(self) -> str:
        code = self.cleaned_data["sku"]
        self.variant = _variant_by_code(code)
        if self.variant is None:
            raise forms.ValidationError(
                _("No variant has the SKU or barcode %(code)s."),
                code="unknown_variant",
                params={"code": code.strip()},
            )
        return self.variant.sku


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = [
        "sku",
        "product",
        "location",
        "on_hand",
        "allocated",
        "free",
        "reorder_point",
        "updated_at",
    ]
    list_display_links = ["sku"]
    list_editable = ["reorder_point"]
    list_filter = [StockLevelFilter, "location__kind", "location"]
    list_select_related = ["variant__product", "location"]
    search_fields = [
        "variant__sku",
        "variant__barcode",
        "variant__product__name_tr",
        "variant__product__name_en",
    ]
    search_help_text = _("SKU, barcode or product name")
    fields = [
        "variant",
        "product",
        "location",
        "on_hand",
        "allocated",
        "free",
        "reorder_point",
        "updated_at",
        "ledger",
    ]
    readonly_fields = [
        "variant",
        "product",
        "location",
        "on_hand",
        "allocated",
        "free",
        "updated_at",
        "ledger",
    ]
    inlines = [LatestMovementsInline]
    actions = ["receive_stock", "adjust_stock", "count_stock"]
    ordering = ["variant__sku", "location__code"]

    sku = _sku_column()

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("variant__product", "location")
            .annotate(free_units=F("on_hand") - F("allocated"))
        )

    @admin.display(description=_("product"))
    def product(self, obj: Stock) -> str:
        return str(obj.variant.product)

    @admin.display(description=pgettext_lazy("stock", "free"), ordering="free_units")
    def free(self, obj: Stock) -> int:
        return obj.free

    @admin.display(description=_("ledger"))
    def ledger(self, obj: Stock) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:inventory_stockmovement_changelist")
        return format_html('<a href="{}?stock={}">{}</a>', url, obj.pk, gettext("All movements"))

    def has_delete_permission(self, request, obj=None):
        return False  # a stock row carries its ledger; it is emptied by a count, never deleted

    def save_model(self, request, obj, form, change):
        # Only the reorder point is edited here; the quantities belong to the services, and a
        # full save would write back quantities read before a sale made meanwhile.
        obj.save(update_fields=["reorder_point"])

    def save_related(self, request, form, formsets, change):
        _read_only_inlines(formsets)

    # Receiving a variant where no stock row exists yet: the add page is a goods-in form.

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StockReceiveNewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                stock = services.stock_receive(
                    variant=form.variant,
                    location=data["location"],
                    quantity=data["quantity"],
                    reference=data["reference"],
                    actor=request.user,
                )
            except OmniError as exc:
                _show_service_error(form, exc)
            else:
                self.message_user(
                    request,
                    gettext("%(n)d units of %(sku)s received at %(location)s; %(on_hand)d on hand.")
                    % {
                        "n": data["quantity"],
                        "sku": data["sku"],
                        "location": data["location"].name,
                        "on_hand": stock.on_hand,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:inventory_stock_change", args=[stock.pk])
                )
        return render(
            request,
            "admin/inventory/stock_receive.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Receive stock"),
                "form": form,
                "opts": self.model._meta,
                "has_view_permission": self.has_view_permission(request),
            },
        )

    # Actions on the selected rows, each with a page asking for the numbers.

    def _rows_action(
        self, request: HttpRequest, queryset, form_class: type[_StockRowsForm]
    ) -> HttpResponse | None:
        rows = list(
            queryset.select_related("variant__product", "location").order_by(
                "variant__sku", "location__code"
            )[: STOCK_ACTION_MAX_ROWS + 1]
        )
        if len(rows) > STOCK_ACTION_MAX_ROWS:
            self.message_user(
                request,
                gettext("Select at most %(n)d stock rows at a time.")
                % {"n": STOCK_ACTION_MAX_ROWS},
                messages.ERROR,
            )
            return None
        if "apply" in request.POST:
            form = form_class(request.POST, rows=rows)
            if form.is_valid() and form.apply_all(actor=request.user):
                self.message_user(
                    request,
                    gettext("%(action)s: %(n)d stock rows changed.")
                    % {"action": form.title, "n": len(rows)},
                    messages.SUCCESS,
                )
                return None
        else:
            form = form_class(rows=rows)
        return render(
            request,
            "admin/inventory/stock_rows_action.html",
            {
                **self.admin_site.each_context(request),
                "title": form.title,
                "form": form,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
                "action": request.POST.get("action"),
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("Receive stock"), permissions=["change"])
    def receive_stock(self, request, queryset):
        return self._rows_action(request, queryset, StockReceiveForm)

    @admin.action(description=_("Adjust stock (with a reason)"), permissions=["change"])
    def adjust_stock(self, request, queryset):
        return self._rows_action(request, queryset, StockAdjustForm)

    @admin.action(description=_("Cycle count"), permissions=["change"])
    def count_stock(self, request, queryset):
        return self._rows_action(request, queryset, StockCountForm)


@admin.register(StockMovement)
class StockMovementAdmin(_ReadOnlyAdmin):
    """The stock ledger: append-only, written by the services alone."""

    list_display = [
        "created_at",
        "kind",
        "sku",
        "location",
        "quantity",
        "on_hand_delta",
        "allocated_delta",
        "reason",
        "reference",
        "channel",
        "actor",
    ]
    list_filter = ["kind", "stock__location", "channel", "created_at"]
    list_select_related = ["stock__variant", "stock__location", "channel", "actor"]
    search_fields = ["stock__variant__sku", "reference", "external_ref", "reason"]
    search_help_text = _("SKU, reference or reason")
    date_hierarchy = "created_at"
    # The ledger only grows: counting it all for every page is the slowest part of the page.
    show_full_result_count = False

    sku = _sku_column(path="stock__variant")

    @admin.display(description=_("location"), ordering="stock__location__code")
    def location(self, obj: StockMovement) -> str:
        return obj.stock.location.code
