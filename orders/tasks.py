"""Orders' background work: customer notifications and time limits. Each task re-reads and is
safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from orders.models import Notification

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def notifications_send(ids: list[int] | None = None) -> int:
    """Send unsent notifications (these, or any). Each is claimed in the transaction that sends
    it (SKIP LOCKED: two workers never take the same), so it is sent once; a crash between
    sending and committing is the only way to repeat one."""
    pending = Notification.objects.filter(sent_at__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    sent = 0
    for pk in list(pending.order_by("id").values_list("pk", flat=True)[:200]):
        with transaction.atomic():
            note = (
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("order")
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if note is None:
                continue
            with translation.override(note.language):
                context = {"order": note.order, "note": note, **note.context}
                subject = render_to_string(f"orders/email/{note.kind}_subject.txt", context).strip()
                body = render_to_string(f"orders/email/{note.kind}.txt", context)
            send_mail(subject, body, None, [note.recipient])
            note.sent_at = timezone.now()
            note.attempts += 1
            note.save(update_fields=["sent_at", "attempts"])
            sent += 1
    return sent


@shared_task(acks_late=True)
def notifications_send_pending() -> int:
    """Beat: send what a lost message or a dead worker left unsent."""
    return notifications_send(None)
