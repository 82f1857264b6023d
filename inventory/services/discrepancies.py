"""Goods a store handed over that its stock did not hold: a till's sale recorded after the
network came back, when the units it sold had gone meanwhile (sold online, miscounted).

The sale stands: the store did hand the goods over. Its stock leaves through the movements
made outside Omni (stock.external_movement_record, kind sale), as much as the location still
has free (on hand cannot go below zero, nor below what is allocated to other orders), and the
rest is a StockDiscrepancy the manager sees (the admin, the end-of-day report) and resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import ProductVariant
from inventory.locks import variants_lock
from inventory.models import Stock, StockDiscrepancy, StockLocation
from inventory.services.session import Kind
from inventory.services.stock import external_movement_record
from sales_channels.models import Channel


@dataclass(frozen=True)
class HandedOver:
    """What a sale outside Omni took from a location: the units moved and the units short."""

    moved: dict[int, int]  # {variant id: units that left the stock}
    short: dict[int, int]  # {variant id: units handed over that the stock did not hold}


def handed_over_record(
    *,
    location: StockLocation,
    lines: Mapping[int, int],
    reference: str,
    channel: Channel | None = None,
    actor: User | None = None,
) -> HandedOver:
    """Goods handed over at `location` by a sale made outside Omni ({variant id: units}): each
    variant's free units there leave as a sale (external reference `<reference>:<variant id>`)
    and what was missing is raised as a discrepancy. The caller records each sale once (a till
    sale's own id guards its replays); the movements' and discrepancies' references are unique
    all the same, so a second call cannot take the stock twice."""
    with transaction.atomic():
        variants_lock(lines)
        free = {
            s.variant_id: max(s.on_hand - s.allocated, 0)
            for s in Stock.objects.filter(location=location, variant_id__in=lines)
        }
        variants = ProductVariant.objects.in_bulk(list(lines))
        moved: dict[int, int] = {}
        short: dict[int, int] = {}
        for variant_id in sorted(lines):
            wanted = lines[variant_id]
            take = min(wanted, free.get(variant_id, 0))
            ref = f"{reference}:{variant_id}"
            if take:
                external_movement_record(
                    variant=variants[variant_id],
                    location=location,
                    quantity=take,
                    kind=Kind.SALE,
                    external_ref=ref,
                    channel=channel,
                    actor=actor,
                )
                moved[variant_id] = take
            if wanted - take > 0:
                short[variant_id] = wanted - take
        StockDiscrepancy.objects.bulk_create(
            [
                StockDiscrepancy(
                    location=location, variant_id=vid, quantity_short=qty, reference=reference
                )
                for vid, qty in short.items()
            ]
        )
    return HandedOver(moved=moved, short=short)


def discrepancy_resolve(*, discrepancy: StockDiscrepancy, actor: User | None) -> bool:
    """The manager has dealt with it (counted, transferred, written off). False when it was
    resolved already."""
    return bool(
        StockDiscrepancy.objects.filter(pk=discrepancy.pk, resolved_at=None).update(
            resolved_at=timezone.now(), resolved_by=actor
        )
    )
