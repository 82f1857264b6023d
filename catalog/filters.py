"""Filters of the shopper's product list: category, attribute values, price range, text."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from catalog.models import AttributeValue, Brand, Category, Product, ProductVariant
from catalog.search import products_search


class AttributeListField(forms.Field):
    """`attr=renk:kirmizi&attr=beden:m,l`: values of one attribute are alternatives (OR), and
    different attributes must all match (AND). Cleaned to {"renk": {"kirmizi"}, ...}."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return {}
        values = [value] if isinstance(value, str) else value
        wanted: dict[str, set[str]] = {}
        for raw in values:
            code, sep, slugs = (raw or "").partition(":")
            if not sep or not code or not slugs:
                raise forms.ValidationError(
                    _("Use attr=<attribute>:<value>[,<value>...], e.g. attr=renk:kirmizi."),
                    code="invalid",
                )
            wanted.setdefault(code.strip(), set()).update(
                s.strip() for s in slugs.split(",") if s.strip()
            )
        return wanted

    def validate(self, value):
        super().validate(value)
        if not value:
            return
        known = set(
            AttributeValue.objects.filter(attribute__code__in=list(value)).values_list(
                "attribute__code", "slug"
            )
        )
        known_codes = {code for code, _slug in known}
        for code, slugs in value.items():
            if code not in known_codes:
                raise forms.ValidationError(
                    _("Unknown attribute: %(code)s."),
                    code="unknown_attribute",
                    params={"code": code},
                )
            missing = sorted(s for s in slugs if (code, s) not in known)
            if missing:
                raise forms.ValidationError(
                    _("Unknown value of %(code)s: %(values)s."),
                    code="unknown_value",
                    params={"code": code, "values": ", ".join(missing)},
                )


@extend_schema_field({"type": "array", "items": {"type": "string", "example": "renk:kirmizi"}})
class AttributeFilter(filters.Filter):
    field_class = AttributeListField

    def filter(self, qs: QuerySet, value: dict[str, set[str]]) -> QuerySet:
        """Products with one variant, sold on the request's channel, that matches every
        attribute asked for: "black, L" does not match a product with a black M and a red L.
        The check reads each candidate product's few variants (their attribute_key) rather
        than joining the attribute tables for the whole catalog."""
        if not value:
            return qs
        variants = ProductVariant.objects.filter(product=OuterRef("pk"))
        channel = getattr(self.parent.request, "omni_channel", None) if self.parent else None
        if channel is not None:
            variants = variants.filter(channel_prices__channel=channel)
        for code, slugs in value.items():
            any_of = Q()
            for slug in sorted(slugs):
                any_of |= Q(attribute_key__contains=f"|{code}:{slug}|")
            variants = variants.filter(any_of)
        return qs.filter(Exists(variants))


class ProductFilter(filters.FilterSet):
    category = filters.ModelChoiceFilter(
        queryset=Category.objects.filter(is_active=True),
        to_field_name="slug",
        method="filter_category",
        error_messages={"invalid_choice": _("Unknown category.")},
        help_text=_("Category slug; products of its subcategories are included."),
    )
    brand = filters.ModelChoiceFilter(
        queryset=Brand.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": _("Unknown brand.")},
        help_text=_("Brand slug."),
    )
    attr = AttributeFilter(
        help_text=_("Attribute values, e.g. `attr=renk:kirmizi,siyah&attr=beden:m`.")
    )
    price_min = filters.NumberFilter(
        field_name="price_from", lookup_expr="gte", min_value=0, help_text=_("Lowest price.")
    )
    price_max = filters.NumberFilter(
        field_name="price_from", lookup_expr="lte", min_value=0, help_text=_("Highest price.")
    )
    q = filters.CharFilter(method="filter_search", max_length=100, help_text=_("Text search."))
    ordering = filters.OrderingFilter(
        fields=(("price_from", "price"), ("name", "name"), ("created_at", "created")),
        help_text=_("price, -price, name, -name, created, -created (newest first)."),
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def filter_category(self, qs: QuerySet, name: str, value: Category) -> QuerySet:
        return qs.filter(category__path__startswith=value.path)

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        # One rule for every product search (catalog.search): Turkish folded, a typo
        # forgiven, a SKU or barcode exactly, most relevant first unless another order is
        # asked for (the ordering filter runs after this one).
        return products_search(qs, value)

    @property
    def qs(self):
        qs = super().qs
        # Ties are broken by id so that pages never overlap.
        if self.form.cleaned_data.get("ordering"):
            return qs.order_by(*qs.query.order_by, "-id")
        return qs
