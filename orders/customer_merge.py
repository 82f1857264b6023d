"""What orders holds about a person, moved when two profiles are merged into one
(customers.merge; registered in OrdersConfig.ready()). Each mover runs in the merge's
transaction with both profiles locked."""

from __future__ import annotations

from customers.models import Customer
from orders.models import Order, SavedItem
from orders.services.carts import carts_move


def orders_move(source: Customer, target: Customer) -> int:
    return Order.objects.filter(customer=source).update(customer=target)


def carts_merge(source: Customer, target: Customer) -> int:
    """By the sign-in cart merge rule (orders.services.carts.carts_move)."""
    return carts_move(source=source, target=target)


def saved_items_move(source: Customer, target: Customer) -> int:
    """Saved items move; one the target saved too is kept once."""
    kept = SavedItem.objects.filter(customer=target).values("variant_id")
    SavedItem.objects.filter(customer=source, variant_id__in=kept).delete()
    return SavedItem.objects.filter(customer=source).update(customer=target)
