"""The interface between the outbox relay and a channel's receiver.

The relay (sales_channels.services / tasks) reads committed outbox events, fans each out to the
endpoints of the channel it concerns (an event with no channel goes to every endpoint), folds
many changes of one key into its latest state (coalescing) and hands the endpoint's connector a
batch of `Change`s. The connector sends them and says, per change, what happened (`Outcome`);
the relay does the bookkeeping: retries with backoff, dead letters, flags, lag.

A connector never touches the outbox or the delivery rows, holds no transaction open while it
talks to the network, and must be safe to call twice with the same change (the delivery id
stays the same on every retry, so a receiver can drop a duplicate).

Another kind of receiver (a second marketplace, an ERP) is one more class:

    @register
    class MyMarketplace(Connector):
        kind = "my-marketplace"
        label = "My marketplace"
        topics = frozenset({"inventory.availability.changed", "catalog.price.changed"})
        batch_size = 500

        def send(self, changes): ...
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # the endpoint model lives in sales_channels.models
    from sales_channels.models import ChannelEndpoint


@dataclass(frozen=True, slots=True)
class Change:
    """The latest state of one key (e.g. "variant:42") for one endpoint."""

    delivery_id: str  # the same on every retry of this delivery
    topic: str  # e.g. "inventory.availability.changed"
    key: str
    version: int  # only grows per key: a receiver may drop anything older than it has seen
    payload: dict[str, Any]
    channel_id: int | None
    occurred_at: datetime  # when the oldest change folded into this one was committed


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: str
    ok: bool
    # False: the receiver refused it for good (a 4xx other than 408/429, a validation error);
    # the delivery goes straight to the dead letters instead of being retried.
    retry: bool = True
    error: str = ""
    # Seconds the receiver asked us to wait (429 Retry-After), if it said.
    retry_after: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class Connector(ABC):
    """One kind of receiver. Instantiated per endpoint for one batch; keep no state between."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # The outbox topics it takes; None: all of them.
    topics: ClassVar[frozenset[str] | None] = None
    # At most this many changes per send().
    batch_size: ClassVar[int] = 1

    def __init__(self, endpoint: ChannelEndpoint) -> None:
        self.endpoint = endpoint

    def wants(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics

    @abstractmethod
    def send(self, changes: list[Change]) -> list[Outcome]:
        """Deliver the changes; one Outcome per change, in any order. Raise nothing for a
        failure of the receiver (return Outcomes with ok=False); an exception is treated as a
        retryable failure of the whole batch."""

    def check_config(self) -> dict[str, list[str]]:
        """Field errors in the endpoint's configuration ({} when it is usable), shown in the
        admin before it is saved."""
        return {}


CONNECTORS: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    if cls.kind in CONNECTORS and CONNECTORS[cls.kind] is not cls:
        raise RuntimeError(f"two connectors claim the kind {cls.kind!r}")
    CONNECTORS[cls.kind] = cls
    return cls


def connector_class(kind: str) -> type[Connector]:
    """The connector for `kind`; KeyError with the known kinds if there is none."""
    try:
        return CONNECTORS[kind]
    except KeyError:
        raise KeyError(f"no connector of kind {kind!r} (known: {sorted(CONNECTORS)})") from None
