from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplacesConfig(AppConfig):
    name = "marketplaces"
    verbose_name = _("Marketplaces")

    def ready(self) -> None:
        # Registers the Trendyol connector with sales_channels.connectors.base.
        from marketplaces import connector  # noqa: F401
