"""Demo stock for Moda Ev: two distribution centres and three stores, each store a channel."""

from __future__ import annotations

import random
from decimal import Decimal

from catalog.models import ProductVariant
from inventory import services
from inventory.models import ChannelLocation, Stock, StockLocation
from omni.seeding import DemoRun
from sales_channels.models import Channel

SEED_AFTER = ("catalog",)  # the catalog's variants, stocked for the channels

LOCATIONS = [
    # code, name, kind, store channel, address, district, city, lat, lon
    ("dc-gebze", "Gebze Dağıtım Merkezi", "warehouse", None, "GOSB 1200. Sokak No:4", "Gebze", "Kocaeli", "40.8020", "29.4310"),
    ("dc-izmir", "Kemalpaşa Dağıtım Merkezi", "warehouse", None, "Ankara Asfaltı No:77", "Kemalpaşa", "İzmir", "38.4260", "27.4170"),
    ("store-kadikoy", "Kadıköy Mağazası", "store", "store-kadikoy", "Bahariye Caddesi No:52", "Kadıköy", "İstanbul", "40.9880", "29.0280"),
    ("store-kizilay", "Kızılay Mağazası", "store", "store-kizilay", "Atatürk Bulvarı No:101", "Çankaya", "Ankara", "39.9200", "32.8540"),
    ("store-alsancak", "Alsancak Mağazası", "store", "store-alsancak", "Kıbrıs Şehitleri Caddesi No:18", "Konak", "İzmir", "38.4370", "27.1430"),
]  # fmt: skip

# Which locations each channel sells from, in priority order, and its safety stock there.
SOURCES = {
    "web": (["dc-gebze", "dc-izmir", "store-kadikoy", "store-kizilay", "store-alsancak"], 0),
    "app": (["dc-gebze", "dc-izmir", "store-kadikoy", "store-kizilay", "store-alsancak"], 0),
    "trendyol": (["dc-gebze"], 2),
    "instagram": (["dc-gebze"], 0),
    "store-kadikoy": (["store-kadikoy"], 0),
    "store-kizilay": (["store-kizilay"], 0),
    "store-alsancak": (["store-alsancak"], 0),
}


def seed(channels: dict[str, Channel]) -> dict[str, int]:
    locations = {}
    for code, name, kind, channel, address, district, city, lat, lon in LOCATIONS:
        is_store = kind == "store"
        locations[code], _c = StockLocation.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "channel": channels.get(channel) if channel else None,
                "address_line": address,
                "district": district,
                "city": city,
                "latitude": Decimal(lat),
                "longitude": Decimal(lon),
                "ships_to_customers": True,
                "click_and_collect": is_store,
                "accepts_returns": True,
            },
        )
    for channel_code, (codes, safety) in SOURCES.items():
        for priority, code in enumerate(codes):
            ChannelLocation.objects.get_or_create(
                channel=channels[channel_code],
                location=locations[code],
                defaults={"priority": priority, "safety_stock": safety},
            )
    stocked_locations = set(Stock.objects.values_list("location_id", flat=True).distinct())
    variants = list(
        ProductVariant.objects.exclude(sku__startswith="BENCH-")
        .order_by("id")
        .values_list("id", flat=True)
    )
    rng = random.Random(2026)  # noqa: S311 (demo quantities)
    received = 0
    for code, location in locations.items():
        if location.pk in stocked_locations:  # its opening stock is in already
            continue
        lines = {}
        for vid in variants:
            quantity = (
                rng.randint(15, 60) if code.startswith("dc-") else rng.choice([0, 1, 2, 3, 5, 8])
            )
            if quantity:
                lines[vid] = quantity
        if lines:
            received += services.stock_receive_many(
                location=location, lines=lines, reference="demo:opening-stock"
            )
    Stock.objects.filter(location__kind="store", reorder_point__isnull=True).update(reorder_point=1)
    return {"locations": len(locations), "units_received": received}


def seed_demo(run: DemoRun) -> None:
    """seed_demo's step (omni.seeding): the locations and their opening stock."""
    stock = seed(run.made["channels"])
    run.write(f"Stock: {stock['locations']} locations, {stock['units_received']} units received.")
