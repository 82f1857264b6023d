"""inventory.routing.plan, the pure function that chooses the locations fulfilling an order.

No database: a plan is a function of what each candidate location can sell."""

from __future__ import annotations

import itertools

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.routing import EXHAUSTIVE_LIMIT, Candidate, Plan, plan

A, B = 1, 2  # variant ids


def loc(location_id: int, distance: float | None = None, priority: int = 0, **sellable: int):
    """A candidate location; sellable as a=.., b=.. (variants A and B)."""
    units = {{"a": A, "b": B}[k]: v for k, v in sellable.items()}
    return Candidate(location_id, f"loc-{location_id}", priority, distance, units)


def shipped(result: Plan) -> dict[int, dict[int, int]]:
    return {s.location_id: s.items for s in result.shipments}


# --- click and collect ------------------------------------------------------------------------


def test_pickup_takes_everything_from_the_chosen_store():
    store = loc(7, distance=250.0, a=2, b=1)

    result = plan({A: 2, B: 1}, [store], pickup=True)

    assert result.feasible
    assert shipped(result) == {7: {A: 2, B: 1}}
    assert "loc-7" in result.explanation[0]


def test_pickup_at_a_store_short_of_stock_reports_the_shortfall_and_ships_nothing():
    store = loc(7, a=1, b=5)

    result = plan({A: 3, B: 1}, [store], pickup=True)

    assert not result.feasible
    assert result.shipments == []
    assert result.shortfall == {A: (3, 1)}
    assert "loc-7" in result.explanation[0]


# --- one location for the whole order ---------------------------------------------------------


def test_the_nearest_location_that_has_everything_wins():
    far = loc(1, distance=400.0, priority=0, a=5, b=5)
    near = loc(2, distance=12.0, priority=1, a=5, b=5)
    nearest_but_short = loc(3, distance=1.0, priority=2, a=5, b=0)

    with translation.override("en"):  # the explanation is asserted in English
        result = plan({A: 2, B: 1}, [far, near, nearest_but_short])

    assert shipped(result) == {2: {A: 2, B: 1}}
    assert "loc-2" in result.explanation[0] and "nearest of 2" in result.explanation[0]


def test_without_a_destination_the_first_in_priority_that_has_everything_wins():
    first = loc(1, priority=0, a=1, b=0)
    second = loc(2, priority=1, a=3, b=3)
    third = loc(3, priority=2, a=9, b=9)

    with translation.override("en"):  # the explanation is asserted in English
        result = plan({A: 2, B: 2}, [third, first, second])

    assert shipped(result) == {2: {A: 2, B: 2}}
    assert "priority" in result.explanation[0]


def test_a_single_location_is_preferred_to_a_nearer_split():
    near_a = loc(1, distance=1.0, a=5)
    near_b = loc(2, distance=2.0, b=5)
    far_whole = loc(3, distance=900.0, a=5, b=5)

    assert shipped(plan({A: 1, B: 1}, [near_a, near_b, far_whole])) == {3: {A: 1, B: 1}}


# --- splits -----------------------------------------------------------------------------------


def test_a_split_uses_the_fewest_shipments():
    # Nearest first, greedily, would take 1, 2 and 3; 4 and 5 together are two shipments.
    candidates = [
        loc(1, distance=1.0, a=1),
        loc(2, distance=2.0, a=1),
        loc(3, distance=3.0, b=2),
        loc(4, distance=50.0, a=2),
        loc(5, distance=60.0, b=2),
    ]

    with translation.override("en"):  # the explanation is asserted in English
        result = plan({A: 2, B: 2}, candidates)

    assert result.feasible
    assert len(result.shipments) == 2
    assert shipped(result) == {3: {B: 2}, 4: {A: 2}}
    assert "2 shipments" in result.explanation[1]


def test_among_splits_of_the_same_size_the_nearest_in_all_wins():
    # {1, 4} has the nearest location but is 1 + 500 km in all; {2, 3} is 5 km in all.
    candidates = [
        loc(1, distance=1.0, a=2),
        loc(2, distance=2.0, a=1, b=1),
        loc(3, distance=3.0, a=1, b=1),
        loc(4, distance=500.0, b=2),
    ]

    assert shipped(plan({A: 2, B: 2}, candidates)) == {2: {A: 1, B: 1}, 3: {A: 1, B: 1}}


def test_without_a_destination_splits_follow_the_channel_priority():
    candidates = [
        loc(1, priority=3, a=2),
        loc(2, priority=0, a=2),
        loc(3, priority=1, b=2),
        loc(4, priority=2, b=2),
    ]

    assert shipped(plan({A: 2, B: 2}, candidates)) == {2: {A: 2}, 3: {B: 2}}


def test_a_split_takes_each_line_nearest_first_and_never_more_than_a_location_can_sell():
    candidates = [loc(1, distance=5.0, a=3, b=1), loc(2, distance=9.0, a=10, b=3)]

    result = plan({A: 5, B: 4}, candidates)

    assert shipped(result) == {1: {A: 3, B: 1}, 2: {A: 2, B: 3}}


# --- shortfall --------------------------------------------------------------------------------


def test_a_shortfall_reports_what_was_asked_and_what_could_be_had():
    candidates = [loc(1, distance=1.0, a=2, b=9), loc(2, distance=2.0, a=1)]

    result = plan({A: 4, B: 3}, candidates)

    assert not result.feasible
    assert result.shipments == []
    assert result.shortfall == {A: (4, 3)}


def test_a_channel_with_no_location_that_ships_has_nothing():
    result = plan({A: 1, B: 2}, [])

    assert not result.feasible
    assert result.shortfall == {A: (1, 0), B: (2, 0)}


# --- properties -------------------------------------------------------------------------------

VARIANTS = [1, 2, 3]


@st.composite
def orders(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    with_distance = draw(st.booleans())
    candidates = [
        Candidate(
            location_id=i + 1,
            code=f"loc-{i + 1}",
            priority=draw(st.integers(0, 3)),
            distance_km=draw(st.floats(0, 1000, allow_nan=False)) if with_distance else None,
            sellable={v: draw(st.integers(0, 4)) for v in VARIANTS},
        )
        for i in range(n)
    ]
    demand = draw(
        st.dictionaries(st.sampled_from(VARIANTS), st.integers(1, 8), min_size=1, max_size=3)
    )
    return demand, candidates


def _fewest_possible(demand: dict[int, int], candidates: list[Candidate]) -> int | None:
    for size in range(1, len(candidates) + 1):
        for combo in itertools.combinations(candidates, size):
            if all(sum(c.sellable.get(v, 0) for c in combo) >= q for v, q in demand.items()):
                return size
    return None


@settings(max_examples=300, deadline=None)
@given(orders())
def test_a_plan_covers_the_demand_exactly_within_what_each_location_can_sell(order):
    demand, candidates = order
    assert len(candidates) <= EXHAUSTIVE_LIMIT  # so the planner's search is exhaustive too

    result = plan(demand, candidates)

    fewest = _fewest_possible(demand, candidates)
    assert result.feasible == (fewest is not None)
    if not result.feasible:
        assert result.shipments == []
        for vid, (asked, have) in result.shortfall.items():
            assert asked == demand[vid]
            assert have == sum(c.sellable.get(vid, 0) for c in candidates) < asked
        assert set(result.shortfall) == {
            v for v, q in demand.items() if sum(c.sellable.get(v, 0) for c in candidates) < q
        }
        return
    by_id = {c.location_id: c for c in candidates}
    assert len({s.location_id for s in result.shipments}) == len(result.shipments)
    for vid, qty in demand.items():
        assert sum(s.items.get(vid, 0) for s in result.shipments) == qty
    for shipment in result.shipments:
        assert set(shipment.items) <= set(demand)
        for vid, units in shipment.items.items():
            assert 0 < units <= by_id[shipment.location_id].sellable.get(vid, 0)
    assert len(result.shipments) == fewest


@settings(max_examples=100, deadline=None)
@given(orders())
def test_a_pickup_plan_ships_only_from_the_chosen_store(order):
    demand, candidates = order
    store = candidates[0]

    result = plan(demand, [store], pickup=True)

    enough = all(store.sellable.get(v, 0) >= q for v, q in demand.items())
    assert result.feasible == enough
    assert shipped(result) == ({store.location_id: demand} if enough else {})
