"""Proof on the real thing: a Celery worker (a subprocess, `celery -A omni worker`) on Redis
and PostgreSQL delivering to a local HTTP receiver that checks signatures and drops duplicate
delivery ids. Commits here trigger the relay after commit exactly as in production."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from inventory import services as inventory
from inventory.services import TOPIC_AVAILABILITY as TOPIC
from omni.models import OutboxEvent
from sales_channels import tasks
from sales_channels.models import Delivery
from tests import factories as f
from tests.conftest import wait_until
from tests.sales_channels.conftest import SECRET, endpoint_for, record
from tests.sales_channels.receiver import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


class Workers:
    """Celery workers as subprocesses on one queue of their own; kill -9 one at will."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.sales_channels.worker_settings",
            "OMNI_WORKER_QUEUE": self.queue,
            "OMNI_WORKER_DB_NAME": connection.settings_dict["NAME"],
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "omni",
                "worker",
                "-Q",
                self.queue,
                "-c",
                "2",
                "--pool",
                "prefork",
                "-l",
                "WARNING",
                "-n",
                f"{self.queue}-{len(self.procs)}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own process group: kill -9 takes its children too
        )
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)


@pytest.fixture
def workers(settings):
    from omni.celery import app

    queue = f"omni-sync-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    app.conf.update(task_always_eager=False, task_default_queue=queue)
    tasks._breaker["until"] = 0.0
    pool = Workers(queue)
    try:
        yield pool
    finally:
        pool.stop_all()
        app.conf.update(task_always_eager=True, task_default_queue="celery")
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


def test_a_committed_stock_change_arrives_and_a_rolled_back_one_never_does(workers):
    web = f.ChannelFactory(code="web")
    variant = f.product(channels=[web], price="100.00").variants.get()
    location = f.stocked(web, variant, quantity=10)
    with Receiver(secrets=[SECRET]) as receiver:
        endpoint_for(web, receiver.url, config={"topics": ["inventory.availability.changed"]})
        workers.start()

        class Boom(Exception):
            pass

        with pytest.raises(Boom), transaction.atomic():
            inventory.stock_adjust(variant=variant, location=location, delta=-7, reason="damaged")
            raise Boom
        inventory.stock_adjust(variant=variant, location=location, delta=-3, reason="damaged")

        wait_until(lambda: receiver.bodies(), timeout=20)
        time.sleep(1.0)  # anything else would have arrived by now
        bodies = receiver.bodies()

    assert [(b["topic"], b["data"]["available"]) for b in bodies] == [
        ("inventory.availability.changed", 7)
    ]
    assert bodies[0]["key"] == f"availability:{variant.pk}:{web.pk}"
    assert receiver.bad_signatures == 0


class Stall:
    """A receiver's answer that holds every request while it is closed (its sender waits for an
    answer that does not come), then refuses what it held: a request that was never answered
    never counts as arrived."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.lock = threading.Lock()
        self.held: list[str] = []  # delivery ids

    def __call__(self, item: dict) -> tuple[int, dict[str, str]]:
        if self.opened.is_set():
            return 200, {}
        with self.lock:
            self.held.append(item["id"])
        self.opened.wait(30)
        return 503, {}


# A send's lease is its timeout (one round of `parallel` requests) and the worker settings'
# 1 s margin: here 4 s.
SLOW_SENDS = {"timeout_seconds": 3, "rate_limit_per_second": 4, "config": {"parallel": 4}}


def test_a_send_in_flight_when_its_worker_is_killed_arrives_again_afterwards(workers):
    """At least once: the receiver holds the request when the worker is killed, so it never
    answered it; the delivery must then be sent again, with the same delivery id."""
    web = f.ChannelFactory(code="web")
    stall = Stall()
    with Receiver(secrets=[SECRET], respond=stall) as receiver:
        endpoint_for(web, receiver.url, **SLOW_SENDS)
        first = workers.start()
        record(key="variant:1", version=1, channel=web)
        wait_until(lambda: stall.held, timeout=20)

        workers.kill(first)  # kill -9 with the request in flight
        stall.opened.set()
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 1)
        assert receiver.bodies() == []

        workers.start()

        def delivered():
            tasks.sync_sweep.delay()  # what beat does every few seconds
            return Delivery.objects.filter(status=Delivery.Status.DELIVERED).exists()

        wait_until(delivered, timeout=30, interval=0.5)

    assert [b["id"] for b in receiver.bodies()] == stall.held == [str(delivery.delivery_id)]
    assert receiver.requests == 2  # the one the killed worker never heard back from, and again
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.DELIVERED, 2)


def test_a_change_overtaken_while_its_worker_was_dead_never_reaches_a_receiver_after_it(workers):
    """The worker is killed with a batch in flight to each of two channels' receivers; the
    same variants keep changing. When the dead worker's deliveries come due again, newer ones
    of their keys have been delivered: they are superseded, and every receiver sees each
    key's versions only grow, up to the last one."""
    web, app = f.ChannelFactory(code="web"), f.ChannelFactory(code="app")
    variants = list(f.product(channels=[web, app], variants=2).variants.order_by("id"))
    location = f.StockLocationFactory(code="dc-test", city="Kocaeli")
    f.sells_from(app, location)
    f.stocked(web, *variants, location=location, quantity=50)
    stalls = {web.pk: Stall(), app.pk: Stall()}
    with (
        Receiver(secrets=[SECRET], respond=stalls[web.pk]) as to_web,
        Receiver(secrets=[SECRET], respond=stalls[app.pk]) as to_app,
    ):
        receivers = {web.pk: to_web, app.pk: to_app}
        for channel in (web, app):
            # A long lease (60 s), made over by hand below once the newer changes are in: the
            # order of events then does not hang on how fast the new worker starts.
            endpoint_for(
                channel,
                receivers[channel.pk].url,
                **{
                    **SLOW_SENDS,
                    "timeout_seconds": 59,
                    "config": {**SLOW_SENDS["config"], "topics": [TOPIC]},
                },
            )
        first = workers.start()
        wait_until(lambda: all(stall.held for stall in stalls.values()), timeout=20)

        workers.kill(first)  # mid-batch, a request in flight to each receiver
        for stall in stalls.values():
            stall.opened.set()
        held = [i for stall in stalls.values() for i in stall.held]
        workers.start()
        for _ in range(5):  # the same variants keep changing
            for variant in variants:
                inventory.stock_adjust(variant=variant, location=location, delta=-1, reason="x")
            time.sleep(0.2)
        last = {
            (int(key.rsplit(":", 1)[1]), key): version
            for key, version in OutboxEvent.objects.filter(topic=TOPIC)
            .values_list("key")
            .annotate(version=Max("version"))
            .order_by()
        }

        def newest_arrived():
            tasks.sync_sweep.delay()
            return all(receivers[c].latest.get(key) == v for (c, key), v in last.items())

        wait_until(newest_arrived, timeout=30, interval=0.5)
        # The dead worker's lease is over: its deliveries come due again.
        Delivery.objects.filter(delivery_id__in=held).update(next_attempt_at=timezone.now())

        def settled():
            tasks.sync_sweep.delay()
            return not Delivery.objects.filter(status=Delivery.Status.PENDING).exists()

        wait_until(settled, timeout=30, interval=0.5)
        time.sleep(0.5)  # a request still on its way would have arrived by now

    for channel_id, r in receivers.items():
        seen: dict[str, list[int]] = {}
        for body in r.bodies():
            seen.setdefault(body["key"], []).append(body["version"])
        assert seen, channel_id
        for key, versions in seen.items():
            assert versions == sorted(set(versions)), (key, versions)  # only grow
            assert versions[-1] == last[channel_id, key]
        assert r.stale == 0
    # The dead worker's deliveries were overtaken while it was dead, and never sent again.
    statuses = Delivery.objects.filter(delivery_id__in=held).values_list("status", flat=True)
    assert set(statuses) == {Delivery.Status.SUPERSEDED}


def test_with_the_broker_unreachable_changes_wait_in_the_outbox_and_all_arrive_after(workers):
    from omni.celery import app

    web = f.ChannelFactory(code="web")
    with Receiver(secrets=[SECRET]) as receiver:
        endpoint_for(web, receiver.url)
        workers.start()
        broker = app.conf.broker_url
        app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
        app._pool = None
        app.amqp._producer_pool = None
        try:
            started = time.monotonic()
            for n in range(10):
                record(key=f"variant:{n}", version=1, channel=web)
            elapsed = time.monotonic() - started
        finally:
            app.conf.broker_url = broker
            app._pool = None
            app.amqp._producer_pool = None

        # The commits were not held up, and the changes wait in the outbox.
        assert elapsed < 3.0
        assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 10
        time.sleep(1.0)
        assert receiver.bodies() == []

        # The broker is back: the beat sweep relays and sends everything.
        tasks.sync_sweep.delay()
        wait_until(lambda: len(receiver.bodies()) == 10, timeout=30)

    assert sorted(b["key"] for b in receiver.bodies()) == sorted(f"variant:{n}" for n in range(10))
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_many_changes_of_one_key_arrive_in_version_order_and_coalesced(workers):
    web = f.ChannelFactory(code="web")
    with Receiver(secrets=[SECRET], delay=0.02) as receiver:
        endpoint_for(web, receiver.url)
        workers.start()
        for version in range(1, 41):
            record(key="availability:1:web", version=version, channel=web, available=version)

        wait_until(lambda: receiver.latest.get("availability:1:web") == 40, timeout=30)

    versions = [b["version"] for b in receiver.bodies()]
    assert versions == sorted(versions)  # in order: one sender per endpoint, oldest first
    assert receiver.stale == 0
    assert len(versions) <= 40  # changes made while one was in flight were folded together
    assert receiver.bodies()[-1]["data"]["available"] == 40


def test_a_worker_keeps_its_database_connection_from_task_to_task(workers):
    """Celery's Django fix-up would close it after every task, and each task would pay for a
    new PostgreSQL connection; omni/celery.py keeps it for CONN_MAX_AGE, as Django does."""

    def worker_connections() -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state = 'idle'"
            )
            return {pid for (pid,) in cursor.fetchall()}

    workers.start()
    for _ in range(3):
        tasks.sync_sweep.delay()
    first = wait_until(worker_connections, timeout=20)
    for _ in range(6):
        tasks.sync_sweep.delay()
        time.sleep(0.2)
    time.sleep(1.0)  # every sweep has long finished
    assert first & worker_connections(), "the worker's connections were closed after its tasks"
