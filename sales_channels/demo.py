"""Demo sales channels of a Turkish fashion and home retailer."""

from django.db import transaction

from omni.seeding import DemoRun
from sales_channels.models import Channel, Retailer

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


# The demo retailer's registered details (invented: the MERSIS and tax numbers are not real).
RETAILER = {
    "legal_name": "Moda Ev Tekstil ve Ev Ürünleri Ticaret A.Ş.",
    "trade_name": "Moda Ev",
    "mersis_number": "0612345678900015",
    "tax_office": "Kadıköy",
    "tax_number": "6123456789",
    "trade_registry_number": "İstanbul 123456-5",
    "address": "Caferağa Mah. Moda Cad. No: 42/1, 34710 Kadıköy",
    "city": "İstanbul",
    "phone": "0850 123 45 67",
    "email": "destek@modaev.test",
    "kep_address": "modaev@hs01.kep.tr",
    "email_from": "Moda Ev <siparis@modaev.test>",
    "website": "https://www.modaev.test",
}


def seed_retailer() -> Retailer:
    retailer, _created = Retailer.objects.get_or_create(pk=1, defaults=RETAILER)
    return retailer


def seed_demo(run: DemoRun) -> None:
    """seed_demo's step (omni.seeding): the retailer and the channels, left for the steps
    after."""
    with transaction.atomic():
        seed_retailer()
        run.made["channels"] = seed()
