"""The merchant's view of channel sync: the status selector and page, endpoints, deliveries,
dead letters with their retry, the resync service, command and admin action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from inventory.services import TOPIC_AVAILABILITY
from omni.models import OutboxEvent
from sales_channels import selectors, services, tasks
from sales_channels.models import Channel, ChannelEndpoint, Delivery
from tests import factories as f
from tests.queries import assert_num_queries
from tests.sales_channels.conftest import endpoint_for, record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _channel_with_traffic(code: str) -> ChannelEndpoint:
    channel = f.ChannelFactory(code=code)
    hook = endpoint_for(channel, "http://127.0.0.1:9/x")
    for n in range(3):
        record(key=f"{code}:{n}", channel=channel)
    services.outbox_relay_batch()
    Delivery.objects.filter(key=f"{code}:0").update(status=Delivery.Status.DEAD, attempts=3)
    Delivery.objects.filter(key=f"{code}:1").update(
        status=Delivery.Status.DELIVERED, attempts=1, delivered_at=timezone.now()
    )
    record(key=f"{code}:waiting", channel=channel)  # not relayed yet
    return hook


def test_the_sync_status_of_each_channel():
    hook = _channel_with_traffic("web")
    ChannelEndpoint.objects.filter(pk=hook.pk).update(
        last_success_at=timezone.now(), is_failing=True
    )
    oldest = Delivery.objects.get(key="web:2").occurred_at
    f.ChannelFactory(code="quiet")

    rows = {row.channel.code: row for row in selectors.channel_sync_status()}

    web = rows["web"]
    assert (web.endpoints, web.failing_endpoints, web.dead_letters) == (1, 1, 1)
    assert web.events_waiting == 2  # one pending delivery, one event not relayed
    assert web.lag_seconds >= (timezone.now() - oldest).total_seconds() - 1
    assert web.failure_rate == 0.5  # of the two tried, the dead one failed
    assert web.last_success_at is not None
    quiet = rows["quiet"]
    assert (quiet.endpoints, quiet.events_waiting, quiet.lag_seconds) == (0, 0, None)


def test_the_sync_status_takes_four_queries_whatever_the_number_of_channels():
    _channel_with_traffic("one")
    with assert_num_queries(4):
        assert len(selectors.channel_sync_status()) == 1
    for n in range(5):
        _channel_with_traffic(f"many-{n}")
    with assert_num_queries(4):
        assert len(selectors.channel_sync_status()) == 6


@pytest.fixture
def staff(client):
    user = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("admin:sales_channels_sync_status", 6),
        ("admin:sales_channels_delivery_changelist", 7),
        ("admin:sales_channels_deadletter_changelist", 7),
        ("admin:sales_channels_channelendpoint_changelist", 7),
    ],
)
def test_the_admin_pages_take_the_same_queries_with_one_or_many_rows(staff, url, queries):
    _channel_with_traffic("one")
    with assert_num_queries(queries):
        assert staff.get(reverse(url)).status_code == 200
    for n in range(4):
        _channel_with_traffic(f"many-{n}")
    with assert_num_queries(queries):
        response = staff.get(reverse(url))
    assert response.status_code == 200


def test_the_status_page_shows_each_channel(staff):
    _channel_with_traffic("web")
    page = staff.get(reverse("admin:sales_channels_sync_status")).content.decode()
    assert "(web)" in page
    assert "50 %" in page


def test_dead_letters_are_listed_and_the_retry_action_queues_them_again(staff):
    _channel_with_traffic("web")
    dead = Delivery.objects.get(status=Delivery.Status.DEAD)
    page = staff.get(reverse("admin:sales_channels_deadletter_changelist")).content.decode()
    assert "web:0" in page and "web:2" not in page

    response = staff.post(
        reverse("admin:sales_channels_deadletter_changelist"),
        {"action": "retry", "_selected_action": [dead.pk]},
    )

    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.status == Delivery.Status.PENDING
    assert dead.next_attempt_at <= timezone.now()


def test_an_endpoint_is_validated_by_its_connector_in_the_admin(staff):
    channel = f.ChannelFactory(code="web")
    url = reverse("admin:sales_channels_channelendpoint_add")
    data = {
        "channel": channel.pk,
        "name": "ERP",
        "kind": "webhook",
        "url": "ftp://example.com/x",
        "config": "{}",
        "signing_secret": "",
        "rate_limit_per_second": 100,
        "timeout_seconds": 10,
        "is_active": "on",
    }
    response = staff.post(url, data)
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"url", "signing_secret"}
    assert not ChannelEndpoint.objects.exists()

    response = staff.post(
        url, {**data, "url": "https://erp.example.com/hooks", "signing_secret": "whsec_x"}
    )
    assert response.status_code == 302
    assert ChannelEndpoint.objects.get().kind == "webhook"


def test_a_resync_records_the_current_state_of_every_variant_on_the_channel(receiver):
    web = f.ChannelFactory(code="web")
    other = f.ChannelFactory(code="other")
    item = f.product(channels=[web], price="120.00", variants=2)
    f.stocked(web, *item.variants.all(), quantity=4)
    f.product(channels=[other])  # not on web
    endpoint_for(web, receiver.url)
    OutboxEvent.objects.update(published_at=timezone.now())  # all sent long ago

    assert services.channel_resync(channel=web) == 5  # 2 availability, 2 prices, 1 listing
    tasks.outbox_relay()

    got = {(b["topic"], b["key"]): b for b in receiver.bodies()}
    assert len(got) == 5
    variant = item.variants.order_by("id").first()
    availability = got[TOPIC_AVAILABILITY, f"availability:{variant.pk}:{web.pk}"]
    assert availability["data"]["available"] == 4
    assert availability["version"] == variant.inventory.version
    price = got["catalog.price.changed", f"price:{variant.pk}:{web.pk}"]
    assert price["data"]["price"] == "120.00"
    listing = got["catalog.listing.changed", f"listing:{item.pk}:{web.pk}"]
    assert listing["data"]["is_published"] is True


def test_the_resync_sends_what_inventory_registered_when_the_apps_are_ready():
    # Sales_channels sits below catalog and inventory: the state is read in inventory.resync,
    # registered in inventory/apps.py.
    from inventory import resync as inventory_resync
    from sales_channels import resync

    assert resync._sources == [inventory_resync.channel_state_events]


def test_the_sync_channel_command(receiver, capsys):
    web = f.ChannelFactory(code="web")
    f.product(channels=[web])

    with translation.override("en"):
        call_command("sync_channel", "web")
    assert "3 changes of web queued" in capsys.readouterr().out

    with pytest.raises(CommandError) as bad, translation.override("en"):
        call_command("sync_channel", "nope")
    assert str(bad.value) == "No sales channel with the code nope (known: web)."


def test_the_resync_admin_action_hands_the_work_to_a_task(
    staff, django_capture_on_commit_callbacks
):
    web = f.ChannelFactory(code="web")
    f.product(channels=[web])
    before = OutboxEvent.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff.post(
            reverse("admin:sales_channels_channel_changelist"),
            {"action": "resync", "_selected_action": [web.pk]},
        )
    assert response.status_code == 302
    assert OutboxEvent.objects.count() == before  # nothing done in the request
    for callback in callbacks:
        callback()  # after the commit: the task (eager here)
    assert OutboxEvent.objects.count() == before + 3
    web.refresh_from_db()
    assert web.resync_requested_at is None  # the run answered the request


def test_a_lost_resync_message_is_queued_again_by_the_sweep(
    staff, django_capture_on_commit_callbacks, caplog
):
    from unittest import mock

    from kombu.exceptions import OperationalError

    web = f.ChannelFactory(code="web")
    f.product(channels=[web])
    before = OutboxEvent.objects.count()
    with (
        mock.patch.object(tasks.channel_resync, "delay", side_effect=OperationalError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = staff.post(
            reverse("admin:sales_channels_channel_changelist"),
            {"action": "resync", "_selected_action": [web.pk]},
        )
    assert response.status_code == 302
    assert "channel_resync not queued" in caplog.text
    assert OutboxEvent.objects.count() == before
    # A run may take up to its time limit: the sweep leaves a younger request alone.
    assert tasks.channel_resyncs_pending() == 0
    Channel.objects.filter(pk=web.pk).update(
        resync_requested_at=timezone.now() - timedelta(seconds=tasks.RESYNC_TIME_LIMIT + 61)
    )

    assert tasks.channel_resyncs_pending() == 1  # queued (and run: eager here)

    assert OutboxEvent.objects.count() == before + 3
    web.refresh_from_db()
    assert web.resync_requested_at is None
    assert tasks.channel_resyncs_pending() == 0


def test_the_sweep_queues_a_resync_once_while_its_message_waits():
    from unittest import mock

    web = f.ChannelFactory(code="web")
    long_ago = timezone.now() - timedelta(seconds=tasks.RESYNC_TIME_LIMIT + 61)
    Channel.objects.filter(pk=web.pk).update(resync_requested_at=long_ago)

    with mock.patch.object(tasks.channel_resync, "delay") as delay:
        assert tasks.channel_resyncs_pending() == 1
        assert tasks.channel_resyncs_pending() == 0  # queued: stamped anew

    delay.assert_called_once_with(web.pk)
    web.refresh_from_db()
    assert web.resync_requested_at > long_ago


def test_a_resync_asked_for_during_a_run_is_kept_for_its_own_run():
    from unittest import mock

    web = f.ChannelFactory(code="web")
    asked_meanwhile = timezone.now() + timedelta(seconds=5)

    def resync_while_asked_again(*, channel):
        Channel.objects.filter(pk=channel.pk).update(resync_requested_at=asked_meanwhile)
        return 0

    with mock.patch.object(services, "channel_resync", side_effect=resync_while_asked_again):
        services.channel_resync_run(channel_id=web.pk)

    web.refresh_from_db()
    assert web.resync_requested_at == asked_meanwhile


def test_a_channel_switched_on_again_is_resynced(staff, django_capture_on_commit_callbacks):
    web = f.ChannelFactory(code="web", is_active=False)
    f.product(channels=[web])
    url = reverse("admin:sales_channels_channel_change", args=[web.pk])
    form = staff.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    before = OutboxEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(url, {**data, "name": "Web shop"}).status_code == 302
    assert OutboxEvent.objects.count() == before  # still off: nothing to send

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(url, {**data, "is_active": "on"}).status_code == 302
    assert OutboxEvent.objects.count() == before + 3  # its state, as a resync sends it


def test_rotating_a_secret_from_the_admin_keeps_the_old_one_for_a_day(staff):
    hook = endpoint_for(f.ChannelFactory(code="web"), "https://x.example.com/h")
    staff.post(
        reverse("admin:sales_channels_channelendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [hook.pk]},
    )
    old = hook.signing_secret
    hook.refresh_from_db()
    assert hook.previous_secret == old and hook.signing_secret != old
    remaining = hook.previous_secret_expires_at - timezone.now()
    assert timedelta(hours=23) < remaining <= timedelta(hours=24)
