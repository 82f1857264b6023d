from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StorefrontConfig(AppConfig):
    name = "storefront"
    verbose_name = _("Web storefront")

    def ready(self) -> None:
        # The footer every page shows is kept in the cache (storefront.content.shop_frame)
        # until the merchant saves a page or the retailer's details.
        from django.db.models.signals import post_delete, post_save

        from sales_channels.models import Retailer
        from storefront.content import shop_frame_forget
        from storefront.models import ShopPage

        for model in (ShopPage, Retailer):
            for signal in (post_save, post_delete):
                signal.connect(
                    shop_frame_forget,
                    sender=model,
                    dispatch_uid=f"shop-frame-{model._meta.label_lower}-{signal is post_save}",
                )
