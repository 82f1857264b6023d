from modeltranslation.translator import TranslationOptions, register

from campaigns.models import Promotion


@register(Promotion)
class PromotionTranslation(TranslationOptions):
    # What the shopper reads. Turkish is required; English falls back to it when empty.
    fields = ("label",)
    required_languages = {"tr": ("label",)}
