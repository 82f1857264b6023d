"""Configuration every request needs and that changes rarely, kept per process."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")


class ProcessCache(Generic[T]):
    """Values this process keeps for the seconds the setting `ttl_setting` names (0: none is
    kept, as in the tests). `clear` is connected to the model's save and delete signals, so a
    change made in this process is seen at once; one made in another process within the TTL.
    A value is shared: callers hand out copies. None is never kept (not found stays a query).
    """

    def __init__(self, ttl_setting: str) -> None:
        self.ttl_setting = ttl_setting
        self._kept: dict[Hashable, tuple[T, float]] = {}

    def get(self, key: Hashable, load: Callable[[], T | None]) -> T | None:
        ttl = getattr(settings, self.ttl_setting)
        hit = self._kept.get(key) if ttl else None
        if hit is not None and time.monotonic() - hit[1] < ttl:
            return hit[0]
        value = load()
        if value is not None and ttl:
            self._kept[key] = (value, time.monotonic())
        return value

    def clear(self, **_signal) -> None:
        self._kept.clear()
