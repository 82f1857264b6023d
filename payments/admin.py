"""The merchant admin for payments: payments with their ledger (read-only), refunds, store
credit, gift cards (read-only ledger, and an issue form), the gateways each channel offers (configuration, edited here) and the webhooks
received. On the order page: its payments (read-only) and a refund action whose confirmation
page goes through payments.services.refund_create."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from omni.admin_tools import ReadOnlyMixin, SafeJSONMixin
from omni.errors import OmniError
from orders.admin import FulfilmentInline, OrderAdmin
from orders.models import Order
from payments import selectors, services
from payments.gateways.base import GATEWAYS
from payments.models import (
    REMOTE_REFUND_DESTINATIONS,
    ChannelGateway,
    GiftCard,
    GiftCardEntry,
    GiftCardProduct,
    Payment,
    PaymentTransaction,
    Refund,
    StoreCreditAccount,
    StoreCreditEntry,
    TillCount,
    WebhookReceipt,
)
from payments.services import gift_cards


class _ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class PaymentTransactionInline(_ReadOnlyInline):
    model = PaymentTransaction
    fk_name = "payment"
    fields = [
        "created_at",
        "kind",
        "status",
        "amount",
        "currency",
        "provider_reference",
        "error_code",
        "raw",
    ]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "created_at",
        "order_link",
        "channel",
        "gateway",
        "kind",
        "status",
        "amount",
        "amount_captured",
        "amount_refunded",
        "currency",
    ]
    list_filter = ["status", "gateway", "kind", "channel", "currency", "created_at"]
    list_select_related = ["order", "channel"]
    search_fields = ["reference", "provider_reference", "order__number", "order__email"]
    search_help_text = _("Reference, provider reference, order number or e-mail")
    date_hierarchy = "created_at"
    readonly_fields = [
        "reference",
        "order",
        "channel",
        "gateway",
        "kind",
        "status",
        "amount",
        "currency",
        "amount_authorised",
        "amount_captured",
        "amount_refunded",
        "provider_reference",
        "card_last4",
        "instalments",
        "instalment_total",
        "redirect_url",
        "return_url",
        "error_code",
        "error_message",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields
    inlines = [PaymentTransactionInline]

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, obj: Payment) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[obj.order_id]),
            obj.order.number,
        )


@admin.register(Refund)
class RefundAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "order",
        "amount",
        "currency",
        "destination",
        "status",
        "reason",
    ]
    list_filter = ["status", "destination", "created_at"]
    list_select_related = ["order"]
    search_fields = ["order__number", "idempotency_key"]
    fields = [
        "order",
        "return_request",
        "amount",
        "currency",
        "destination",
        "status",
        "reason",
        "idempotency_key",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields


class StoreCreditEntryInline(_ReadOnlyInline):
    model = StoreCreditEntry
    fields = [
        "created_at",
        "kind",
        "amount",
        "balance_after",
        "channel",
        "payment",
        "refund",
        "actor",
    ]
    readonly_fields = fields


@admin.register(StoreCreditAccount)
class StoreCreditAccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["customer", "balance", "currency", "updated_at"]
    list_select_related = ["customer"]
    search_fields = ["customer__email", "customer__phone", "customer__last_name"]
    fields = ["customer", "balance", "currency", "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [StoreCreditEntryInline]


class ChannelGatewayForm(forms.ModelForm):
    gateway = forms.ChoiceField(choices=())

    class Meta:
        model = ChannelGateway
        fields = ["channel", "gateway", "is_active", "sort_order", "config"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gateway"].choices = [
            (code, str(cls.label)) for code, cls in sorted(GATEWAYS.items())
        ]

    def clean(self):
        """An active gateway must be one this deployment can use (payments.selectors.
        gateway_build refuses the others at use; saying so here spares a silent channel)."""
        data = super().clean()
        code, config = data.get("gateway"), data.get("config") or {}
        if not code or not data.get("is_active") or code not in GATEWAYS:
            return data
        if not selectors.gateway_allowed(code):
            raise forms.ValidationError(
                gettext("The test gateway is not allowed here (OMNI_ALLOW_TEST_GATEWAY).")
            )
        if settings.OMNI_REFUSE_WEAK_GATEWAY_SECRETS and isinstance(config, dict):
            weak = GATEWAYS[code].weak_secrets({**selectors.gateway_defaults(code), **config})
            if weak:
                raise forms.ValidationError(
                    gettext("Refused secrets: %(list)s.")
                    % {"list": "; ".join(f"{k} {v}" for k, v in sorted(weak.items()))}
                )
        return data


@admin.register(ChannelGateway)
class ChannelGatewayAdmin(SafeJSONMixin, admin.ModelAdmin):
    form = ChannelGatewayForm
    list_display = ["channel", "gateway", "is_active", "sort_order"]
    list_filter = ["gateway", "is_active", "channel"]
    list_select_related = ["channel"]


@admin.register(WebhookReceipt)
class WebhookReceiptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["received_at", "gateway", "event_id", "status", "outcome", "payment"]
    list_filter = ["gateway", "outcome", "status"]
    search_fields = ["event_id", "payment__reference"]
    fields = [
        "gateway",
        "event_id",
        "status",
        "outcome",
        "occurred_at",
        "payment",
        "raw",
        "received_at",
    ]
    readonly_fields = fields


@admin.register(TillCount)
class TillCountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The end-of-day cash counts (entered on the staff screens, append-only)."""

    fields = [
        "business_date",
        "channel",
        "staff",
        "counted",
        "expected",
        "difference",
        "currency",
        "created_at",
        "note",
    ]
    list_display = fields[:-1]
    list_filter = ["channel", "business_date"]
    list_select_related = ["channel", "staff"]
    readonly_fields = fields


# --- on the order page ----------------------------------------------------------------------


class OrderPaymentInline(_ReadOnlyInline):
    """The order's payments, read-only (orders.admin.OrderAdmin)."""

    model = Payment
    fk_name = "order"
    fields = [
        "payment_link",
        "created_at",
        "channel",
        "gateway",
        "status",
        "amount",
        "amount_captured",
        "amount_refunded",
        "currency",
        "card_last4",
        "instalments",
        "instalment_total",
    ]
    readonly_fields = fields
    verbose_name_plural = _("payments")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")

    @admin.display(description=_("reference"))
    def payment_link(self, obj: Payment) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:payments_payment_change", args=[obj.pk]),
            obj.reference,
        )


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=0.01)
    to = forms.ChoiceField(label=_("Refund to"), choices=REMOTE_REFUND_DESTINATIONS)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    key = forms.CharField(widget=forms.HiddenInput)


@admin.action(description=_("Refund"), permissions=["refund"])
def refund_order(modeladmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    """One order at a time: a confirmation page with the amount (what is left to refund by
    default), where it goes and why; submitting it calls refund_create once (the form carries
    its idempotency key, so a double submit refunds once)."""
    orders = list(queryset.select_related("channel", "customer")[:2])
    if len(orders) != 1:
        modeladmin.message_user(request, gettext("Refund one order at a time."), messages.WARNING)
        return None
    order = orders[0]
    payments = list(selectors.payments_for_order(order=order))
    refundable = sum((p.amount_captured - p.amount_refunded for p in payments), 0)
    if "apply" in request.POST:
        form = RefundForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                refund = services.refund_create(
                    order=order,
                    amount=data["amount"],
                    reason=data["reason"],
                    to=data["to"],
                    idempotency_key=f"admin:{data['key']}",
                    actor=request.user,
                )
            except OmniError as error:
                form.add_error(None, error.message)
                for name, msgs in error.fields.items():
                    if name in form.fields:
                        for msg in msgs:
                            form.add_error(name, msg)
            else:
                modeladmin.message_user(
                    request,
                    gettext("Refund of %(amount)s %(currency)s for order %(number)s: %(status)s.")
                    % {
                        "amount": refund.amount,
                        "currency": refund.currency,
                        "number": order.number,
                        "status": refund.get_status_display(),
                    },
                    messages.SUCCESS,
                )
                return None
    else:
        form = RefundForm(initial={"amount": refundable, "to": "original", "key": uuid.uuid4().hex})
    return render(
        request,
        "payments/admin/refund_confirm.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Refund order %(number)s") % {"number": order.number},
            "order": order,
            "payments": payments,
            "refundable": refundable,
            "form": form,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
        },
    )


_AFTER_FULFILMENTS = OrderAdmin.inlines.index(FulfilmentInline) + 1


class OrderWithPaymentsAdmin(OrderAdmin):
    """Orders' order page with the order's payments (after its fulfilments) and the refund
    action. Payments sits above orders, so it extends orders' admin and registers it in its
    place; orders never imports payments."""

    inlines = [
        *OrderAdmin.inlines[:_AFTER_FULFILMENTS],
        OrderPaymentInline,
        *OrderAdmin.inlines[_AFTER_FULFILMENTS:],
    ]
    actions = [*OrderAdmin.actions, refund_order]

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.add_refund")


admin.site.unregister(Order)
admin.site.register(Order, OrderWithPaymentsAdmin)


# --- gift cards -----------------------------------------------------------------------------


class GiftCardEntryInline(_ReadOnlyInline):
    model = GiftCardEntry
    fields = [
        "created_at",
        "kind",
        "amount",
        "balance_after",
        "order_number",
        "channel",
        "payment",
        "refund",
        "actor",
        "reason",
    ]
    readonly_fields = fields


class GiftCardIssueForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="TRY")
    reason = forms.CharField(label=_("Reason"), max_length=300)
    holder = forms.ModelChoiceField(
        label=_("Holder"),
        queryset=Customer.objects.all(),
        required=False,
        widget=forms.NumberInput,
        help_text=_("The customer's id, when the card is theirs."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False, help_text=_("Blank: the configured validity.")
    )


class GiftCardDisableForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


@admin.action(description=_("Disable"), permissions=["disable"])
def disable_gift_cards(modeladmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    """A confirmation page asking why; then each selected card is stopped by gift_card_disable
    (it pays no more, its balance stays on the ledger)."""
    cards = list(queryset.order_by("pk"))
    form = GiftCardDisableForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        for card in cards:
            gift_cards.gift_card_disable(
                card_id=card.pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
        modeladmin.message_user(
            request,
            gettext("%(count)d gift cards disabled.") % {"count": len(cards)},
            messages.SUCCESS,
        )
        return None
    return render(
        request,
        "payments/admin/gift_card_disable.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Disable gift cards"),
            "cards": cards,
            "form": form,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
        },
    )


@admin.register(GiftCard)
class GiftCardAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Gift cards and their ledger, read-only: the balance moves only through the services.
    "Add" issues a card (amount, reason) through gift_card_issue and shows its PIN once."""

    list_display = [
        "masked",
        "status",
        "balance",
        "initial_amount",
        "currency",
        "source",
        "holder",
        "expires_at",
        "created_at",
    ]
    list_filter = ["status", "source", "currency"]
    list_select_related = ["holder"]
    search_fields = ["code", "holder__email", "reason"]
    fields = [
        "grouped",
        "status",
        "currency",
        "initial_amount",
        "balance",
        "expires_at",
        "source",
        "holder",
        "buyer",
        "order_line",
        "issued_by",
        "reason",
        "pin_sent_at",
        "locked_until",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [GiftCardEntryInline]
    actions = [disable_gift_cards]

    def has_disable_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payments.change_giftcard")

    @admin.display(description=_("code"))
    def grouped(self, obj: GiftCard) -> str:
        return obj.grouped

    @admin.display(description=_("code"))
    def masked(self, obj: GiftCard) -> str:
        return obj.masked

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("payments.add_giftcard")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        issued, pin = None, ""
        form = GiftCardIssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                issued, pin = gift_cards.gift_card_issue(
                    amount=data["amount"],
                    currency=data["currency"].strip().upper(),
                    reason=data["reason"],
                    actor=request.user,
                    holder=data.get("holder"),
                    expires_at=data.get("expires_at"),
                )
            except OmniError as error:
                form.add_error(None, error.message)
                for name, msgs in error.fields.items():
                    for msg in msgs:
                        form.add_error(name if name in form.fields else None, msg)
        return render(
            request,
            "payments/admin/gift_card_issue.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Issue a gift card"),
                "form": form,
                "issued": issued,
                "pin": pin,
                "opts": self.model._meta,
            },
        )


@admin.register(GiftCardProduct)
class GiftCardProductAdmin(admin.ModelAdmin):
    list_display = ["variant", "amount", "is_active"]
    list_select_related = ["variant"]
    raw_id_fields = ["variant"]
