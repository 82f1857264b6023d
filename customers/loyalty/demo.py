"""The demo loyalty programme: Omni Kulüp in lira, with three tiers, and a welcome gift on the
demo customer's account so the app's loyalty screen shows something."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts.models import User
from customers.loyalty.services import loyalty_adjust
from customers.models import LoyaltyProgramme, LoyaltyTier
from customers.services import customer_for_user

TIERS = [
    ("Bronz", "Bronze", "0", "1.00"),
    ("Gümüş", "Silver", "2500", "1.25"),
    ("Altın", "Gold", "10000", "1.50"),
]
DEMO_CUSTOMER = "musteri@omni.test"


def loyalty_demo_seed() -> list[str]:
    with transaction.atomic():
        programme, _created = LoyaltyProgramme.objects.get_or_create(
            currency="TRY",
            defaults={
                "name": "Omni Kulüp",
                "earn_rate": Decimal("1"),
                "point_value": Decimal("0.05"),
                "expiry_months": 12,
            },
        )
        for name_tr, name_en, spend, multiplier in TIERS:
            LoyaltyTier.objects.update_or_create(
                programme=programme,
                min_spend=Decimal(spend),
                defaults={
                    "name_tr": name_tr,
                    "name_en": name_en,
                    "earn_multiplier": Decimal(multiplier),
                },
            )
    user = User.objects.filter(email=DEMO_CUSTOMER).first()
    if user is not None:
        loyalty_adjust(
            customer=customer_for_user(user=user),
            points=500,
            reason="Hoş geldin hediyesi",
            actor=None,
            key="demo:welcome",
        )
    return [f"Loyalty: {programme.name}, {len(TIERS)} tiers"]
