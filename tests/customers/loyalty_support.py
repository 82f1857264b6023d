"""Shared by the loyalty tests: the demo-like programme (1 point per lira, a point worth
0.10, 12 months, pending through the channel's return window) with three tiers."""

from __future__ import annotations

from decimal import Decimal

from customers.models import LoyaltyProgramme, LoyaltyTier
from orders.models import Order


def programme(**overrides) -> LoyaltyProgramme:
    found = LoyaltyProgramme.objects.create(
        **{
            "name": "Omni Club",
            "currency": "TRY",
            "earn_rate": Decimal("1"),
            "point_value": Decimal("0.10"),
            "expiry_months": 12,
            **overrides,
        }
    )
    for name, name_en, spend, multiplier in [
        ("Bronz", "Bronze", "0", "1"),
        ("Gümüş", "Silver", "1000", "1.5"),
        ("Altın", "Gold", "5000", "2"),
    ]:
        LoyaltyTier.objects.create(
            programme=found,
            name_tr=name,
            name_en=name_en,
            min_spend=Decimal(spend),
            earn_multiplier=Decimal(multiplier),
        )
    return found


def order(channel, number, customer=None, total="250.00") -> Order:
    return Order.objects.create(
        number=number,
        channel=channel,
        origin_channel=channel,
        customer=customer,
        delivery=Order.Delivery.HOME,
        currency="TRY",
        subtotal=Decimal(total),
        total=Decimal(total),
    )
