"""Payments' background work. Each task takes ids, re-reads, and is safe to run twice: the
providers are called with our idempotency references, and settled rows are skipped."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from payments import links, selectors, services
from payments.gateways.base import GatewayError
from payments.models import Refund

logger = logging.getLogger(__name__)

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


class GiftCardPinsNotSent(RuntimeError):
    """Some gift cards' e-mails could not be sent; the task is retried for them."""


@shared_task(
    acks_late=True,
    autoretry_for=(GiftCardPinsNotSent,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    time_limit=120,
)
def gift_card_pins_send(card_ids: list[int]) -> int:
    """E-mail sold gift cards' codes and fresh PINs, each once (gift_card_pin_send claims the
    card). One that fails does not hold back the others, and is tried again."""
    from payments.services.gift_cards import gift_card_pin_send

    sent, failed = 0, []
    for pk in card_ids:
        try:
            sent += gift_card_pin_send(card_id=pk)
        except Exception:
            logger.exception("gift card %s: e-mail not sent", pk)
            failed.append(pk)
    if failed:
        raise GiftCardPinsNotSent(f"not sent: {failed}")
    return sent


@shared_task(acks_late=True, time_limit=300)
def gift_card_pins_send_pending() -> int:
    """Beat (every five minutes): sold cards whose e-mail a lost message or a mail server left
    unsent two minutes on."""
    from payments.services.gift_cards import gift_card_pin_send, gift_card_pins_unsent

    sent = 0
    for pk in gift_card_pins_unsent(before=timezone.now() - timedelta(minutes=2)):
        try:
            sent += gift_card_pin_send(card_id=pk)
        except Exception:
            logger.exception("gift card %s: e-mail not sent", pk)
    return sent


@shared_task(acks_late=True, time_limit=600)
def gift_cards_expire_due() -> int:
    """Beat (hourly): cards past their expiry have what is left written off, once."""
    from payments.services.gift_cards import gift_cards_expire_due as expire

    return expire()
