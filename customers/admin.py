"""The merchant admin for customers: one profile across every channel, with its addresses and
its orders from all of them (web, app, store counters, marketplaces).

Profiles are created by sign-up, checkout and store staff through customers.services, so there
is no add page; a profile keeps its orders, so it is not deleted here. The name, phone and
language are edited here, and the e-mail of a guest profile; an account holder's e-mail is their
sign-in and is changed on the account.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import Address, Customer
from omni.admin_tools import ReadOnlyMixin
from orders.models import Order

# The newest orders are shown on the profile; all of them are one link away.
ORDERS_INLINE_ROWS = 50


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0
    fields = [
        ("label", "is_default"),
        ("full_name", "phone"),
        "line1",
        "line2",
        ("district", "city"),
        ("postal_code", "country"),
    ]


class LatestOrdersFormSet(forms.BaseInlineFormSet):
    def get_queryset(self):
        # Sliced after the inline formset has filtered the orders down to this customer.
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[:ORDERS_INLINE_ROWS]
        return self._latest


class CustomerOrderInline(ReadOnlyMixin, admin.TabularInline):
    """The customer's orders from every channel, newest first, read-only."""

    model = Order
    fk_name = "customer"
    formset = LatestOrdersFormSet
    fields = ["order", "created_at", "channel", "status", "delivery", "total_amount"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    extra = 0
    can_delete = False
    verbose_name = _("order")
    verbose_name_plural = _("orders (every channel, newest first)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")

    @admin.display(description=_("order"))
    def order(self, obj: Order) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.pk]), obj.number
        )

    @admin.display(description=_("total"))
    def total_amount(self, obj: Order) -> str:
        return f"{obj.total} {obj.currency}"


class HasAccountFilter(admin.SimpleListFilter):
    title = _("account")
    parameter_name = "account"

    def lookups(self, request, model_admin):
        return [("yes", _("Signed up")), ("no", _("Guest or walk-in"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(user__isnull=False)
        if self.value() == "no":
            return queryset.filter(user__isnull=True)
        return queryset


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "email",
        "phone",
        "has_account",
        "first_channel",
        "order_count",
        "created_at",
    ]
    list_filter = [HasAccountFilter, "first_channel", "language"]
    list_select_related = ["first_channel"]
    search_fields = ["email", "phone", "first_name", "last_name"]
    search_help_text = _("E-mail, phone or name")
    fields = [
        ("first_name", "last_name"),
        "email",
        "phone",
        "language",
        "user",
        "first_channel",
        "all_orders",
        ("created_at", "updated_at"),
    ]
    readonly_fields = ["user", "first_channel", "all_orders", "created_at", "updated_at"]
    inlines = [AddressInline, CustomerOrderInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(order_total=Count("orders"))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.user_id:
            fields.append("email")  # the account's sign-in address
        return fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Only what was edited: a full save would write back a profile read before a
        # checkout changed it meanwhile.
        if form.changed_data:
            obj.save(update_fields=[*form.changed_data, "updated_at"])

    @admin.display(description=_("account"), boolean=True, ordering="user")
    def has_account(self, obj: Customer) -> bool:
        return obj.user_id is not None

    @admin.display(description=_("orders"), ordering="order_total")
    def order_count(self, obj: Customer) -> int:
        return obj.order_total

    @admin.display(description=_("all orders"))
    def all_orders(self, obj: Customer) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:orders_order_changelist")
        return format_html(
            '<a href="{}?customer__id__exact={}">{}</a>',
            url,
            obj.pk,
            gettext("All %(n)d orders") % {"n": obj.order_total},
        )
