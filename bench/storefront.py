"""Storefront benchmark: p50 and p95 of the home, listing, product and cart pages over HTTP.

    python bench/storefront.py [--requests 300] [--clients 4] [--workers 2]

Uses its own PostgreSQL database, BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/omni_bench_storefront, created if missing, migrated and
loaded with seed_demo), and serves the app with gunicorn on a free local port as
bench/checkout.py does (omni.settings.local, DJANGO_DEBUG=false). --clients threads, each with
its own connection and its own shopper session (a guest whose cart holds three items, added
through the storefront's own form), request each page --requests times in turn: the Turkish
home page, a top category's listing (24 products, newest first), product pages of the demo
(rotating) and the cart. Before that it counts the queries of each page in-process. It prints
p50, p95 and requests per second for each page and ends with one JSON line.
Goal on these 2-core machines: every page p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import ensure_database, percentile  # noqa: E402
from bench.checkout import _free_port, _start_server, _stop_server  # noqa: E402

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One shopper: a connection and the cookies the storefront set."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, extra: dict | None = None
    ) -> tuple[int, str]:
        headers = {"Accept-Language": "tr", "Host": "127.0.0.1", **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def add_to_cart(self, product_path: str, sku: str) -> None:
        from urllib.parse import urlencode

        status, page = self.request("GET", product_path)
        token = CSRF.search(page)
        if status != 200 or token is None:
            raise SystemExit(f"bench/storefront.py: {product_path} answered {status}")
        body = urlencode({"csrfmiddlewaretoken": token[1], "sku": sku, "quantity": 1})
        status, _text = self.request("POST", "/tr/cart/add/", body)
        if status != 302:
            raise SystemExit(f"bench/storefront.py: adding {sku} to the cart answered {status}")


def _pages() -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """The paths to measure, and (product path, sku) of items in stock for the carts."""
    from catalog.models import Category
    from catalog.selectors import product_list, variants_on_channel
    from inventory.selectors import availability_for_channel
    from storefront.selectors import web_channel

    channel = web_channel()

    products = list(product_list(channel=channel)[:20])
    root = Category.objects.filter(depth=1, is_active=True).order_by("path").first()
    variants = list(variants_on_channel(channel=channel).filter(product__in=products))
    stock = availability_for_channel(channel=channel, variant_ids=[v.pk for v in variants])
    slugs = {p.pk: p.slug for p in products}
    items = [(f"/tr/p/{slugs[v.product_id]}/", v.sku) for v in variants if stock.get(v.pk, 0) > 5]
    return (
        {
            "home": ["/tr/"],
            "listing": [f"/tr/c/{root.slug}/"],
            "product": [f"/tr/p/{p.slug}/" for p in products],
            "cart": ["/tr/cart/"],
        },
        items[:3],
    )


def queries_per_page(pages: dict[str, list[str]], items: list[tuple[str, str]]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_ACCEPT_LANGUAGE="tr", HTTP_HOST="127.0.0.1")
    for _path, sku in items:
        client.post("/tr/cart/add/", {"sku": sku, "quantity": 1})
    counts = {}
    for name, paths in pages.items():
        client.get(paths[0])
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(paths[0]).status_code
        if status != 200:
            raise SystemExit(f"bench/storefront.py: {paths[0]} answered {status}")
        counts[name] = len(ctx)
    return counts


def run(port: int, pages, items, clients: int, requests: int) -> dict[str, dict]:
    times: dict[str, list[float]] = {name: [] for name in pages}
    errors: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(clients)
    spans: dict[str, list[float]] = {name: [] for name in pages}

    def shopper(n: int) -> None:
        browser = Browser(port)
        try:
            for path, sku in items:
                browser.add_to_cart(path, sku)
        except SystemExit as error:
            errors.append(str(error))
        gate.wait()
        for name, paths in pages.items():
            start = time.perf_counter()
            mine = []
            for i in range(requests // clients):
                path = paths[(i + n) % len(paths)]
                t0 = time.perf_counter()
                status, _text = browser.request("GET", path)
                mine.append(time.perf_counter() - t0)
                if status != 200:
                    errors.append(f"{path}: {status}")
            with lock:
                times[name].extend(mine)
                spans[name].append(time.perf_counter() - start)

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"bench/storefront.py: {len(errors)} errors, first: {errors[0]}")
    return {
        name: {
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "rps": round(len(values) / max(spans[name]), 1),
            "requests": len(values),
        }
        for name, values in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per page")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omni_bench_storefront"
    )
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "omni.settings.local"

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--no-images", verbosity=0, stdout=io.StringIO())
    pages, items = _pages()
    queries = queries_per_page(pages, items)
    print("queries per page: " + ", ".join(f"{k} {n}" for k, n in queries.items()))

    port = _free_port()
    log = ROOT / "var" / "bench-storefront-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = _start_server(port, args.workers, "sync", 1, log)
    try:
        run(port, pages, items, args.clients, max(args.clients, args.requests // 10))  # warm
        results = run(port, pages, items, args.clients, args.requests)
    finally:
        _stop_server(server)
    for name, r in results.items():
        print(
            f"{name:8} p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
            f"{r['rps']:6.1f} req/s  ({r['requests']} requests, {queries[name]} queries)"
        )
    print(
        json.dumps(
            {
                "bench": "storefront",
                "clients": args.clients,
                "server": f"gunicorn {args.workers} x sync",
                "pages": {k: {**v, "queries": queries[k]} for k, v in results.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
