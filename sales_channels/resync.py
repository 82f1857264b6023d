"""What a full resync of a channel sends (onboarding a channel, or after an outage on its side):
its current state, as the outbox events its changes would have recorded.

That state is held by the apps above (catalog's prices and listings, inventory's stock), which
sales_channels never imports: an app registers its source here in its AppConfig.ready()
(inventory registers inventory.resync.channel_state_events) and services.channel_resync records
what the sources give."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from omni.outbox import Event
from sales_channels.models import Channel

# source(*, channel, chunk) -> the channel's state as lists of events, `chunk` items at a time,
# each list recorded in a transaction of its own.
StateSource = Callable[..., Iterator[list[Event]]]

_sources: list[StateSource] = []


def resync_source_register(source: StateSource) -> None:
    """Add what a resync sends (an app above, in its ready()); registered twice, used once."""
    if source not in _sources:
        _sources.append(source)


def channel_state_events(*, channel: Channel, chunk: int = 500) -> Iterator[list[Event]]:
    """The channel's state from every registered source, in registration order."""
    for source in list(_sources):
        yield from source(channel=channel, chunk=chunk)
