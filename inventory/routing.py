"""Which locations fulfil an order: one rule, explained.

1. Click-and-collect takes only the chosen store.
2. Delivery takes the channel's locations that ship to customers, and prefers one location that
   can ship the whole order; among several, the one nearest the delivery address (without an
   address, the channel's first in priority).
3. Otherwise the split with the fewest shipments; among splits of the same size, the one whose
   locations are nearest in all (then the earliest in priority). Each line is taken from the
   split's locations nearest first.

The planner is a pure function of what each location can sell, so it is tested on its own and
runs in the transaction that holds the stock locks, on the quantities read under them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# Beyond this many candidate locations the split search is greedy rather than exhaustive.
EXHAUSTIVE_LIMIT = 10


@dataclass(frozen=True)
class Candidate:
    location_id: int
    code: str
    priority: int
    distance_km: float | None
    sellable: dict[int, int]  # variant id -> units this location can give this channel


@dataclass
class Shipment:
    location_id: int
    code: str
    items: dict[int, int] = field(default_factory=dict)  # variant id -> units


@dataclass
class Plan:
    shipments: list[Shipment]
    explanation: list[str]
    shortfall: dict[int, tuple[int, int]] = field(default_factory=dict)  # vid -> (asked, can have)

    @property
    def feasible(self) -> bool:
        return not self.shortfall


def _order_key(c: Candidate) -> tuple:
    return (c.distance_km if c.distance_km is not None else float("inf"), c.priority, c.location_id)


def plan(demand: dict[int, int], candidates: Sequence[Candidate], *, pickup: bool = False) -> Plan:
    """Plan the shipments for `demand` ({variant id: units}) from `candidates`."""
    demand = {vid: qty for vid, qty in demand.items() if qty > 0}
    ranked = sorted(candidates, key=_order_key)
    total = {vid: sum(c.sellable.get(vid, 0) for c in ranked) for vid in demand}
    shortfall = {vid: (qty, total[vid]) for vid, qty in demand.items() if total[vid] < qty}
    if pickup:
        store = ranked[0].code if ranked else "?"
        if shortfall:
            return Plan(
                [],
                [
                    _("Click and collect at %(store)s, which has too little stock.")
                    % {"store": store}
                ],
                shortfall,
            )
        return Plan(
            [_ship(ranked[0], demand)],
            [
                _("Click and collect: everything from the chosen store, %(store)s.")
                % {"store": store}
            ],
        )
    if not ranked:
        return Plan(
            [],
            [_("No location ships to customers for this channel.")],
            {vid: (q, 0) for vid, q in demand.items()},
        )
    if shortfall:
        return Plan([], [_("The channel's locations together have too little stock.")], shortfall)

    whole = [c for c in ranked if all(c.sellable.get(vid, 0) >= qty for vid, qty in demand.items())]
    if whole:
        best = whole[0]
        why = (
            _("%(code)s can ship the whole order and is the nearest of %(n)d that can.")
            if best.distance_km is not None
            else _(
                "%(code)s can ship the whole order and comes first in the channel's priority of %(n)d that can."
            )
        ) % {"code": best.code, "n": len(whole)}
        return Plan([_ship(best, demand)], [why])

    split = _fewest_shipments(demand, ranked)
    codes = ", ".join(s.code for s in split)
    return Plan(
        split,
        [
            _("No single location has everything."),
            _("Split into %(n)d shipments, the fewest possible, nearest first: %(codes)s.")
            % {"n": len(split), "codes": codes},
        ],
    )


def _ship(candidate: Candidate, demand: dict[int, int]) -> Shipment:
    return Shipment(candidate.location_id, candidate.code, dict(demand))


def _covers(combo: Sequence[Candidate], demand: dict[int, int]) -> bool:
    return all(sum(c.sellable.get(vid, 0) for c in combo) >= qty for vid, qty in demand.items())


def _fill(combo: Sequence[Candidate], demand: dict[int, int]) -> list[Shipment]:
    shipments = {c.location_id: Shipment(c.location_id, c.code) for c in combo}
    for vid, qty in demand.items():
        left = qty
        for c in combo:  # nearest first
            take = min(left, c.sellable.get(vid, 0))
            if take:
                shipments[c.location_id].items[vid] = take
                left -= take
            if not left:
                break
    return [s for s in shipments.values() if s.items]


def _combo_key(combo: Sequence[Candidate]) -> tuple:
    # Nearest in all: the total distance, then the locations' own order (nearest, priority).
    total = sum(c.distance_km for c in combo if c.distance_km is not None)
    return (total, tuple(map(_order_key, combo)))


def _fewest_shipments(demand: dict[int, int], ranked: Sequence[Candidate]) -> list[Shipment]:
    useful = [c for c in ranked if any(c.sellable.get(vid, 0) > 0 for vid in demand)]
    if len(useful) <= EXHAUSTIVE_LIMIT:
        for size in range(2, len(useful) + 1):
            feasible = [
                combo for combo in itertools.combinations(useful, size) if _covers(combo, demand)
            ]
            if feasible:
                best = min(feasible, key=_combo_key)
                return _fill(best, demand)
    # Greedy: repeatedly take the location that covers most of what is still missing.
    chosen: list[Candidate] = []
    left = dict(demand)
    while any(left.values()):
        remaining = [c for c in useful if c not in chosen]
        pick = max(
            remaining,
            key=lambda c: (
                sum(min(c.sellable.get(v, 0), q) for v, q in left.items()),
                tuple(-x for x in _order_key(c)[:2]),
            ),
        )
        chosen.append(pick)
        for vid in left:
            left[vid] = max(0, left[vid] - pick.sellable.get(vid, 0))
    return _fill(sorted(chosen, key=_order_key), demand)
