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

        # Payments sits above orders: orders tells it of a cancelled order or a refund due
        # through these hooks, never by importing it.
        from orders import hooks
        from payments import services

        hooks.order_cancelled.connect(services.on_order_cancelled)
        hooks.refund_due.connect(services.on_refund_due)

        # Two customer profiles merged into one (customers.merge): store credit follows.
        from customers.merge import customer_merge_mover_register
        from payments.services.store_credit import store_credit_merge

        customer_merge_mover_register(name="store_credit", mover=store_credit_merge)
        from payments.services.gift_card_ledger import gift_cards_merge

        customer_merge_mover_register(name="gift_cards", mover=gift_cards_merge)

        # KVKK erasure (customers.data_requests): payments forgets the person's link sends and
        # takes their contact text out of the providers' answers it keeps.
        from customers.data_requests import data_eraser_register
        from payments.personal_data import payments_erase

        data_eraser_register(eraser=payments_erase)
