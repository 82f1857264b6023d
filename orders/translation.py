from modeltranslation.translator import TranslationOptions, register

from orders.models import ShippingMethod


@register(ShippingMethod)
class ShippingMethodTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("tr",)
