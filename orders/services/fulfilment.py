"""Fulfilment: what each location picks, packs, ships or hands over."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from inventory import services as inventory
from orders.models import Fulfilment, Order, OrderLine
from orders.services.lifecycle import S, order_locked, order_transition
from sales_channels.models import Channel


def order_hand_over(
    *, order: Order, actor: User | None = None, channel: Channel | None = None, locked: bool = False
) -> Order:
    """A counter sale: paid, and handed over at the store at once. The stock leaves the store
    (a sale in the ledger) and the order is collected."""
    with transaction.atomic():
        if not locked:
            order = order_locked(order)
        inventory.allocations_consume(reference=order.reference, actor=actor)
        now = timezone.now()
        Fulfilment.objects.filter(order=order).update(
            status=Fulfilment.Status.HANDED_OVER, shipped_at=now, delivered_at=now, updated_at=now
        )
        OrderLine.objects.filter(order=order).update(quantity_shipped=F("quantity"))
        order_transition(order, S.COLLECTED, actor=actor, channel=channel)
    return order
