"""Channel sync benchmark: commit -> arrival latency of stock changes at a steady rate.

Commits stock changes (stock_adjust, +1/-1 in turn) at --rate per second over --variants
variants for --seconds, while real Celery workers (subprocesses, `celery -A omni worker`) on
Redis and PostgreSQL relay them to --channels channels, each with a signed webhook endpoint
at a local receiver (a threaded http.server in this process that checks every signature).
Every channel sells from the one distribution centre, so each change reaches every channel.
Each endpoint takes up to --batch deliveries per signed request (config.batch; --batch 1 sends
one request per change).

Prints p50/p95/max latency from commit to arrival (a change folded into a later delivery is
counted as arriving with it), deliveries per change and channel (below 1: coalescing), lost
changes (a committed version that never reached its channel; must be 0), and one JSON line.

Uses its own database, BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/omni_bench_sync), and Redis at BENCH_REDIS_URL (default
redis://127.0.0.1:6379/13), on a queue of its own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import ensure_database, percentile, stop_process_groups  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/omni_bench_sync"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
QUEUE = "celery"  # the default queue, on a Redis database of the bench's own
SECRET = "whsec_bench_0123456789"


def setup_django(db_url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["CELERY_BROKER_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"
    import django

    django.setup()
    from omni.celery import app

    app.conf.update(task_always_eager=False)


def seed(variants: int, channels: int):
    """Channels bench-1..N selling from one DC, `variants` variants with 1,000 units each."""
    from catalog.models import ProductVariant
    from inventory import services as inventory
    from inventory.models import StockLocation
    from sales_channels.models import Channel
    from tests import factories as f

    chans = [
        f.ChannelFactory(code=f"bench-{n}", kind=Channel.Kind.WEB) for n in range(1, channels + 1)
    ]
    dc = f.StockLocationFactory(code="bench-dc", kind=StockLocation.Kind.WAREHOUSE)
    for channel in chans:
        f.sells_from(channel, dc)
    have = ProductVariant.objects.filter(sku__startswith="SKU-").count()
    while have < variants:
        f.product(variants=min(10, variants - have), name=f"Bench {have}")
        have = ProductVariant.objects.filter(sku__startswith="SKU-").count()
    ids = list(ProductVariant.objects.order_by("id").values_list("id", flat=True)[:variants])
    from inventory.models import Stock

    stocked = set(Stock.objects.filter(location=dc).values_list("variant_id", flat=True))
    missing = [vid for vid in ids if vid not in stocked]
    for start in range(0, len(missing), 200):
        inventory.stock_receive_many(
            location=dc, lines={vid: 1000 for vid in missing[start : start + 200]}
        )
    return chans, dc, ids


def start_workers(count: int, concurrency: int) -> list[subprocess.Popen]:
    env = {**os.environ}
    procs = []
    (ROOT / "var").mkdir(exist_ok=True)
    log = (ROOT / "var" / "bench-sync-workers.log").open("ab")  # the workers' warnings
    for n in range(count):
        procs.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "omni",
                    "worker",
                    "-Q",
                    QUEUE,
                    "-c",
                    str(concurrency),
                    "-l",
                    "WARNING",
                    "-n",
                    f"bench-sync-{n}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        )
    return procs


def write(part, parts, ids, location_id, start, rate, total):
    """A writer process: commits its share of the changes (the n-th at start + n/rate) on its
    own variants, so each variant's versions come from one writer. Returns
    ({(variant, version): commit time}, errors, seconds late)."""
    from django.db import connection

    from catalog.models import ProductVariant
    from inventory import services as inventory
    from inventory.models import StockLocation, VariantInventory

    connection.close()
    mine = [vid for vid in ids if vid % parts == part]
    variants = ProductVariant.objects.in_bulk(mine)
    location = StockLocation.objects.get(pk=location_id)
    versions = dict(
        VariantInventory.objects.filter(variant_id__in=mine).values_list("variant_id", "version")
    )
    rng = random.Random(part)
    sign: dict[int, int] = defaultdict(lambda: -1)
    commits, errors, late = {}, [], []
    for n in range(part, total, parts):
        pause = start + n / rate - time.time()
        if pause > 0:
            time.sleep(pause)
        else:
            late.append(-pause)
        vid = rng.choice(mine)
        sign[vid] = -sign[vid]
        try:
            inventory.stock_adjust(
                variant=variants[vid], location=location, delta=sign[vid], reason="bench"
            )
        except Exception as exc:
            errors.append(repr(exc))
            continue
        versions[vid] += 1
        commits[vid, versions[vid]] = time.time()
    connection.close()
    return commits, errors, late


def sweeper(stop: threading.Event, tasks) -> None:
    while not stop.wait(5.0):  # what beat does
        tasks.sync_sweep.delay()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="stock changes per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--variants", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="pool size of each")
    parser.add_argument("--writers", type=int, default=4, help="committing threads")
    parser.add_argument(
        "--batch",
        type=int,
        default=50,
        help="deliveries per webhook request (the endpoint's config.batch; 1: one per change)",
    )
    args = parser.parse_args()

    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    ensure_database(db_url)
    setup_django(db_url, redis_url)

    from django.core.management import call_command
    from django.db import connection

    from omni.celery import app
    from omni.models import OutboxEvent
    from sales_channels import tasks
    from sales_channels.models import ChannelEndpoint, Delivery
    from tests.sales_channels.receiver import Receiver

    call_command("migrate", verbosity=0)
    print("seeding (first run only takes a while)...", flush=True)
    chans, dc, ids = seed(args.variants, args.channels)
    # Start clean: nothing from the seeding or an earlier run waits.
    OutboxEvent.objects.filter(published_at__isnull=True).update(published_at=time_now())
    Delivery.objects.all().delete()
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(QUEUE)
    import redis

    r = redis.Redis.from_url(redis_url)
    for key in r.scan_iter(f"omni:sync:{connection.settings_dict['NAME']}:*"):
        r.delete(key)
    code_of = {c.pk: c.code for c in chans}

    with Receiver(secrets=[SECRET]) as receiver:
        ChannelEndpoint.objects.filter(channel__code__startswith="bench-").delete()
        for channel in chans:
            ChannelEndpoint.objects.create(
                channel=channel,
                name=f"{channel.code} receiver",
                kind="webhook",
                url=receiver.url,
                signing_secret=SECRET,
                rate_limit_per_second=0,
                timeout_seconds=5,
                config={
                    "parallel": 8,
                    "batch": args.batch,
                    "topics": ["inventory.availability.changed"],
                },
            )
        procs = start_workers(args.workers, args.concurrency)
        time.sleep(3.0)  # workers up
        start = time.time() + 1.0
        total = int(args.rate * args.seconds)
        connection.close()  # each writer process opens its own
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(args.writers) as pool:
            stop = threading.Event()
            threading.Thread(target=sweeper, args=(stop, tasks), daemon=True).start()
            results = pool.starmap(
                write,
                [
                    (p, args.writers, ids, dc.pk, start, args.rate, total)
                    for p in range(args.writers)
                ],
            )
        ended = time.time()
        commits: dict[tuple[int, int], float] = {}
        errors: list[str] = []
        behind: list[float] = []
        for got, errs, late in results:
            commits.update(got)
            errors += errs
            behind += late
        committed = len(commits)

        final = {}
        for vid, version in commits:
            final[vid] = max(final.get(vid, 0), version)

        def arrived_all() -> bool:
            with receiver.lock:
                latest = dict(receiver.latest)
            return all(
                latest.get(f"availability:{vid}:{cid}", -1) >= v
                for vid, v in final.items()
                for cid in code_of
            )

        deadline = time.time() + 60
        while not arrived_all() and time.time() < deadline:
            time.sleep(0.2)
        drained = time.time()
        stop.set()
        stop_process_groups(procs)

    # Latency: each committed version arrives with the first delivery of a version >= it.
    by_key: dict[tuple[int, int], list[tuple[float, int]]] = defaultdict(list)
    for at, body in receiver.arrivals:
        _, vid, cid = body["key"].split(":")
        by_key[int(vid), int(cid)].append((at, body["version"]))
    latencies, lost = [], 0
    per_variant: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (vid, version), at in commits.items():
        per_variant[vid].append((version, at))
    for vid, changes in per_variant.items():
        for cid in code_of:
            arrivals = sorted(by_key.get((vid, cid), []))
            for version, at in changes:
                hit = next((t for t, v in arrivals if v >= version), None)
                if hit is None:
                    lost += 1
                else:
                    latencies.append(max(0.0, hit - at))
    deliveries = len(receiver.arrivals)
    changes = committed * len(code_of)
    result = {
        "bench": "sync",
        "rate": args.rate,
        "achieved_rate": round(committed / max(1e-9, ended - start), 1),
        "changes": committed,
        "channels": len(code_of),
        "variants": args.variants,
        "batch": args.batch,
        "requests": receiver.requests,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "deliveries": deliveries,
        "deliveries_per_change": round(deliveries / changes, 3) if changes else None,
        "lost": lost,
        "duplicates_dropped": receiver.duplicates,
        "bad_signatures": receiver.bad_signatures,
        "stale_dropped": receiver.stale,
        "errors": len(errors),
        "drain_seconds": round(drained - ended, 2),
        "writer_late_p95_ms": round(percentile(behind, 95) * 1000, 1) if behind else 0.0,
    }
    print(
        f"{committed} stock changes at {result['achieved_rate']}/s over {args.variants} variants "
        f"to {len(code_of)} channels: commit -> arrival p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms, max {result['max_ms']} ms"
    )
    print(
        f"deliveries per change and channel {result['deliveries_per_change']} "
        f"({deliveries} for {changes}), lost {lost}, duplicates dropped {receiver.duplicates}, "
        f"bad signatures {receiver.bad_signatures}, errors {len(errors)}"
    )
    if errors:
        print("first error:", errors[0])
    print(json.dumps(result))


def time_now():
    from django.utils import timezone

    return timezone.now()


if __name__ == "__main__":
    main()
