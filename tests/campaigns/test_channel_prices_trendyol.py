"""Trendyol takes a list price and a sale price: an automatic, unconditional promotion of ours
goes out as the sale price, the channel's price as the list price; a conditional one (a basket,
a code, buy X get Y) cannot be said there and is not sent. Through the whole pipeline (the
outbox, the relay and its consumer, the endpoint's sender) against the fake Trendyol server."""

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
from tests.marketplaces.conftest import SELLER, channel, fake  # noqa: F401 (fixtures)
from tests.sales_channels.conftest import endpoint_for

pytestmark = pytest.mark.django_db

PUSH = f"/integration/inventory/sellers/{SELLER}/products/price-and-inventory"


def pushed(server) -> list[dict]:
    return [item for _m, path, body in server.requests if path == PUSH for item in body["items"]]


def deliver(endpoint) -> None:
    """The relay until the outbox is empty (its consumer re-prices on the way), then the
    endpoint's sender."""
    while relay.outbox_relay_batch().events:
        pass
    relay.endpoint_drain(endpoint_id=endpoint.pk, budget_seconds=10)


def test_trendyol_gets_the_promotion_price_as_its_sale_price(fake, channel):  # noqa: F811
    endpoint = endpoint_for(
        channel,
        fake.url,
        kind="trendyol",
        signing_secret="",
        config={"supplier_id": SELLER, "api_key": "k-test", "api_secret": "s-test"},
    )
    variant = product(channels=[channel], price="100.00").variants.get()
    stocked(channel, variant, quantity=4)
    fake.add_product(variant.barcode)
    deliver(endpoint)
    assert pushed(fake)[-1]["salePrice"] == pushed(fake)[-1]["listPrice"] == Decimal("100.00")

    summer = promotion(value=Decimal("15"), channels=[channel])
    changed(summer)
    deliver(endpoint)

    assert pushed(fake)[-1] == {
        "barcode": variant.barcode,
        "quantity": 4,
        "salePrice": Decimal("85.00"),
        "listPrice": Decimal("100.00"),
    }
    assert fake.products[variant.barcode]["salePrice"] == Decimal("85.00")

    # a conditional promotion on the channel changes nothing Trendyol is told
    requests = len(fake.requests)
    changed(
        promotion(
            kind=Promotion.Kind.BUY_X_GET_Y,
            value=0,
            config={"buy": 1, "get": 1, "percent": 50},
            channels=[channel],
        )
    )
    deliver(endpoint)
    assert len(fake.requests) == requests

    # the promotion is deleted: the sale price goes back to the list price
    summer_id = summer.pk
    summer.delete()
    with transaction.atomic():
        outbox_record(
            topic=TOPIC_PROMOTION_CHANGED,
            key=f"promotion:{summer_id}",
            payload={"promotion": summer_id, "channels": [channel.pk], "active": False},
            channel_id=channel.pk,
        )
    deliver(endpoint)
    assert pushed(fake)[-1]["salePrice"] == pushed(fake)[-1]["listPrice"] == Decimal("100.00")
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 0
