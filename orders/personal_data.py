"""What orders hold about a person, for KVKK data-subject requests (customers.data_requests,
registered in OrdersConfig.ready()): the export's orders and lines, and the erasure that takes
the person's contact text out of their orders while the amounts and lines, which commercial and
tax law keep for 10 and 5 years, stay."""

from __future__ import annotations

from typing import Any

from customers.data_requests import erased_postal_address
from customers.models import Customer
from orders.models import Cart, Notification, Order, OrderLine, SavedItem


def orders_export(customer: Customer) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Order.objects.filter(customer=customer)
        .order_by("created_at", "id")
        .values(
            "number",
            "channel__code",
            "status",
            "delivery",
            "email",
            "phone",
            "shipping_address",
            "billing_address",
            "currency",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "total",
            "created_at",
        )
    ]


def order_lines_export(customer: Customer) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in OrderLine.objects.filter(order__customer=customer)
        .order_by("order_id", "id")
        .values(
            "order__number",
            "sku",
            "product_name",
            "variant_name",
            "quantity",
            "unit_price",
            "line_total",
            "tax_rate",
            "quantity_returned",
        )
    ]


def orders_erase(customer: Customer) -> None:
    """Anonymise the person's orders' contact fields and their notifications, and forget their
    carts and saved items (behaviour, not records the law keeps)."""
    orders = Order.objects.filter(customer=customer).order_by("pk")
    for order in orders.only("pk", "shipping_address", "billing_address"):
        Order.objects.filter(pk=order.pk).update(
            email="",
            phone="",
            shipping_address=erased_postal_address(order.shipping_address),
            billing_address=erased_postal_address(order.billing_address),
        )
    Notification.objects.filter(order__customer=customer).update(recipient="", context={})
    Order.objects.filter(customer=customer).update(cart=None)
    Cart.objects.filter(customer=customer).delete()
    SavedItem.objects.filter(customer=customer).delete()
