"""Demo sales channels of a Turkish fashion and home retailer."""

from django.db import transaction

from omni.seeding import DemoRun
from sales_channels.models import Channel

CHANNELS = [
    ("web", "Moda Ev Web Mağaza", Channel.Kind.WEB),
    ("app", "Moda Ev Mobil Uygulama", Channel.Kind.APP),
    ("store-kadikoy", "Kadıköy Mağazası (İstanbul)", Channel.Kind.STORE),
    ("store-kizilay", "Kızılay Mağazası (Ankara)", Channel.Kind.STORE),
    ("store-alsancak", "Alsancak Mağazası (İzmir)", Channel.Kind.STORE),
    ("trendyol", "Trendyol Mağazası", Channel.Kind.MARKETPLACE),
    ("instagram", "Instagram Alışveriş", Channel.Kind.SOCIAL),
]


def seed() -> dict[str, Channel]:
    result = {}
    for code, name, kind in CHANNELS:
        channel, _created = Channel.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "currency": "TRY",
                "default_language": "tr",
                "default_country": "TR",
            },
        )
        result[code] = channel
    return result


def seed_demo(run: DemoRun) -> None:
    """seed_demo's step (omni.seeding): the channels, left for the steps after."""
    with transaction.atomic():
        run.made["channels"] = seed()
