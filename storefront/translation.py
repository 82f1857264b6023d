from modeltranslation.translator import TranslationOptions, register

from storefront.models import ShopPage


@register(ShopPage)
class ShopPageTranslation(TranslationOptions):
    # Turkish is required; English falls back to it when empty.
    fields = ("title", "body")
    required_languages = {"tr": ("title",)}
