"""What a customer's orders add up to, for customers' metrics (customers.metrics), which sits
below orders and is handed this reader in OrdersConfig.ready()."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from customers.metrics import OrderGroup
from inventory.models import StockLocation
from omni.money import DECIMAL_PLACES, MAX_DIGITS
from orders.models import Order, Return

_AMOUNT: DecimalField = DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)


def customer_order_groups(customer_ids: Sequence[int]) -> list[OrderGroup]:
    """The customers' orders, cancelled ones left out, grouped by (customer, currency,
    channel, store, exchange or not), in one query: how many, their total, what their refunded
    returns gave back, the first and the last. The store is the pickup store, else the store
    whose own channel sold the order (a counter sale); an exchange order is one a return
    placed."""
    if not customer_ids:
        return []
    refunded = (
        Return.objects.filter(order_id=OuterRef("pk"), status=Return.Status.REFUNDED)
        .values("order_id")
        .annotate(amount=Sum("refund_amount"))
        .values("amount")
    )
    counter_store = StockLocation.objects.filter(channel_id=OuterRef("channel_id")).values("pk")[:1]
    rows = (
        Order.objects.filter(customer_id__in=list(customer_ids))
        .exclude(status=Order.Status.CANCELLED)
        .annotate(
            exchange=Exists(Return.objects.filter(exchange_order_id=OuterRef("pk"))),
            store=Coalesce(F("pickup_location_id"), Subquery(counter_store)),
            refunded=Coalesce(Subquery(refunded, output_field=_AMOUNT), Value(Decimal(0))),
        )
        .order_by()
        .values("customer_id", "currency", "channel__code", "store", "exchange")
        .annotate(
            orders=Count("id"),
            gross=Sum("total"),
            back=Sum("refunded"),
            first_at=Min("created_at"),
            last_at=Max("created_at"),
        )
    )
    return [
        OrderGroup(
            customer_id=row["customer_id"],
            currency=row["currency"],
            channel=row["channel__code"],
            store_id=row["store"],
            exchange=row["exchange"],
            orders=row["orders"],
            gross=row["gross"],
            refunded=row["back"],
            first_at=row["first_at"],
            last_at=row["last_at"],
        )
        for row in rows
    ]
