from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from omni.errors import ValidationError
from sales_channels.models import Channel


def channel_list_active() -> QuerySet[Channel]:
    return Channel.objects.filter(is_active=True).order_by("kind", "name")


def channel_get_active(code: str | None, *, field: str = "channel") -> Channel:
    """The active channel with this code, or a field-level error naming the bad value."""
    if not code:
        raise ValidationError.for_field(field, _("Choose a sales channel."), code="required")
    channel = Channel.objects.filter(code=code, is_active=True).first()
    if channel is None:
        raise ValidationError.for_field(
            field, _("Unknown sales channel: %(code)s.") % {"code": code}, code="unknown_channel"
        )
    return channel
