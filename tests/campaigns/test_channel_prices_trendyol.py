"""Trendyol takes a list price and a sale price: an automatic, unconditional promotion of ours
goes out as the sale price, the channel's price as the list price; a conditional one (a basket,
a code, buy X get Y) cannot be said there and is not sent. Against the fake Trendyol server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from campaigns.channel_prices import TOPIC_PROMOTION_CHANGED
from campaigns.models import Promotion
from omni.models import OutboxEvent
from omni.outbox import outbox_record
from sales_channels import services as relay
from tests.campaigns.test_channel_prices import changed, promotion
from tests.factories import product, stocked
from tests.marketplaces.conftest import channel, endpoint, fake  # noqa: F401 (fixtures)
from tests.marketplaces.support import change, send

pytestmark = pytest.mark.django_db

PUSH = "/integration/inventory/sellers/123456/products/price-and-inventory"


def pushed(fake) -> list[dict]:  # noqa: F811
    return [item for method, path, body in fake.requests if path == PUSH for item in body["items"]]


def latest_price_change(variant):
    event = OutboxEvent.objects.filter(
        topic="catalog.price.changed", key__startswith=f"price:{variant.pk}:"
    ).latest("id")
    return change(event.topic, event.payload, channel_id=event.channel_id, version=event.version)


def test_trendyol_gets_the_promotion_price_as_its_sale_price(fake, endpoint, channel):  # noqa: F811
    variant = product(channels=[channel], price="100.00").variants.get()
    stocked(channel, variant, quantity=4)
    fake.add_product(variant.barcode)
    send(endpoint, [latest_price_change(variant)])
    assert pushed(fake)[-1]["salePrice"] == pushed(fake)[-1]["listPrice"] == Decimal("100.00")

    summer = promotion(value=Decimal("15"), channels=[channel])
    changed(summer)
    relay.outbox_relay_batch()
    send(endpoint, [latest_price_change(variant)])

    assert pushed(fake)[-1] == {
        "barcode": variant.barcode,
        "quantity": 4,
        "salePrice": Decimal("85.00"),
        "listPrice": Decimal("100.00"),
    }
    assert fake.products[variant.barcode]["salePrice"] == Decimal("85.00")

    # a conditional promotion on the channel changes nothing Trendyol is told
    events = OutboxEvent.objects.filter(topic="catalog.price.changed").count()
    changed(
        promotion(
            kind=Promotion.Kind.BUY_X_GET_Y,
            value=0,
            config={"buy": 1, "get": 1, "percent": 50},
            channels=[channel],
        )
    )
    relay.outbox_relay_batch()
    assert OutboxEvent.objects.filter(topic="catalog.price.changed").count() == events

    # the promotion is deleted: the sale price goes back to the list price
    summer_id = summer.pk
    summer.delete()
    before = OutboxEvent.objects.count()
    with transaction.atomic():
        outbox_record(
            topic=TOPIC_PROMOTION_CHANGED,
            key=f"promotion:{summer_id}",
            payload={"promotion": summer_id, "channels": [channel.pk], "active": False},
        )
    relay.outbox_relay_batch()
    assert OutboxEvent.objects.count() == before + 2  # the change, and the price it ended
    send(endpoint, [latest_price_change(variant)])
    assert pushed(fake)[-1]["salePrice"] == pushed(fake)[-1]["listPrice"] == Decimal("100.00")
