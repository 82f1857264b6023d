"""Products, their variants and the variants' attribute values. Each write records an
outbox event for the channels; a variant's prices go through catalog.services.prices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    ProductVariant,
    TaxClass,
    VariantChannelPrice,
)
from catalog.services.prices import variant_price_remove, variant_price_set
from catalog.validators import sku_validator, validate_ean13
from omni.errors import ValidationError
from omni.outbox import outbox_record
from omni.text import slugify_tr

TOPIC_PRODUCT_CHANGED = "catalog.product.changed"

PRODUCT_FIELDS = (
    "name_tr", "name_en", "description_tr", "description_en", "slug", "brand", "category",
    "tax_class", "is_active",
)  # fmt: skip
VARIANT_FIELDS = ("sku", "barcode", "weight_grams", "sort_order")


def _product_event(product: Product, change: str) -> None:
    outbox_record(
        topic=TOPIC_PRODUCT_CHANGED,
        key=f"product:{product.pk}",
        payload={"product_id": product.pk, "slug": product.slug, "change": change},
    )


def _unique_slug(base: str) -> str:
    base = (base or "urun")[:200]
    slug, n = base, 1
    while Product.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _prefixed(exc: ValidationError, prefix: str) -> ValidationError:
    fields = {f"{prefix}.{name}": msgs for name, msgs in exc.fields.items()}
    return ValidationError(exc.message, code=exc.code, fields=fields or {prefix: [exc.message]})


def product_create(
    *,
    name_tr: str,
    category: Category,
    tax_class: TaxClass,
    name_en: str = "",
    description_tr: str = "",
    description_en: str = "",
    slug: str = "",
    brand: Brand | None = None,
    is_active: bool = True,
    variants: Sequence[Mapping[str, Any]] = (),
    actor: User | None = None,
) -> Product:
    """Create a product, optionally with its variants and their channel prices, all or nothing."""
    if not (name_tr or "").strip():
        raise ValidationError.for_field("name_tr", _("A Turkish name is required."))
    with transaction.atomic():
        if slug:
            if Product.objects.filter(slug=slug).exists():
                raise ValidationError.for_field(
                    "slug", _("Another product already uses this slug."), code="slug_taken"
                )
        else:
            slug = _unique_slug(slugify_tr(name_tr))
        product = Product.objects.create(
            name_tr=name_tr.strip(),
            name_en=(name_en or "").strip(),
            description_tr=description_tr,
            description_en=description_en,
            slug=slug,
            brand=brand,
            category=category,
            tax_class=tax_class,
            is_active=is_active,
        )
        _product_event(product, "created")
        for index, spec in enumerate(variants):
            try:
                variant_create(product=product, actor=actor, **spec)
            except ValidationError as exc:
                raise _prefixed(exc, f"variants.{index}") from exc
    return product


def product_update(
    *, product: Product, data: Mapping[str, Any], actor: User | None = None
) -> Product:
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValueError(f"not product fields: {sorted(unknown)}")
    changed = [name for name, value in data.items() if getattr(product, name) != value]
    if not changed:
        return product
    if "name_tr" in changed and not (data["name_tr"] or "").strip():
        raise ValidationError.for_field("name_tr", _("A Turkish name is required."))
    if (
        "slug" in changed
        and Product.objects.filter(slug=data["slug"]).exclude(pk=product.pk).exists()
    ):
        raise ValidationError.for_field(
            "slug", _("Another product already uses this slug."), code="slug_taken"
        )
    for name in changed:
        setattr(product, name, data[name])
    return product_save(product=product, update_fields=changed)


def _columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    """The names that are columns of the model's table (a form's changed_data also names
    many-to-many fields, which are saved apart)."""
    concrete = {f.name for f in model._meta.concrete_fields}
    return [name for name in names if name in concrete]


def product_save(*, product: Product, update_fields: Sequence[str] | None = None) -> Product:
    """Persist a product already changed in memory (by product_update, or by a validated admin
    form) and tell the channels. `update_fields=None` saves every field (a new product)."""
    created = product.pk is None
    if update_fields is not None:
        update_fields = _columns(Product, update_fields)
    with transaction.atomic():
        if created or update_fields is None:
            product.save()
        else:
            product.save(update_fields=[*update_fields, "updated_at"])
        _product_event(product, "created" if created else "updated")
    return product


def attribute_values_resolve(
    mapping: Mapping[str, str], *, field: str = "attributes"
) -> list[AttributeValue]:
    """{"renk": "kirmizi", "beden": "m"} to AttributeValue rows, naming what is unknown."""
    if not mapping:
        return []
    values = {
        (v.attribute.code, v.slug): v
        for v in AttributeValue.objects.select_related("attribute").filter(
            attribute__code__in=list(mapping), slug__in=list(mapping.values())
        )
    }
    known_codes = {code for code, _slug in values} | set(
        Attribute.objects.filter(code__in=list(mapping)).values_list("code", flat=True)
    )
    errors: dict[str, list[str]] = {}
    result = []
    for code, slug in mapping.items():
        if code not in known_codes:
            errors[f"{field}.{code}"] = [_("Unknown attribute: %(code)s.") % {"code": code}]
        elif (code, slug) not in values:
            errors[f"{field}.{code}"] = [
                _("Unknown value %(value)s for attribute %(code)s.") % {"value": slug, "code": code}
            ]
        else:
            result.append(values[(code, slug)])
    if errors:
        raise ValidationError(fields=errors)
    return result


def _validate_variant(
    *,
    product: Product,
    sku: str,
    barcode: str | None,
    attribute_values: Sequence[AttributeValue],
    exclude_pk: int | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    for name, value, validator in (
        ("sku", sku, sku_validator),
        ("barcode", barcode, validate_ean13),
    ):
        if value:
            try:
                validator(value)
            except DjangoValidationError as exc:
                errors[name] = exc.messages
    if not sku:
        errors["sku"] = [_("A SKU is required.")]
    if errors:
        raise ValidationError(fields=errors)
    variant_attributes_check(product=product, values=attribute_values, exclude_pk=exclude_pk)


def variant_attributes_check(
    *, product: Product, values: Sequence[AttributeValue], exclude_pk: int | None = None
) -> None:
    """A variant has one value per attribute, and no sibling has the same values."""
    attribute_ids = [v.attribute_id for v in values]
    if len(attribute_ids) != len(set(attribute_ids)):
        raise ValidationError.for_field(
            "attributes", _("A variant has one value per attribute."), code="attribute_twice"
        )
    if values:
        wanted = attribute_key(values)
        sibling = (
            ProductVariant.objects.filter(product=product, attribute_key=wanted)
            .exclude(pk=exclude_pk)
            .first()
        )
        if sibling:
            raise ValidationError.for_field(
                "attributes",
                _("Variant %(sku)s already has these attribute values.") % {"sku": sibling.sku},
                code="duplicate_variant",
            )


def attribute_key(values: Sequence[AttributeValue]) -> str:
    """The variant's attribute values as one string, "|beden:m|renk:siyah|", stored on the
    variant so that a listing filter checks a product's variants without joining the
    attribute tables (see catalog.filters.AttributeFilter)."""
    codes = {
        a.pk: a.code for a in Attribute.objects.filter(pk__in={v.attribute_id for v in values})
    }
    pairs = sorted(f"{codes[v.attribute_id]}:{v.slug}" for v in values)
    return f"|{'|'.join(pairs)}|" if pairs else ""


def _variant_attributes_set(variant: ProductVariant, values: Sequence[AttributeValue]) -> None:
    variant.attribute_values.set(values)
    key = attribute_key(values)
    if key != variant.attribute_key:
        variant.attribute_key = key
        variant.save(update_fields=["attribute_key"])


def _integrity_to_validation(exc: IntegrityError) -> ValidationError:
    text = str(exc).lower()
    if "barcode" in text:
        return ValidationError.for_field(
            "barcode", _("Another variant already has this barcode."), code="barcode_taken"
        )
    return ValidationError.for_field(
        "sku", _("Another variant already has this SKU."), code="sku_taken"
    )


def variant_create(
    *,
    product: Product,
    sku: str,
    barcode: str | None = None,
    attribute_values: Sequence[AttributeValue] = (),
    attributes: Mapping[str, str] | None = None,
    weight_grams: int | None = None,
    sort_order: int = 0,
    prices: Sequence[Mapping[str, Any]] = (),
    actor: User | None = None,
) -> ProductVariant:
    """Create a variant, and its prices on channels if given ({"channel": Channel, "price": ...})."""
    if attributes:
        attribute_values = [*attribute_values, *attribute_values_resolve(attributes)]
    barcode = barcode or None
    _validate_variant(product=product, sku=sku, barcode=barcode, attribute_values=attribute_values)
    with transaction.atomic():
        try:
            variant = variant_save(
                variant=ProductVariant(
                    product=product,
                    sku=sku,
                    barcode=barcode,
                    weight_grams=weight_grams,
                    sort_order=sort_order,
                )
            )
        except IntegrityError as exc:
            raise _integrity_to_validation(exc) from exc
        if attribute_values:
            _variant_attributes_set(variant, attribute_values)
        for index, price in enumerate(prices):
            try:
                variant_price_set(variant=variant, actor=actor, **price)
            except ValidationError as exc:
                raise _prefixed(exc, f"prices.{index}") from exc
    return variant


def variant_update(
    *,
    variant: ProductVariant,
    data: Mapping[str, Any],
    attribute_values: Sequence[AttributeValue] | None = None,
) -> ProductVariant:
    unknown = set(data) - set(VARIANT_FIELDS)
    if unknown:
        raise ValueError(f"not variant fields: {sorted(unknown)}")
    data = {**data, **({"barcode": data["barcode"] or None} if "barcode" in data else {})}
    changed = [name for name, value in data.items() if getattr(variant, name) != value]
    if not changed and attribute_values is None:
        return variant
    current_values = (
        list(variant.attribute_values.all()) if attribute_values is None else attribute_values
    )
    _validate_variant(
        product=variant.product,
        sku=data.get("sku", variant.sku),
        barcode=data.get("barcode", variant.barcode),
        attribute_values=current_values,
        exclude_pk=variant.pk,
    )
    try:
        with transaction.atomic():
            for name in changed:
                setattr(variant, name, data[name])
            variant_save(variant=variant, update_fields=changed)
            if attribute_values is not None:
                _variant_attributes_set(variant, attribute_values)
    except IntegrityError as exc:
        raise _integrity_to_validation(exc) from exc
    return variant


def variant_save(
    *, variant: ProductVariant, update_fields: Sequence[str] | None = None
) -> ProductVariant:
    """Persist a variant already changed in memory (by variant_update or a validated admin form)."""
    created = variant.pk is None
    if update_fields is not None:
        update_fields = _columns(ProductVariant, update_fields)
    with transaction.atomic():
        if created or update_fields is None:
            variant.save()
        elif update_fields:
            variant.save(update_fields=[*update_fields, "updated_at"])
        _product_event(variant.product, "variant_created" if created else "variant_updated")
    return variant


def variant_delete(*, variant: ProductVariant, actor: User | None = None) -> None:
    """Stop selling a variant everywhere (each channel is told its price is gone), then delete it."""
    with transaction.atomic():
        for price in VariantChannelPrice.objects.filter(variant=variant).select_related("channel"):
            variant_price_remove(variant=variant, channel=price.channel, actor=actor)
        product = variant.product
        variant.delete()
        _product_event(product, "variant_deleted")
