"""The incremental path of customers' metrics: orders' and payments' outbox events, handed over
by the channel relay, mark their customers pending (CustomerMetricsPending) and queue one task
per customer after the relay commits; the task recomputes that customer (customers.metrics).

A customer already pending gets no second task: the one queued will read the change too. The
task clears the mark before it reads, so an event committed while it computes queues another.
A lost message is found by the sweep (customer_metrics_pending_sweep), which recomputes the
customers pending for longer than PENDING_GRACE.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

from django.utils import timezone

from customers.metrics import metrics_recompute, order_owners
from customers.models import CustomerMetricsPending

# What changes a customer's metrics: an order placed, its status (a cancellation among them),
# a payment's status (a capture), a return's status and a refund due.
METRIC_TOPICS = frozenset(
    {
        "orders.order.placed",
        "orders.order.status_changed",
        "orders.order.cancelled",
        "orders.return.status_changed",
        "orders.refund.due",
        "payments.payment.status_changed",
    }
)
PENDING_GRACE = dt.timedelta(minutes=2)


def metrics_from_outbox(events: Sequence[tuple]) -> int:
    """Relay consumer (sales_channels.services.relay_consumer_register): the customers whose
    orders these events are about, marked pending and each queued once, in the relay's
    transaction. Returns how many tasks are queued."""
    numbers = {str(json.loads(row[5]).get("order") or "") for row in events}
    owners = order_owners(n for n in numbers if n)
    customer_ids = {o.customer_id for o in owners.values() if o.customer_id is not None}
    return metrics_mark_pending(customer_ids=customer_ids)


def metrics_mark_pending(*, customer_ids: Iterable[int]) -> int:
    """Mark these customers' metrics pending and queue a recompute, after the commit, for each
    not pending already. Other slices call it too (a merge, an erasure). Returns how many."""
    from customers import tasks  # tasks import this module's callers

    wanted = set(customer_ids)
    if not wanted:
        return 0
    already = set(
        CustomerMetricsPending.objects.filter(customer_id__in=wanted).values_list(
            "customer_id", flat=True
        )
    )
    new = sorted(wanted - already)
    CustomerMetricsPending.objects.bulk_create(
        [CustomerMetricsPending(customer_id=pk) for pk in new], ignore_conflicts=True
    )
    for pk in new:
        tasks.enqueue_metrics_recompute(pk)
    return len(new)


def metrics_recompute_pending(*, customer_id: int) -> int:
    """The task's work: clear the mark, then recompute (whether or not it was still marked: a
    redelivered message recomputes again, which changes nothing)."""
    CustomerMetricsPending.objects.filter(customer_id=customer_id).delete()
    return metrics_recompute(customer_ids=[customer_id])


def metrics_pending_overdue(*, limit: int = 500) -> list[int]:
    """Customers pending for longer than a task takes: their message was lost."""
    cutoff = timezone.now() - PENDING_GRACE
    return list(
        CustomerMetricsPending.objects.filter(since__lt=cutoff)
        .order_by("since")
        .values_list("customer_id", flat=True)[:limit]
    )
