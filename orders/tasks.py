"""Orders' background work: customer notifications and time limits. Each task re-reads and is
safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orders.confirmation import order_agreement_attachments, order_confirmation_told
from orders.locks import notification_claim
from orders.models import Notification
from orders.services import fulfilment
from sales_channels.emails import email_message

logger = logging.getLogger(__name__)

BATCH = 200


class NotificationsNotSent(RuntimeError):
    """Some notifications could not be sent; the task is retried for them."""


def notification_message(note: Notification) -> EmailMultiAlternatives:
    """The notification as an e-mail in its language (sales_channels.emails: HTML and plain
    text, from the retailer). The confirmation tells delivery, payment, the pickup code and
    what happens next, and carries the legal forms the shopper accepted."""
    order = note.order
    context = {"order": order, "note": note, **note.context}
    attachments = []
    if note.kind == Notification.Kind.CONFIRMED:
        context.update(order_confirmation_told(order))
        attachments = order_agreement_attachments(order, context["agreements"])
    return email_message(
        to=[note.recipient],
        template=f"orders/email/{note.kind}",
        context=context,
        language=note.language,
        attachments=attachments,
    )


def notification_render(note: Notification) -> tuple[str, str]:
    """The subject and plain-text body of a notification, in its language."""
    message = notification_message(note)
    return str(message.subject), str(message.body)


def _send_one(pk: int) -> bool:
    """Claim, send and mark one notification in one transaction. False: someone else has it,
    or it was sent already."""
    with transaction.atomic():
        note = notification_claim(pk)
        if note is None:
            return False
        notification_message(note).send()
        note.sent_at = timezone.now()
        note.attempts += 1
        note.save(update_fields=["sent_at", "attempts"])
        return True


@shared_task(
    acks_late=True,
    autoretry_for=(NotificationsNotSent,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def notifications_send(ids: list[int] | None = None) -> int:
    """Send unsent notifications (these, or any). Each is claimed in the transaction that sends
    it (SKIP LOCKED: two workers never take the same), so it is sent once; a crash between
    sending and committing is the only way to repeat one. One that fails (a template, the mail
    server) does not hold back the others: it counts an attempt, goes to the back of the queue,
    and is tried again (a retry of this task, then the beat)."""
    pending = Notification.objects.filter(sent_at__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    sent, failed = 0, []
    for pk in list(pending.order_by("attempts", "id").values_list("pk", flat=True)[:BATCH]):
        try:
            sent += _send_one(pk)
        except Exception:
            logger.exception("notification %s could not be sent", pk)
            Notification.objects.filter(pk=pk, sent_at__isnull=True).update(
                attempts=F("attempts") + 1
            )
            failed.append(pk)
    if failed and ids is not None:
        raise NotificationsNotSent(f"not sent: {failed}")
    return sent


@shared_task(acks_late=True)
def notifications_send_pending() -> int:
    """Beat (every minute): send what a lost message or a dead worker left unsent."""
    return notifications_send(None)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def pickups_expire() -> int:
    """Beat (hourly): click-and-collect orders not collected in time are cancelled and their
    stock released."""
    return fulfilment.pickups_expire()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def orders_unpaid_expire() -> int:
    """Beat (every 5 minutes): orders whose payment never came are cancelled and their stock
    released."""
    return fulfilment.orders_unpaid_expire()
