"""What the clienteling screens write beyond the domain services they call: the store visit a
profile opened at a store records on the customer's timeline."""

from __future__ import annotations

from django.utils import timezone

from customers.models import Customer, TimelineKind
from customers.timeline import timeline_record
from inventory.models import StockLocation
from sales_channels.models import Channel


def store_visit_record(
    *, customer: Customer, store: Channel, location: StockLocation | None
) -> None:
    """Staff opened the customer's profile at a store: the customer is there. One store-visit
    event per customer, store and day on the timeline (a second opening records nothing)."""
    today = timezone.localdate()
    timeline_record(
        customer_id=customer.pk,
        kind=TimelineKind.STORE_VISIT,
        occurred_at=timezone.now(),
        source="staff_profile",
        event_id=f"{customer.pk}:{store.pk}:{today.isoformat()}",
        channel=store,
        store_id=location.pk if location else None,
    )
