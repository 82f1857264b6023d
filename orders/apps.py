from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        # The per-process shipping method cache (services.checkout.shipping_methods_active)
        # forgets a saved method.
        from django.db.models.signals import post_delete, post_save

        from orders.models import ShippingMethod
        from orders.services.checkout import shipping_methods_cache_clear

        for signal in (post_save, post_delete):
            signal.connect(
                shipping_methods_cache_clear,
                sender=ShippingMethod,
                dispatch_uid=f"shipping-methods-cache-{signal is post_save}",
            )

        # Orders sits above accounts: the API's sign-in tells it to merge the visitor's cart
        # through this hook, never by importing it.
        from accounts import hooks
        from orders.services import carts

        hooks.signed_in.connect(carts.on_signed_in)

        # Customers sits below orders: its timeline reads orders' outbox events through the
        # channel relay, and asks this selector whose each order is.
        from customers.timeline import timeline_set_order_owners
        from orders.selectors import order_owners

        timeline_set_order_owners(order_owners)

        # Customers' metrics: what each customer's orders add up to, and whose an order is.
        from customers.metrics import metrics_set_readers
        from orders.customer_metrics import customer_order_groups

        metrics_set_readers(groups=customer_order_groups, owners=order_owners)

        # KVKK data-subject requests (customers.data_requests): orders hands customers the
        # person's orders for the export, and anonymises their contact text on erasure.
        from customers.data_requests import data_eraser_register, data_exporter_register
        from orders.personal_data import (
            destroyers_register,
            order_lines_export,
            orders_erase,
            orders_export,
        )

        data_exporter_register(section="orders", exporter=orders_export)
        data_exporter_register(section="order_lines", exporter=order_lines_export)
        data_eraser_register(eraser=orders_erase)

        # Two profiles merged into one (customers.merge: staff merging duplicates, or a guest
        # joined to the account that proved its e-mail or phone): orders, carts (by the sign-in
        # merge rule) and saved items follow the person.
        from customers.merge import customer_merge_mover_register
        from orders.customer_merge import carts_merge, orders_move, saved_items_move

        customer_merge_mover_register(name="orders", mover=orders_move)
        customer_merge_mover_register(name="carts", mover=carts_merge)
        customer_merge_mover_register(name="saved_items", mover=saved_items_move)

        # The customer 360 (customers.sections): the person's orders and carts in progress on
        # every channel, on the admin page and in the staff API.
        from django.utils.translation import gettext_lazy as _

        from customers.sections import customer_360_section_register
        from orders.selectors import customer_360_orders

        customer_360_section_register(
            name="orders",
            reader=customer_360_orders,
            title=_("Orders and carts, every channel"),
            template="admin/orders/customer_360_orders.html",
        )

        # KVKK periodic destruction (customers.retention): guest carts, Idempotency-Key
        # answers and guest profiles past their retention.
        destroyers_register()
