"""IYS's background work. Thin: each task calls a service and is safe to run twice (a push is
claimed before it is sent; a pulled change is recorded once by its IYS transaction id)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from celery import shared_task

from customers import data_requests, metrics, metrics_sync, retention, selectors, services
from customers.iys import IysError, iys_client, iys_enabled
from customers.loyalty import selectors as loyalty_selectors
from customers.loyalty import services as loyalty
from omni.tasks import enqueue_after_commit

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
    max_retries=8,
)
def consent_push(self, decision_id: int) -> str:
    """Push one decision to IYS; an IYS that does not answer is tried again with backoff
    (30 s, 1 min, 2 min, ... 1 h), and the beat sweep after that."""
    if not iys_enabled():
        return "off"
    try:
        return services.consent_push(decision_id=decision_id, client=iys_client())
    except IysError as error:
        if not error.retryable:
            raise
        raise self.retry(countdown=min(30 * 2**self.request.retries, 3600)) from error


@shared_task(acks_late=True, soft_time_limit=250, time_limit=280)
def consents_push_pending() -> int:
    """The beat sweep: push every decision still pending, the nearest deadline first; stop at
    the first IYS outage (the next sweep goes on). Overdue ones are logged."""
    if not iys_enabled():
        return 0
    overdue = selectors.consents_overdue().count()
    if overdue:
        logger.error("%s consent decisions are past their IYS deadline", overdue)
    client = iys_client()
    pushed = 0
    for decision_id in selectors.consents_to_push():
        try:
            services.consent_push(decision_id=decision_id, client=client)
        except IysError:
            logger.warning("IYS did not answer; the next sweep goes on", exc_info=True)
            break
        pushed += 1
    return pushed


PULL_PAGES = 50  # per run; the next run goes on from the cursor


@shared_task(acks_late=True, soft_time_limit=250, time_limit=280)
def consents_pull() -> int:
    """Record the decisions citizens made in IYS since the last pull, page by page."""
    if not iys_enabled():
        return 0
    client = iys_client()
    recorded = 0
    for _page in range(PULL_PAGES):
        result = services.consents_pull(client=client)
        recorded += result.recorded
        if not result.read:
            break
    return recorded


@shared_task(acks_late=True, soft_time_limit=250, time_limit=280)
def data_request_process(request_id: int) -> str:
    """Answer one KVKK request (export or erasure); a request answered already is left alone."""
    return data_requests.data_request_process(request_id=request_id)


@shared_task(acks_late=True, soft_time_limit=250, time_limit=280)
def data_requests_pending() -> int:
    """The beat sweep: answer requests still `received` (a lost message) and log the overdue."""
    overdue = list(data_requests.data_requests_overdue().values_list("pk", flat=True))
    if overdue:
        logger.error(
            "%s data-subject requests are past their 30-day deadline: %s", len(overdue), overdue
        )
    done = 0
    for request_id in data_requests.data_requests_received().values_list("pk", flat=True)[:100]:
        data_requests.data_request_process(request_id=request_id)
        done += 1
    return done


# --- customers' metrics -------------------------------------------------------------------------


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60, max_retries=5)
def customer_metrics_recompute(customer_id: int) -> int:
    """Recompute one customer's metrics (queued once per pending customer; safe to run twice),
    then have their segments evaluated again (segments read the metrics)."""
    written = metrics_sync.metrics_recompute_pending(customer_id=customer_id)
    services.segments_customers_changed(customer_ids=[customer_id])
    return written


def metrics_recompute_soon(*, customer_ids: Iterable[int]) -> int:
    """Mark these customers' metrics pending and queue, after the commit, one recompute for
    each not pending already; returns how many. What other slices call when they change what
    a customer's metrics add up (a merge moves orders)."""
    new = metrics_sync.metrics_mark_pending(customer_ids=customer_ids)
    for customer_id in new:
        enqueue_after_commit(customer_metrics_recompute, customer_id)
    return len(new)


def metrics_from_outbox(events: Sequence[tuple]) -> int:
    """Relay consumer (customers.apps): orders' and payments' events, in the relay's
    transaction, become one recompute per customer they are about."""
    return metrics_recompute_soon(customer_ids=metrics_sync.outbox_customers(events))


@shared_task(acks_late=True, soft_time_limit=250, time_limit=280)
def customer_metrics_pending() -> int:
    """The beat sweep: recompute customers still pending past the grace (a lost message)."""
    done = 0
    for customer_id in metrics_sync.metrics_pending_overdue():
        metrics_sync.metrics_recompute_pending(customer_id=customer_id)
        services.segments_customers_changed(customer_ids=[customer_id])
        done += 1
    return done


@shared_task(acks_late=True, soft_time_limit=3300, time_limit=3600)
def customer_metrics_recompute_all() -> int:
    """The nightly full run (the same as `crm_recompute`): every customer, new RFM thresholds."""
    return metrics.metrics_recompute_all().customers


# --- segments ------------------------------------------------------------------------------------


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def segment_recompute(segment_id: int) -> int:
    """The full recompute of one segment (after it is saved); returns the changes recorded."""
    from customers.segments import segment_recompute as recompute

    result = recompute(segment_id=segment_id)
    return result.entered + result.exited


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def segments_recompute_all() -> int:
    """The beat: every active segment recomputed in full (what "in the last N days" lets go as
    time passes, and any change the incremental path missed)."""
    from customers.segments import segments_recompute_all as recompute_all

    return sum(r.entered + r.exited for r in recompute_all().values())


SEGMENT_REFRESH_ROUNDS = 20


@shared_task(acks_late=True, soft_time_limit=250, time_limit=280)
def segments_refresh() -> int:
    """Evaluate the segments of customers whose data changed (queued after the commit that
    marked them, and on the beat for a lost message); up to 20 batches of 500 a run."""
    from customers.segments import segments_refresh_pending

    done = 0
    for _round in range(SEGMENT_REFRESH_ROUNDS):
        evaluated = segments_refresh_pending()
        done += evaluated
        if not evaluated:
            break
    return done


# --- the loyalty programme ----------------------------------------------------------------------


@shared_task(acks_late=True, soft_time_limit=250, time_limit=280)
def loyalty_mature_due() -> int:
    """Beat: credit every pending lot whose return window has ended (each once: a lot is
    re-read under its account's lock)."""
    return sum(loyalty.loyalty_lot_mature(entry_id=pk) for pk in loyalty_selectors.lots_to_mature())


@shared_task(acks_late=True, soft_time_limit=250, time_limit=280)
def loyalty_expire_due() -> int:
    """Beat: expire what is left of every lot past its date, oldest first."""
    return sum(loyalty.loyalty_lot_expire(entry_id=pk) for pk in loyalty_selectors.lots_to_expire())


@shared_task(acks_late=True, soft_time_limit=1700, time_limit=1800)
def loyalty_tiers_refresh() -> int:
    """Daily: recompute 12-month spend and tier of accounts whose spend may have aged out."""
    done = 0
    for pk in loyalty_selectors.accounts_to_refresh():
        loyalty.loyalty_tier_refresh(account_id=pk)
        done += 1
    return done


@shared_task(acks_late=True, soft_time_limit=3300, time_limit=3600)
def kvkk_destroy() -> int:
    """The beat's KVKK periodic destruction (monthly; the law asks for at most 6 months).
    Safe to run twice: what one run destroyed is gone for the next, and a run that finds
    another under way stops."""
    done = retention.destruction_run(triggered_by="beat")
    return -1 if done is None else sum(item.rows for item in done)
