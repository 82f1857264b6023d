"""The merchant admin for inventory: locations, stock with its ledger, transfers, reservations,
allocations and low-stock alerts.

Every change of a quantity goes through inventory.services, so the ledger, the availability
events in the outbox and the low-stock alerts stay exactly as they are when the API or an order
makes the change. Only configuration is saved here directly: locations, which channels sell
from them, reorder points, and a transfer's reference and expected date. The ledger,
reservations, allocations and alerts are read-only.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.models import ProductVariant
from inventory import services
from inventory.models import (
    Allocation,
    ChannelLocation,
    LowStockAlert,
    Reservation,
    Stock,
    StockLocation,
    StockMovement,
    Transfer,
    TransferLine,
)
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


# --- locations ------------------------------------------------------------------------------


class ChannelLocationInline(admin.TabularInline):
    """Which channels sell from this location, in which order, holding back how many units."""

    model = ChannelLocation
    extra = 0
    fields = ["channel", "priority", "safety_stock"]
    ordering = ["priority", "channel__code"]
    verbose_name = _("channel selling from here")
    verbose_name_plural = _("channels selling from here")


@admin.register(StockLocation)
class StockLocationAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "city",
        "district",
        "channel",
        "ships_to_customers",
        "click_and_collect",
        "accepts_returns",
        "is_active",
    ]
    list_filter = [
        "kind",
        "is_active",
        "ships_to_customers",
        "click_and_collect",
        "accepts_returns",
        "city",
    ]
    search_fields = ["code", "name", "city", "district"]
    list_select_related = ["channel"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [ChannelLocationInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "channel", "is_active"]}),
        (
            _("Address"),
            {
                "fields": [
                    "address_line",
                    "district",
                    "city",
                    "postal_code",
                    "country",
                    "latitude",
                    "longitude",
                ]
            },
        ),
        (_("Services"), {"fields": ["ships_to_customers", "click_and_collect", "accepts_returns"]}),
    ]

    def save_related(self, request, form, formsets, change):
        """Which channels sell from here, their safety stock, or the location opened or closed:
        the channels concerned (before and after) are to be told their new availability of
        everything stocked here (recorded in the same transaction, sent by a task)."""
        location = form.instance
        changed = change and (
            "is_active" in form.changed_data or any(f.has_changed() for f in formsets)
        )
        if not changed:
            super().save_related(request, form, formsets, change)
            return

        def selling() -> set[int]:
            links = ChannelLocation.objects.filter(location=location)
            return set(links.values_list("channel_id", flat=True))

        before = selling()
        super().save_related(request, form, formsets, change)
        if services.channel_availability_refresh(
            channel_ids=before | selling(), location_ids=[location.pk]
        ):
            self.message_user(
                request,
                gettext(
                    "The channels selling from here will be told what they can sell now, "
                    "within a few seconds."
                ),
                messages.INFO,
            )


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

    @admin.display(description=_("free"), ordering="free_units")
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


# --- transfers ------------------------------------------------------------------------------


class TransferRequestForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=StockLocation.objects.filter(is_active=True), label=_("From")
    )
    destination = forms.ModelChoiceField(
        queryset=StockLocation.objects.filter(is_active=True), label=_("To")
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
        refused = [t for t in transfers if to not in services.TRANSFER_TRANSITIONS[t.status]]
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


# --- what is held: reservations, allocations; and the alerts --------------------------------


class LiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", _("Holding stock")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "live":
            return queryset.filter(expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        return queryset


@admin.register(Reservation)
class ReservationAdmin(_ReadOnlyAdmin):
    list_display = [
        "reference",
        "sku",
        "location",
        "channel",
        "quantity",
        "expires_at",
        "is_live",
        "created_at",
    ]
    list_filter = [LiveFilter, "channel", "stock__location"]
    list_select_related = ["variant", "stock__location", "channel"]
    search_fields = ["reference", "variant__sku"]
    search_help_text = _("Cart reference or SKU")

    sku = _sku_column()

    @admin.display(description=_("location"), ordering="stock__location__code")
    def location(self, obj: Reservation) -> str:
        return obj.stock.location.code

    @admin.display(description=_("holding stock"), boolean=True)
    def is_live(self, obj: Reservation) -> bool:
        return obj.expires_at > timezone.now()


@admin.register(Allocation)
class AllocationAdmin(_ReadOnlyAdmin):
    list_display = ["reference", "line_ref", "sku", "location", "quantity", "status", "created_at"]
    list_filter = ["status", "location"]
    list_select_related = ["variant", "location"]
    search_fields = ["reference", "line_ref", "variant__sku"]
    search_help_text = _("Order reference, line or SKU")

    sku = _sku_column()


class AlertStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("resolved", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class AlertNotifiedFilter(admin.SimpleListFilter):
    title = _("notified")
    parameter_name = "notified"

    def lookups(self, request, model_admin):
        return [("yes", _("Notified")), ("no", _("Not notified yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(notified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(notified_at__isnull=True)
        return queryset


@admin.register(LowStockAlert)
class LowStockAlertAdmin(_ReadOnlyAdmin):
    list_display = [
        "sku",
        "location",
        "free_at_alert",
        "reorder_point",
        "is_open",
        "opened_at",
        "notified_at",
        "resolved_at",
    ]
    list_filter = [AlertStateFilter, AlertNotifiedFilter, "stock__location"]
    list_select_related = ["stock__variant", "stock__location"]
    search_fields = ["stock__variant__sku", "stock__location__code"]
    search_help_text = _("SKU or location code")
    # Open alerts first (no resolution date), then the most recently resolved; newest first.
    ordering = [F("resolved_at").desc(nulls_first=True), "-opened_at"]

    sku = _sku_column(path="stock__variant")

    @admin.display(description=_("location"), ordering="stock__location__code")
    def location(self, obj: LowStockAlert) -> str:
        return obj.stock.location.code

    @admin.display(description=_("open"), boolean=True, ordering="resolved_at")
    def is_open(self, obj: LowStockAlert) -> bool:
        return obj.resolved_at is None
