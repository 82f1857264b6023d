from __future__ import annotations

import copy
import time

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from omni.errors import ValidationError
from sales_channels.models import Channel


def channel_list_active() -> QuerySet[Channel]:
    return Channel.objects.filter(is_active=True).order_by("kind", "name")


_recent: dict[str, tuple[Channel, float]] = {}


def channel_cache_clear(**_kwargs) -> None:
    """Forget the channels this process keeps (one was saved here)."""
    _recent.clear()


def channel_get_active(code: str | None, *, field: str = "channel") -> Channel:
    """The active channel with this code, or a field-level error naming the bad value.

    Every shopper request names its channel, so each process keeps the channels it has read
    for OMNI_CHANNEL_CACHE_SECONDS (a channel saved in this process is forgotten at once; one
    deactivated elsewhere stops selling within that time). Callers get their own copy."""
    if not code:
        raise ValidationError.for_field(field, _("Choose a sales channel."), code="required")
    ttl = settings.OMNI_CHANNEL_CACHE_SECONDS
    hit = _recent.get(code) if ttl else None
    if hit is not None and time.monotonic() - hit[1] < ttl:
        return copy.copy(hit[0])
    channel = Channel.objects.filter(code=code, is_active=True).first()
    if channel is not None and ttl:
        _recent[code] = (copy.copy(channel), time.monotonic())
    if channel is None:
        raise ValidationError.for_field(
            field, _("Unknown sales channel: %(code)s.") % {"code": code}, code="unknown_channel"
        )
    return channel
