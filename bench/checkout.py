"""Checkout benchmark: full checkouts over HTTP against the app on a live server.

    python bench/checkout.py [--clients 8] [--workers 4] [--checkouts 600] [--variants 200]

Uses its own PostgreSQL database, BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/omni_bench_checkout, created if missing, migrated and loaded
with seed_demo) and Redis as the broker, BENCH_REDIS_URL (default redis://127.0.0.1:6379/12),
and serves the app with gunicorn (--workers processes, omni.settings.local with
DJANGO_DEBUG=false) on a free local port. --clients threads, each with its own HTTP connection
(http.client), are released together and run --checkouts checkouts per case on the web channel;
each checkout is what a shopper does:

  a guest starts a cart (POST /api/v1/cart/ -> Cart-Token) or a signed-in customer (a token
  obtained before the run) uses theirs; adds an item (POST /api/v1/cart/lines/); chooses
  delivery (POST /api/v1/checkout/quote/); places the order (POST /api/v1/orders/ with an
  Idempotency-Key).

Two cases, each on fresh orders and stock:

  hot     every checkout buys the same variant, stocked for all but 1 in 20 of them, so the last
          shoppers find it gone (at the cart or at the order) and an oversell would show;
  spread  each checkout buys one of --variants variants, chosen at random, all in stock.

For each case it prints complete checkouts per second, p50 and p95 latency of the place-order
request, and oversold units (from the database afterwards, with the ledger audited); before
them, the queries one place-order request runs (in-process, under CaptureQueriesContext, on
the same database). It ends with one JSON line. Goal: at least 50 checkouts per second with 8
clients and a place-order p95 under 100 ms, 0 oversold.
"""

from __future__ import annotations

import argparse
import http.client
import io
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import ensure_database, percentile  # noqa: E402

CHANNEL = "web"
REFUSE_ONE_IN = 20
PASSWORD = "bench-checkout-2026"
ADDRESS = {
    "full_name": "Ayşe Kaya",
    "phone": "+905321234567",
    "line1": "Moda Caddesi No:12 D:3",
    "district": "Kadıköy",
    "city": "İstanbul",
    "postal_code": "34710",
    "country": "TR",
}
# What a checkout needs of the API, as (method, path) in the order a shopper calls them.
ENDPOINTS = [
    ("POST", "/api/v1/cart/"),
    ("POST", "/api/v1/cart/lines/"),
    ("POST", "/api/v1/checkout/quote/"),
    ("POST", "/api/v1/orders/"),
]


def _fail(message: str) -> None:
    raise SystemExit(f"bench/checkout.py: {message}")


def _check_endpoints() -> None:
    """Each endpoint a checkout calls must exist (the cart and order API, in
    orders/api/cart_urls.py); one readable line says which is missing."""
    from django.urls import Resolver404, resolve

    for method, path in ENDPOINTS:
        try:
            resolve(path)
        except Resolver404:
            _fail(f"the endpoint {method} {path} is missing (orders/api/cart_urls.py)")


# --- the world ------------------------------------------------------------------------------

STATE_TABLES = [
    # orders and carts
    "orders_order", "orders_orderline", "orders_orderevent", "orders_idempotencykey",
    "orders_fulfilment", "orders_fulfilmentline", "orders_return", "orders_returnline",
    "orders_notification", "orders_cart", "orders_cartline", "orders_saveditem",
    # stock and its ledger
    "inventory_stock", "inventory_stockmovement", "inventory_reservation",
    "inventory_allocation", "inventory_lowstockalert", "inventory_transfer",
    "inventory_transferline", "inventory_variantinventory",
    "omni_outboxevent",
]  # fmt: skip


def _reset() -> None:
    """No orders, carts or stock: each case starts from the same empty shop."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(STATE_TABLES)} RESTART IDENTITY CASCADE")


def _vacuum() -> None:
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
        conn.execute(f"VACUUM (ANALYZE) {', '.join(STATE_TABLES)}")


@dataclass
class World:
    skus: dict[str, int]  # sku -> variant id, of variants sold on the channel
    hot: str
    warm: str  # for measuring queries, apart from the races
    spread: list[str]


def _world(n_variants: int) -> World:
    from catalog.models import ProductVariant

    rows = list(
        ProductVariant.objects.filter(
            channel_prices__channel__code=CHANNEL,
            product__channel_listings__channel__code=CHANNEL,
            product__channel_listings__is_published=True,
            product__is_active=True,
        )
        .exclude(sku__startswith="BENCH-")
        .order_by("sku")
        .values_list("sku", "id")
    )
    if len(rows) < n_variants + 2:
        _fail(f"the demo catalog has {len(rows)} variants on {CHANNEL}; --variants is too many")
    skus = dict(rows)
    ordered = [sku for sku, _id in rows]
    return World(skus=skus, hot=ordered[0], warm=ordered[1], spread=ordered[2 : 2 + n_variants])


def _stock(world: World, units: dict[str, int]) -> None:
    """Receive `units` of each SKU, through the services, split over the two distribution
    centres the web channel sells from first."""
    from inventory import services
    from inventory.models import StockLocation

    locations = list(StockLocation.objects.filter(code__in=["dc-gebze", "dc-izmir"]))
    for i, location in enumerate(sorted(locations, key=lambda loc: loc.code)):
        lines = {}
        for sku, total in units.items():
            share = (total + 1) // 2 if i == 0 else total // 2
            if share:
                lines[world.skus[sku]] = share
        if lines:
            services.stock_receive_many(location=location, lines=lines, reference="bench")


@dataclass
class Shopper:
    email: str
    token: str = ""  # a signed-in customer's API token; empty: a guest


def _shoppers(clients: int, kind: str) -> list[Shopper]:
    """One shopper per client: signed-in customers (tokens made before the run, as an app that
    is signed in has one), guests, or every other one of each."""
    from accounts.models import User
    from accounts.services import auth_token_issue

    shoppers = []
    for i in range(clients):
        email = f"bench-shopper-{i}@omni.test"
        signed_in = kind == "customer" or (kind == "mixed" and i % 2 == 0)
        if not signed_in:
            shoppers.append(Shopper(email))
            continue
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, PASSWORD, first_name="Bench", last_name=str(i), role=User.Role.CUSTOMER
        )
        # One device per shopper: a new run's token replaces the last run's.
        _device, key = auth_token_issue(user=user, device_id="bench")
        shoppers.append(Shopper(email, key))
    return shoppers


# --- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env() -> dict[str, str]:
    # The broker is Redis, as in production: a commit that records outbox events asks for a
    # relay run there (once while one is waiting; no worker runs here to take it).
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omni.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(ROOT),
        "CELERY_BROKER_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
    }


def _start_server(port: int, workers: int, worker_class: str, threads: int, log: Path):
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "omni.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--threads", str(threads),
        "--backlog", "256",
        "--log-level", "warning",
    ]  # fmt: skip
    out = log.open("w")
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        command, cwd=ROOT, env=_server_env(), stdout=out, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            _fail(f"gunicorn exited at start; see {log}:\n{log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"/api/v1/channels/?channel={CHANNEL}")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    _fail(f"gunicorn did not answer within 60 s; see {log}")
    return None


def _stop_server(server) -> None:
    if server is not None and server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- one shopper's checkout over HTTP -------------------------------------------------------


class Http:
    """One client's connection (reopened when the server closes it)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: dict | None, headers: dict[str, str]) -> tuple[int, dict]:
        return self.call("POST", path, body, headers)

    def call(
        self, method: str, path: str, body: dict | None, headers: dict[str, str]
    ) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Accept": "application/json", "Accept-Language": "en", **headers}
        if data is not None:
            sent["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=sent)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # a kept-alive connection the server had closed
                if attempt == 2:
                    raise
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"code": "not_json", "message": raw[:200].decode(errors="replace")}
        return response.status, parsed if isinstance(parsed, dict) else {"body": parsed}


class Refused(Exception):
    """Out of stock: at the cart or at the order (what the hot case expects near its end)."""


class Failed(Exception):
    """Anything else a checkout met: a bug, an error page, a deadlock."""


def _expect(step: str, status: int, body: dict, *wanted: int) -> dict:
    if status in wanted:
        return body
    if status in (400, 409) and body.get("code") == "insufficient_stock":
        raise Refused(step)
    raise Failed(f"{step}: HTTP {status} {body.get('code')} {str(body.get('message'))[:120]}")


def checkout(client: Http, shopper: Shopper, sku: str, place_times: list[float]) -> None:
    """One complete checkout; the place-order request's latency goes into `place_times`."""
    headers = {"Omni-Channel": CHANNEL}
    if shopper.token:
        headers["Authorization"] = f"Token {shopper.token}"
    else:
        status, body = client.post("/api/v1/cart/", None, headers)
        headers["Cart-Token"] = _expect("cart", status, body, 201)["token"]
    line_ids: list[int] = []
    try:
        status, body = client.post("/api/v1/cart/lines/", {"sku": sku, "quantity": 1}, headers)
        line_ids = [line["id"] for line in _expect("add to cart", status, body, 201)["lines"]]
        delivery = {"delivery": "home", "shipping_method": "standart"}
        status, body = client.post(
            "/api/v1/checkout/quote/",
            # The quote reads the address as "address"; the order as "shipping_address".
            {**delivery, "address": ADDRESS, "shipping_address": ADDRESS},
            headers,
        )
        _expect("quote", status, body, 200)
        t0 = time.perf_counter()
        status, body = client.post(
            "/api/v1/orders/",
            {**delivery, "shipping_address": ADDRESS, "email": shopper.email},
            {**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        place_times.append((time.perf_counter() - t0) * 1000)
        _expect("place order", status, body, 201)
    except Refused:
        if shopper.token:  # a customer's cart lives on: empty it for their next checkout
            for line_id in line_ids:
                client.call("DELETE", f"/api/v1/cart/lines/{line_id}/", None, headers)
        raise


# --- racing ---------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    checkouts: int
    elapsed: float = 0.0
    place_ms: list[float] = field(default_factory=list)
    checkout_ms: list[float] = field(default_factory=list)
    placed: int = 0
    refused: int = 0
    refused_at_order: int = 0  # the rest were refused when adding to the cart
    errors: list[str] = field(default_factory=list)
    units: int = 0
    sold: int = 0
    oversold: int = 0

    def summary(self) -> dict:
        return {
            "checkouts_per_s": round(self.placed / self.elapsed, 1) if self.elapsed else 0,
            "place_p50_ms": round(statistics.median(self.place_ms), 2) if self.place_ms else None,
            "place_p95_ms": round(percentile(self.place_ms, 95), 2) if self.place_ms else None,
            "checkout_p50_ms": round(statistics.median(self.checkout_ms), 2)
            if self.checkout_ms
            else None,
            "placed": self.placed,
            "refused": self.refused,
            "refused_at_order": self.refused_at_order,
            "units": self.units,
            "sold": self.sold,
            "oversold": self.oversold,
            "errors": len(self.errors),
        }


def race(case: Case, port: int, shoppers: list[Shopper], plan: list[str]) -> None:
    """Each client runs checkouts from `plan` until none is left; all start together."""
    barrier = threading.Barrier(len(shoppers) + 1)
    lock = threading.Lock()
    numbers = itertools.count()
    parts: list[dict] = []

    def client(shopper: Shopper) -> None:
        http_client = Http(port)
        mine = {"place": [], "checkout": [], "outcomes": Counter(), "errors": []}
        try:
            barrier.wait(timeout=60)
            while True:
                with lock:
                    n = next(numbers)
                if n >= len(plan):
                    break
                t0 = time.perf_counter()
                try:
                    checkout(http_client, shopper, plan[n], mine["place"])
                    mine["outcomes"]["placed"] += 1
                    mine["checkout"].append((time.perf_counter() - t0) * 1000)
                except Refused as refusal:
                    mine["outcomes"]["refused"] += 1
                    if str(refusal) == "place order":
                        mine["outcomes"]["refused_at_order"] += 1
                except Exception as error:
                    mine["outcomes"]["error"] += 1
                    mine["errors"].append(str(error) if isinstance(error, Failed) else repr(error))
        finally:
            http_client.conn.close()
            with lock:
                parts.append(mine)

    threads = [threading.Thread(target=client, args=(s,)) for s in shoppers]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    case.elapsed = time.perf_counter() - started
    for part in parts:
        case.place_ms += part["place"]
        case.checkout_ms += part["checkout"]
        case.placed += part["outcomes"]["placed"]
        case.refused += part["outcomes"]["refused"]
        case.refused_at_order += part["outcomes"]["refused_at_order"]
        case.errors += part["errors"]


def verify(case: Case, world: World, plan: list[str]) -> None:
    """What the database says afterwards: units sold against units there were, no stock row
    allocated beyond what it holds, the ledger balanced, and an order for each 201."""
    from django.db import connection

    from inventory import services
    from orders.models import Order

    ids = sorted({world.skus[sku] for sku in plan})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(greatest(allocated - on_hand, 0)), 0), "
            "coalesce(sum(allocated), 0), coalesce(sum(on_hand), 0) "
            "FROM inventory_stock WHERE variant_id = ANY(%s)",
            [ids],
        )
        over_row, allocated, on_hand = cursor.fetchone()
        cursor.execute(
            "SELECT coalesce(sum(l.quantity), 0) FROM orders_orderline l "
            "JOIN orders_order o ON o.id = l.order_id "
            "WHERE o.status <> 'cancelled' AND l.variant_id = ANY(%s)",
            [ids],
        )
        case.sold = cursor.fetchone()[0]
    case.oversold = over_row + max(0, case.sold - case.units) + max(0, allocated - on_hand)
    in_db = Order.objects.count()
    if in_db != case.placed:
        case.errors.append(f"{case.placed} orders placed (HTTP 201), {in_db} in the database")
    if allocated != case.sold:
        case.errors.append(f"{case.sold} units ordered, {allocated} allocated")
    drift = services.stock_audit()
    if drift:
        case.errors.append(f"the ledger does not balance: {drift[:3]}")


# --- queries per order ----------------------------------------------------------------------


def queries_per_order(world: World, shoppers: list[Shopper]) -> dict[str, dict[str, int]]:
    """The queries of each request of one checkout through Django's full stack, in this
    process, on the same database, for a guest and for a signed-in customer (after two
    warm-ups each): {"guest": {"cart": n, "add_to_cart": n, "quote": n, "place_order": n}}."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    _stock(world, {world.warm: 20})
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    kinds = {"guest": Shopper("bench-queries@omni.test")}
    customer = next((s for s in shoppers if s.token), None)
    if customer is not None:
        kinds["customer"] = customer
    counts: dict[str, dict[str, int]] = {}
    delivery = {"delivery": "home", "shipping_method": "standart"}

    def post(step: str, path: str, body: dict | None, wanted: int, **headers):
        with CaptureQueriesContext(connection) as captured:
            if body is None:
                response = client.post(path, **headers)
            else:
                response = client.post(path, body, content_type="application/json", **headers)
        if response.status_code != wanted:
            _fail(f"POST {path}: HTTP {response.status_code} {response.content[:300]!r}")
        steps[step] = len(captured.captured_queries)
        return response

    for kind, shopper in kinds.items():
        for _attempt in range(3):
            steps: dict[str, int] = {}
            headers = {"HTTP_OMNI_CHANNEL": CHANNEL}
            if shopper.token:
                headers["HTTP_AUTHORIZATION"] = f"Token {shopper.token}"
            else:
                created = post("cart", "/api/v1/cart/", None, 201, **headers)
                headers["HTTP_CART_TOKEN"] = created.json()["token"]
            body = {"sku": world.warm, "quantity": 1}
            post("add_to_cart", "/api/v1/cart/lines/", body, 201, **headers)
            body = {**delivery, "address": ADDRESS}
            post("quote", "/api/v1/checkout/quote/", body, 200, **headers)
            body = {**delivery, "shipping_address": ADDRESS, "email": shopper.email}
            key = uuid.uuid4().hex
            post("place_order", "/api/v1/orders/", body, 201, HTTP_IDEMPOTENCY_KEY=key, **headers)
            counts[kind] = steps
    return counts


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--checkouts", type=int, default=600, help="checkouts per case")
    parser.add_argument("--variants", type=int, default=200, help="variants of the spread case")
    parser.add_argument(
        "--shoppers",
        choices=["guest", "customer", "mixed"],
        default="mixed",
        help="guests with a cart token, signed-in customers with an API token, or both",
    )
    args = parser.parse_args()

    url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omni_bench_checkout"
    )
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "omni.settings.local"

    import django

    django.setup()
    from django.core.management import call_command

    _check_endpoints()
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--no-images", verbosity=0, stdout=io.StringIO())
    seeded = time.monotonic() - started
    world = _world(args.variants)
    shoppers = _shoppers(args.clients, args.shoppers)

    _reset()
    queries = queries_per_order(world, shoppers)
    place_queries = max(steps["place_order"] for steps in queries.values())
    load = os.getloadavg()[0]
    print(
        f"{args.clients} clients ({args.shoppers}), gunicorn {args.workers} workers "
        f"({args.worker_class}), {args.checkouts} checkouts per case, load average {load:.2f} "
        f"on {os.cpu_count()} CPUs before the run"
    )
    for kind, steps in queries.items():
        print(f"queries per request ({kind}): " + ", ".join(f"{k} {n}" for k, n in steps.items()))

    rng = random.Random(7)
    plans = {
        "hot": [world.hot] * args.checkouts,
        "spread": [rng.choice(world.spread) for _ in range(args.checkouts)],
    }
    port = _free_port()
    log = ROOT / "var" / "bench-checkout-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = _start_server(port, args.workers, args.worker_class, args.threads, log)
    results: dict[str, dict] = {}
    try:
        for name, plan in plans.items():
            # A few checkouts first, on another variant, so that every worker is warm.
            _reset()
            _stock(world, {world.warm: 4 * args.clients})
            race(Case("warm-up", 0), port, shoppers, [world.warm] * (2 * args.clients))
            _reset()
            demand = Counter(plan)
            if name == "hot":
                units = {world.hot: args.checkouts - args.checkouts // REFUSE_ONE_IN}
            else:
                units = {sku: demand[sku] + 2 for sku in world.spread}
            _stock(world, units)
            _vacuum()
            case = Case(name, args.checkouts, units=sum(units[sku] for sku in demand))
            race(case, port, shoppers, plan)
            verify(case, world, plan)
            results[name] = case.summary()
            r = results[name]
            print(
                f"{name:<6} {r['checkouts_per_s']:6.1f} checkouts/s   place order p50 "
                f"{r['place_p50_ms']} ms  p95 {r['place_p95_ms']} ms   checkout p50 "
                f"{r['checkout_p50_ms']} ms   placed {r['placed']}, refused {r['refused']} "
                f"({r['refused_at_order']} at the order), "
                f"sold {r['sold']}/{r['units']} units   oversold {r['oversold']}   "
                f"errors {r['errors']}"
            )
            for error in Counter(case.errors).most_common(5):
                print(f"       {error[1]} x {error[0]}")
    finally:
        _stop_server(server)

    summary = {
        "benchmark": "checkout",
        "clients": args.clients,
        "shoppers": args.shoppers,
        "server": f"gunicorn {args.workers} x {args.worker_class}",
        "checkouts_per_case": args.checkouts,
        "variants_spread": args.variants,
        "seed_seconds": round(seeded, 1),
        "load_average_before": round(load, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "queries_per_order": place_queries,
        "queries_per_request": queries,
        **results,
        "checkouts_per_s": min(r["checkouts_per_s"] for r in results.values()),
        "place_p95_ms": max(r["place_p95_ms"] or 0 for r in results.values()),
        "oversold": sum(r["oversold"] for r in results.values()),
        "errors": sum(r["errors"] for r in results.values()),
        "goal": {"checkouts_per_s": 50, "place_p95_ms": 100, "oversold": 0},
    }
    summary["goal_met"] = (
        summary["checkouts_per_s"] >= 50
        and summary["place_p95_ms"] < 100
        and summary["oversold"] == 0
        and summary["errors"] == 0
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
