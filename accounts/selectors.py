from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import DeviceToken, User


def devices_for_user(*, user: User) -> QuerySet[DeviceToken]:
    """The user's signed-in devices (tokens not yet expired), the most recently used first."""
    live = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return DeviceToken.objects.filter(live, user=user).order_by("-last_used", "-pk")
