"""The merchant admin for inventory: locations, stock with its ledger, transfers, reservations,
allocations and low-stock alerts.

Every change of a quantity goes through inventory.services, so the ledger, the availability
events in the outbox and the low-stock alerts stay exactly as they are when the API or an order
makes the change. Only configuration is saved here directly: locations, which channels sell
from them, reorder points, and a transfer's reference and expected date. The ledger,
reservations, allocations and alerts are read-only.

One module per topic; Django finds the registrations through the imports below.
"""

from inventory.admin import discrepancies, holds, locations, stock, transfers

__all__ = ["discrepancies", "holds", "locations", "stock", "transfers"]
