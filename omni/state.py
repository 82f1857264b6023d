"""One state machine for every status Omni moves: a table of allowed transitions, one method
that applies a transition, and the change recorded.

The order, its fulfilments and returns, a payment and a stock transfer each declare a
`StateMachine` beside their services, with

- `states`: the model's status choices, so that the table names every state (checked here, at
  import) and a refusal can name them;
- `transitions`: {state: the states it may become}, the one table of allowed moves;
- `refused(obj, to)`: the message of the InvalidTransition a move that is not allowed raises,
  in the words that site has always used;
- `record(obj, before, to, **context)`: what a change leaves behind (an order event, an outbox
  event), called once per change, in the caller's transaction; what it returns, `move` returns;
- `stamps`: {state: a datetime field set to now on entering it}, e.g. an order's confirmed_at.

`move()` checks, sets the status (and the stamps and any `changes`), saves only those fields
and records the change; a refused move changes nothing. `allows()` and `next()` answer without
moving (an admin page greying out an action, a provider's late answer that is ignored), and
`require()` refuses early, before a service does the work a move stands for.

The idea is django-oscar's order status pipeline (`available_statuses`, `set_status` raising
InvalidOrderStatus and recording the change) and django-fsm's declared transitions, with the
table kept as data, so that one test can walk every pair of states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.errors import InvalidTransition

ModelT = TypeVar("ModelT", bound=models.Model)
RecordT = TypeVar("RecordT")

_machines: dict[str, StateMachine[Any, Any]] = {}


class StateMachine(Generic[ModelT, RecordT]):
    def __init__(
        self,
        name: str,
        *,
        states: type[models.TextChoices],
        transitions: Mapping[str, Iterable[str]],
        refused: Callable[[ModelT, str], str],
        record: Callable[..., RecordT],
        field: str = "status",
        stamps: Mapping[str, str] | None = None,
        field_error: bool = True,
    ) -> None:
        """`field_error`: a refusal also names the status field ("Not allowed from ...") in
        its `fields`; transfers' refusals never have."""
        known = set(states.values)
        table = {state: frozenset(targets) for state, targets in transitions.items()}
        unknown = (set(table) | {to for targets in table.values() for to in targets}) - known
        if set(table) != known or unknown:
            raise ValueError(
                f"The {name} transitions must list every state of {states.__name__} once, "
                f"and only those (missing: {sorted(known - set(table))}, "
                f"unknown: {sorted(unknown)})."
            )
        self.name = name
        self.states = states
        self.field = field
        self.transitions: Mapping[str, frozenset[str]] = MappingProxyType(table)
        self.stamps: Mapping[str, str] = MappingProxyType(dict(stamps or {}))
        self._refused = refused
        self._record = record
        self._field_error = field_error
        _machines[name] = self

    def __repr__(self) -> str:
        return f"<StateMachine {self.name}>"

    def allows(self, current: str, to: str) -> bool:
        """May a `current` object become `to`?"""
        return to in self.transitions.get(current, ())

    def next(self, current: str) -> frozenset[str]:
        """The states a `current` object may become."""
        return self.transitions.get(current, frozenset())

    def refusal(self, obj: ModelT, to: str, *, message: str | None = None) -> InvalidTransition:
        """The error for a move of `obj` to `to` that is not allowed. `message` replaces the
        machine's own for a narrower rule of one service (a shopper may cancel only so far)."""
        current = getattr(obj, self.field)
        fields = (
            {self.field: [_("Not allowed from %(status)s.") % {"status": current}]}
            if self._field_error
            else None
        )
        return InvalidTransition(message or self._refused(obj, to), fields=fields)

    def require(self, obj: ModelT, to: str) -> None:
        """Raise InvalidTransition unless `obj` may become `to` (and change nothing)."""
        if not self.allows(getattr(obj, self.field), to):
            raise self.refusal(obj, to)

    def move(
        self,
        obj: ModelT,
        to: str,
        *,
        changes: Mapping[str, Any] | None = None,
        **context: Any,
    ) -> RecordT:
        """Move a locked `obj` to `to`, or raise InvalidTransition and change nothing. Sets the
        status, the state's stamp and any field `changes`, saves only those fields (and
        updated_at), then records the change with `context` (who, on which channel, ...)."""
        self.require(obj, to)
        before = getattr(obj, self.field)
        setattr(obj, self.field, to)
        fields = [self.field]
        for name, value in (changes or {}).items():
            setattr(obj, name, value)
            fields.append(name)
        stamp = self.stamps.get(to)
        if stamp is not None:
            setattr(obj, stamp, timezone.now())
            fields.append(stamp)
        obj.save(update_fields=[*fields, "updated_at"])
        return self._record(obj, before, to, **context)


def machines() -> Mapping[str, StateMachine[Any, Any]]:
    """Every machine declared so far, by name (those of the modules imported)."""
    return MappingProxyType(_machines)
