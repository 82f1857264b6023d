"""Stock held for carts until they expire."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from inventory.models import (
    Reservation,
)
from inventory.services.session import _positive, _Session
from omni.errors import InsufficientStock
from sales_channels.models import Channel

# --- reservations for carts -----------------------------------------------------------------


def reservations_set(
    *,
    channel: Channel,
    reference: str,
    lines: Mapping[int, int],
    ttl: timedelta,
) -> list[Reservation]:
    """Hold stock for a cart (`reference`, e.g. "cart:<token>") until now + ttl: all lines or
    none. Replaces what the reference held before, so calling it again with the cart's new
    lines is how a reservation follows the cart."""
    lines = {vid: qty for vid, qty in lines.items() if qty}
    for qty in lines.values():
        _positive(qty)
    with transaction.atomic():
        previous = list(
            Reservation.objects.filter(reference=reference).values_list("variant_id", flat=True)
        )
        session = _Session.open([*lines, *previous], exclude_reservation=reference)
        Reservation.objects.filter(reference=reference).delete()
        expires_at = session.now + ttl
        created, short = [], []
        for vid, qty in sorted(lines.items()):
            left = qty
            for location_id, units in session.sellable_at(channel.pk, vid).items():
                take = min(units, left)
                if take:
                    session.reserve(vid, location_id, take)
                    row = session.rows[vid, location_id]
                    created.append(
                        Reservation(
                            stock=row.stock,
                            variant_id=vid,
                            channel=channel,
                            quantity=take,
                            reference=reference,
                            expires_at=expires_at,
                            created_at=session.now,
                        )
                    )
                    left -= take
                if not left:
                    break
            if left:
                short.append((session.skus[vid], qty, qty - left))
        if short:
            raise InsufficientStock(short)
        Reservation.objects.bulk_create(created)
        session.flush()
        return created


def reservations_extend(*, reference: str, ttl: timedelta) -> int:
    """Push back the expiry of a reference's live reservations; returns how many were extended."""
    now = timezone.now()
    return Reservation.objects.filter(reference=reference, expires_at__gt=now).update(
        expires_at=now + ttl
    )


def reservations_release(*, reference: str) -> int:
    """Give back what a reference holds (a cart emptied or abandoned)."""
    with transaction.atomic():
        variant_ids = list(
            Reservation.objects.filter(reference=reference).values_list("variant_id", flat=True)
        )
        if not variant_ids:
            return 0
        session = _Session.open(variant_ids)
        held = Reservation.objects.filter(reference=reference, expires_at__gt=session.now)
        for variant_id, location_id, quantity in held.values_list(
            "variant_id", "stock__location_id", "quantity"
        ):
            session.rows[variant_id, location_id].reserved -= quantity
        deleted, _rows = Reservation.objects.filter(reference=reference).delete()
        session.flush()
        return deleted


def reservations_expire(*, limit: int = 500) -> int:
    """Delete expired reservations (they already count for nothing) and tell the channels
    what they can sell again. Safe to run at any time and any number of times."""
    now = timezone.now()
    variant_ids = list(
        Reservation.objects.filter(expires_at__lte=now)
        .values_list("variant_id", flat=True)
        .distinct()[:limit]
    )
    if not variant_ids:
        return 0
    with transaction.atomic():
        session = _Session.open(variant_ids)
        # The session already ignores expired rows; the 'before' state must count them, as the
        # channels were last told availability with them held.
        expired = Reservation.objects.filter(
            variant_id__in=variant_ids, expires_at__lte=session.now
        ).select_related("stock")
        for r in expired:
            row = session.rows[r.variant_id, r.stock.location_id]
            on_hand, allocated, reserved = row.before
            row.before = (on_hand, allocated, reserved + r.quantity)
        deleted, _rows = Reservation.objects.filter(pk__in=[r.pk for r in expired]).delete()
        session.flush()
        return deleted
