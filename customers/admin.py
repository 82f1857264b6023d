"""The merchant admin for customers: one profile across every channel, with its addresses.
Orders, the layer above, extends this page with the customer's orders from every channel (web,
app, store counters, marketplaces) and registers it in its place (orders.admin).

Profiles are created by sign-up, checkout and store staff through customers.services, so there
is no add page; a profile keeps its orders, so it is not deleted here. The name, phone and
language are edited here, and the e-mail of a guest profile; an account holder's e-mail is their
sign-in and is changed on the account.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from customers import (  # noqa: F401  (register their admins)
    admin_loyalty,
    admin_merges,
    admin_segments,
)
from customers.admin_consents import ConsentHistoryMixin
from customers.admin_data_requests import DataRequestOpenMixin  # and registers its admins
from customers.models import Address, Customer, TimelineKind
from customers.notes import staff_notes_of
from customers.sections import customer_360_sections
from customers.selectors import CUSTOMER_360_TIMELINE, customer_360
from omni.errors import ValidationError
from sales_channels.models import Channel


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
class CustomerAdmin(DataRequestOpenMixin, ConsentHistoryMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "email",
        "phone",
        "has_account",
        "first_channel",
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
        "identities",
        "language",
        "user",
        "first_channel",
        ("created_at", "updated_at"),
        "consent_history",
        "staff_notes",
    ]
    readonly_fields = [
        "identities",
        "user",
        "first_channel",
        "created_at",
        "updated_at",
        "consent_history",
        "staff_notes",
    ]
    inlines = [AddressInline]
    actions = ["open_data_request"]
    # The change page is the customer 360: who the person is, their consents, timeline, orders
    # and carts from every channel and their data requests, read first; the profile's form
    # below it (customers.sections fills the sections other apps own).
    change_form_template = "admin/customers/customer/change_form.html"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context.update(self.customer_360_context(request, obj))
            context["title"] = _("Customer 360")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def customer_360_context(self, request, obj: Customer) -> dict:
        kinds = [k for k in request.GET.getlist("kind") if k in TimelineKind.values]
        channels = [c for c in request.GET.getlist("channel") if c]
        cursor = request.GET.get("cursor") or None
        try:
            view = customer_360(
                customer=obj, timeline_kinds=kinds, timeline_channels=channels, cursor=cursor
            )
        except ValidationError:  # a cursor this page did not give: the first page
            view = customer_360(customer=obj, timeline_kinds=kinds, timeline_channels=channels)
        values = {"orders": view.orders, "metrics": view.metrics, "segments": view.segments}
        values |= {"loyalty": view.loyalty, **view.extra}
        return {
            "c360": view,
            "c360_sections": [
                (section, values.get(section.name))
                for section in customer_360_sections()
                if section.template
            ],
            "c360_placeholders": [
                (name, title)
                for name, title in PLACEHOLDERS
                if not any(s.name == name and s.template for s in customer_360_sections())
            ],
            "c360_kinds": TimelineKind.choices,
            "c360_channels": list(Channel.objects.order_by("code").values_list("code", "name")),
            "c360_filter": {"kind": kinds, "channel": channels},
            "c360_timeline_size": CUSTOMER_360_TIMELINE,
            "c360_consent_history": reverse("admin:customers_consentdecision_changelist")
            + f"?customer__id__exact={obj.pk}",
            "c360_data_requests": reverse("admin:customers_datarequest_changelist")
            + f"?customer__id__exact={obj.pk}",
        }

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.user_id:
            fields.append("email")  # the account's sign-in address
        return fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("metrics", "first_channel")

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

    @admin.display(description=_("staff notes"))
    def staff_notes(self, obj: Customer) -> str:
        """What store staff wrote (customers.notes), newest first, read-only: one query."""
        if obj is None or obj.pk is None:
            return "-"
        rows = [
            (
                date_format(localtime(note.created_at), "SHORT_DATETIME_FORMAT"),
                note.author.get_full_name() if note.author else "-",
                f" · {note.store.name}" if note.store else "",
                note.text,
            )
            for note in staff_notes_of(customer=obj)
        ]
        if not rows:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} · {}{}: {}</li>", rows))

    @admin.display(description=_("identities"))
    def identities(self, obj: Customer) -> str:
        """What recognises this person (customers.identities), read-only: an identity is added
        and verified through the services, which keep it to one profile."""
        if obj is None or obj.pk is None:
            return "-"
        rows = [
            (
                identity.get_kind_display(),
                f"{identity.marketplace} " if identity.marketplace else "",
                identity.value,
                date_format(localtime(identity.verified_at), "SHORT_DATETIME_FORMAT")
                if identity.verified_at
                else _("not verified"),
            )
            for identity in obj.identities.all()
        ]
        if not rows:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}{} ({})</li>", rows))


# Sections other slices fill (customers.sections); until they register, the page says so. The
# metrics and segments are customers' own and always have their sections.
PLACEHOLDERS: tuple[tuple[str, str], ...] = ()
