"""Catalog API benchmark: product list and product detail on a large catalog.

    python bench/catalog.py [--variants 100000] [--requests 400]

Seeds (or reuses) a catalog of --variants variants in the PostgreSQL database named by
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/omni_bench, created if missing),
then calls the API in-process through Django's full request stack (middleware, DRF, JSON) and
prints p50 and p95 latency and queries per request for each scenario (the Turkish search among
them: folded, with a typo, suggestions), ending with one JSON line.
Goal: a 24-item page in at most 10 queries, p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import ensure_database, percentile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="Requests per scenario.")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omni_bench")
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings.local")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Product

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--no-images", "--variants", str(args.variants), verbosity=0)
    seeded = time.monotonic() - started
    variants = Product.objects.filter(slug__startswith="bench-").count() * 8
    slugs = list(Product.objects.filter(slug__startswith="bench-").values_list("slug", flat=True))
    pages = max(1, len(slugs) // 24)
    rng = random.Random(7)
    client = Client(HTTP_HOST="localhost")

    scenarios = {
        "list": lambda: f"/api/v1/products/?channel=web&page={rng.randint(1, min(pages, 200))}",
        "list_category_sorted": lambda: (
            "/api/v1/products/?channel=web&category=kadin&ordering=price"
        ),
        "list_attribute_price": lambda: (
            "/api/v1/products/?channel=web&attr=renk:siyah&attr=beden:m&price_min=500&price_max=1500"
        ),
        "list_search": lambda: (
            f"/api/v1/products/?channel=app&q={rng.choice(['Ürün 01', 'Product 02', 'Gömlek'])}"
        ),
        # Turkish search (catalog.search): typed without Turkish letters or in capitals, with
        # a typo, and the suggestions as the shopper types.
        "search_folded": lambda: (
            "/api/v1/products/?channel=web&q="
            + rng.choice(["gomlek", "GÖMLEK", "iclik", f"urun {rng.randint(0, 12000):06d}"])
        ),
        "search_typo": lambda: (
            "/api/v1/products/?channel=web&q="
            + rng.choice(["gomlk", "pantelon", "ketn gomlek", "nevresm"])
        ),
        "suggest": lambda: (
            "/api/v1/search/suggestions/?channel=web&q="
            + rng.choice(["gom", "ICL", "havl", f"urun {rng.randint(0, 1200):04d}"])
        ),
        "detail": lambda: f"/api/v1/products/{rng.choice(slugs)}/?channel=web",
    }
    results = {}
    for name, make_url in scenarios.items():
        for _ in range(20):  # warm up caches and connections
            client.get(make_url())
        timings, queries = [], []
        for _ in range(args.requests):
            target = make_url()
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(target)
                elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise SystemExit(
                    f"{target}: HTTP {response.status_code} {response.content[:200]!r}"
                )
            timings.append(elapsed)
            queries.append(len(captured.captured_queries))
        results[name] = {
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(percentile(timings, 95), 2),
            "queries": max(queries),
        }
        print(
            f"{name:<22} p50 {results[name]['p50_ms']:7.2f} ms   p95 {results[name]['p95_ms']:7.2f} ms"
            f"   queries/request {results[name]['queries']}"
        )
    summary = {
        "benchmark": "catalog",
        "variants": variants,
        "requests_per_scenario": args.requests,
        "seed_seconds": round(seeded, 1),
        "scenarios": results,
        "worst_p95_ms": max(r["p95_ms"] for r in results.values()),
        "max_queries": max(r["queries"] for r in results.values()),
        "goal": {"p95_ms": 50, "queries": 10},
    }
    summary["goal_met"] = summary["worst_p95_ms"] < 50 and summary["max_queries"] <= 10
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
