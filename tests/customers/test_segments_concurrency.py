"""Segment syncs at once, on real PostgreSQL with a connection per thread: however many full
recomputes and incremental refreshes run together, each entry is recorded once."""

from __future__ import annotations

import pytest

from customers import segments, services
from customers.models import (
    Segment,
    SegmentMembership,
    SegmentMembershipChange,
)
from omni.models import OutboxEvent
from tests import factories as f
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_recomputes_and_refreshes_at_once_record_each_entry_once():
    customers = f.CustomerFactory.create_batch(20)
    segment = Segment.objects.create(
        name="s", rules={"field": "is_guest", "op": "eq", "value": True}
    )
    services.segments_customers_changed(customer_ids=[c.pk for c in customers])

    outcomes = race(
        [
            lambda: segments.segment_recompute(segment_id=segment.pk),
            lambda: segments.segment_recompute(segment_id=segment.pk),
            lambda: segments.segments_refresh_pending(limit=10),
            lambda: segments.segments_refresh_pending(limit=10),
        ]
    )

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert SegmentMembership.objects.filter(segment=segment).count() == 20
    assert SegmentMembershipChange.objects.filter(segment=segment).count() == 20
    assert OutboxEvent.objects.filter(topic="customers.segment.entered").count() == 20
    segment.refresh_from_db()
    assert segment.member_count == 20
