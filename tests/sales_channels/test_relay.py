"""The relay and the sender, with tasks run in-process (the worker tests prove the same on a
real Celery worker): fan-out, coalescing, the signed body, backoff, dead letters, 429, flags."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from omni.models import OutboxEvent
from sales_channels import services, tasks
from sales_channels.connectors.webhook import WebhookConnector, webhook_signature
from sales_channels.models import ChannelEndpoint, Delivery
from tests import factories as f
from tests.queries import assert_num_queries
from tests.sales_channels.conftest import SECRET, endpoint_for, record
from tests.sales_channels.receiver import Receiver, verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_an_event_goes_to_its_channels_endpoints_and_a_channel_less_one_to_every_endpoint(web):
    app = f.ChannelFactory(code="app")
    web_hook = endpoint_for(web, "http://127.0.0.1:9/web")
    app_hook = endpoint_for(app, "http://127.0.0.1:9/app")
    endpoint_for(app, "http://127.0.0.1:9/off", name="off", is_active=False)
    only_prices = endpoint_for(
        web,
        "http://127.0.0.1:9/prices",
        name="prices",
        config={"topics": ["catalog.price.changed"]},
    )
    record(key="availability:1:web", channel=web, topic="inventory.availability.changed")
    record(key="product:1", topic="catalog.product.changed")
    record(key="price:1:web", channel=web, topic="catalog.price.changed")

    result = services.outbox_relay_batch()

    assert result.events == 3
    got = sorted(Delivery.objects.values_list("endpoint__name", "key"))
    assert got == sorted(
        [
            (web_hook.name, "availability:1:web"),
            (web_hook.name, "product:1"),
            (web_hook.name, "price:1:web"),
            (app_hook.name, "product:1"),
            (only_prices.name, "price:1:web"),
        ]
    )
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_changes_to_one_key_fold_into_the_never_tried_delivery_then_a_new_one_starts(web):
    hook = endpoint_for(web, "http://127.0.0.1:9/web")
    first = record(key="availability:7:web", version=3, channel=web, available=5)
    services.outbox_relay_batch()
    record(key="availability:7:web", version=4, channel=web, available=4)
    record(key="availability:7:web", version=5, channel=web, available=3)
    services.outbox_relay_batch()

    delivery = Delivery.objects.get()
    assert (delivery.version, delivery.payload["available"]) == (5, 3)
    assert delivery.occurred_at == first.created_at  # the oldest change folded in

    # Once tried, a newer change makes a delivery of its own (the tried one keeps its id).
    services.deliveries_claim(endpoint=hook, limit=10, lease=60)
    record(key="availability:7:web", version=6, channel=web, available=2)
    services.outbox_relay_batch()
    assert list(Delivery.objects.order_by("id").values_list("version", "attempts")) == [
        (5, 1),
        (6, 0),
    ]


def test_a_stale_version_relayed_late_does_not_replace_a_newer_one(web):
    endpoint_for(web, "http://127.0.0.1:9/web")
    record(key="price:1:web", version=9, channel=web, price="90.00")
    services.outbox_relay_batch()
    record(key="price:1:web", version=8, channel=web, price="80.00")
    services.outbox_relay_batch()

    delivery = Delivery.objects.get()
    assert (delivery.version, delivery.payload["price"]) == (9, "90.00")


def test_a_delivery_arrives_signed_with_its_documented_body_and_headers(web, receiver):
    hook = endpoint_for(web, receiver.url)
    event = record(key="availability:3:web", version=12, channel=web, available=7)

    tasks.outbox_relay()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.attempts == 1
    (body,) = receiver.bodies()
    assert body == {
        "id": str(delivery.delivery_id),
        "topic": "test.changed",
        "key": "availability:3:web",
        "version": 12,
        "occurred_at": event.created_at.isoformat(),
        "data": {"key": "availability:3:web", "version": 12, "available": 7},
    }
    assert receiver.bad_signatures == 0
    hook.refresh_from_db()
    assert hook.last_success_at is not None and not hook.is_failing


def test_a_batching_endpoint_gets_many_deliveries_in_one_signed_request(web, receiver):
    endpoint_for(web, receiver.url, config={"batch": 10})
    for n in range(12):
        record(key=f"availability:{n}:web", version=1, channel=web, available=n)

    tasks.outbox_relay()

    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 12
    assert receiver.requests == 2 and receiver.batches == 2  # 10 + 2
    assert receiver.bad_signatures == 0
    assert sorted(b["data"]["available"] for b in receiver.bodies()) == list(range(12))
    assert {b["id"] for b in receiver.bodies()} == {
        str(i) for i in Delivery.objects.values_list("delivery_id", flat=True)
    }


def test_a_batch_size_out_of_range_is_a_configuration_error(web):
    from sales_channels.connectors.webhook import WebhookConnector

    for bad in (0, 501, "10"):
        hook = endpoint_for(web, "http://127.0.0.1:9/x", name=f"bad {bad}", config={"batch": bad})
        assert "config" in WebhookConnector(hook).check_config()


def test_the_signature_is_an_hmac_of_timestamp_and_body():
    body = b'{"id":"x"}'
    header = webhook_signature(body=body, secrets=["s3cret"], timestamp=1700000000)

    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert not verify(body, header, ["s3cret"])  # too old for the receiver's tolerance
    now = int(time.time())
    fresh = webhook_signature(body=body, secrets=["s3cret"], timestamp=now)
    assert verify(body, fresh, ["s3cret"])
    assert not verify(body + b" ", fresh, ["s3cret"])  # the body was changed
    assert not verify(body, fresh, ["another"])


def test_a_rotated_secret_keeps_signing_with_the_old_one_during_the_grace_period(web):
    hook = endpoint_for(web, "http://127.0.0.1:9/unused")
    hook = services.endpoint_rotate_secret(endpoint=hook, grace=timedelta(hours=1))
    new_secret = hook.signing_secret
    assert new_secret != SECRET and hook.previous_secret == SECRET

    with Receiver(secrets=[SECRET]) as old_only, Receiver(secrets=[new_secret]) as new_only:
        for target in (old_only, new_only):
            ChannelEndpoint.objects.filter(pk=hook.pk).update(url=target.url)
            record(key=f"k:{target.url}", channel=web)
            tasks.outbox_relay()
        assert (len(old_only.bodies()), len(new_only.bodies())) == (1, 1)
        assert old_only.signatures[0].count("v1=") == 2

        # After the grace period only the new secret signs: the old receiver refuses.
        ChannelEndpoint.objects.filter(pk=hook.pk).update(
            url=old_only.url, previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
        )
        record(key="after-grace", channel=web)
        tasks.outbox_relay()
        assert old_only.bad_signatures == 1
        assert old_only.signatures[-1].count("v1=") == 1
    assert Delivery.objects.get(key="after-grace").status == Delivery.Status.DEAD  # a 400


def test_a_failed_delivery_is_retried_after_an_exponential_backoff_with_jitter(web):
    with Receiver(secrets=[SECRET], respond=lambda body: (503, {})) as down:
        hook = endpoint_for(web, down.url)
        record(key="k1", channel=web)
        before = timezone.now()
        tasks.outbox_relay()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert "HTTP 503" in delivery.last_error
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 2.5 - 0.5 <= wait <= 5 + 1  # base 5 s, jitter between half and all of it
    # Exponential, capped, jittered.
    rng = random.Random(1)
    delays = [services.retry_delay(n, rng=rng) for n in range(1, 15)]
    assert all(5 * 2 ** (n - 1) / 2 <= d <= 5 * 2 ** (n - 1) for n, d in enumerate(delays[:9], 1))
    assert max(delays) <= 3600 and delays[-1] >= 1800
    # The retry schedule spans at least 72 hours before a delivery dies.
    assert delivery.retry_until - delivery.created_at == timedelta(hours=72)
    hook.refresh_from_db()
    assert hook.consecutive_failures == 1 and hook.last_success_at is None


def test_a_failure_after_the_retry_window_makes_a_dead_letter(web):
    with Receiver(secrets=[SECRET], respond=lambda body: (500, {})) as down:
        endpoint_for(web, down.url)
        record(key="k1", channel=web)
        services.outbox_relay_batch()
        Delivery.objects.update(retry_until=timezone.now() - timedelta(seconds=1))
        tasks.sync_sweep()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.DEAD, 1)


@pytest.mark.parametrize(("status", "dead"), [(400, True), (404, True), (410, True), (408, False)])
def test_a_4xx_other_than_408_and_429_is_not_retried(web, status, dead):
    with Receiver(secrets=[SECRET], respond=lambda body: (status, {})) as refusing:
        endpoint_for(web, refusing.url)
        record(key="k1", channel=web)
        tasks.outbox_relay()

    delivery = Delivery.objects.get()
    expected = Delivery.Status.DEAD if dead else Delivery.Status.PENDING
    assert (delivery.status, delivery.attempts) == (expected, 1)
    assert f"HTTP {status}" in delivery.last_error


def test_a_429_pauses_the_endpoint_for_its_retry_after_and_the_batch_stops(web):
    calls = []

    def throttle(body):
        calls.append(body["key"])
        return 429, {"Retry-After": "30"}

    with Receiver(secrets=[SECRET], respond=throttle) as busy:
        hook = endpoint_for(web, busy.url, config={"parallel": 1})
        for n in range(5):
            record(key=f"k{n}", channel=web)
        before = timezone.now()
        tasks.outbox_relay()

    assert calls == ["k0"]  # the rest of the batch was not sent
    hook.refresh_from_db()
    assert 29 <= (hook.paused_until - before).total_seconds() <= 31
    waits = [(d.next_attempt_at - before).total_seconds() for d in Delivery.objects.all()]
    assert all(29 <= w <= 31 for w in waits), waits
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.PENDING}
    # Nothing is sent to it while it is paused, even by the sweep.
    assert services.endpoints_due() == []


def test_an_endpoint_that_keeps_failing_is_flagged_and_a_success_clears_the_flag(web, settings):
    settings.OMNI_SYNC_FAILING_AFTER = 3
    failing = {"on": True}
    with Receiver(secrets=[SECRET], respond=lambda b: (500 if failing["on"] else 200, {})) as r:
        hook = endpoint_for(web, r.url, config={"parallel": 4})
        for n in range(3):
            record(key=f"k{n}", channel=web)
        tasks.outbox_relay()
        hook.refresh_from_db()
        assert (hook.is_failing, hook.consecutive_failures) == (True, 3)
        assert hook.failing_since is not None
        # Nothing was dropped: the deliveries wait for their retry.
        assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 3

        failing["on"] = False
        Delivery.objects.update(next_attempt_at=timezone.now())
        tasks.sync_sweep()
    hook.refresh_from_db()
    assert (hook.is_failing, hook.consecutive_failures, hook.failing_since) == (False, 0, None)
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 3


def test_the_rate_limit_spreads_a_backlog_over_time(web, receiver):
    endpoint_for(web, receiver.url, rate_limit_per_second=10, config={"parallel": 2})
    for n in range(15):
        record(key=f"k{n}", channel=web)
    started = time.monotonic()
    tasks.outbox_relay()
    elapsed = time.monotonic() - started

    assert len(receiver.bodies()) == 15
    assert elapsed >= 1.0  # 10 in the first second, 5 in the next
    times = sorted(t for t, _ in receiver.arrivals)
    assert times[-1] - times[0] >= 0.9


def test_a_dead_letter_can_be_retried_with_the_same_delivery_id(web):
    status = {"code": 400}
    with Receiver(secrets=[SECRET], respond=lambda b: (status["code"], {})) as r:
        endpoint_for(web, r.url)
        record(key="k1", channel=web)
        tasks.outbox_relay()
        dead = Delivery.objects.get()
        assert dead.status == Delivery.Status.DEAD

        status["code"] = 200
        assert services.deliveries_retry(delivery_ids=[dead.pk]) == 1
        tasks.sync_sweep()
        (body,) = r.bodies()

    dead.refresh_from_db()
    assert dead.status == Delivery.Status.DELIVERED
    assert body["id"] == str(dead.delivery_id)
    assert dead.retry_until > timezone.now() + timedelta(hours=71)


class Killed(BaseException):
    """The worker process dies (kill -9, the machine falls over): nothing after it runs."""


def test_a_sender_that_dies_with_its_request_in_flight_sends_it_again_after_the_lease(
    web, receiver, monkeypatch
):
    hook = endpoint_for(web, receiver.url)
    record(key="k1", version=1, channel=web)
    services.outbox_relay_batch()

    def dies_mid_send(self, changes):
        raise Killed

    monkeypatch.setattr(WebhookConnector, "send", dies_mid_send)
    with pytest.raises(Killed):
        services.endpoint_drain(endpoint_id=hook.pk)
    monkeypatch.undo()

    # Nothing was booked as sent: the delivery is held for the dead sender's lease...
    claimed = Delivery.objects.get()
    assert (claimed.status, claimed.attempts) == (Delivery.Status.PENDING, 1)
    assert claimed.next_attempt_at > timezone.now()
    assert services.endpoints_due() == []
    # ... and goes out again, with the same delivery id, once it is over.
    Delivery.objects.update(next_attempt_at=timezone.now())
    tasks.sync_sweep()

    claimed.refresh_from_db()
    assert (claimed.status, claimed.attempts) == (Delivery.Status.DELIVERED, 2)
    assert [b["id"] for b in receiver.bodies()] == [str(claimed.delivery_id)]


def test_a_delivery_overtaken_by_a_newer_version_of_its_key_is_never_sent_after_it(web, receiver):
    """Stock 79 is on its way when its sender dies; stock 73 is made and delivered meanwhile.
    When 79's lease is over it is superseded, not sent: the receiver never sees 79 after 73."""
    hook = endpoint_for(web, receiver.url)
    record(key="availability:1:web", version=1, channel=web, available=79)
    services.outbox_relay_batch()
    (held,) = services.deliveries_claim(endpoint=hook, limit=10, lease=60)  # the sender dies
    record(key="availability:1:web", version=2, channel=web, available=73)
    tasks.outbox_relay()  # relayed into a new delivery (the held one was tried) and sent

    Delivery.objects.filter(pk=held.pk).update(next_attempt_at=timezone.now())  # lease over
    tasks.sync_sweep()

    held.refresh_from_db()
    assert (held.status, held.attempts) == (Delivery.Status.SUPERSEDED, 1)
    assert [(b["version"], b["data"]["available"]) for b in receiver.bodies()] == [(2, 73)]
    assert receiver.requests == 1
    assert services.endpoints_due() == []


def test_an_older_delivery_however_it_comes_due_is_superseded_by_a_newer_one(web, receiver):
    """A retry after its backoff, a stale event relayed late, a dead letter retried by hand: once
    a newer delivery of its key exists, the older one is never sent; the newest always is."""
    status = {"code": 503}
    with Receiver(secrets=[SECRET], respond=lambda b: (status["code"], {})) as r:
        hook = endpoint_for(web, r.url)
        record(key="retried", version=1, channel=web)
        record(key="dead", version=1, channel=web)
        tasks.outbox_relay()  # both fail: pending with a backoff
        Delivery.objects.filter(key="dead").update(status=Delivery.Status.DEAD)
        status["code"] = 200
        record(key="retried", version=2, channel=web)
        record(key="dead", version=2, channel=web)
        record(key="stale", version=9, channel=web)
        tasks.outbox_relay()  # the three newest are sent
        record(key="stale", version=8, channel=web)  # an older event relayed late
        services.outbox_relay_batch()
        services.deliveries_retry(
            delivery_ids=Delivery.objects.filter(key="dead", version=1).values_list("id", flat=True)
        )
        Delivery.objects.filter(status=Delivery.Status.PENDING).update(
            next_attempt_at=timezone.now()
        )
        tasks.sync_sweep()
        arrived = [(b["key"], b["version"]) for b in r.bodies()]

    assert sorted(arrived) == [("dead", 2), ("retried", 2), ("stale", 9)]
    superseded = Delivery.objects.filter(endpoint=hook, status=Delivery.Status.SUPERSEDED)
    assert dict(superseded.values_list("key", "version")) == {"retried": 1, "dead": 1, "stale": 8}
    assert not Delivery.objects.filter(status=Delivery.Status.PENDING).exists()


def test_sending_takes_the_same_queries_for_one_delivery_or_many_some_superseded(web, receiver):
    """The superseded check is part of the claim's one statement: no round trip per delivery."""
    hook = endpoint_for(web, receiver.url, config={"batch": 50})
    for size in (1, 20):
        keys = [f"k{size}-{n}" for n in range(size)]
        for key in keys:
            record(key=key, version=1, channel=web)
        services.outbox_relay_batch()
        if size > 1:  # five keys also have an older delivery whose sender died
            for held in services.deliveries_claim(endpoint=hook, limit=5, lease=60):
                record(key=held.key, version=2, channel=web)
            services.outbox_relay_batch()
            Delivery.objects.update(next_attempt_at=timezone.now())
        with assert_num_queries(6):
            services.endpoint_drain(endpoint_id=hook.pk)
    assert Delivery.objects.filter(status=Delivery.Status.SUPERSEDED).count() == 5
    assert len(receiver.bodies()) == 21
    assert receiver.stale == 0


def test_a_relay_that_fails_halfway_loses_and_duplicates_nothing(web, monkeypatch):
    """The relay dies after writing the deliveries of its second batch, before its commit: the
    first batch stays relayed, the second is neither published nor delivered, and the next run
    relays it once."""
    hook = endpoint_for(web, "http://127.0.0.1:9/web")
    for n in range(5):
        record(key=f"k{n}", version=1, channel=web)
    assert services.outbox_relay_batch(limit=3).events == 3
    written = services._deliveries_upsert

    def writes_then_dies(folded):
        written(folded)
        assert Delivery.objects.count() == 5  # the second batch's deliveries were written
        raise Killed

    monkeypatch.setattr(services, "_deliveries_upsert", writes_then_dies)
    with pytest.raises(Killed):
        services.outbox_relay_batch(limit=3)
    monkeypatch.undo()

    assert sorted(OutboxEvent.objects.filter(published_at__isnull=True).values_list("key")) == [
        ("k3",),
        ("k4",),
    ]
    assert sorted(Delivery.objects.values_list("key", flat=True)) == ["k0", "k1", "k2"]
    assert services.outbox_relay_batch(limit=3).events == 2
    assert services.outbox_relay_batch(limit=3).events == 0
    assert sorted(Delivery.objects.filter(endpoint=hook).values_list("key", "attempts")) == [
        (f"k{n}", 0) for n in range(5)
    ]
    assert set(OutboxEvent.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_take_different_events_and_neither_waits_for_the_other(web, monkeypatch):
    """While one relay holds its batch (it has read and locked its events and not committed),
    a second one takes the next events at once: it neither waits for the first nor relays the
    same events again."""
    endpoint_for(web, "http://127.0.0.1:9/web")
    for n in range(10):
        record(key=f"k{n}", version=1, channel=web)
    holding, release = threading.Event(), threading.Event()
    written = services._deliveries_upsert
    first_thread: list[threading.Thread] = []

    def upsert(folded):
        if threading.current_thread() is first_thread[0]:
            holding.set()
            release.wait(20)
        written(folded)

    monkeypatch.setattr(services, "_deliveries_upsert", upsert)
    relayed: dict[str, int] = {}

    def relay(name: str) -> None:
        try:
            relayed[name] = services.outbox_relay_batch(limit=5).events
        finally:
            connection.close()

    first = threading.Thread(target=relay, args=("first",))
    first_thread.append(first)
    first.start()
    try:
        assert holding.wait(10)
        second = threading.Thread(target=relay, args=("second",))
        second.start()
        second.join(5)
        second_waited = second.is_alive()
    finally:
        release.set()
        first.join(20)
    second.join(20)

    assert not second_waited, "the second relay waited for the rows the first one held"
    assert relayed == {"first": 5, "second": 5}
    assert set(OutboxEvent.objects.values_list("attempts", flat=True)) == {1}
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert sorted(Delivery.objects.values_list("key", flat=True)) == sorted(
        f"k{n}" for n in range(10)
    )


def test_one_trigger_per_transaction_however_many_events(web):
    with transaction.atomic():
        for n in range(5):
            record(key=f"k{n}", channel=web)
        from omni.outbox import _relay_after_commit

        hooks = [e for e in connection.run_on_commit if e[1] is _relay_after_commit]
        assert len(hooks) == 1


def test_relayed_events_and_delivered_deliveries_are_pruned_after_their_keep_days(web, receiver):
    endpoint_for(web, receiver.url)
    record(key="old", channel=web)
    record(key="overtaken", channel=web)
    tasks.outbox_relay()
    Delivery.objects.filter(key="overtaken").update(status=Delivery.Status.SUPERSEDED)
    record(key="unrelayed", channel=web)
    long_ago = timezone.now() - timedelta(days=8)
    OutboxEvent.objects.update(created_at=long_ago)
    Delivery.objects.update(created_at=long_ago)

    assert services.outbox_prune() == 4

    assert list(OutboxEvent.objects.values_list("key", flat=True)) == ["unrelayed"]
    assert not Delivery.objects.exists()


def test_the_relay_runs_a_fixed_number_of_queries_whatever_the_batch(web):
    endpoint_for(web, "http://127.0.0.1:9/a")
    endpoint_for(web, "http://127.0.0.1:9/b", name="b")
    for size in (1, 50):
        for n in range(size):
            record(key=f"k{size}-{n}", channel=web)
        with assert_num_queries(6):
            services.outbox_relay_batch()
    assert Delivery.objects.count() == 102


def test_the_body_is_json_with_turkish_letters_kept(web, receiver):
    endpoint_for(web, receiver.url)
    record(key="product:1", channel=web, name="Keten gömlek İğne")
    tasks.outbox_relay()
    assert receiver.bodies()[0]["data"]["name"] == "Keten gömlek İğne"
    assert json.dumps(receiver.bodies()[0], ensure_ascii=False)


@pytest.mark.django_db(transaction=True)
def test_a_sender_lock_that_cannot_be_given_back_ends_with_its_session(web):
    """A worker keeps its connection from task to task, so a sender's session lock that the
    unlock failed to release (here: the caller's transaction had failed) must not stay held
    by that connection: it is closed, and the next sender can take the endpoint."""
    import psycopg
    from django.db import DatabaseError

    endpoint = endpoint_for(web, "http://127.0.0.1:9/web")
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        services._endpoint_lock(endpoint.pk) as got,
        connection.cursor() as cursor,
    ):
        assert got
        cursor.execute("SELECT 1 / 0")  # the transaction fails; the unlock then cannot run

    params = connection.get_connection_params()
    with psycopg.connect(
        dbname=params["dbname"], host=params.get("host"), port=params.get("port"),
        user=params.get("user"), autocommit=True,
    ) as other:  # fmt: skip
        taken = other.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [services._LOCK_SPACE, endpoint.pk]
        ).fetchone()[0]
    assert taken, "the lock is still held by the failed sender's connection"
