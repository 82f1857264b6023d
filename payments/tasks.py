"""Payments' background work. Each task takes ids, re-reads, and is safe to run twice: the
providers are called with our idempotency references, and settled rows are skipped."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from payments import links, selectors, services
from payments.gateways.base import GatewayError
from payments.models import Refund

RETRY = {
    "acks_late": True,
    "autoretry_for": (GatewayError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 10,
}


@shared_task(**RETRY)
def refund_process(refund_id: int) -> str:
    """Send a refund to the providers and record their answers."""
    return services.refund_process(refund=refund_id).status


@shared_task(**RETRY)
def order_payments_release(order_id: int) -> int:
    """A cancelled (or overpaid) order: void what is only authorised, refund what was captured."""
    # Each refund queues its own refund_process after its commit.
    return len(services.order_payments_release(order=order_id))


@shared_task(**RETRY)
def return_refund(return_id: int) -> int | None:
    """A received return's refund (orders.refund.due), to the original payments, once."""
    refund = services.return_refund_create(return_request=return_id)
    return refund.pk if refund else None


@shared_task(acks_late=True)
def refunds_process_pending() -> int:
    """Beat (every two minutes): refunds a lost message or an unreachable provider left
    pending."""
    before = timezone.now() - timedelta(minutes=1)
    done = 0
    for pk in Refund.objects.filter(
        status=Refund.Status.PENDING, created_at__lt=before
    ).values_list("pk", flat=True)[:200]:
        try:
            services.refund_process(refund=pk)
            done += 1
        except GatewayError:
            continue
    return done


@shared_task(acks_late=True)
def releases_process_pending() -> int:
    """Beat (every two minutes): the work of an order_payments_release or return_refund
    message lost after its commit (the broker down), found again in the database: a cancelled
    order's payments still holding money, a refunded return without its refund. Idempotent,
    as those tasks are."""
    before = timezone.now() - timedelta(minutes=1)
    done = 0
    for pk in selectors.orders_release_due(before=before):
        try:
            services.order_payments_release(order=pk)
            done += 1
        except GatewayError:
            continue
    for pk in selectors.returns_refund_due(before=before):
        try:
            services.return_refund_create(return_request=pk)
            done += 1
        except GatewayError:
            continue
    return done


@shared_task(acks_late=True)
def link_sends_pending() -> int:
    """Beat (every five minutes): send the payment links asked for over five minutes ago and
    not sent yet, their message lost after the commit (the broker down) or their retries given
    up. Once per link and recipient, as the task sends them."""
    return links.link_sends_again(before=timezone.now() - timedelta(minutes=5))
