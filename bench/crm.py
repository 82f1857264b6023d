"""CRM benchmark: the customer timeline's read latency and the event-ingest rate, over HTTP.

    python bench/crm.py [--customers 5000] [--events 100000] [--heavy 10000]
                        [--reads 400] [--ingest 40000] [--clients 4] [--workers 2]

The full size of issue 15: --customers 100000 --events 2000000.

Uses its own PostgreSQL database, BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/omni_bench_crm, created if missing and migrated) and Redis
db 12 (BENCH_REDIS_URL) as the broker and cache, and serves the app with gunicorn (--workers
processes, omni.settings.local with DJANGO_DEBUG=false) on a free local port.

Seeds --customers customers with --events timeline events spread over a year (one INSERT ...
SELECT from generate_series, so the full size seeds in minutes), plus one customer with --heavy
events. Then:

  timeline read  --reads GETs of the heavy customer's timeline by a store staff member
                 (/api/v1/staff/customers/{id}/timeline/), one client: a third first pages, a
                 third pages deep in the stream (by the cursor of an earlier page), a third
                 filtered by kind; p50 and p95 of the request. Goal: p95 under 50 ms.
  ingest         --clients threads POST batches of 500 anonymous behavioural events to
                 /api/v1/events/ until --ingest events are sent, then the same batches again (a
                 replay, which must store nothing new); events stored per second of the first
                 pass. Goal: at least 2,000 events/s on 2 cores.
  metrics        the full recompute of every customer's metrics (crm_recompute's service) is
                 timed; then, with real Celery workers (--celery-workers processes of
                 --concurrency) on the bench's Redis, --lag-orders orders are placed one by one
                 through checkout (order_place) for random customers, and the time from the
                 commit until that customer's metrics row counts the order (polled every 10 ms)
                 is the lag: the outbox relay, the metrics consumer, the task per customer.
                 Goal: p95 under 5 s.

  segment        a full recompute (customers.segments.segment_recompute) of a segment over
                 consents, behaviour and channel (BENCH_SEGMENT) over every customer, from
                 empty, then again (which must record nothing). Goal: under 30 s.

Customers get commercial e-mail consents (two in three, a tenth of those withdrawn later) and
events on a web, an app and a store channel. It ends with one JSON line with timeline_p95_ms,
ingest_events_per_s, segment_recompute_s, metrics_recompute_s and metric_lag_p95_s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import ensure_database, percentile, stop_process_groups  # noqa: E402

BATCH = 500
BEHAVIOUR = ["product_viewed", "search", "cart_started", "cart_changed", "cart_abandoned"]
ALL_KINDS = [*BEHAVIOUR, "order_placed", "order_status", "store_visit", "staff_note"]


def _fail(message: str) -> None:
    raise SystemExit(f"bench/crm.py: {message}")


# --- seeding ----------------------------------------------------------------------------------


def _channels() -> dict[str, int]:
    from sales_channels.models import Channel

    ids = {}
    for code, kind in (
        ("web", Channel.Kind.WEB),
        ("app", Channel.Kind.APP),
        ("kadikoy", Channel.Kind.STORE),
    ):
        channel, _ = Channel.objects.get_or_create(
            code=code, defaults={"name": code.title(), "kind": kind, "currency": "TRY"}
        )
        ids[code] = channel.pk
    return ids


def _seed(customers: int, events: int, heavy: int, channels: dict[str, int]) -> int:
    """customers and events, returning the heavy customer's id. Event rows are made by the
    database itself: building millions of model objects would measure Python, not the CRM."""
    from django.db import connection

    from customers.models import Customer, TimelineEvent

    table = TimelineEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
    from orders.models import Order

    # A run's orders stay, as guests' (an order keeps its customer from being deleted).
    Order.objects.filter(customer__email__endswith="@bench-crm.example").update(customer=None)
    Customer.objects.filter(email__endswith="@bench-crm.example").delete()
    now = dt.datetime.now(dt.UTC)
    rows = [
        Customer(
            email=f"c{n}@bench-crm.example",
            first_name="Ayşe",
            last_name=f"Bench {n}",
            created_at=now,
            updated_at=now,
        )
        for n in range(customers + 1)
    ]
    made = Customer.objects.bulk_create(rows, batch_size=5000)
    ids = sorted(c.pk for c in made)
    heavy_id, first, last = ids[0], ids[1], ids[-1]
    insert = (
        f"INSERT INTO {table} (customer_id, kind, channel_id, occurred_at, recorded_at, data,"  # noqa: S608
        " source, event_id)"
        " SELECT {customer}, (%s::text[])[1 + floor(random() * %s)::int],"
        " (%s::bigint[])[1 + floor(random() * 3)::int],"
        " now() - (random() * interval '365 days'), now(),"
        " jsonb_build_object('sku', 'SKU-' || (g %% 5000),"
        " 'category', 'cat-' || floor(random() * 40)::int),"
        " %s, g::text FROM generate_series(1, %s) AS g"
    )
    channel_ids = [channels["web"], channels["app"], channels["kadikoy"]]
    with connection.cursor() as cursor:
        cursor.execute(
            insert.format(customer=f"{first} + (g %% {last - first + 1})"),
            [ALL_KINDS, len(ALL_KINDS), channel_ids, "bench", events],
        )
        cursor.execute(
            insert.format(customer=str(heavy_id)),
            [ALL_KINDS, len(ALL_KINDS), channel_ids, "bench-heavy", heavy],
        )
        cursor.execute(f"VACUUM ANALYZE {table}")
    _seed_consents(first, last)
    return heavy_id


def _seed_consents(first: int, last: int) -> None:
    """Commercial e-mail consent for two customers in three, in IYS; one in ten of those
    withdrew it later (segments read the latest decision)."""
    from django.db import connection

    from customers.models import ConsentDecision

    table = ConsentDecision._meta.db_table
    insert = (
        f"INSERT INTO {table} (customer_id, type, recipient_type, status, recipient, source,"  # noqa: S608
        " decided_at, text_version, created_at, push_state, push_attempts, push_error,"
        " iys_transaction_id)"
        " SELECT c.id, 'EPOSTA', 'BIREYSEL', %s, lower(c.email), 'web',"
        " now() - %s * interval '1 day', 'v1', now(), 'sent', 0, '', ''"
        " FROM customers_customer c WHERE c.id BETWEEN %s AND %s AND c.id %% %s = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
        for remainder in (1, 2):  # two in three
            cursor.execute(insert, ["ONAY", 100, first, last, 3, remainder])
        cursor.execute(insert, ["RET", 10, first, last, 30, 1])  # a tenth of those
        cursor.execute(f"VACUUM ANALYZE {table}")


# Consents, behaviour and channel together: may be e-mailed, showed intent in the last 30 days
# (abandoned a cart or viewed a category), and bought in a store but never online.
BENCH_SEGMENT = {
    "all": [
        {"field": "may_email", "op": "eq", "value": True},
        {
            "any": [
                {"field": "cart_abandoned", "op": "eq", "value": True, "days": 30},
                {"field": "viewed_category", "op": "eq", "value": "cat-7", "days": 30},
            ]
        },
        {"field": "bought_on_channel_kind", "op": "eq", "value": "store"},
        {"not": {"field": "bought_on_channel_kind", "op": "in", "value": ["web", "app"]}},
    ]
}


def _segment_recompute() -> tuple[float, int, float]:
    """A full recompute of BENCH_SEGMENT over every customer from empty (every member an
    entry), then again (nothing changes): the seconds of each and the members."""
    from customers import segments
    from customers.models import Segment

    Segment.objects.filter(name="bench").delete()
    segment = Segment.objects.create(name="bench", rules=BENCH_SEGMENT)
    started = time.perf_counter()
    first = segments.segment_recompute(segment_id=segment.pk)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = segments.segment_recompute(segment_id=segment.pk)
    repeat = time.perf_counter() - started
    if again.entered or again.exited:
        _fail(f"a second recompute recorded {again}")
    return seconds, first.entered, repeat


def _staff_token() -> str:
    from accounts.models import DeviceToken, User

    user = User.objects.filter(email="staff@bench-crm.example").first()
    if user is None:
        user = User.objects.create_user(
            email="staff@bench-crm.example", password=uuid.uuid4().hex, role=User.Role.STORE_STAFF
        )
    return DeviceToken.objects.create(user=user)[1]


# --- the server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int, workers: int, log: Path):
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omni.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": redis,
        "CELERY_BROKER_URL": redis,
        # One local client stands in for thousands of app installs: the events API's
        # per-client and per-address limits would measure the limit, not the ingest.
        "OMNI_THROTTLE_RATES": "events.client=1000000/m,events.address=1000000/m",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "omni.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--backlog", "256",
        "--log-level", "warning",
    ]  # fmt: skip
    log.parent.mkdir(exist_ok=True)
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            _fail(f"gunicorn exited at start; see {log}:\n{log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/channels/?channel=web")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_process_groups([server])
    _fail(f"gunicorn did not answer within 60 s; see {log}")
    return None


def _call(conn, method: str, path: str, body=None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        _fail(f"{method} {path}: {response.status} {data[:500]!r}")
    return json.loads(data)


# --- the measures -----------------------------------------------------------------------------


def _reads(port: int, token: str, customer_id: int, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    base = f"/api/v1/staff/customers/{customer_id}/timeline/"
    rng = random.Random(15)
    cursors: list[str] = []
    timings = []
    for n in range(count):
        if n % 3 == 0 or not cursors:
            path = base
        elif n % 3 == 1:
            path = f"{base}?cursor={rng.choice(cursors)}"
        else:
            path = f"{base}?kind={rng.choice(BEHAVIOUR)}&kind=order_placed"
        started = time.perf_counter()
        page = _call(conn, "GET", path, token=token)
        timings.append((time.perf_counter() - started) * 1000)
        if page["next_cursor"] and len(cursors) < 200:
            cursors.append(page["next_cursor"])
    return timings


def _batches(total: int) -> list[dict]:
    now = dt.datetime.now(dt.UTC)
    batches = []
    for b in range((total + BATCH - 1) // BATCH):
        visitor = str(uuid.uuid4())
        events = [
            {
                "id": f"{visitor[:8]}-{b}-{n}",
                "kind": BEHAVIOUR[n % len(BEHAVIOUR)],
                "occurred_at": (now - dt.timedelta(seconds=n)).isoformat(),
                "data": {"sku": f"SKU-{n % 300}", "q": "elbise"},
            }
            for n in range(min(BATCH, total - b * BATCH))
        ]
        # No visitor token: the server starts a visitor per batch, as for a first visit.
        batches.append({"events": events})
    return batches


def _ingest(port: int, batches: list[dict], clients: int) -> float:
    """Seconds to send every batch with `clients` threads, each with its own connection."""
    queue = list(enumerate(batches))
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    errors: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        while True:
            with lock:
                if not queue:
                    return
                _index, batch = queue.pop()
            try:
                answer = _call(conn, "POST", "/api/v1/events/?channel=app", batch)
            except SystemExit as exc:
                errors.append(str(exc))
                return
            if answer["rejected"]:
                errors.append(f"rejected: {answer['rejected'][:2]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        _fail(errors[0])
    return time.perf_counter() - started


# --- metrics ----------------------------------------------------------------------------------


def _shop(channels: dict[str, int]):
    """The web channel selling one stocked product with home delivery, through the factories."""
    from inventory.models import StockLocation
    from orders.services import checkout
    from sales_channels.models import Channel
    from tests import factories as f

    web = Channel.objects.get(pk=channels["web"])
    dc = f.StockLocationFactory(code="bench-crm-dc", kind=StockLocation.Kind.WAREHOUSE)
    f.sells_from(web, dc)
    from catalog.models import ProductVariant

    variant = ProductVariant.objects.filter(product__name_tr="Bench CRM").first()
    if variant is None:
        variant = f.product(channels=[web], price="100.00", name="Bench CRM").variants.get()
    f.stocked(web, variant, quantity=100_000, location=dc)
    method = f.ShippingMethodFactory(channel=web)
    delivery = checkout.delivery_build(
        channel=web, method="home", shipping_method=method.code, address=f.ADDRESS
    )
    return web, variant, delivery


def _start_workers(count: int, concurrency: int, log: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "celery", "-A", "omni", "worker", "-c", str(concurrency),
               "-l", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    return [
        subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [*command, "-n", f"bench-crm-{n}@%h"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=log.open("ab"),
        )
        for n in range(count)
    ]


def _lags(customer_ids: list[int], count: int, shop) -> list[float]:
    """Seconds from each order's commit until its customer's metrics count it."""
    from customers.models import Customer, CustomerMetrics
    from orders.services import carts, checkout

    web, variant, delivery = shop
    rng = random.Random(15)
    lags = []
    for _ in range(count):
        customer_id = rng.choice(customer_ids)
        before = (
            CustomerMetrics.objects.filter(customer_id=customer_id)
            .values_list("orders_count", flat=True)
            .first()
            or 0
        )
        customer = Customer.objects.get(pk=customer_id)
        cart = carts.cart_for_customer(customer=customer, channel=web)
        carts.cart_add(cart=cart, channel=web, variant_id=variant.pk, quantity=1)
        checkout.order_place(cart=cart, channel=web, delivery=delivery, customer=customer)
        committed = time.perf_counter()
        while not CustomerMetrics.objects.filter(
            customer_id=customer_id, orders_count__gt=before
        ).exists():
            if time.perf_counter() - committed > 60:
                _fail(f"customer {customer_id}'s metrics did not count the order within 60 s")
            time.sleep(0.01)
        lags.append(time.perf_counter() - committed)
        time.sleep(0.05)
    return lags


def _metrics(args, channels: dict[str, int]) -> tuple[float, list[float]]:
    from customers.metrics import metrics_recompute_all
    from customers.models import Customer
    from omni.celery import app

    shop = _shop(channels)
    started = time.perf_counter()
    result = metrics_recompute_all()
    recompute = time.perf_counter() - started
    print(f"metrics: full recompute of {result.customers} customers in {recompute:.1f} s")
    app.conf.update(task_always_eager=False)
    ids = list(
        Customer.objects.filter(email__endswith="@bench-crm.example").values_list("pk", flat=True)
    )
    workers = _start_workers(
        args.celery_workers, args.concurrency, ROOT / "var" / "bench-crm-workers.log"
    )
    try:
        time.sleep(3)  # the workers connect
        _lags(ids, 3, shop)  # warm them
        lags = _lags(ids, args.lag_orders, shop)
    finally:
        stop_process_groups(workers)
    print(
        f"metric lag ({args.lag_orders} orders): p50 {percentile(lags, 50):.2f} s,"
        f" p95 {percentile(lags, 95):.2f} s (goal < 5)"
    )
    return recompute, lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--heavy", type=int, default=10_000, help="events of the read customer")
    parser.add_argument("--reads", type=int, default=400)
    parser.add_argument("--ingest", type=int, default=40_000, help="events to ingest")
    parser.add_argument("--clients", type=int, default=4, help="ingest client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--lag-orders", type=int, default=40, help="orders timed for the lag")
    parser.add_argument("--celery-workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=2, help="pool size of each")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omni_bench_crm")
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "omni.settings.local"
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    os.environ["REDIS_URL"] = redis
    os.environ["CELERY_BROKER_URL"] = redis

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from customers.models import TimelineEvent

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    channels = _channels()
    heavy_id = _seed(args.customers, args.events, args.heavy, channels)
    token = _staff_token()
    print(
        f"seeded {args.customers} customers, {args.events} events and one customer with"
        f" {args.heavy} in {time.monotonic() - started:.1f} s"
    )
    connection.close()

    port = _free_port()
    server = _start_server(port, args.workers, ROOT / "var" / "bench-crm-gunicorn.log")
    try:
        _reads(port, token, heavy_id, 20)  # warm the workers
        timings = _reads(port, token, heavy_id, args.reads)
        p50, p95 = percentile(timings, 50), percentile(timings, 95)
        print(
            f"timeline read ({args.heavy} events): p50 {p50:.1f} ms, p95 {p95:.1f} ms (goal < 50)"
        )

        batches = _batches(args.ingest)
        before = TimelineEvent.objects.count()
        seconds = _ingest(port, batches, args.clients)
        stored = TimelineEvent.objects.count() - before
        rate = stored / seconds
        replay_seconds = _ingest(port, batches, args.clients)
        replayed = TimelineEvent.objects.count() - before - stored
        print(
            f"ingest: {stored} events in {seconds:.1f} s = {rate:.0f} events/s (goal >= 2000),"
            f" {args.clients} clients, batches of {BATCH}; replay {replay_seconds:.1f} s,"
            f" stored {replayed} more"
        )
        if stored != args.ingest or replayed:
            _fail(f"stored {stored} of {args.ingest}, and {replayed} on the replay")
    finally:
        stop_process_groups([server])
    recompute, lags = _metrics(args, channels)

    recompute_s, members, repeat_s = _segment_recompute()
    print(
        f"segment recompute over {args.customers} customers: {recompute_s:.2f} s"
        f" ({members} entered; again, nothing changed: {repeat_s:.2f} s) (goal < 30)"
    )

    print(
        json.dumps(
            {
                "customers": args.customers,
                "events": args.events + args.heavy,
                "timeline_p50_ms": round(p50, 1),
                "timeline_p95_ms": round(p95, 1),
                "ingest_events_per_s": round(rate),
                "segment_recompute_s": round(recompute_s, 2),
                "metrics_recompute_s": round(recompute, 1),
                "metric_lag_p50_s": round(percentile(lags, 50), 2),
                "metric_lag_p95_s": round(percentile(lags, 95), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
