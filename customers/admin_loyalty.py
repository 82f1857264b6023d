"""The merchant admin's loyalty programme: the programme and its tiers are edited here;
accounts are read-only, with their ledger, and staff adjust a balance through the service
(customers.loyalty.services.loyalty_adjust) with a reason, from the account's page."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from customers.loyalty.services import loyalty_adjust
from customers.models import LoyaltyAccount, LoyaltyEntry, LoyaltyProgramme, LoyaltyTier
from omni.errors import OmniError


class LoyaltyTierInline(TranslationTabularInline):
    model = LoyaltyTier
    extra = 0
    fields = ["name", "min_spend", "earn_multiplier"]


@admin.register(LoyaltyProgramme)
class LoyaltyProgrammeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "currency",
        "earn_rate",
        "point_value",
        "expiry_months",
        "pending_days",
        "is_active",
    ]
    inlines = [LoyaltyTierInline]


ENTRY_FIELDS = (
    "created_at",
    "kind",
    "points",
    "pending",
    "amount",
    "order_number",
    "available_at",
    "expires_at",
    "shortfall",
    "reason",
    "actor",
)


class LoyaltyEntryInline(admin.TabularInline):
    model = LoyaltyEntry
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-created_at", "-id"]
    fields = ENTRY_FIELDS
    readonly_fields = ENTRY_FIELDS

    def has_add_permission(self, request, obj=None):
        return False


class AdjustForm(forms.ModelForm):
    """The account's page has no editable field of its own: only an adjustment to make."""

    adjust_points = forms.IntegerField(
        label=_("Adjust by (points)"),
        required=False,
        help_text=_("Positive to add, negative to remove."),
    )
    adjust_reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    class Meta:
        model = LoyaltyAccount
        fields: list[str] = []

    def clean(self):
        data = super().clean() or {}
        if data.get("adjust_points") and not (data.get("adjust_reason") or "").strip():
            self.add_error("adjust_reason", _("Say why the points change."))
        return data


@admin.register(LoyaltyAccount)
class LoyaltyAccountAdmin(admin.ModelAdmin):
    form = AdjustForm
    list_display = ["customer", "available", "pending", "tier", "spend_12m", "updated_at"]
    list_select_related = ["customer", "tier"]
    list_filter = ["tier"]
    search_fields = ["customer__email", "customer__phone", "customer__last_name"]
    readonly_fields = [
        "customer",
        "programme",
        "available",
        "pending",
        "tier",
        "spend_12m",
        "created_at",
    ]
    fields = [
        "customer",
        "programme",
        "available",
        "pending",
        "tier",
        "spend_12m",
        "created_at",
        "adjust_points",
        "adjust_reason",
    ]
    inlines = [LoyaltyEntryInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        points = form.cleaned_data.get("adjust_points")
        if not points:
            return
        try:
            loyalty_adjust(
                customer=obj.customer,
                points=points,
                reason=form.cleaned_data["adjust_reason"],
                actor=request.user,
            )
        except OmniError as error:
            self.message_user(request, error.message, messages.ERROR)
