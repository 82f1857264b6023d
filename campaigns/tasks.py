"""Campaigns' background work, run by beat. Each run re-reads, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from campaigns import channel_prices


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def promotion_windows_sweep() -> int:
    """Promotions whose window opened or closed since the last run: their channels' sale prices
    are worked out again (through the outbox, as for any promotion change)."""
    return channel_prices.promotion_windows_sweep()
