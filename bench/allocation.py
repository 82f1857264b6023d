"""Allocation benchmark: concurrent one-unit orders through services.stock_allocate against a
raw-SQL baseline that does the least an order must do.

    python bench/allocation.py [--workers 8] [--orders 2000] [--variants 1000]

Uses its own PostgreSQL database, BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/omni_bench_alloc, created if missing and migrated). One
channel sells from two locations. --workers threads, each with its own database connection,
are released together and place --orders orders of one unit each:

  hot     every order on one variant;
  spread  each order on one of --variants variants, chosen at random.

Stock is sized so that the last orders find nothing left (about 1 in 20 is refused), so an
oversell would show. The baseline, in the same process and on the same database, runs the same
orders as one transaction each: a conditional UPDATE of the stock row (allocated + 1 where
something is free), then an order row, a line row and an outbox row (three minimal tables it
makes itself). For both it prints orders per second, p50 and p95 latency, how long the hot row
stays locked, oversold units (from the database afterwards) and deadlocks, the ratio ours/raw,
and the statements run inside stock_allocate's transaction; it ends with one JSON line.
Goal: 0 oversold, 0 deadlocks, ours at least half of raw on the hot variant.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import ensure_database, percentile  # noqa: E402

SKU_PREFIX = "BENCH-ALLOC"
REFUSE_ONE_IN = 20


# --- the world ------------------------------------------------------------------------------

RAW_TABLES = """
CREATE TABLE IF NOT EXISTS bench_raw_order (
    id bigserial PRIMARY KEY,
    reference varchar(120) NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bench_raw_order_line (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES bench_raw_order (id),
    variant_id bigint NOT NULL,
    stock_id bigint NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0)
);
CREATE TABLE IF NOT EXISTS bench_raw_outbox (
    id bigserial PRIMARY KEY,
    topic varchar(64) NOT NULL,
    key varchar(128) NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""


@dataclass
class World:
    channel: object
    locations: list  # the channel's two locations, in its priority order
    hot: int  # variant id
    spread: list[int]
    warm: int


def _world(n_variants: int) -> World:
    from catalog import services as catalog_services
    from catalog.models import Category, ProductVariant, TaxClass
    from inventory.models import ChannelLocation, StockLocation
    from sales_channels.models import Channel

    channel, _ = Channel.objects.get_or_create(
        code="bench-web", defaults={"name": "Bench web", "kind": Channel.Kind.WEB}
    )
    locations = []
    for priority, (code, city, lat, lon) in enumerate(
        [
            ("bench-dc-1", "Kocaeli", "40.853300", "29.881500"),
            ("bench-dc-2", "İzmir", "38.423700", "27.142800"),
        ]
    ):
        location, _ = StockLocation.objects.get_or_create(
            code=code,
            defaults={
                "name": code,
                "kind": StockLocation.Kind.WAREHOUSE,
                "city": city,
                "latitude": lat,
                "longitude": lon,
            },
        )
        ChannelLocation.objects.update_or_create(
            channel=channel, location=location, defaults={"priority": priority}
        )
        locations.append(location)

    wanted = n_variants + 2  # the hot one, the warm-up one and the spread
    have = ProductVariant.objects.filter(sku__startswith=SKU_PREFIX).count()
    if have < wanted:
        category = Category.objects.filter(slug="bench-alloc").first()
        if category is None:
            category = Category.objects.add_root({"slug": "bench-alloc", "name_tr": "Bench"})
        tax, _ = TaxClass.objects.get_or_create(
            code="kdv-20", defaults={"name_tr": "KDV %20", "rate": 20}
        )
        for start in range(have, wanted, 100):
            catalog_services.product_create(
                name_tr=f"Bench ürün {start}",
                category=category,
                tax_class=tax,
                variants=[
                    {"sku": f"{SKU_PREFIX}-{n:05d}", "sort_order": n % 100}
                    for n in range(start, min(start + 100, wanted))
                ],
            )
    ids = list(
        ProductVariant.objects.filter(sku__startswith=SKU_PREFIX)
        .order_by("sku")
        .values_list("id", flat=True)[:wanted]
    )
    return World(channel, locations, hot=ids[0], warm=ids[1], spread=ids[2:])


def _reset_inventory() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE inventory_allocation, inventory_stockmovement, inventory_reservation, "
            "inventory_lowstockalert, inventory_transferline, inventory_transfer, "
            "inventory_stock, inventory_variantinventory, omni_outboxevent, "
            "bench_raw_outbox, bench_raw_order_line, bench_raw_order RESTART IDENTITY"
        )


def _vacuum() -> None:
    """Both contenders start from tables without the dead rows the other left."""
    import environ
    import psycopg

    cfg = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    with psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname=cfg["NAME"],
        autocommit=True,
    ) as conn:
        conn.execute(
            "VACUUM (ANALYZE) inventory_stock, inventory_variantinventory, inventory_allocation, "
            "inventory_stockmovement, omni_outboxevent, bench_raw_order, bench_raw_order_line, "
            "bench_raw_outbox"
        )


def _stock(world: World, demand: Counter) -> dict[int, int]:
    """Receive, through the services, a little less than the orders will ask for: the demand of
    each variant, one unit less for one variant in REFUSE_ONE_IN (and for the hot one, one unit
    in REFUSE_ONE_IN), split over the two locations. Returns {variant id: units}."""
    from inventory import services

    units = {}
    for n, (vid, asked) in enumerate(sorted(demand.items())):
        if len(demand) == 1:
            units[vid] = asked - asked // REFUSE_ONE_IN
        else:
            units[vid] = asked - (1 if n % REFUSE_ONE_IN == 0 else 0)
    for i, location in enumerate(world.locations):
        lines = {}
        for vid, total in units.items():
            share = (total + 1) // 2 if i == 0 else total // 2
            if share:
                lines[vid] = share
        if lines:
            services.stock_receive_many(location=location, lines=lines, reference="bench")
    return units


# --- racing ---------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    holds: list[float] = field(default_factory=list)
    placed: int = 0
    refused: int = 0
    deadlocks: int = 0
    errors: list[str] = field(default_factory=list)
    units: int = 0
    oversold: int = 0
    placed_in_db: int = 0

    def summary(self) -> dict:
        done = self.placed + self.refused
        return {
            "orders_per_s": round(self.placed / self.elapsed, 1) if self.elapsed else 0,
            "attempts_per_s": round(done / self.elapsed, 1) if self.elapsed else 0,
            "p50_ms": round(statistics.median(self.latencies), 2),
            "p95_ms": round(percentile(self.latencies, 95), 2),
            "lock_held_p50_ms": round(statistics.median(self.holds), 2) if self.holds else None,
            "placed": self.placed_in_db,
            "refused": self.refused,
            "units": self.units,
            "oversold": self.oversold,
            "deadlocks": self.deadlocks,
            "errors": len(self.errors),
        }


class Refused(Exception):
    """Nothing left to sell (the baseline's insufficient stock)."""


def _race(run: Run, workers: int, orders: list[int], place: Callable[[int, int], None]) -> None:
    """Race `workers` processes, each with its own database connection, over `orders`.

    Processes, not threads: in production each web or worker process has its own interpreter,
    so what limits one popular item is the database row lock, not Python's global lock."""
    import multiprocessing

    from django.db import OperationalError, connections

    from omni.errors import InsufficientStock

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    next_order = context.Value("i", 0)
    results = context.Queue()
    connections.close_all()  # each child opens its own

    def work() -> None:
        latencies, outcomes = [], []
        try:
            barrier.wait()
            while True:
                with next_order.get_lock():
                    i = next_order.value
                    next_order.value += 1
                if i >= len(orders):
                    break
                t0 = time.perf_counter()
                try:
                    place(i, orders[i])
                    outcome = "placed"
                except (InsufficientStock, Refused):
                    outcome = "refused"
                except OperationalError as error:
                    outcome = "deadlock" if "deadlock" in str(error).lower() else repr(error)
                except Exception as error:
                    outcome = repr(error)
                latencies.append((time.perf_counter() - t0) * 1000)
                outcomes.append(outcome)
        finally:
            connections.close_all()
            results.put({"latencies": latencies, "outcomes": outcomes, "holds": run.holds})

    processes = [context.Process(target=work) for _ in range(workers)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    collected = [results.get() for _ in processes]
    run.elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    for part in collected:
        run.latencies += part["latencies"]
        run.holds += part["holds"]
        for outcome in part["outcomes"]:
            if outcome == "placed":
                run.placed += 1
            elif outcome == "refused":
                run.refused += 1
            elif outcome == "deadlock":
                run.deadlocks += 1
            else:
                run.errors.append(outcome)


# --- ours -----------------------------------------------------------------------------------

_held_since = threading.local()


def _timing_the_lock() -> None:
    """Wrap the variant lock so each call records when it locked (the lock is held from then
    until the transaction ends, which the caller times)."""
    from inventory.services import session

    lock = session.variants_lock

    def timed(variant_ids):
        _held_since.t = time.perf_counter()
        return lock(variant_ids)

    session.variants_lock = timed


def run_ours(name: str, world: World, orders: list[int], workers: int) -> Run:
    from django.db import connection

    from inventory import services
    from inventory.models import Allocation

    run = Run(name)
    units = _stock(world, Counter(orders))
    run.units = sum(units.values())
    _vacuum()

    def place(i: int, vid: int) -> None:
        _held_since.t = None
        try:
            services.stock_allocate(
                channel=world.channel,
                reference=f"bench:{name}:{i}",
                lines=[services.LineRequest(vid, 1)],
            )
        finally:
            if _held_since.t is not None:
                run.holds.append((time.perf_counter() - _held_since.t) * 1000)

    _race(run, workers, orders, place)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(greatest(allocated - on_hand, 0)), 0), coalesce(sum(allocated), 0) "
            "FROM inventory_stock WHERE variant_id = ANY(%s)",
            [sorted(units)],
        )
        over_row, allocated = cursor.fetchone()
    run.placed_in_db = Allocation.objects.filter(reference__startswith=f"bench:{name}:").count()
    run.oversold = over_row + max(0, allocated - run.units) + max(0, run.placed_in_db - run.units)
    if run.placed_in_db != run.placed or allocated != run.placed:
        run.errors.append(f"{run.placed} placed, {run.placed_in_db} in the database")
    if services.stock_audit():
        run.errors.append("the ledger does not balance")
    return run


# --- the raw baseline -----------------------------------------------------------------------

RAW_ALLOCATE = (
    "UPDATE inventory_stock SET allocated = allocated + 1 "
    "WHERE variant_id = %s AND location_id = %s AND on_hand - allocated >= 1 RETURNING id"
)
RAW_ORDER = "INSERT INTO bench_raw_order (reference) VALUES (%s) RETURNING id"
RAW_LINE = (
    "INSERT INTO bench_raw_order_line (order_id, variant_id, stock_id, quantity) "
    "VALUES (%s, %s, %s, 1)"
)
RAW_OUTBOX = "INSERT INTO bench_raw_outbox (topic, key, payload) VALUES (%s, %s, %s)"


def run_raw(name: str, world: World, orders: list[int], workers: int) -> Run:
    from django.db import connection, transaction

    run = Run(name)
    units = Counter(orders)  # the same stock rows as ours, given back
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_stock SET allocated = 0 WHERE variant_id = ANY(%s)", [sorted(units)]
        )
        cursor.execute(
            "SELECT coalesce(sum(on_hand), 0) FROM inventory_stock WHERE variant_id = ANY(%s)",
            [sorted(units)],
        )
        run.units = cursor.fetchone()[0]
    _vacuum()
    location_ids = [loc.pk for loc in world.locations]

    def place(i: int, vid: int) -> None:
        reference = f"raw:{name}:{i}"
        locked_at = None
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                locked_at = time.perf_counter()
                for location_id in location_ids:  # the channel's priority order
                    cursor.execute(RAW_ALLOCATE, [vid, location_id])
                    row = cursor.fetchone()
                    if row:
                        break
                else:
                    raise Refused
                cursor.execute(RAW_ORDER, [reference])
                order_id = cursor.fetchone()[0]
                cursor.execute(RAW_LINE, [order_id, vid, row[0]])
                cursor.execute(
                    RAW_OUTBOX,
                    [
                        "inventory.availability.changed",
                        f"availability:{vid}",
                        json.dumps({"variant_id": vid, "order": reference}),
                    ],
                )
        finally:
            if locked_at is not None:
                run.holds.append((time.perf_counter() - locked_at) * 1000)

    _race(run, workers, orders, place)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(greatest(allocated - on_hand, 0)), 0), coalesce(sum(allocated), 0) "
            "FROM inventory_stock WHERE variant_id = ANY(%s)",
            [sorted(units)],
        )
        over_row, allocated = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM bench_raw_order_line WHERE quantity = 1")
        run.placed_in_db = cursor.fetchone()[0]
    run.oversold = over_row + max(0, allocated - run.units) + max(0, run.placed_in_db - run.units)
    if run.placed_in_db != run.placed or allocated != run.placed:
        run.errors.append(f"{run.placed} placed, {run.placed_in_db} in the database")
    return run


# --- where the time goes --------------------------------------------------------------------


def profile(world: World) -> dict:
    """The statements one order runs inside stock_allocate's transaction, and those after the
    variant lock (they run while the hot row is locked)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory import services

    services.stock_receive(variant=_variant(world.warm), location=world.locations[0], quantity=50)
    for n in range(5):  # warm up
        services.stock_allocate(
            channel=world.channel,
            reference=f"warm:{n}",
            lines=[services.LineRequest(world.warm, 1)],
        )
    with CaptureQueriesContext(connection) as captured:
        services.stock_allocate(
            channel=world.channel,
            reference="warm:profiled",
            lines=[services.LineRequest(world.warm, 1)],
        )
    statements = [q["sql"] for q in captured.captured_queries]
    locked_at = next(
        i
        for i, sql in enumerate(statements)
        if sql.lstrip()
        .upper()
        .startswith(("INSERT INTO INVENTORY_VARIANTINVENTORY", "UPDATE INVENTORY_VARIANTINVENTORY"))
    )
    return {
        "statements_in_transaction": len(statements),
        "statements_under_lock": len(statements) - locked_at,
        "statements": [" ".join(sql.split()[:6]) for sql in statements],
    }


def _variant(pk: int):
    from catalog.models import ProductVariant

    return ProductVariant.objects.get(pk=pk)


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--variants", type=int, default=1000)
    args = parser.parse_args()

    url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omni_bench_alloc"
    )
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings.local")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(RAW_TABLES)
    world = _world(args.variants)
    _reset_inventory()
    where_time_goes = profile(world)
    _timing_the_lock()

    rng = random.Random(7)
    cases = {
        "hot": [world.hot] * args.orders,
        "spread": [rng.choice(world.spread) for _ in range(args.orders)],
    }
    results: dict[str, dict] = {}
    print(
        f"{args.workers} workers, {args.orders} one-unit orders per run, "
        f"{where_time_goes['statements_in_transaction']} statements in stock_allocate's "
        f"transaction, {where_time_goes['statements_under_lock']} of them under the variant lock"
    )
    for case, orders in cases.items():
        _reset_inventory()
        ours = run_ours(case, world, orders, args.workers).summary()
        raw = run_raw(case, world, orders, args.workers).summary()
        ratio = round(ours["orders_per_s"] / raw["orders_per_s"], 2) if raw["orders_per_s"] else 0
        results[case] = {"ours": ours, "raw": raw, "ratio": ratio}
        for who, r in (("ours", ours), ("raw", raw)):
            print(
                f"{case:<6} {who:<4} {r['orders_per_s']:8.1f} orders/s   p50 {r['p50_ms']:6.2f} ms"
                f"   p95 {r['p95_ms']:6.2f} ms   lock held p50 {r['lock_held_p50_ms']:5.2f} ms"
                f"   placed {r['placed']}/{r['units']} units   oversold {r['oversold']}"
                f"   deadlocks {r['deadlocks']}   errors {r['errors']}"
            )
        print(f"{case:<6} ours/raw {ratio:.2f}")
    summary = {
        "benchmark": "allocation",
        "workers": args.workers,
        "orders": args.orders,
        "variants": args.variants,
        **results,
        "ratio_hot": results["hot"]["ratio"],
        "statements_in_transaction": where_time_goes["statements_in_transaction"],
        "statements_under_lock": where_time_goes["statements_under_lock"],
        "goal": {"oversold": 0, "deadlocks": 0, "ratio_hot": 0.5},
    }
    runs = [r for case in results.values() for r in (case["ours"], case["raw"])]
    summary["goal_met"] = (
        all(r["oversold"] == 0 and r["deadlocks"] == 0 and r["errors"] == 0 for r in runs)
        and summary["ratio_hot"] >= 0.5
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
