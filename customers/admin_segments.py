"""The merchant admin's segments: the rule edited as JSON with an error per bad node, a preview
(count and sample) of a rule before it is saved, the newest members and the change log. Saving
goes through customers.services (which queues the recompute); members and changes are read-only
lists filtered by segment."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers import segments, services
from customers.models import Segment, SegmentMembership, SegmentMembershipChange
from customers.segment_rules import rules_validate
from omni.admin_tools import JSONFormField, ReadOnlyMixin, SafeJSONMixin
from omni.errors import ValidationError

SHOWN = 20
RULES_HELP = _(
    'A tree of {"all": [...]}, {"any": [...]}, {"not": {...}} and '
    '{"field": ..., "op": ..., "value": ...} (behaviour fields also take "days"). '
    "The fields are listed in the README, section Customer segments."
)


def _errors_by_path(error: ValidationError) -> list[str]:
    return [f"{path}: {message}" for path, messages in error.fields.items() for message in messages]


class SegmentForm(forms.ModelForm):
    rules = JSONFormField(label=_("rules"), help_text=RULES_HELP)

    class Meta:
        model = Segment
        fields = ["name", "description", "rules", "is_active"]

    def clean_rules(self):
        rules = self.cleaned_data["rules"]
        try:
            rules_validate(rules)
        except ValidationError as error:
            raise forms.ValidationError(_errors_by_path(error)) from None
        return rules


class PreviewForm(forms.Form):
    rules = JSONFormField(label=_("rules"), help_text=RULES_HELP)


def _customer_links(customers) -> str:
    return format_html_join(
        ", ",
        '<a href="{}">{}</a>',
        ((reverse("admin:customers_customer_change", args=[c.pk]), str(c)) for c in customers),
    )


@admin.register(Segment)
class SegmentAdmin(SafeJSONMixin, admin.ModelAdmin):
    form = SegmentForm
    list_display = ["name", "is_active", "member_count", "recomputed_at", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["member_count", "recomputed_at", "preview", "members", "changes"]
    fields = ["name", "description", "rules", "is_active", *readonly_fields]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.segment_update(segment=Segment.objects.get(pk=obj.pk), **data)
        else:
            obj.pk = services.segment_create(**data).pk
        obj.refresh_from_db()

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("preview/", preview, name="customers_segment_preview"),
            *super().get_urls(),
        ]

    @admin.display(description=_("preview"))
    def preview(self, obj: Segment) -> str:
        url = reverse("admin:customers_segment_preview")
        if obj.pk is None:
            return format_html('<a href="{}">{}</a>', url, gettext("Preview a rule"))
        found = segments.segment_preview(rules=obj.rules, sample=5)
        return format_html(
            '{} {} <a href="{}?segment={}">{}</a>',
            gettext("%(count)d customers match now:") % {"count": found.count},
            _customer_links(found.sample),
            url,
            obj.pk,
            gettext("Try changes to the rule"),
        )

    @admin.display(description=_("newest members"))
    def members(self, obj: Segment) -> str:
        if obj.pk is None:
            return "-"
        newest = [m.customer for m in segments.segment_members(segment=obj)[:SHOWN]]
        url = reverse("admin:customers_segmentmembership_changelist")
        return format_html(
            '{} <a href="{}?segment__id__exact={}">{}</a>',
            _customer_links(newest) or "-",
            url,
            obj.pk,
            gettext("All members"),
        )

    @admin.display(description=_("latest changes"))
    def changes(self, obj: Segment) -> str:
        if obj.pk is None:
            return "-"
        rows = segments.segment_changes(segment=obj).select_related("customer")[:SHOWN]
        url = reverse("admin:customers_segmentmembershipchange_changelist")
        listed = format_html_join(
            "",
            "<li>{} {} {}</li>",
            ((c.at.strftime("%Y-%m-%d %H:%M"), c.customer, c.get_kind_display()) for c in rows),
        )
        return format_html(
            '<ul>{}</ul><a href="{}?segment__id__exact={}">{}</a>',
            listed,
            url,
            obj.pk,
            gettext("The whole change log"),
        )

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The count and a sample of a rule that need not be saved: its errors per node."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        initial = {}
        saved = Segment.objects.filter(pk=request.GET.get("segment") or 0).first()
        if saved is not None:
            initial["rules"] = json.dumps(saved.rules, ensure_ascii=False, indent=2)
        form = PreviewForm(request.POST or None, initial=initial)
        found = None
        if request.method == "POST" and form.is_valid():
            try:
                found = segments.segment_preview(rules=form.cleaned_data["rules"])
            except ValidationError as error:
                form.add_error("rules", _errors_by_path(error))
        return render(
            request,
            "admin/customers/segment_preview.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Preview a segment rule"),
                "form": form,
                "found": found,
                "opts": self.model._meta,
                "has_view_permission": True,
            },
        )


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["customer", "segment", "entered_at"]
    list_filter = ["segment"]
    list_select_related = ["customer", "segment"]
    search_fields = ["customer__email", "customer__phone"]
    ordering = ["-entered_at", "-id"]


@admin.register(SegmentMembershipChange)
class SegmentMembershipChangeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "customer", "kind", "segment"]
    list_filter = ["segment", "kind"]
    list_select_related = ["customer", "segment"]
    search_fields = ["customer__email", "customer__phone"]
