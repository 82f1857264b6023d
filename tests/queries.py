"""The one way a test pins a number of queries: exactly, with the number written in the test.

A hot operation's test runs it with one row and with many in the same test, each inside
`assert_num_queries(n)` with the same `n`, as Saleor's benchmark tests and Zulip's
`assert_database_query_count` do. An upper bound would let a slow rise pass, and two counts
compared across test cases would not be compared at all under `-n`, `-k` or `--lf`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.test.utils import CaptureQueriesContext


def cache_as_in_production(settings) -> None:
    """Keep channels, shipping methods and the channels' stock configuration per process for
    the default time, as production does (the test settings turn those caches off). A figure
    the README quotes from a benchmark is measured so."""
    settings.OMNI_CHANNEL_CACHE_SECONDS = 5
    settings.OMNI_STOCK_CONFIG_SECONDS = 5


@contextmanager
def assert_num_queries(expected: int, *, using: str = "default") -> Iterator[CaptureQueriesContext]:
    """Fail unless the block runs exactly `expected` queries; the failure lists them."""
    with CaptureQueriesContext(connections[using]) as captured:
        yield captured
    executed = len(captured.captured_queries)
    if executed != expected:
        sql = "\n".join(
            f"{i}. {q['sql'][:200]}" for i, q in enumerate(captured.captured_queries, 1)
        )
        raise AssertionError(f"{executed} queries where {expected} were expected:\n{sql}")
