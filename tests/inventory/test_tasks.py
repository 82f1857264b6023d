"""Inventory's Celery tasks, run by a real worker on Redis."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection

from inventory import services, tasks
from inventory.models import LowStockAlert, Reservation, Stock
from omni.models import OutboxEvent
from tests import factories as f
from tests.conftest import wait_until


@pytest.mark.redis
@pytest.mark.postgres
def test_a_low_stock_alert_reaches_merchants_through_a_real_worker(celery_worker_on_redis):
    web = f.ChannelFactory(code="web")
    dc = f.StockLocationFactory(code="dc")
    f.sells_from(web, dc)
    variant = f.product(channels=[web]).variants.get()
    f.UserFactory(is_superuser=True, is_staff=True, email="depo@example.com")
    services.stock_receive(variant=variant, location=dc, quantity=5)
    Stock.objects.update(reorder_point=2)
    mail.outbox = []

    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(variant.pk, 3)]
    )

    wait_until(lambda: LowStockAlert.objects.filter(notified_at__isnull=False).exists())
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["depo@example.com"]
    # running it again (a redelivered message) sends nothing more
    assert tasks.low_stock_notify([LowStockAlert.objects.get().pk]) == 0
    assert len(mail.outbox) == 1
    connection.close()


@pytest.mark.django_db
def test_the_expiry_task_frees_stock_and_tells_the_channels():
    web = f.ChannelFactory(code="web")
    dc = f.StockLocationFactory(code="dc")
    f.sells_from(web, dc)
    variant = f.product(channels=[web]).variants.get()
    services.stock_receive(variant=variant, location=dc, quantity=4)
    services.reservations_set(
        channel=web, reference="cart:x", lines={variant.pk: 3}, ttl=timedelta(minutes=5)
    )
    Reservation.objects.update(
        expires_at=Reservation.objects.get().created_at - timedelta(minutes=1)
    )

    assert tasks.reservations_expire() == 1
    assert tasks.reservations_expire() == 0
    last = OutboxEvent.objects.filter(topic="inventory.availability.changed").latest("id")
    assert last.payload["available"] == 4
