"""Marketplace background work, run by beat: follow the price-and-stock batches the marketplace
is processing, and import its new order packages. Each run re-reads, and is safe to run twice
(or at once on two workers: a batch and a package are each applied under a row lock)."""

from __future__ import annotations

import logging

from celery import shared_task

from marketplaces import services
from marketplaces.connector import TrendyolConnector
from marketplaces.trendyol import TrendyolClient, TrendyolError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def trendyol_batches_poll() -> int:
    completed = 0
    for endpoint in services.endpoints_of_kind(TrendyolConnector.kind):
        client = TrendyolClient.for_endpoint(endpoint)
        completed += services.batches_poll(channel=endpoint.channel, client=client)
    return completed


@shared_task(acks_late=True, soft_time_limit=110, time_limit=120)
def trendyol_packages_import() -> int:
    imported = 0
    for endpoint in services.endpoints_of_kind(TrendyolConnector.kind):
        client = TrendyolClient.for_endpoint(endpoint)
        try:
            records = services.packages_import(channel=endpoint.channel, client=client)
        except TrendyolError as error:  # the next beat tries again; one endpoint stops no other
            logger.warning("trendyol packages of %s: %s", endpoint.channel.code, error)
            continue
        imported += sum(r.status == r.Status.IMPORTED for r in records)
    return imported
