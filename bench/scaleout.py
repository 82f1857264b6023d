"""Scale-out check: two app servers and two Celery workers on one PostgreSQL and one Redis.

    python bench/scaleout.py [--checkouts 300] [--clients 8]

A deployment that outgrew one process runs several web servers and several workers. This
starts two gunicorn servers (A and B, 2 worker processes each) and two Celery workers
(2 processes each), all on the same database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/omni_bench_scaleout, migrated and loaded with seed_demo)
and the same Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/11, as the broker, and
database --cache-db of that server, default 10, as the shared cache), and shows:

  oversold      checkout clients spread over A and B race for one hot variant stocked for
                all but 1 in 20 of them: units sold never exceed units there were;
  deliveries    every stock change those orders made, and --changes stock adjustments over
                40 more variants, is relayed by both workers to a signed webhook receiver:
                no delivery id arrives twice, no key's version goes backwards (stale), and
                the last version of each key arrives (lost);
  throttles     wrong passwords for one e-mail, sent to A alone, are refused (429) after N
                tries; sent to A and B in turn, after the same N: the count is shared;
  config        a channel switched off in the merchant admin on A stops selling on B within
                OMNI_CHANNEL_CACHE_SECONDS (the documented time), measured.

It prints each figure and ends with one JSON line (oversold, duplicate_deliveries,
stale_deliveries, lost_deliveries, throttle_tries_one_server, throttle_tries_two_servers,
throttle_shared, config_seen_seconds, config_documented_seconds, goal_met).
"""

from __future__ import annotations

import argparse
import html.parser
import http.client
import io
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import ensure_database, stop_process_groups  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/omni_bench_scaleout"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
SECRET = "whsec_bench_scaleout_0123456789abcdef"
MERCHANT = ("merchant@omni.test", "omni-demo-2026")
SWITCHED_OFF = "app"  # the channel the config phase switches off (and back on by the ORM)


def _fail(message: str) -> None:
    raise SystemExit(f"bench/scaleout.py: {message}")


# --- processes ------------------------------------------------------------------------------


def _start_workers(count: int, concurrency: int, log: Path) -> list[subprocess.Popen]:
    out = log.open("ab")
    procs = []
    for n in range(count):
        command = [
            sys.executable, "-m", "celery", "-A", "omni", "worker", "-c", str(concurrency),
            "-l", "WARNING", "-n", f"scaleout-{n}@%h", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                cwd=ROOT,
                env={**os.environ},
                start_new_session=True,
                stdout=out,
                stderr=out,
            )
        )
    return procs


# --- phase 1 and 2: checkouts over both servers, deliveries from both workers ----------------


def race_over(servers: list[int], checkouts: int, clients: int, world) -> dict:
    """Guest checkouts of the hot variant, client i on server i % 2."""
    from bench import checkout

    checkout._reset()
    units = checkouts - checkouts // checkout.REFUSE_ONE_IN
    checkout._stock(world, {world.hot: units})
    plan = [world.hot] * checkouts
    case = checkout.Case("hot", checkouts, units=units)
    shoppers = [checkout.Shopper(f"scaleout-{i}@omni.test") for i in range(clients)]
    lock = threading.Lock()
    taken = iter(range(checkouts))
    outcomes = {"placed": 0, "refused": 0, "errors": []}

    def client(i: int) -> None:
        http_client = checkout.Http(servers[i % len(servers)])
        place: list[float] = []
        while True:
            with lock:
                n = next(taken, None)
            if n is None:
                break
            try:
                checkout.checkout(http_client, shoppers[i], plan[n], place)
                key = "placed"
            except checkout.Refused:
                key = "refused"
            except Exception as error:
                with lock:
                    outcomes["errors"].append(str(error))
                continue
            with lock:
                outcomes[key] += 1
        http_client.conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    case.elapsed = time.perf_counter() - started
    case.placed = outcomes["placed"]
    case.refused = outcomes["refused"]
    case.errors = outcomes["errors"]
    checkout.verify(case, world, plan)
    return case.summary()


def churn(world, changes: int, writers: int = 4) -> list[int]:
    """`changes` stock adjustments (+1 and -1 in turn) over the spread variants at the first
    distribution centre, from `writers` threads, each on its own variants: many keys, many
    versions each, for the two workers to relay at once. Returns the variants changed."""
    from django.db import connection

    from catalog.models import ProductVariant
    from inventory import services
    from inventory.models import StockLocation

    location = StockLocation.objects.get(code="dc-gebze")
    variants = list(ProductVariant.objects.filter(sku__in=world.spread))
    services.stock_receive_many(location=location, lines={v.pk: 10 for v in variants})

    def write(part: int) -> None:
        mine = variants[part::writers]
        for n in range(changes // writers):
            variant = mine[n % len(mine)]
            delta = 1 if (n // len(mine)) % 2 == 0 else -1
            services.stock_adjust(variant=variant, location=location, delta=delta, reason="bench")
        connection.close()

    threads = [threading.Thread(target=write, args=(p,)) for p in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [v.pk for v in variants]


def drain(receiver, variant_ids: list[int], timeout: float = 90.0) -> tuple[int, float]:
    """Wait until every outbox event is relayed and every delivery of the receiver's endpoint
    is delivered; returns (the keys of `variant_ids` whose last version never arrived, seconds
    waited)."""
    from inventory.models import VariantInventory
    from omni.models import OutboxEvent
    from sales_channels.models import Channel, Delivery

    web = Channel.objects.get(code="web")
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        waiting = OutboxEvent.objects.filter(published_at__isnull=True).count()
        pending = Delivery.objects.filter(
            status=Delivery.Status.PENDING, endpoint__name="scaleout"
        ).count()
        if not waiting and not pending:
            break
        time.sleep(0.5)
    versions = dict(VariantInventory.objects.values_list("variant_id", "version"))
    with receiver.lock:
        latest = dict(receiver.latest)
    lost = sum(
        1
        for variant in variant_ids
        if latest.get(f"availability:{variant}:{web.pk}", -1) < versions.get(variant, 0)
    )
    return lost, time.monotonic() - started


# --- phase 3: throttles ---------------------------------------------------------------------


def tries_until_refused(servers: list[int], email: str, limit: int = 50) -> int:
    """Wrong passwords for `email`, on the servers in turn, until one answers 429."""
    body = json.dumps({"email": email, "password": "not-the-password"}).encode()
    for n in range(1, limit + 1):
        conn = http.client.HTTPConnection("127.0.0.1", servers[n % len(servers)], timeout=10)
        conn.request(
            "POST", "/api/v1/auth/token/", body=body, headers={"Content-Type": "application/json"}
        )
        status = conn.getresponse().status
        conn.close()
        if status == 429:
            return n
    return limit + 1


# --- phase 4: a configuration change in the admin of A, seen by B ----------------------------


class _Form(html.parser.HTMLParser):
    """The fields of the admin's change form as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._selected: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image"):
                self.fields.append((name, a.get("value", "") or ""))
        elif tag == "select" and name:
            self._select, self._selected, self._first_option = name, None, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._selected = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            value = self._selected if self._selected is not None else self._first_option
            self.fields.append((self._select, value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.strip("\n")))
            self._textarea = None


class Browser:
    """Cookies and form posts over http.client, enough for the admin."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, text

    def form(self, path: str) -> list[tuple[str, str]]:
        status, text = self.request("GET", path)
        if status != 200:
            _fail(f"GET {path} on {self.port}: HTTP {status}")
        parser = _Form()
        parser.feed(text)
        return parser.fields


def switch_off_seen(server_a: int, server_b: int, timeout: float = 30.0) -> float:
    """Switch the channel off in A's admin; seconds until every answer of B says so."""
    from sales_channels.models import Channel

    channel = Channel.objects.get(code=SWITCHED_OFF)
    browser = Browser(server_a)
    login = browser.form("/admin/login/")
    fields = dict(login) | {"username": MERCHANT[0], "password": MERCHANT[1]}
    status, _ = browser.request("POST", "/admin/login/", list(fields.items()))
    if status != 302:
        _fail(f"the admin sign-in on A answered {status}")
    path = f"/admin/sales_channels/channel/{channel.pk}/change/"
    form = [(k, v) for k, v in browser.form(path) if k != "is_active"]

    def sells_on_b() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", server_b, timeout=10)
        conn.request("GET", f"/api/v1/products/?channel={SWITCHED_OFF}&page_size=1")
        status = conn.getresponse().status
        conn.close()
        return status == 200

    if not sells_on_b():
        _fail(f"{SWITCHED_OFF} does not sell on B before the change")
    status, text = browser.request("POST", path, [*form, ("_save", "Save")])
    changed = time.monotonic()
    if status != 302:
        _fail(f"saving the channel in A's admin answered {status}: {text[:300]}")
    last_seen = changed
    while time.monotonic() - changed < timeout:
        if sells_on_b():
            last_seen = time.monotonic()
        elif time.monotonic() - last_seen > 2.0:  # two seconds of "no" from every process
            break
        time.sleep(0.05)
    return last_seen - changed


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--changes", type=int, default=800, help="stock changes to relay")
    parser.add_argument("--cache-db", type=int, default=10, help="Redis database of the cache")
    args = parser.parse_args()

    db_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    ensure_database(db_url)
    cache_url = redis_url.rsplit("/", 1)[0] + f"/{args.cache_db}"
    os.environ.update(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        BENCH_REDIS_URL=redis_url,
        CACHE_URL=cache_url,
        DJANGO_SETTINGS_MODULE="omni.settings.local",
        DJANGO_DEBUG="false",
        # The receiver below listens on loopback, which production refuses as a webhook URL.
        OMNI_WEBHOOK_ALLOW_PRIVATE="true",
    )
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from bench import checkout
    from omni.celery import app
    from sales_channels import tasks
    from sales_channels.models import Channel, ChannelEndpoint, Delivery
    from tests.sales_channels.receiver import Receiver

    app.conf.update(task_always_eager=False)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--no-images", verbosity=0, stdout=io.StringIO())
    Channel.objects.filter(code=SWITCHED_OFF).update(is_active=True)
    redis.Redis.from_url(cache_url).flushdb()  # throttle counters of an earlier run
    world = checkout._world(40)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")

    log_dir = ROOT / "var"
    log_dir.mkdir(exist_ok=True)
    servers = [checkout._free_port(), checkout._free_port()]
    procs: list[subprocess.Popen] = []
    result: dict = {"benchmark": "scaleout", "servers": 2, "workers": 2}
    with Receiver(secrets=[SECRET]) as receiver:
        ChannelEndpoint.objects.update(is_active=False)
        Delivery.objects.all().delete()
        web = Channel.objects.get(code="web")
        ChannelEndpoint.objects.filter(name="scaleout").delete()
        ChannelEndpoint.objects.create(
            channel=web,
            name="scaleout",
            kind="webhook",
            url=receiver.url,
            signing_secret=SECRET,
            rate_limit_per_second=0,
            timeout_seconds=5,
            config={"parallel": 4, "batch": 50, "topics": ["inventory.availability.changed"]},
        )
        stop = threading.Event()
        try:
            for n, port in enumerate(servers):
                log = log_dir / f"bench-scaleout-server-{n}.log"
                procs.append(checkout._start_server(port, 2, "sync", 1, log))
            procs += _start_workers(2, 2, log_dir / "bench-scaleout-workers.log")

            def sweep() -> None:  # what beat does, every 5 s
                while not stop.wait(5.0):
                    tasks.sync_sweep.delay()

            threading.Thread(target=sweep, daemon=True).start()
            time.sleep(3.0)  # the workers connect

            race = race_over(servers, args.checkouts, args.clients, world)
            changed = churn(world, args.changes)
            lost, waited = drain(receiver, [world.skus[world.hot], *changed])
            result.update(
                checkouts=race["placed"] + race["refused"],
                placed=race["placed"],
                refused=race["refused"],
                checkout_errors=race["errors"],
                oversold=race["oversold"],
                deliveries=len(receiver.arrivals),
                duplicate_deliveries=receiver.duplicates,
                stale_deliveries=receiver.stale,
                lost_deliveries=lost,
                bad_signatures=receiver.bad_signatures,
                drain_seconds=round(waited, 2),
            )
            print(
                f"checkouts over A and B: placed {race['placed']}, refused {race['refused']}, "
                f"sold {race['sold']}/{race['units']} units, oversold {race['oversold']}, "
                f"errors {race['errors']}"
            )
            print(
                f"deliveries from 2 workers: {len(receiver.arrivals)} arrived, duplicates "
                f"{receiver.duplicates}, stale {receiver.stale}, lost {lost}, "
                f"bad signatures {receiver.bad_signatures} (drained in {waited:.1f} s)"
            )

            flush = redis.Redis.from_url(cache_url).flushdb
            flush()  # each measurement starts from no counts (one client address for both)
            one = tries_until_refused(servers[:1], "throttle-one@omni.test")
            flush()
            two = tries_until_refused(servers, "throttle-two@omni.test")
            result.update(
                throttle_tries_one_server=one,
                throttle_tries_two_servers=two,
                throttle_shared=one == two and one <= 50,
            )
            print(f"sign-in refused after {one} tries on A alone, {two} on A and B in turn")

            from django.conf import settings

            documented = float(settings.OMNI_CHANNEL_CACHE_SECONDS)
            seen = switch_off_seen(*servers)
            result.update(config_seen_seconds=round(seen, 2), config_documented_seconds=documented)
            print(
                f"'{SWITCHED_OFF}' switched off in A's admin: B stopped selling it after "
                f"{seen:.2f} s (documented: within {documented:.0f} s)"
            )
        finally:
            stop.set()
            stop_process_groups(procs[2:])
            for server in procs[:2]:
                checkout._stop_server(server)
            Channel.objects.filter(code=SWITCHED_OFF).update(is_active=True)

    result["goal_met"] = (
        result["oversold"] == 0
        and not result["checkout_errors"]
        and result["duplicate_deliveries"] == 0
        and result["stale_deliveries"] == 0
        and result["lost_deliveries"] == 0
        and result["throttle_shared"]
        and result["config_seen_seconds"] <= result["config_documented_seconds"] + 0.5
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
