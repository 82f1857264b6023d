"""Two KVKK destruction runs at once (the beat and the command), on real PostgreSQL with a
connection per thread: what is past retention is destroyed once, and nothing fails."""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from customers import retention
from customers.models import DestructionLog
from tests.customers.test_retention import EXPECTED, world  # noqa: F401 (the fixture)
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_runs_at_once_destroy_everything_once(world):  # noqa: F811
    start = timezone.now()

    outcomes = race(
        [
            lambda: retention.destruction_run(triggered_by="beat"),
            lambda: retention.destruction_run(triggered_by="command"),
        ]
    )

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    ran = [o for o in outcomes if o is not None]
    assert ran  # one at least; the other stopped at the lock or found nothing left
    destroyed: Counter[str] = Counter()
    for done in ran:
        destroyed.update({item.category: item.rows for item in done})
    assert dict(destroyed) == EXPECTED
    logged: Counter[str] = Counter()
    for log in DestructionLog.objects.filter(started_at__gte=start):
        logged[log.category] += log.rows
    assert dict(logged) == EXPECTED
