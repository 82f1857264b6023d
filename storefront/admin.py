from django import forms
from django.contrib import admin
from django.db import models
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from storefront.models import ShopPage


@admin.register(ShopPage)
class ShopPageAdmin(TranslationAdmin):
    """The shop's own pages, written by the merchant. The slug is the page's address, which the
    footer, the checkout's forms and e-mails link to: it is set once, when the page is added."""

    list_display = ["title", "slug", "in_footer", "sort_order", "is_published", "updated_at"]
    list_editable = ["in_footer", "sort_order", "is_published"]
    list_filter = ["is_published", "in_footer"]
    search_fields = ["title_tr", "title_en", "slug"]
    ordering = ["sort_order", "id"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "body"]}),
        (_("Where it shows"), {"fields": ["is_published", "in_footer", "sort_order"]}),
    ]

    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 24, "class": "vLargeTextField"})}
    }

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The admin shows help texts as HTML; these are plain text.
        form = super().get_form(request, obj, change=change, **kwargs)
        for field in form.base_fields.values():
            field.help_text = conditional_escape(field.help_text)
        return form

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ["title_tr"]}

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []
