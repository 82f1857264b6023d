from modeltranslation.translator import TranslationOptions, register

from catalog.models import Attribute, AttributeValue, Category, Product, ProductImage, TaxClass


class _Turkish(TranslationOptions):
    # Turkish is required; English falls back to it when empty.
    required_languages = ("tr",)


@register(Product)
class ProductTranslation(_Turkish):
    fields = ("name", "description")
    required_languages = {"tr": ("name",)}


@register(Category)
class CategoryTranslation(_Turkish):
    fields = ("name", "description")
    required_languages = {"tr": ("name",)}


@register(Attribute)
class AttributeTranslation(_Turkish):
    fields = ("name",)


@register(AttributeValue)
class AttributeValueTranslation(_Turkish):
    fields = ("name",)


@register(TaxClass)
class TaxClassTranslation(_Turkish):
    fields = ("name",)


@register(ProductImage)
class ProductImageTranslation(TranslationOptions):
    fields = ("alt",)
