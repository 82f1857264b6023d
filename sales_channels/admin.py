import secrets

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from omni.admin_tools import ReadOnlyMixin, SafeJSONMixin
from omni.errors import ValidationError
from sales_channels import selectors, services
from sales_channels.connectors.base import CONNECTORS
from sales_channels.models import Channel, ChannelEndpoint, DeadLetter, Delivery, Retailer


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "currency",
        "default_language",
        "default_country",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "currency"]
    search_fields = ["code", "name"]
    ordering = ["kind", "name"]
    actions = ["resync"]

    @admin.action(description=_("Resync: send the current state to the channel's endpoints"))
    def resync(self, request, queryset):
        for channel in queryset.order_by("pk"):
            self._resync_after_commit(request, channel)

    def save_model(self, request, obj, form, change):
        """A channel switched on again was sent nothing while it was off: it gets a resync."""
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and obj.is_active:
            self._resync_after_commit(request, obj)

    def _resync_after_commit(self, request, channel: Channel) -> None:
        """A task records the state (a large catalogue takes minutes, longer than a request
        may); the sync status page shows it flowing out."""
        services.channel_resync_request(channel=channel)
        self.message_user(
            request,
            _("%(channel)s: its current state will be sent to its endpoints shortly.")
            % {"channel": channel.code},
            messages.SUCCESS,
        )


# --- channel sync ---------------------------------------------------------------------------


class ChannelEndpointForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("kind"), choices=())
    url = forms.URLField(label=_("URL"), max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = ChannelEndpoint
        fields = [
            "channel",
            "name",
            "kind",
            "url",
            "config",
            "signing_secret",
            "previous_secret",
            "previous_secret_expires_at",
            "rate_limit_per_second",
            "timeout_seconds",
            "is_active",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The kinds registered by the apps loaded in this process.
        self.fields["kind"].choices = [
            (kind, str(cls.label)) for kind, cls in sorted(CONNECTORS.items())
        ]
        if not self.instance.pk:
            self.fields["signing_secret"].initial = "whsec_" + secrets.token_urlsafe(32)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = ChannelEndpoint(
            kind=cleaned.get("kind") or "",
            url=cleaned.get("url") or "",
            signing_secret=cleaned.get("signing_secret") or "",
            config=cleaned.get("config") or {},
            timeout_seconds=cleaned.get("timeout_seconds") or 10,
        )
        try:
            services.endpoint_validate(endpoint=candidate)
        except ValidationError as exc:
            for name, msgs in exc.fields.items():
                for msg in msgs:
                    self.add_error(name if name in self.fields else None, msg)
        return cleaned


@admin.register(ChannelEndpoint)
class ChannelEndpointAdmin(SafeJSONMixin, admin.ModelAdmin):
    form = ChannelEndpointForm
    list_display = [
        "name",
        "channel",
        "kind",
        "url",
        "is_active",
        "is_failing",
        "failing_since",
        "last_success_at",
    ]
    list_filter = ["kind", "is_active", "is_failing", "channel"]
    list_select_related = ["channel"]
    search_fields = ["name", "url", "channel__code"]
    readonly_fields = [
        "is_failing",
        "failing_since",
        "consecutive_failures",
        "last_success_at",
        "paused_until",
    ]
    actions = ["rotate_secret"]
    change_list_template = "admin/sales_channels/channelendpoint/change_list.html"

    @admin.action(description=_("Rotate the signing secret (the old one signs for 24 hours)"))
    def rotate_secret(self, request, queryset):
        for endpoint in queryset.order_by("pk"):
            services.endpoint_rotate_secret(endpoint=endpoint)
        self.message_user(
            request,
            ngettext("%(count)d secret rotated.", "%(count)d secrets rotated.", queryset.count())
            % {"count": queryset.count()},
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path(
                "sync-status/",
                self.admin_site.admin_view(self.sync_status_view),
                name="sales_channels_sync_status",
            ),
            *super().get_urls(),
        ]

    def sync_status_view(self, request):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Channel sync status"),
            "rows": selectors.channel_sync_status(),
            "dead_letters_url": reverse("admin:sales_channels_deadletter_changelist"),
        }
        return TemplateResponse(request, "admin/sales_channels/sync_status.html", context)


class _DeliveryAdminBase(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "endpoint_link",
        "topic",
        "key",
        "version",
        "status",
        "attempts",
        "next_attempt_at",
        "occurred_at",
        "delivered_at",
        "short_error",
    ]
    list_filter = ["status", "endpoint__channel", "endpoint", "topic"]
    list_select_related = ["endpoint__channel"]
    search_fields = ["key", "=delivery_id"]
    ordering = ["-id"]
    actions = ["retry"]
    show_full_result_count = False  # no COUNT(*) over every delivery on each page

    @admin.display(description=_("endpoint"), ordering="endpoint__name")
    def endpoint_link(self, obj):
        return f"{obj.endpoint.channel.code} · {obj.endpoint.name}"

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return format_html("<span title='{}'>{}</span>", obj.last_error, obj.last_error[:80])

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("sales_channels.change_delivery")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry(self, request, queryset):
        count = services.deliveries_retry(delivery_ids=queryset.values_list("id", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d dead letter queued again.", "%(count)d dead letters queued again.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Delivery)
class DeliveryAdmin(_DeliveryAdminBase):
    pass


@admin.register(DeadLetter)
class DeadLetterAdmin(_DeliveryAdminBase):
    list_filter = ["endpoint__channel", "endpoint", "topic"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Delivery.Status.DEAD)


# --- the retailer ----------------------------------------------------------------------------


@admin.register(Retailer)
class RetailerAdmin(admin.ModelAdmin):
    """The one row of the retailer's details (pk 1): the list (and "add") open it, or the form
    to add it on a fresh install; it can be neither added twice nor deleted."""

    fieldsets = [
        (None, {"fields": ["trade_name", "legal_name", "website"]}),
        (
            _("Registration"),
            {"fields": ["mersis_number", "tax_office", "tax_number", "trade_registry_number"]},
        ),
        (_("Address"), {"fields": ["address", "city"]}),
        (_("Contact"), {"fields": ["phone", "email", "kep_address", "email_from"]}),
    ]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The admin shows help texts as HTML: "Moda Ev <siparis@...>" would lose its address.
        form = super().get_form(request, obj, change=change, **kwargs)
        for field in form.base_fields.values():
            field.help_text = conditional_escape(field.help_text)
        return form

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # Whether the row exists is asked here, not in has_add_permission: that one runs for the
    # admin's side bar on every admin page, which would then cost a query more.
    def changelist_view(self, request, extra_context=None):
        return self._the_one_row(request) or redirect("admin:sales_channels_retailer_add")

    def add_view(self, request, form_url="", extra_context=None):
        return self._the_one_row(request) or super().add_view(request, form_url, extra_context)

    def _the_one_row(self, request):
        if Retailer.objects.filter(pk=1).exists():
            return redirect("admin:sales_channels_retailer_change", 1)
        return None

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)
