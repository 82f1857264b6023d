from modeltranslation.translator import TranslationOptions, register

from customers.models import LoyaltyTier


@register(LoyaltyTier)
class LoyaltyTierTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("tr",)
