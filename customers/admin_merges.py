"""The admin of merges: possible duplicates for merchant staff to look at, an explicit merge
confirmation page that shows both profiles, and the record of merges done (read-only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.duplicates import duplicate_pairs
from customers.merge import customer_merge
from customers.models import Customer, CustomerMerge
from omni.admin_tools import ReadOnlyMixin
from omni.errors import OmniError

DUPLICATES_PAGE = 50


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "source", "target", "reason", "actor", "merged_at"]
    list_filter = ["reason"]
    list_select_related = ["source", "target", "actor"]
    fields = ["source", "target", "reason", "actor", "moved", "merged_at"]
    change_list_template = "admin/customers/customermerge/change_list.html"

    def has_view_permission(self, request, obj=None) -> bool:
        # Whoever may see customers may see how they were merged.
        return request.user.has_perm("customers.view_customer") or super().has_view_permission(
            request, obj
        )

    def get_urls(self):
        return [
            path(
                "duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name="customers_customer_duplicates",
            ),
            path(
                "merge/<int:source_id>/<int:target_id>/",
                self.admin_site.admin_view(self.merge_view),
                name="customers_customer_merge",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}

    def duplicates_view(self, request):
        """Pairs that look like one person, newest first, each with a link to merge it."""
        if not request.user.has_perm("customers.view_customer"):
            raise PermissionDenied
        try:
            page = max(0, int(request.GET.get("p", 0)))
        except ValueError:
            page = 0
        pairs = duplicate_pairs(limit=DUPLICATES_PAGE + 1, offset=page * DUPLICATES_PAGE)
        context = {
            **self._context(request, _("Possible duplicates")),
            "pairs": pairs[:DUPLICATES_PAGE],
            "page": page,
            "more": len(pairs) > DUPLICATES_PAGE,
            "may_merge": request.user.has_perm("customers.change_customer"),
        }
        return TemplateResponse(request, "admin/customers/duplicates.html", context)

    def merge_view(self, request, source_id: int, target_id: int):
        """Both profiles side by side; POST merges the first into the second."""
        if not request.user.has_perm("customers.change_customer"):
            raise PermissionDenied
        source = get_object_or_404(Customer, pk=source_id)
        target = get_object_or_404(Customer, pk=target_id)
        if request.method == "POST":
            try:
                customer_merge(source=source, target=target, actor=request.user)
            except OmniError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Profile #%(source)s was merged into #%(target)s.")
                    % {"source": source.pk, "target": target.pk},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:customers_customer_change", args=[target.pk])
                )
        context = {
            **self._context(request, _("Merge two customer profiles")),
            "profiles": [
                (gettext_lazy("Merged away"), source, _counts(source)),
                (gettext_lazy("Kept"), target, _counts(target)),
            ],
            "swap_url": reverse("admin:customers_customer_merge", args=[target.pk, source.pk]),
        }
        return TemplateResponse(request, "admin/customers/merge_confirm.html", context)


def _counts(customer: Customer) -> list[tuple[str, object]]:
    return [
        (_("identities"), ", ".join(str(i) for i in customer.identities.all()) or "-"),
        (_("addresses"), customer.addresses.count()),
        (_("consent decisions"), customer.consents.count()),
        (_("timeline events"), customer.timeline.count()),
    ]
