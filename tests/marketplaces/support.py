from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.utils import timezone

from marketplaces.connector import TrendyolConnector
from marketplaces.trendyol import TrendyolClient
from sales_channels.connectors.base import Change

_ids = itertools.count(1)


def change(topic: str, payload: dict, *, channel_id: int | None = None, version: int = 1) -> Change:
    n = next(_ids)
    return Change(
        delivery_id=f"d-{n}",
        topic=topic,
        key=f"k-{n}",
        version=version,
        payload=payload,
        channel_id=channel_id,
        occurred_at=timezone.now(),
    )


def availability(variant, channel, *, available: int = 0) -> Change:
    return change(
        "inventory.availability.changed",
        {
            "variant_id": variant.pk,
            "sku": variant.sku,
            "channel": channel.code,
            "available": available,
        },
        channel_id=channel.pk,
    )


def price(variant, channel) -> Change:
    return change(
        "catalog.price.changed",
        {"variant_id": variant.pk, "sku": variant.sku, "channel": channel.code},
        channel_id=channel.pk,
    )


def order_status(order, status: str) -> Change:
    return change(
        "orders.order.status_changed",
        {"order": order.number, "status": status, "previous": "", "channel": order.channel_id},
        channel_id=order.channel_id,
    )


def send(endpoint, changes: list[Change]):
    return {o.delivery_id: o for o in TrendyolConnector(endpoint).send(changes)}


def client(endpoint) -> TrendyolClient:
    return TrendyolClient.for_endpoint(endpoint)


def later(seconds: int) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)
