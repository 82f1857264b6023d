"""The demo's segments (seed_demo, after orders have given the demo profiles their history and
metrics): three a Turkish retailer would keep, each recomputed at once so the admin and the
360 show their members."""

from __future__ import annotations

from customers.models import Segment
from customers.segments import segment_recompute
from customers.services import segment_create

DEMO_SEGMENTS = (
    (
        "Mağazadan alıp online almayanlar",
        "Bought in a store, never on the web or in the app: candidates for an app invitation.",
        {
            "all": [
                {"field": "bought_on_channel_kind", "op": "eq", "value": "store"},
                {"not": {"field": "bought_on_channel_kind", "op": "in", "value": ["web", "app"]}},
            ]
        },
    ),
    (
        "Şampiyonlar (RFM)",
        "Bought recently, often and for much.",
        {"field": "rfm_segment", "op": "eq", "value": "champions"},
    ),
    (
        "E-posta izinli sadık müşteriler",
        "Three orders or more, and may be sent commercial e-mail.",
        {
            "all": [
                {"field": "orders_count", "op": "gte", "value": 3},
                {"field": "may_email", "op": "eq", "value": True},
            ]
        },
    ),
)


def segments_demo_seed() -> list[str]:
    lines = []
    for name, description, rules in DEMO_SEGMENTS:
        segment = Segment.objects.filter(name=name).first() or segment_create(
            name=name, rules=rules, description=description
        )
        segment_recompute(segment_id=segment.pk)
        segment.refresh_from_db()
        lines.append(f"  segment {name}: {segment.member_count} members")
    return ["Segments:", *lines]
