"""The incremental path of customers' metrics: orders' and payments' outbox events, handed over
by the channel relay, mark their customers pending (CustomerMetricsPending) and queue one task
per customer after the relay commits; the task recomputes that customer (customers.metrics).

The relay consumer is customers.tasks.metrics_from_outbox. A customer already pending gets no
second task: the one queued will read the change too. The
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


def outbox_customers(events: Sequence[tuple]) -> set[int]:
    """The customers whose orders these outbox events are about (each event is the relay's
    (id, topic, key, version, channel_id, payload JSON text, created_at) row)."""
    numbers = {str(json.loads(row[5]).get("order") or "") for row in events}
    owners = order_owners(n for n in numbers if n)
    return {o.customer_id for o in owners.values() if o.customer_id is not None}


def metrics_mark_pending(*, customer_ids: Iterable[int]) -> list[int]:
    """Mark these customers' metrics pending; returns those not pending already, for whom the
    caller queues a task (customers.tasks.metrics_recompute_soon does both)."""
    wanted = set(customer_ids)
    if not wanted:
        return []
    already = set(
        CustomerMetricsPending.objects.filter(customer_id__in=wanted).values_list(
            "customer_id", flat=True
        )
    )
    new = sorted(wanted - already)
    CustomerMetricsPending.objects.bulk_create(
        [CustomerMetricsPending(customer_id=pk) for pk in new], ignore_conflicts=True
    )
    return new


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
