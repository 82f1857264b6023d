"""Staff screens benchmark: the store counter at 8 tills at once, over HTTP.

    python bench/staff.py [--sales 40] [--tills 8] [--workers 4] [--pause 0.3]

Uses its own PostgreSQL database, BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/omni_bench_staff, created if missing, migrated and loaded
with seed_demo), and serves the app with gunicorn on a free local port as bench/checkout.py
does (omni.settings.local, DJANGO_DEBUG=false). Each of --tills threads is one till: the demo
clerk signed in on the staff sign-in page in a session of its own, at the Kadıköy store. Each
sale scans three barcodes into the sale (POST /staff/pos/scan/, as the keyboard-wedge scanner's
Enter does: "scan"), looks a customer up by a phone number typed as people type it (GET
/staff/customers/?q=: "lookup") and completes the sale in cash (POST /staff/pos/pay/take/: the
order placed, the cash recorded, the goods handed over: "sale"). A till waits --pause seconds
(0.3: a clerk scanning briskly; a real till is slower) between its requests, as a clerk does
between one scan and the next; 8 tills without any pause measure how long requests queue for
one of the workers on a 2-core machine, not how fast a scan is. Before that it counts each
request's queries in-process. It prints p50 and p95 of each and ends with one JSON line with
scan_p95_ms, lookup_p95_ms and sale_p95_ms. Goal: scan to line p95 under 150 ms at the server.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import ensure_database, percentile  # noqa: E402
from bench.checkout import _free_port, _start_server, _stop_server  # noqa: E402
from bench.storefront import Browser  # noqa: E402

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CLERK = "kasa.kadikoy@omni.test"
PASSWORD = "omni-demo-2026"
STORE = "store-kadikoy"


class Till(Browser):
    """One till: a connection and the cookies of its staff session (the storefront bench's
    shopper, with the CSRF token a staff form sends and htmx's header)."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.csrf = ""

    def request(  # type: ignore[override]
        self, method: str, path: str, form: dict | None = None, htmx: bool = False
    ) -> tuple[int, str]:
        extra = {"X-CSRFToken": self.csrf} if form is not None else {}
        if htmx:
            extra["HX-Request"] = "true"
        return super().request(method, path, urlencode(form) if form is not None else None, extra)

    def sign_in(self) -> None:
        status, page = self.request("GET", "/staff/sign-in/")
        found = CSRF.search(page)
        if status != 200 or found is None:
            raise SystemExit(f"bench/staff.py: the sign-in page answered {status}")
        self.csrf = found[1]
        status, _text = self.request(
            "POST", "/staff/sign-in/", {"username": CLERK, "password": PASSWORD, "next": "/staff/"}
        )
        if status != 302:
            raise SystemExit(f"bench/staff.py: signing in answered {status}")
        status, page = self.request("GET", "/staff/pos/")
        found = CSRF.search(page)
        if status != 200 or found is None:
            raise SystemExit(f"bench/staff.py: the counter answered {status}")
        self.csrf = self.cookies.get("csrftoken", found[1])


def _prepare() -> tuple[list[str], list[str]]:
    """Barcodes of variants sold at the Kadıköy counter, with plenty of stock there (received
    through inventory's service, so the sales never run out), and what clerks type to find a
    customer: demo customers' phones as people say them ("0532 123 45 67", "532 1234567"), and
    a first name."""
    from catalog.models import ProductVariant
    from catalog.selectors import variants_on_channel
    from customers.models import Customer
    from inventory import services as inventory
    from sales_channels.models import Channel

    store = Channel.objects.select_related("store_location").get(code=STORE)
    variants = list(variants_on_channel(channel=store).exclude(barcode="").order_by("pk")[:30])
    inventory.stock_receive_many(
        location=store.store_location, lines={v.pk: 5000 for v in variants}
    )
    phones = list(
        Customer.objects.exclude(phone="").order_by("pk").values_list("phone", flat=True)[:6]
    )
    lookups = []
    for n, phone in enumerate(phones):  # +905321234567
        national = phone[3:]
        if n % 2:
            lookups.append(f"{national[:3]} {national[3:]}")
        else:
            lookups.append(f"0{national[:3]} {national[3:6]} {national[6:8]} {national[8:]}")
    lookups.append("Ayşe")
    return [v.barcode for v in variants if isinstance(v, ProductVariant)], lookups


def queries_per_request(barcodes: list[str], lookups: list[str]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(HTTP_ACCEPT_LANGUAGE="tr", HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=CLERK))
    counts = {}
    client.post("/staff/pos/scan/", {"code": barcodes[0]}, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as ctx:
        status = client.post(
            "/staff/pos/scan/", {"code": barcodes[1]}, HTTP_HX_REQUEST="true"
        ).status_code
    counts["scan"] = len(ctx)
    with CaptureQueriesContext(connection) as ctx:
        status = client.get("/staff/customers/", {"q": lookups[0]}).status_code
    counts["lookup"] = len(ctx)
    if status != 200:
        raise SystemExit(f"bench/staff.py: the customer lookup answered {status}")
    with CaptureQueriesContext(connection) as ctx:
        status = client.post(
            "/staff/pos/pay/take/",
            {"method": "cash", "received": "100000", "sale": str(uuid.uuid4()), "key": "q"},
        ).status_code
    counts["sale"] = len(ctx)
    if status != 302:
        raise SystemExit(f"bench/staff.py: completing a sale answered {status}")
    return counts


def run(
    port: int, barcodes: list[str], lookups: list[str], tills: int, sales: int, pause: float
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"scan": [], "lookup": [], "sale": []}
    errors: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(tills)

    def till(n: int) -> None:
        mine: dict[str, list[float]] = {name: [] for name in times}
        client = Till(port)
        try:
            client.sign_in()
        except SystemExit as error:
            errors.append(str(error))
        gate.wait()
        for i in range(sales):
            for j in range(3):
                code = barcodes[(n * 7 + i * 3 + j) % len(barcodes)]
                t0 = time.perf_counter()
                status, _text = client.request("POST", "/staff/pos/scan/", {"code": code}, True)
                mine["scan"].append(time.perf_counter() - t0)
                if status != 200:
                    errors.append(f"scan {code}: {status}")
                time.sleep(pause)
            query = lookups[(n + i) % len(lookups)]
            t0 = time.perf_counter()
            status, _text = client.request("GET", "/staff/customers/?" + urlencode({"q": query}))
            mine["lookup"].append(time.perf_counter() - t0)
            if status != 200:
                errors.append(f"lookup {query}: {status}")
            time.sleep(pause)
            form = {"method": "cash", "received": "100000", "sale": str(uuid.uuid4()),
                    "key": uuid.uuid4().hex}  # fmt: skip
            t0 = time.perf_counter()
            status, _text = client.request("POST", "/staff/pos/pay/take/", form)
            mine["sale"].append(time.perf_counter() - t0)
            if status != 302:
                errors.append(f"sale: {status}")
            time.sleep(pause)
        with lock:
            for name, values in mine.items():
                times[name].extend(values)

    threads = [threading.Thread(target=till, args=(n,)) for n in range(tills)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"bench/staff.py: {len(errors)} errors, first: {errors[0]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=40, help="sales per till")
    parser.add_argument("--tills", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--pause", type=float, default=0.3, help="seconds a till waits between its requests"
    )
    args = parser.parse_args()

    url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omni_bench_staff"
    )
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "omni.settings.local"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--no-images", verbosity=0, stdout=io.StringIO())
    barcodes, lookups = _prepare()
    queries = queries_per_request(barcodes, lookups)
    print("queries per request: " + ", ".join(f"{k} {n}" for k, n in queries.items()))

    port = _free_port()
    log = ROOT / "var" / "bench-staff-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = _start_server(port, args.workers, "sync", 1, log)
    try:
        run(port, barcodes, lookups, args.tills, max(1, args.sales // 10), args.pause)  # warm up
        times = run(port, barcodes, lookups, args.tills, args.sales, args.pause)
    finally:
        _stop_server(server)
    results = {
        name: {
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "requests": len(values),
            "queries": queries[name],
        }
        for name, values in times.items()
    }
    for name, r in results.items():
        print(
            f"{name:7} p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
            f"({r['requests']} requests, {r['queries']} queries)"
        )
    print(
        json.dumps(
            {
                "bench": "staff",
                "tills": args.tills,
                "pause_s": args.pause,
                "server": f"gunicorn {args.workers} x sync",
                "scan_p95_ms": results["scan"]["p95_ms"],
                "lookup_p95_ms": results["lookup"]["p95_ms"],
                "sale_p95_ms": results["sale"]["p95_ms"],
                "requests": results,
            }
        )
    )


if __name__ == "__main__":
    main()
