"""The merchant admin for the catalog. Every save goes through catalog.services, so a change
made here reaches the other channels (outbox) and the price history exactly as one made by the
API does."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from catalog import services
from catalog.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    ProductChannelListing,
    ProductImage,
    ProductVariant,
    TaxClass,
    VariantChannelPrice,
    VariantPriceHistory,
)
from omni.admin_tools import ReadOnlyMixin
from omni.errors import OmniError
from sales_channels.models import Channel


def _saved_through_services(formset) -> None:
    # The admin's change message reads what the formset saved; the services saved it instead.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(TaxClass)
class TaxClassAdmin(TranslationAdmin):
    list_display = ["code", "name", "rate"]


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(TreeAdmin, TranslationAdmin):
    form = movenodeform_factory(Category, exclude=["name", "description"])
    list_display = ["name", "slug", "is_active"]
    search_fields = ["name_tr", "name_en", "slug"]


class AttributeValueInline(TranslationTabularInline):
    model = AttributeValue
    extra = 0
    fields = ["slug", "name", "swatch", "sort_order"]


@admin.register(Attribute)
class AttributeAdmin(TranslationAdmin):
    list_display = ["code", "name", "sort_order"]
    inlines = [AttributeValueInline]


class ProductImageInline(TranslationTabularInline):
    model = ProductImage
    extra = 0
    fields = ["image", "alt", "sort_order"]


class ProductVariantInline(admin.TabularInline):
    model = ProductVariant
    extra = 0
    fields = ["sku", "barcode", "weight_grams", "sort_order"]
    show_change_link = True


class ListingInline(admin.TabularInline):
    model = ProductChannelListing
    extra = 0
    fields = ["channel", "is_published", "published_at", "price_min", "price_max", "on_sale"]
    readonly_fields = ["price_min", "price_max", "on_sale"]
    can_delete = False


class ChannelPriceChangeForm(forms.Form):
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.filter(is_active=True), label=_("Channel")
    )
    mode = forms.ChoiceField(choices=services.AdjustMode.CHOICES, label=_("Change prices"))
    value = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        label=_("Value"),
        help_text=_("A percentage (-10 is 10 % off), an amount to add, or the new price."),
    )


def _bulk_price_change(modeladmin, request: HttpRequest, variant_ids: list[int], title: str):
    """The intermediate page of the bulk price action; applies through the one price service."""
    if "apply" in request.POST:
        form = ChannelPriceChangeForm(request.POST)
        if form.is_valid():
            try:
                changed = services.prices_bulk_adjust(
                    channel=form.cleaned_data["channel"],
                    variant_ids=variant_ids,
                    mode=form.cleaned_data["mode"],
                    value=form.cleaned_data["value"],
                    actor=request.user,
                )
            except OmniError as exc:
                form.add_error(None, exc.message)
            else:
                modeladmin.message_user(
                    request, _("%(n)d prices changed.") % {"n": changed}, messages.SUCCESS
                )
                return None
    else:
        form = ChannelPriceChangeForm()
    return render(
        request,
        "admin/catalog/bulk_price_change.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "action": request.POST.get("action"),
            "count": len(variant_ids),
            "opts": modeladmin.model._meta,
        },
    )


@admin.register(Product)
class ProductAdmin(TranslationAdmin):
    list_display = ["name", "slug", "brand", "category", "is_active", "variant_count", "created_at"]
    list_filter = ["is_active", "category", "brand", "tax_class", "channel_listings__channel"]
    search_fields = ["name_tr", "name_en", "slug", "variants__sku", "variants__barcode"]
    list_select_related = ["brand", "category"]
    autocomplete_fields = ["brand"]
    inlines = [ProductVariantInline, ListingInline, ProductImageInline]
    actions = ["change_prices"]
    fields = ["name", "slug", "description", "brand", "category", "tax_class", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(variant_total=Count("variants"))

    @admin.display(description=_("variants"), ordering="variant_total")
    def variant_count(self, obj) -> int:
        return obj.variant_total

    def save_model(self, request, obj, form, change):
        services.product_save(product=obj, update_fields=form.changed_data if change else None)

    def save_formset(self, request, form, formset, change):
        product = form.instance
        if formset.model is ProductChannelListing:
            for sub in formset.forms:
                if sub.has_changed() and sub.cleaned_data.get("channel"):
                    services.product_listing_set(
                        product=product,
                        channel=sub.cleaned_data["channel"],
                        is_published=sub.cleaned_data.get("is_published", False),
                        published_at=sub.cleaned_data.get("published_at"),
                    )
            _saved_through_services(formset)
            return
        if formset.model is ProductVariant:
            instances = formset.save(commit=False)
            for variant in instances:
                services.variant_save(variant=variant)
            for variant in formset.deleted_objects:
                services.variant_delete(variant=variant, actor=request.user)
            formset.save_m2m()
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description=_("Change prices on a channel"), permissions=["change"])
    def change_prices(self, request, queryset):
        ids = list(ProductVariant.objects.filter(product__in=queryset).values_list("id", flat=True))
        return _bulk_price_change(self, request, ids, _("Change prices of the selected products"))


class ChannelPriceForm(forms.ModelForm):
    class Meta:
        model = VariantChannelPrice
        fields = ["channel", "price", "compare_at_price"]

    def clean(self):
        data = super().clean()
        if data.get("price") is not None:
            for field, errors in services.price_errors(
                data["price"], data.get("compare_at_price")
            ).items():
                self.add_error(field, errors)
        return data

    def validate_constraints(self, exclude=None):
        # The currency is the channel's and is set by the price service, not the form.
        pass


class ChannelPriceInline(admin.TabularInline):
    model = VariantChannelPrice
    form = ChannelPriceForm
    extra = 0
    fields = [
        "channel",
        "price",
        "compare_at_price",
        "currency",
        "lowest_prior_price",
        "price_since",
    ]
    readonly_fields = ["currency", "lowest_prior_price", "price_since"]


class VariantForm(forms.ModelForm):
    class Meta:
        model = ProductVariant
        fields = ["product", "sku", "barcode", "attribute_values", "weight_grams", "sort_order"]

    def clean(self):
        data = super().clean()
        product = data.get("product")
        if product is not None and "attribute_values" in data:
            try:
                services.variant_attributes_check(
                    product=product,
                    values=list(data["attribute_values"]),
                    exclude_pk=self.instance.pk,
                )
            except OmniError as exc:
                for message in exc.fields.get("attributes", [exc.message]):
                    self.add_error("attribute_values", message)
        return data


@admin.register(ProductVariant)
class ProductVariantAdmin(admin.ModelAdmin):
    form = VariantForm
    list_display = ["sku", "barcode", "product", "weight_grams"]
    search_fields = ["sku", "barcode", "product__name_tr", "product__name_en"]
    list_select_related = ["product"]
    list_filter = ["product__category", "channel_prices__channel"]
    autocomplete_fields = ["product"]
    filter_horizontal = ["attribute_values"]
    inlines = [ChannelPriceInline]
    actions = ["change_prices"]

    def save_model(self, request, obj, form, change):
        services.variant_save(variant=obj, update_fields=form.changed_data if change else None)

    def save_related(self, request, form, formsets, change):
        # Attribute values go through the service, which also keeps the variant's attribute_key.
        services.variant_update(
            variant=form.instance,
            data={},
            attribute_values=list(form.cleaned_data.get("attribute_values", [])),
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.variant_delete(variant=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for variant in queryset:
            services.variant_delete(variant=variant, actor=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not VariantChannelPrice:
            return super().save_formset(request, form, formset, change)
        variant = form.instance
        with transaction.atomic():
            for sub in formset.forms:
                data = sub.cleaned_data
                if not data or not data.get("channel"):
                    continue
                if data.get("DELETE"):
                    services.variant_price_remove(
                        variant=variant, channel=data["channel"], actor=request.user
                    )
                elif sub.has_changed():
                    services.variant_price_set(
                        variant=variant,
                        channel=data["channel"],
                        price=data["price"],
                        compare_at_price=data.get("compare_at_price"),
                        actor=request.user,
                    )
        _saved_through_services(formset)

    @admin.action(description=_("Change prices on a channel"), permissions=["change"])
    def change_prices(self, request, queryset):
        ids = list(queryset.values_list("id", flat=True))
        return _bulk_price_change(self, request, ids, _("Change prices of the selected variants"))


@admin.register(VariantPriceHistory)
class VariantPriceHistoryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "variant",
        "channel",
        "price",
        "compare_at_price",
        "currency",
        "started_at",
        "ended_at",
        "changed_by",
    ]
    list_filter = ["channel"]
    search_fields = ["variant__sku"]
    list_select_related = ["variant", "channel", "changed_by"]
    date_hierarchy = "started_at"
