"""Hooks: how a lower app lets the apps above it react to its changes without importing them
(README, "How the code is laid out").

The lower app declares a `Hook` in its own `hooks` module (orders.hooks, accounts.hooks) and
sends it where the change is made; an app above connects its handler in its
`AppConfig.ready()`. Unlike a Django signal, a hook is called explicitly, with keyword
arguments the hook's comment lists, and its handlers are the higher app's services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    """One kind of change, and the handlers registered for it, called in registration order
    with the keyword arguments the sender passes. A handler registered twice is called once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Callable[..., None]] = []

    @property
    def handlers(self) -> tuple[Callable[..., None], ...]:
        return tuple(self._handlers)

    def connect(self, handler: Callable[..., None]) -> None:
        if handler not in self._handlers:
            self._handlers.append(handler)

    def disconnect(self, handler: Callable[..., None]) -> None:
        if handler in self._handlers:
            self._handlers.remove(handler)

    def send(self, **kwargs: Any) -> None:
        for handler in list(self._handlers):
            handler(**kwargs)
