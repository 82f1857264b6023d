"""Inventory's background work. Every task takes ids, re-reads, and is safe to run twice."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import services
from inventory.locks import low_stock_alert_claim
from inventory.models import AvailabilityRefresh, LowStockAlert

logger = logging.getLogger(__name__)


def _recipients() -> list[str]:
    """Merchant staff who look after stock (the permission to see low-stock alerts)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__codename="view_lowstockalert")
            | Q(groups__permissions__codename="view_lowstockalert")
        )
    )
    return sorted(set(users.values_list("email", flat=True)))


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def low_stock_notify(alert_ids: list[int]) -> int:
    """E-mail merchants about new low-stock alerts. An alert is claimed in the transaction that
    sends it, so a failed send is retried and a sent one is not sent again (at least once: a
    crash between sending and committing can repeat one e-mail)."""
    sent = 0
    for alert_id in alert_ids:
        with transaction.atomic():
            alert = low_stock_alert_claim(alert_id)
            if alert is None:
                continue
            stock = alert.stock
            recipients = _recipients()
            if recipients:
                send_mail(
                    subject=_("Low stock: %(sku)s at %(location)s")
                    % {"sku": stock.variant.sku, "location": stock.location.name},
                    message=_(
                        "%(sku)s has %(free)d free units at %(location)s, at or below its reorder point of %(point)d."
                    )
                    % {
                        "sku": stock.variant.sku,
                        "free": alert.free_at_alert,
                        "location": stock.location.name,
                        "point": alert.reorder_point,
                    },
                    from_email=None,
                    recipient_list=recipients,
                )
            alert.notified_at = timezone.now()
            alert.save(update_fields=["notified_at"])
            sent += 1
    return sent


@shared_task(acks_late=True)
def low_stock_notify_pending() -> int:
    """Beat: notify what a lost message or a dead worker left unnotified."""
    pending = list(
        LowStockAlert.objects.filter(notified_at__isnull=True, resolved_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:200]
    )
    return low_stock_notify(pending) if pending else 0


@shared_task(acks_late=True)
def reservations_expire() -> int:
    """Beat: delete expired cart reservations and tell the channels what they can sell again."""
    total = 0
    while True:
        deleted = services.reservations_expire()
        total += deleted
        if not deleted:
            return total


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def availability_refresh_run(
    refresh_id: int, budget_seconds: float = 20.0, chunk: int = 500
) -> bool:
    """Tell the channels their availability after a stock configuration change, chunk after
    chunk; hands the rest to a fresh run when its time is up. Returns whether it finished."""
    deadline = time.monotonic() + budget_seconds
    while services.availability_refresh_step(refresh_id=refresh_id, chunk=chunk):
        if time.monotonic() >= deadline:
            availability_refresh_run.delay(refresh_id, budget_seconds, chunk)
            return False
    return True


@shared_task(acks_late=True)
def availability_refresh_pending() -> int:
    """Beat: finish the refreshes a lost message or a dead worker left undone (not those just
    made, whose own task is still waiting for the configuration to reach every process)."""
    quiet = timezone.now() - timedelta(seconds=60)
    pending = list(
        AvailabilityRefresh.objects.filter(done_at__isnull=True, created_at__lte=quiet)
        .order_by("id")
        .values_list("id", flat=True)[:20]
    )
    for refresh_id in pending:
        availability_refresh_run.delay(refresh_id)
    return len(pending)
