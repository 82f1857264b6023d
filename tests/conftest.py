"""Test-suite plumbing: which services are reachable, and what to do when one is not.

Tests marked `postgres` need real PostgreSQL (row locks, concurrency) and tests marked `redis`
need a real Redis broker. Without them they are skipped and listed at the end of the run;
with OMNI_REQUIRE_SERVICES=1 (CI) such a test fails instead, so CI cannot go green by skipping.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from rest_framework.test import APIClient

REQUIRE_SERVICES = os.environ.get("OMNI_REQUIRE_SERVICES") == "1"
NEEDS = {"postgres": "PostgreSQL", "redis": "Redis"}


def _available(marker: str) -> bool:
    if marker == "postgres":
        return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    return bool(settings.OMNI_TEST_REDIS_AVAILABLE)


def pytest_report_header(config) -> list[str]:
    db = settings.DATABASES["default"]
    where = f"{db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''}".strip()
    redis = settings.OMNI_TEST_REDIS_URL if settings.OMNI_TEST_REDIS_AVAILABLE else "unreachable"
    mode = "required (CI)" if REQUIRE_SERVICES else "optional"
    return [f"omni: database {where}; redis {redis}; services {mode}"]


def pytest_sessionstart(session) -> None:
    if REQUIRE_SERVICES:
        missing = [name for marker, name in NEEDS.items() if not _available(marker)]
        if missing:
            pytest.exit(
                f"OMNI_REQUIRE_SERVICES=1 but {' and '.join(missing)} is not reachable",
                returncode=3,
            )


def pytest_runtest_setup(item) -> None:
    for marker, name in NEEDS.items():
        if item.get_closest_marker(marker) and not _available(marker):
            if REQUIRE_SERVICES:
                pytest.fail(f"needs {name}, which is not reachable")
            pytest.skip(f"needs {name}, which is not reachable")


def pytest_terminal_summary(terminalreporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    wanting = []
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if "which is not reachable" in reason:
            wanting.append((report.nodeid, reason.removeprefix("Skipped: ")))
    if wanting:
        terminalreporter.section("skipped for want of PostgreSQL or Redis", yellow=True)
        for nodeid, reason in wanting:
            terminalreporter.write_line(f"{nodeid}: {reason}")
        terminalreporter.write_line(
            f"{len(wanting)} tests did not run. Start PostgreSQL and Redis (see README) to run them."
        )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with no throttle counted (the cache is this process's memory)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def celery_worker_on_redis(transactional_db, settings):
    """A real Celery worker, in a thread of this process, consuming from the real Redis broker.
    Tasks see only committed data (the test is transactional), as in production."""
    if not _available("redis"):
        pytest.fail("needs Redis") if REQUIRE_SERVICES else pytest.skip(
            "needs Redis, which is not reachable"
        )
    from celery.contrib.testing.worker import start_worker

    from omni.celery import app

    queue = f"omni-test-{os.getpid()}"
    app.conf.update(task_always_eager=False, task_default_queue=queue)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue) if conn.default_channel else None
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=10,
            queues=[queue],
        ) as worker:
            yield worker
    finally:
        app.conf.update(task_always_eager=True, task_default_queue="celery")


def wait_until(condition, timeout: float = 15.0, interval: float = 0.05):
    """Poll until condition() is truthy; fail with what it last returned."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            assert value, f"condition not met within {timeout}s"
            return value
        time.sleep(interval)
