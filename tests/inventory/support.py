"""Helpers shared by the inventory tests."""

from decimal import Decimal

from inventory import services
from inventory.models import StockLocation
from tests import factories as f


def store(code: str, name: str, city: str, district: str, lat: str, lon: str, **extra):
    """A click-and-collect store at a real place."""
    return f.StockLocationFactory(
        code=code,
        name=name,
        kind=StockLocation.Kind.STORE,
        city=city,
        district=district,
        latitude=Decimal(lat),
        longitude=Decimal(lon),
        click_and_collect=True,
        **extra,
    )


def variants(channel, n: int) -> list:
    return list(f.product(channels=[channel], variants=n).variants.order_by("id"))


def receive(variant, location, quantity: int) -> None:
    services.stock_receive(variant=variant, location=location, quantity=quantity)
