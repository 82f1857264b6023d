"""Accounts' background work."""

from __future__ import annotations

from celery import shared_task

from accounts import services


@shared_task(acks_late=True)
def device_tokens_prune() -> int:
    """Beat (daily): expired API tokens go (they are refused already; this keeps the table to
    the devices that can still sign in)."""
    return services.device_tokens_prune()
