"""A Celery worker outlives its broker's outages and resumes on its own: a real worker
(`celery -A omni worker`, a subprocess, with mingle, gossip and heartbeat as in production) on
a private redis-server that is stopped and started again, delivering outbox events to a local
webhook receiver. OMNI_BROKER_OUTAGE_SECONDS shortens the long outage for a local run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from sales_channels import tasks
from tests import conftest
from tests import factories as f
from tests.conftest import wait_until
from tests.omni.brokers import BrokerProxy, RedisServer
from tests.sales_channels.conftest import SECRET, endpoint_for, record
from tests.sales_channels.receiver import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
OUTAGE_SECONDS = float(os.environ.get("OMNI_BROKER_OUTAGE_SECONDS", "60"))


class Worker:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.queue = f"omni-outage-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.process: subprocess.Popen | None = None

    def start(self, *, broker: str, write: str = "") -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.omni.worker_settings",
            "OMNI_WORKER_BROKER_URL": broker,
            "OMNI_WORKER_BROKER_WRITE_URL": write,
            "OMNI_WORKER_QUEUE": self.queue,
            "OMNI_WORKER_DB_NAME": connection.settings_dict["NAME"],
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "omni", "worker", "-Q", self.queue,
                 "-c", "1", "-l", "INFO", "-n", f"{self.queue}@%h"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def says(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


@pytest.fixture
def worker(tmp_path):
    """A worker subprocess; this process publishes to the broker it is given (`use`)."""
    from omni.celery import app

    if not shutil.which("redis-server"):  # as a missing Redis: a failure in CI, else a skip
        reason = "needs redis-server, which is not installed"
        pytest.fail(reason) if conftest.REQUIRE_SERVICES else pytest.skip(reason)

    def use(broker_url: str) -> None:
        app.conf.update(broker_url=broker_url, task_always_eager=False)
        app.conf.task_default_queue = the.queue
        app._pool = None
        app.amqp._producer_pool = None

    the = Worker(tmp_path / "worker.log")
    the.use = use
    broker = app.conf.broker_url
    tasks._breaker["until"] = 0.0
    try:
        yield the
    finally:
        the.stop()
        app.conf.update(broker_url=broker, task_always_eager=True, task_default_queue="celery")
        app._pool = None
        app.amqp._producer_pool = None


def delivered(receiver: Receiver) -> set[str]:
    return {body["key"] for body in receiver.bodies()}


def test_a_worker_whose_broker_goes_away_as_it_starts_consuming_keeps_retrying_and_resumes(
    worker,
):
    # Celery 5.7 stopped with "Unrecoverable error: OperationalError" here: after each
    # (re)connect the consumer's Mingle step says hello to the other workers over a new
    # connection, and kombu gives that connection up after 4 s with an OperationalError.
    web = f.ChannelFactory(code="web")
    with RedisServer() as redis, BrokerProxy(upstream_port=redis.port) as proxy:
        # Mingle binds its reply queue just before it connects to send the hello.
        proxy.refuse_after(b"reply.celery.pidbox", seconds=8)
        worker.use(redis.url)
        worker.start(broker=proxy.url)
        with Receiver(secrets=[SECRET]) as receiver:
            endpoint_for(web, receiver.url)
            wait_until(lambda: proxy.tripped, timeout=30)
            time.sleep(8)  # the old consumer gave up 4-6 s after the broker went away

            assert worker.alive(), worker.says()
            record(key="after", version=1, channel=web)
            wait_until(lambda: delivered(receiver) == {"after"}, timeout=40)

    assert worker.alive(), worker.says()
    assert "Unrecoverable error" not in worker.says()


def test_a_worker_outlives_a_long_broker_outage_and_sends_what_was_committed_meanwhile(worker):
    web = f.ChannelFactory(code="web")
    with RedisServer() as redis, Receiver(secrets=[SECRET]) as receiver:
        endpoint_for(web, receiver.url)
        worker.use(redis.url)
        worker.start(broker=redis.url)
        record(key="before", version=1, channel=web)
        wait_until(lambda: delivered(receiver) == {"before"}, timeout=40)

        redis.stop()
        record(key="during", version=1, channel=web)  # waits in the outbox
        time.sleep(OUTAGE_SECONDS)
        assert worker.alive(), worker.says()
        redis.start()  # the same port, empty: what was queued is gone, the outbox is not

        def arrived() -> bool:
            tasks.sync_sweep.delay()  # what beat does every few seconds
            return delivered(receiver) == {"before", "during"}

        # The worker's reconnect backoff grows by 2 s a try: about 12 s after a 60 s outage.
        wait_until(arrived, timeout=45, interval=2.0)

    assert worker.alive(), worker.says()
    assert "Unrecoverable error" not in worker.says()
