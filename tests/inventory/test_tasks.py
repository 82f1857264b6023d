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
def test_a_lost_low_stock_message_is_sent_by_the_sweep(django_capture_on_commit_callbacks, caplog):
    from unittest import mock

    from kombu.exceptions import OperationalError

    web = f.ChannelFactory(code="web")
    dc = f.StockLocationFactory(code="dc")
    f.sells_from(web, dc)
    variant = f.product(channels=[web]).variants.get()
    f.UserFactory(is_superuser=True, is_staff=True, email="depo@example.com")
    services.stock_receive(variant=variant, location=dc, quantity=5)
    Stock.objects.update(reorder_point=2)
    mail.outbox = []
    with (
        mock.patch.object(tasks.low_stock_notify, "delay", side_effect=OperationalError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.stock_allocate(  # committed; the broker refuses the message
            channel=web, reference="order:1", lines=[services.LineRequest(variant.pk, 3)]
        )
    assert "low_stock_notify not queued" in caplog.text
    assert mail.outbox == []

    assert tasks.low_stock_notify_pending() == 1

    assert [m.to for m in mail.outbox] == [["depo@example.com"]]
    assert tasks.low_stock_notify_pending() == 0


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


def _world(variants: int = 5):
    """Two channels selling from one distribution centre that holds `variants` variants."""
    web, app = f.ChannelFactory(code="web"), f.ChannelFactory(code="app")
    dc = f.StockLocationFactory(code="dc")
    f.sells_from(web, dc)
    f.sells_from(app, dc)
    items = [f.product(channels=[web, app]).variants.get() for _ in range(variants)]
    for n, variant in enumerate(items):
        services.stock_receive(variant=variant, location=dc, quantity=10 + n)
    return web, app, dc, items


def _told() -> dict[tuple[str, int], tuple[int, int]]:
    """{(channel, variant id): (available, version)} of the newest availability events."""
    told = {}
    for event in OutboxEvent.objects.filter(topic=services.TOPIC_AVAILABILITY).order_by("id"):
        told[event.payload["channel"], event.payload["variant_id"]] = (
            event.payload["available"],
            event.version,
        )
    return told


@pytest.mark.django_db
def test_a_refresh_goes_through_its_variants_a_chunk_at_a_time_and_once():
    from inventory.models import AvailabilityRefresh, ChannelLocation

    web, app, dc, items = _world(5)
    before = _told()
    ChannelLocation.objects.filter(channel=app).update(safety_stock=4)
    refresh = services.channel_availability_refresh(
        channel_ids=[web.pk, app.pk], location_ids=[dc.pk]
    )

    steps = 1
    while services.availability_refresh_step(refresh_id=refresh.pk, chunk=2):
        steps += 1
    assert steps == 3  # 2 + 2 + 1 variants

    told = _told()
    for n, variant in enumerate(items):
        assert told["web", variant.pk][0] == 10 + n
        assert told["app", variant.pk][0] == 10 + n - 4
        assert told["app", variant.pk][1] > before["app", variant.pk][1]
    refresh.refresh_from_db()
    assert (refresh.events, refresh.after_variant) == (10, items[-1].pk)
    assert refresh.done_at is not None

    count = OutboxEvent.objects.count()
    assert services.availability_refresh_step(refresh_id=refresh.pk) is False  # run twice
    assert OutboxEvent.objects.count() == count
    assert AvailabilityRefresh.objects.get().events == 10


@pytest.mark.django_db
def test_the_sweep_finishes_only_refreshes_left_behind(settings):
    from inventory.models import AvailabilityRefresh

    web, app, dc, _items = _world(2)
    old = services.channel_availability_refresh(channel_ids=[web.pk], location_ids=[dc.pk])
    AvailabilityRefresh.objects.filter(pk=old.pk).update(
        created_at=old.created_at - timedelta(minutes=5)
    )
    new = services.channel_availability_refresh(channel_ids=[app.pk], location_ids=[dc.pk])

    assert tasks.availability_refresh_pending() == 1  # tasks run eagerly here
    done = dict(AvailabilityRefresh.objects.values_list("pk", "done_at"))
    assert done[old.pk] is not None and done[new.pk] is None
    # a run out of time hands the rest to a fresh run, which finishes it
    assert tasks.availability_refresh_run(new.pk, budget_seconds=0, chunk=1) is False
    assert AvailabilityRefresh.objects.get(pk=new.pk).done_at is not None


@pytest.mark.redis
@pytest.mark.postgres
def test_a_configuration_change_reaches_the_channels_through_a_real_worker(
    celery_worker_on_redis,
):
    from django.db import transaction

    from inventory.models import AvailabilityRefresh, ChannelLocation

    web, _app, dc, items = _world(3)
    with transaction.atomic():
        ChannelLocation.objects.filter(channel=web).update(safety_stock=5)
        services.channel_availability_refresh(channel_ids=[web.pk], location_ids=[dc.pk])

    wait_until(lambda: AvailabilityRefresh.objects.filter(done_at__isnull=False).exists())
    told = _told()
    assert [told["web", v.pk][0] for v in items] == [5, 6, 7]
    connection.close()
