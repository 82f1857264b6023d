import importlib
import pkgutil

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        # Every module in payments.gateways registers its gateway class: adding a provider is
        # adding one module there.
        from payments import checks, gateways  # noqa: F401 (checks registers itself)

        for module in pkgutil.iter_modules(gateways.__path__):
            importlib.import_module(f"payments.gateways.{module.name}")
