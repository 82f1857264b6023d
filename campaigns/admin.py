"""The merchant admin for promotions: create, change, schedule, pause, resume and copy them,
give them named codes, download a batch of codes as CSV, and try a cart.

Every save goes through campaigns.services.promotions, and the form shows promotion_clean's
errors on its fields, so the admin refuses exactly what the API refuses and records the same
outbox event. A kind's settings are edited as plain fields (buy, get, the tiers ...) and turned
into the promotion's `config` by the form. Codes of a generated batch are not listed on the
page (there may be 10,000): each batch is a row with its CSV download.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from campaigns import selectors
from campaigns.models import Code, CodeBatch, Promotion
from campaigns.services import promotions as services
from campaigns.services.codes import code_batch_csv, code_batch_generate
from customers.models import Customer
from omni.admin_tools import ReadOnlyMixin
from omni.errors import OmniError, ValidationError
from orders.models import ShippingMethod
from sales_channels.models import Channel

Kind = Promotion.Kind

KIND_HELP = _(
    "Percent off: the value is the percent (0-100). Amount off: the value is the amount off "
    "each unit (or the order), in the currency. Fixed price: the value is the unit price the "
    "matching lines sell at. Buy X get Y: fill in buy, get and the percent off the cheapest "
    "(100: free). Bundle: the bundle's quantity and either how many are paid for (3 for 2) or "
    "its price (any 2 for 500). Tiered spend: one tier per line, as amount: percent. Shipping: "
    "the value is the percent off shipping (100: free). Gift item: the gift variant's id."
)
WINDOW_HELP = _("Istanbul time. Empty: no limit.")

# The kind's settings as form fields: (config key, form field) for each kind.
CONFIG_FIELDS: dict[str, dict[str, str]] = {
    Kind.BUY_X_GET_Y: {"buy": "buy", "get": "get", "percent": "get_percent"},
    Kind.BUNDLE: {"quantity": "bundle_quantity", "pay": "bundle_pay", "price": "bundle_price"},
    Kind.TIERED: {"tiers": "tiers"},
    Kind.GIFT: {"variant": "gift_variant", "quantity": "gift_quantity"},
}


def _tiers_text(tiers: Any) -> str:
    if not isinstance(tiers, list):
        return ""
    return "\n".join(f"{t.get('from')}: {t.get('percent')}" for t in tiers if isinstance(t, dict))


def _tiers_parse(text: str) -> list[dict[str, str]] | None:
    """'500: 10' per line, as the tiers of Promotion.config; None if a line is not so."""
    tiers = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        start, sep, percent = raw.partition(":")
        if not sep:
            return None
        try:
            tiers.append(
                {"from": str(Decimal(start.strip())), "percent": str(Decimal(percent.strip()))}
            )
        except InvalidOperation:
            return None
    return tiers


# The promotion's own fields that the form edits (what promotion_clean takes).
FORM_FIELDS = [*services.SCALARS, *selectors.CONDITION_FIELDS]
FORM_FIELDS.remove("config")


class PromotionForm(forms.ModelForm):
    buy = forms.IntegerField(label=_("buy"), required=False)
    get = forms.IntegerField(label=_("get"), required=False)
    get_percent = forms.DecimalField(
        label=_("percent off what is got"), required=False, help_text=_("100: free.")
    )
    bundle_quantity = forms.IntegerField(label=_("bundle quantity"), required=False)
    bundle_pay = forms.IntegerField(
        label=_("paid for"), required=False, help_text=_("3 for 2: quantity 3, paid for 2.")
    )
    bundle_price = forms.DecimalField(
        label=_("bundle price"), required=False, help_text=_("Any 2 for 500: quantity 2, 500.")
    )
    tiers = forms.CharField(
        label=_("tiers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, from amount: percent. For example 500: 10 and 1000: 15."),
    )
    gift_variant = forms.IntegerField(label=_("gift variant id"), required=False)
    gift_quantity = forms.IntegerField(label=_("gift quantity"), required=False)
    code = forms.CharField(
        label=_("new code"),
        required=False,
        max_length=40,
        help_text=_("A named code to add, such as ACILIS2026. The promotion then needs a code."),
    )
    code_usage_limit = forms.IntegerField(
        label=_("uses of the new code"), required=False, help_text=_("Empty: no limit.")
    )

    class Meta:
        model = Promotion
        fields = FORM_FIELDS
        help_texts = {"kind": KIND_HELP, "starts_at": WINDOW_HELP, "ends_at": WINDOW_HELP}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label_tr"].required = False  # promotion_clean says so, with its message
        config = self.instance.config or {}
        for key, name in CONFIG_FIELDS.get(self.instance.kind, {}).items():
            value = config.get(key)
            self.initial[name] = _tiers_text(value) if key == "tiers" else value

    def _config(self, data: dict[str, Any]) -> dict[str, Any] | None:
        config: dict[str, Any] = {}
        for key, name in CONFIG_FIELDS.get(data.get("kind") or "", {}).items():
            value = data.get(name)
            if value in (None, ""):
                continue
            if key == "tiers":
                value = _tiers_parse(str(value))
                if value is None:
                    self.add_error("tiers", gettext("Write each tier as amount: percent."))
                    return None
            config[key] = str(value) if isinstance(value, Decimal) else value
        return config

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        config = self._config(data)
        if config is None:
            return data
        fields: dict[str, Any] = {name: data.get(name) for name in FORM_FIELDS if name in data}
        fields.update(config=config, code=data.get("code") or "")
        fields["code_usage_limit"] = data.get("code_usage_limit")
        try:
            services.promotion_clean(
                fields=fields, promotion=self.instance if self.instance.pk else None
            )
        except ValidationError as error:
            self._show(error, data.get("kind") or "")
        self.promotion_fields = fields
        return data

    def _show(self, error: ValidationError, kind: str) -> None:
        by_key = CONFIG_FIELDS.get(kind, {})
        for name, messages_ in error.fields.items():
            target: str | None = name
            if name.startswith("config"):
                key = name.split(".")[1] if "." in name else ""
                target = by_key.get(key) or (next(iter(by_key.values()), None))
            if target not in self.fields:
                target = None
            for message in messages_:
                self.add_error(target, message if target else f"{name}: {message}")

    def _post_clean(self) -> None:
        # promotion_clean has checked the whole promotion; the service saves it.
        pass


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return selectors.Status.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value in selectors.Status.values:
            return queryset.filter(selectors.status_q(str(value), timezone.now()))
        return queryset


class CodeInline(ReadOnlyMixin, admin.TabularInline):
    """The named codes (a batch's are in its CSV)."""

    model = Code
    extra = 0
    fields = readonly_fields = (
        "code",
        "usage_limit",
        "per_customer_limit",
        "times_used",
        "is_active",
        "created_at",
    )
    verbose_name_plural = _("named codes")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(batch__isnull=True)


class CodeBatchInline(ReadOnlyMixin, admin.TabularInline):
    model = CodeBatch
    extra = 0
    fields = readonly_fields = ("created_at", "prefix", "count", "download")

    @admin.display(description=_("CSV"))
    def download(self, batch: CodeBatch) -> str:
        url = reverse("admin:campaigns_promotion_batch_csv", args=[batch.promotion_id, batch.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))


def _when(value) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT") if value else "..."


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    form = PromotionForm
    list_display = ["name", "kind", "status", "window", "uses", "spent_amount"]
    list_filter = [StatusFilter, "kind", "requires_code", "stacking", "channels"]
    search_fields = ["name", "label_tr", "label_en", "=codes__code"]
    search_help_text = _("Name, label or an exact code")
    autocomplete_fields = ["products", "variants", "categories", "brands"]
    filter_horizontal = ["channels", "attribute_values", "segments", "loyalty_tiers"]
    readonly_fields = [
        "status",
        "uses",
        "spent_amount",
        "created_by",
        "generate_codes",
        "try_a_cart",
    ]
    fieldsets = [
        (None, {"fields": ["name", "label_tr", "label_en", "status"]}),
        (
            _("Benefit"),
            {
                "fields": [
                    "kind",
                    "target",
                    "value",
                    "currency",
                    ("buy", "get", "get_percent"),
                    ("bundle_quantity", "bundle_pay", "bundle_price"),
                    "tiers",
                    ("gift_variant", "gift_quantity"),
                ]
            },
        ),
        (
            _("What it applies to"),
            {
                "fields": [
                    "channels",
                    "products",
                    "variants",
                    "categories",
                    "brands",
                    "attribute_values",
                ]
            },
        ),
        (
            _("Who and which carts"),
            {
                "fields": [
                    "segments",
                    "loyalty_tiers",
                    "first_order_only",
                    "min_subtotal",
                    "min_quantity",
                ]
            },
        ),
        (_("When"), {"fields": ["starts_at", "ends_at", "is_active"]}),
        (_("Stacking"), {"fields": ["stacking", "priority"]}),
        (
            _("Codes and limits"),
            {
                "fields": [
                    "requires_code",
                    ("code", "code_usage_limit"),
                    "usage_limit",
                    "per_customer_limit",
                    "budget",
                    "generate_codes",
                ]
            },
        ),
        (_("Use"), {"fields": ["uses", "spent_amount", "created_by", "try_a_cart"]}),
    ]
    inlines = [CodeInline, CodeBatchInline]
    actions = ["pause", "resume", "copy"]

    def get_queryset(self, request):
        return selectors.with_totals(super().get_queryset(request).select_related("created_by"))

    # A promotion is paused, not deleted: its redemptions keep it, and a deletion would not
    # tell the channels.
    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status"))
    def status(self, obj: Promotion) -> str:
        return str(selectors.promotion_status(obj).label) if obj.pk else "-"

    @admin.display(description=_("window"), ordering="starts_at")
    def window(self, obj: Promotion) -> str:
        if not obj.starts_at and not obj.ends_at:
            return "-"
        return f"{_when(obj.starts_at)} - {_when(obj.ends_at)}"

    # What its redemptions say (selectors.with_totals): the row counts only under a limit.
    @admin.display(description=_("uses"), ordering="uses_total")
    def uses(self, obj: Promotion) -> str:
        used = getattr(obj, "uses_total", obj.times_used)
        return f"{used} / {obj.usage_limit}" if obj.usage_limit is not None else str(used)

    @admin.display(description=_("spent"), ordering="given_total")
    def spent_amount(self, obj: Promotion) -> str:
        given = getattr(obj, "given_total", obj.spent)
        if obj.budget is not None:
            return f"{given} / {obj.budget} {obj.currency}"
        return f"{given} {obj.currency}"

    @admin.display(description=_("generate codes"))
    def generate_codes(self, obj: Promotion) -> str:
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:campaigns_promotion_generate", args=[obj.pk]),
            gettext("Generate a batch of codes"),
        )

    @admin.display(description=_("try a cart"))
    def try_a_cart(self, obj: Promotion) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:campaigns_promotion_preview"),
            gettext("What would a cart pay?"),
        )

    # --- saving, through the services ---

    def save_model(self, request, obj, form, change):
        fields = form.promotion_fields
        if change:
            services.promotion_update(promotion=Promotion.objects.get(pk=obj.pk), **fields)
        else:
            obj.pk = services.promotion_create(actor=request.user, **fields).pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The conditions were set by the service; the codes are read-only here. The change
        # message reads what the formsets saved: nothing.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    # --- actions ---

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        change: Callable[[Promotion], object],
        done: Callable[[int], str],
    ) -> None:
        count = 0
        for promotion in queryset.order_by("id")[:100]:
            try:
                change(promotion)
            except OmniError as error:
                self.message_user(request, f"{promotion}: {error.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done(count) % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("Pause"), permissions=["change"])
    def pause(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: services.promotion_pause(promotion=p),
            lambda n: ngettext("%(n)d promotion paused.", "%(n)d promotions paused.", n),
        )

    @admin.action(description=_("Resume"), permissions=["change"])
    def resume(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: services.promotion_resume(promotion=p),
            lambda n: ngettext("%(n)d promotion resumed.", "%(n)d promotions resumed.", n),
        )

    @admin.action(description=_("Copy (the copy starts paused)"), permissions=["add"])
    def copy(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: services.promotion_copy(promotion=p, actor=request.user),
            lambda n: ngettext("%(n)d promotion copied.", "%(n)d promotions copied.", n),
        )

    # --- pages of its own ---

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:promotion_id>/generate/",
                view(self.generate_view),
                name="campaigns_promotion_generate",
            ),
            path("preview/", view(self.preview_view), name="campaigns_promotion_preview"),
            path(
                "<int:promotion_id>/batches/<int:batch_id>/codes.csv",
                view(self.batch_csv_view),
                name="campaigns_promotion_batch_csv",
            ),
            *super().get_urls(),
        ]

    def batch_csv_view(self, request: HttpRequest, promotion_id: int, batch_id: int):
        """A batch's codes as CSV, streamed (10,000 rows)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(CodeBatch, pk=batch_id, promotion_id=promotion_id)
        return batch_csv_response(batch)

    def generate_view(self, request: HttpRequest, promotion_id: int) -> HttpResponse:
        """Generate a batch of codes (campaigns.services.codes.code_batch_generate)."""
        promotion = get_object_or_404(Promotion, pk=promotion_id)
        if not self.has_change_permission(request, promotion):
            raise PermissionDenied
        form = GenerateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                data = dict(form.cleaned_data)
                data["prefix"] = data.pop("code_prefix")
                actor = request.user if isinstance(request.user, User) else None
                batch = code_batch_generate(promotion=promotion, actor=actor, **data)
            except ValidationError as error:
                for name, messages_ in error.fields.items():
                    name = "code_prefix" if name == "prefix" else name
                    form.add_error(name if name in form.fields else None, messages_)
            else:
                self.message_user(
                    request,
                    gettext("%(count)d codes generated.") % {"count": batch.count},
                    messages.SUCCESS,
                )
                return redirect("admin:campaigns_promotion_change", promotion.pk)
        return render(
            request,
            "admin/campaigns/promotion_generate.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Generate codes for %(name)s") % {"name": promotion.name},
                "form": form,
                "promotion": promotion,
                "opts": self.model._meta,
                "has_view_permission": True,
            },
        )

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Try a cart: what it would pay on a channel, and why. Nothing is saved."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PreviewForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                preview = selectors.cart_preview(
                    channel=data["channel"],
                    customer=data.get("customer"),
                    lines=data["lines"],
                    codes=data["codes"],
                    shipping_method=data.get("shipping_method"),
                )
            except ValidationError as error:
                form.add_error("lines", [m for ms in error.fields.values() for m in ms])
        return render(
            request,
            "admin/campaigns/promotion_preview.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Try a cart"),
                "form": form,
                "preview": preview,
                "opts": self.model._meta,
                "has_view_permission": True,
            },
        )


def batch_csv_response(batch: CodeBatch) -> StreamingHttpResponse:
    response = StreamingHttpResponse(code_batch_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="promotion-{batch.promotion_id}-batch-{batch.pk}.csv"'
    )
    return response


class GenerateForm(forms.Form):
    count = forms.IntegerField(label=_("how many codes"), min_value=1, max_value=10_000)
    code_prefix = forms.CharField(label=_("prefix"), required=False, max_length=12)
    usage_limit = forms.IntegerField(
        label=_("uses per code"),
        required=False,
        min_value=1,
        initial=1,
        help_text=_("1: single use. Empty: no limit."),
    )
    per_customer_limit = forms.IntegerField(
        label=_("uses per customer"), required=False, min_value=1
    )


class PreviewForm(forms.Form):
    channel = forms.ModelChoiceField(label=_("channel"), queryset=Channel.objects.all())
    customer = forms.IntegerField(
        label=_("customer id"), required=False, help_text=_("Empty: a guest.")
    )
    lines = forms.CharField(
        label=_("items (SKU and quantity)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One line per SKU: the SKU and the quantity, such as DRESS-RED-M 2."),
    )
    codes = forms.CharField(
        label=_("codes"), required=False, help_text=_("Separated by spaces or commas.")
    )
    shipping_method: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("shipping method"),
        required=False,
        queryset=ShippingMethod.objects.select_related("channel"),
        help_text=_("To see the shipping discount."),
    )

    def clean_customer(self) -> Customer | None:
        pk = self.cleaned_data.get("customer")
        if pk is None:
            return None
        customer = Customer.objects.filter(pk=pk).first()
        if customer is None:
            raise forms.ValidationError(gettext("No such customer."))
        return customer

    def clean_lines(self) -> list[selectors.PreviewLineInput]:
        lines = []
        for raw in self.cleaned_data["lines"].splitlines():
            parts = raw.split()
            if not parts:
                continue
            quantity = parts[1] if len(parts) > 1 else "1"
            if len(parts) > 2 or not quantity.isdigit() or int(quantity) < 1:
                raise forms.ValidationError(
                    gettext("Write each line as the SKU and the quantity: %(line)s")
                    % {"line": raw.strip()}
                )
            lines.append(selectors.PreviewLineInput(parts[0], int(quantity)))
        if not lines:
            raise forms.ValidationError(gettext("Enter at least one line."))
        return lines

    def clean_codes(self) -> list[str]:
        return self.cleaned_data["codes"].replace(",", " ").split()

    def clean(self):
        data = super().clean() or {}
        method, channel = data.get("shipping_method"), data.get("channel")
        if method is not None and channel is not None and method.channel_id != channel.pk:
            self.add_error("shipping_method", gettext("This method is not the channel's."))
        return data
