"""Every change to stock: one service per operation, used by the API, the admin, the staff
screens, the order service and the tasks alike.

Each operation runs in one transaction that
1. locks the variants it touches (inventory.locks: one row per variant, in variant order),
2. reads their stock rows with the live reservations, under that lock,
3. checks and applies its changes in memory, refusing anything that would take a location
   below zero or sell what a channel does not have,
4. writes the stock deltas, the ledger movements, and one outbox event per channel whose
   sellable quantity changed, carrying the new quantity and a version that only grows,
all before the commit that releases the lock. A few statements are all that run under it.

The operations live in modules by topic; this package re-exports them, so callers write
`from inventory import services; services.stock_adjust(...)`:
- `session`: the session above, shared by every operation;
- `stock`: receipts, adjustments, counts, movements made outside Omni, returns handed in, audit;
- `reservations`: stock held for carts;
- `allocation`: stock allocated to orders (routing, release, consumption);
- `transfers`: stock moved between locations;
- `availability`: the channels told again after their stock configuration changed.
What a channel can sell (its locations, the units free there) is in inventory.channel_stock,
which the selectors read too.
"""

from inventory.channel_stock import (
    TOPIC_AVAILABILITY,
    ChannelConfig,
    ChannelSource,
    StockLevels,
    availability_event,
    channel_config,
    channel_config_changed,
    channel_sources,
    live_reserved,
    route_candidates,
    sellable,
    stock_levels,
)
from inventory.services.allocation import (
    AllocationResult,
    LineRequest,
    allocations_consume,
    allocations_release,
    stock_allocate,
)
from inventory.services.availability import (
    availability_refresh_step,
    channel_availability_refresh,
)
from inventory.services.discrepancies import (
    HandedOver,
    discrepancy_resolve,
    handed_over_record,
)
from inventory.services.reservations import (
    reservations_expire,
    reservations_extend,
    reservations_release,
    reservations_set,
)
from inventory.services.stock import (
    Drift,
    external_movement_record,
    return_restock,
    stock_adjust,
    stock_audit,
    stock_count,
    stock_receive,
    stock_receive_many,
)
from inventory.services.transfers import (
    TRANSFER_MACHINE,
    TRANSFER_TRANSITIONS,
    transfer_cancel,
    transfer_detach_order,
    transfer_for_order,
    transfer_receive,
    transfer_request,
    transfer_ship,
)

__all__ = [
    "TOPIC_AVAILABILITY",
    "TRANSFER_MACHINE",
    "TRANSFER_TRANSITIONS",
    "AllocationResult",
    "ChannelConfig",
    "ChannelSource",
    "Drift",
    "HandedOver",
    "LineRequest",
    "StockLevels",
    "allocations_consume",
    "allocations_release",
    "availability_event",
    "availability_refresh_step",
    "channel_availability_refresh",
    "channel_config",
    "channel_config_changed",
    "channel_sources",
    "discrepancy_resolve",
    "external_movement_record",
    "handed_over_record",
    "live_reserved",
    "reservations_expire",
    "reservations_extend",
    "reservations_release",
    "reservations_set",
    "return_restock",
    "route_candidates",
    "sellable",
    "stock_adjust",
    "stock_allocate",
    "stock_audit",
    "stock_count",
    "stock_levels",
    "stock_receive",
    "stock_receive_many",
    "transfer_cancel",
    "transfer_detach_order",
    "transfer_for_order",
    "transfer_receive",
    "transfer_request",
    "transfer_ship",
]
