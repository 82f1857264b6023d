"""Channel sync's background work. Thin: each task calls the services and is safe to run twice.

Latency comes from triggers: a commit that recorded outbox events asks for a relay run
(`relay_soon`, after the commit), and a relay run that made deliveries asks for a send run of
each endpoint concerned (`endpoint_send_soon`). A trigger is published once while a run is
already waiting (a Redis flag the run clears when it starts), so a busy checkout does not
flood the broker; it never raises, and with the broker down it gives up at once for a few
seconds. Whatever a lost message, a dead worker or a broker outage leaves behind, the beat
sweep picks up. No task waits with an ETA: retries wait in the database (next_attempt_at).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

from sales_channels import selectors, services

logger = logging.getLogger(__name__)

RUN_BUDGET_SECONDS = 20.0
QUEUED_FLAG_MS = 10_000  # a flag outliving a lost message stops triggers for at most this
BROKER_DOWN_PAUSE = 5.0

_state = threading.local()
_breaker = {"until": 0.0}
_redis_clients: dict[str, object] = {}


def _app():
    from omni.celery import app

    return app


def _flag_store():
    """A Redis client on the broker's Redis (None on another broker: no de-duplication)."""
    url = str(_app().conf.broker_url or "")
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        _redis_clients[url] = client
    return client


def _flag(name: str) -> str:
    # Per database: test runs and benchmarks share one Redis.
    return f"omni:sync:{connection.settings_dict['NAME']}:{name}"


def _flag_clear(name: str) -> None:
    try:
        store = _flag_store()
        if store is not None:
            store.delete(_flag(name))
    except Exception:
        logger.warning("could not clear the sync flag %s", name, exc_info=True)


def _enqueue_once(task, name: str, *args, force: bool = False) -> bool:
    """Publish `task` unless a run of it is already waiting. Never raises."""
    app = _app()
    if app.conf.task_always_eager:
        task.apply(args=args)
        return True
    if time.monotonic() < _breaker["until"]:
        return False
    store = None
    try:
        store = _flag_store()
        if store is not None:
            if force:
                store.set(_flag(name), 1, px=QUEUED_FLAG_MS)
            elif not store.set(_flag(name), 1, nx=True, px=QUEUED_FLAG_MS):
                return False
        task.apply_async(args=args, retry=False)
        return True
    except Exception:
        # The broker is unreachable: the events wait in the outbox for the beat sweep.
        _breaker["until"] = time.monotonic() + BROKER_DOWN_PAUSE
        logger.warning("could not publish %s; the sweep will pick it up", name, exc_info=True)
        try:
            if store is not None:
                store.delete(_flag(name))
        except Exception:  # noqa: S110 - the same outage; the flag expires by itself
            pass
        return False


def relay_soon() -> None:
    """After a commit that recorded outbox events: have them relayed now. Not when tasks run
    eagerly (the unit tests): there the relay runs when a test calls it, and no other test's
    commit pays for it."""
    if not getattr(settings, "OMNI_SYNC_RELAY_ON_COMMIT", True) or _app().conf.task_always_eager:
        return
    _enqueue_once(outbox_relay, "relay")


def endpoint_send_soon(endpoint_id: int, *, force: bool = False) -> None:
    _enqueue_once(endpoint_send, f"send:{endpoint_id}", endpoint_id, force=force)


def _relay(deadline: float) -> int:
    total = 0
    while True:
        result = services.outbox_relay_batch()
        total += result.events
        for endpoint_id in sorted(result.endpoint_ids):
            endpoint_send_soon(endpoint_id)
        if result.events < services.RELAY_BATCH:
            return total
        if time.monotonic() >= deadline:
            relay_soon()  # more waiting: hand over to a fresh run
            return total


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def outbox_relay() -> int:
    """Relay committed outbox events into deliveries (several runs may work at once)."""
    _flag_clear("relay")
    return _relay(time.monotonic() + RUN_BUDGET_SECONDS)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def endpoint_send(endpoint_id: int) -> int:
    """Send an endpoint's due deliveries (one sender per endpoint at a time)."""
    _flag_clear(f"send:{endpoint_id}")
    result = services.endpoint_drain(endpoint_id=endpoint_id, budget_seconds=RUN_BUDGET_SECONDS)
    if result.more:
        endpoint_send_soon(endpoint_id)
    return result.sent.delivered


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def sync_sweep() -> int:
    """Beat, every few seconds: relay what no trigger relayed (a lost message, a dead worker,
    the broker down at commit time) and send every endpoint with a delivery due (retries after
    their backoff, deliveries whose sender died after its lease)."""
    relayed = _relay(time.monotonic() + RUN_BUDGET_SECONDS)
    for endpoint_id in services.endpoints_due():
        endpoint_send_soon(endpoint_id, force=True)
    return relayed


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def sync_prune() -> int:
    """Beat, hourly: forget relayed outbox events and delivered deliveries after N days."""
    return services.outbox_prune()


@shared_task(acks_late=True, soft_time_limit=110, time_limit=120)
def relay_consumers_retry() -> int:
    """Beat, every minute: hand relay consumers (the customer timeline) the events they failed
    on again, with backoff (sales_channels.consumers)."""
    from sales_channels.consumers import relay_consumers_retry as retry

    return retry()


RESYNC_TIME_LIMIT = 1860


@shared_task(acks_late=True, soft_time_limit=RESYNC_TIME_LIMIT - 60, time_limit=RESYNC_TIME_LIMIT)
def channel_resync(channel_id: int) -> int:
    """The admin's resync of a channel, off the request (a large catalogue takes minutes).
    Running it twice sends the same state twice: receivers drop the stale copy by version."""
    return services.channel_resync_run(channel_id=channel_id)


@shared_task(acks_late=True)
def channel_resyncs_pending() -> int:
    """Beat (every five minutes): queue again a resync still asked for after longer than a run
    may take, so none is running: its message was lost (the broker down at commit) or its run
    died. Its request is stamped once queued, so the next sweep does not queue it twice."""
    due = selectors.channel_resyncs_due(
        before=timezone.now() - timedelta(seconds=RESYNC_TIME_LIMIT + 60)
    )
    for channel_id, requested_at in due.items():
        channel_resync.delay(channel_id)
        services.channel_resync_queued(channel_id=channel_id, requested_at=requested_at)
    return len(due)
