"""Stock is never oversold, whatever the concurrency: proven on real PostgreSQL with many real
connections (one per thread) released together by a barrier, then checked against the database.

The invariants checked after every race (check_invariants) are the same as those the stateful
test checks after every step (tests/inventory/test_stateful.py).
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from inventory import services
from inventory.locks import transfer_lock, transfers_lock, variants_lock
from inventory.models import (
    Allocation,
    ChannelLocation,
    Reservation,
    Stock,
    StockMovement,
    Transfer,
    TransferLine,
    VariantInventory,
)
from omni.errors import InsufficientStock, OmniError
from omni.models import OutboxEvent
from sales_channels.models import Channel
from tests import factories as f

TOPIC = services.TOPIC_AVAILABILITY


# --- racing ---------------------------------------------------------------------------------


def race(jobs: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
    """Run each job in its own thread, on its own database connection, all released at once.
    Returns what each returned or raised, in the order of the jobs."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect before the start, so they start together
            barrier.wait(timeout=timeout)
            outcomes[i] = job()
        except BaseException as error:
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a worker is stuck (a lock never released?)"
    return outcomes


def unexpected(outcomes: list[Any]) -> list[BaseException]:
    """Anything raised that is not one of Omni's own clear errors (a deadlock, a lost
    connection, a constraint violation, a bug)."""
    return [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, OmniError)]


# --- the invariants -------------------------------------------------------------------------


def availability_from_rows() -> dict[tuple[int, int], int]:
    """{(channel id, variant id): units it can sell}, computed from the rows alone, independently
    of the services: on hand - allocated - live reservations - safety stock, at least zero, per
    location, summed over the active locations each active channel sells from."""
    now = timezone.now()
    reserved: dict[int, int] = defaultdict(int)
    for stock_id, quantity in Reservation.objects.filter(expires_at__gt=now).values_list(
        "stock_id", "quantity"
    ):
        reserved[stock_id] += quantity
    stocks_at: dict[int, list[Stock]] = defaultdict(list)
    for stock in Stock.objects.all():
        stocks_at[stock.location_id].append(stock)
    variants = set(VariantInventory.objects.values_list("variant_id", flat=True))
    channels = Channel.objects.filter(is_active=True).values_list("id", flat=True)
    result = {(c, v): 0 for c in channels for v in variants}
    for source in ChannelLocation.objects.filter(channel__is_active=True, location__is_active=True):
        for stock in stocks_at[source.location_id]:
            free = stock.on_hand - stock.allocated - reserved[stock.pk] - source.safety_stock
            key = (source.channel_id, stock.variant_id)
            result[key] = result.get(key, 0) + max(0, free)
    return result


def latest_availability_events() -> dict[tuple[int, int], OutboxEvent]:
    """The highest-version availability event of each (channel, variant)."""
    latest: dict[tuple[int, int], OutboxEvent] = {}
    for event in OutboxEvent.objects.filter(topic=TOPIC).order_by("id"):
        key = (event.channel_id, event.payload["variant_id"])
        assert event.key == f"availability:{key[1]}:{key[0]}"
        assert event.payload["version"] == event.version
        if key in latest:
            # Written under the variant's lock: a later event always carries a higher version.
            assert event.version > latest[key].version, (event.key, event.version)
        latest[key] = event
    return latest


def check_invariants() -> None:
    stocks = list(Stock.objects.all())
    for s in stocks:
        assert s.on_hand >= 0 and s.allocated >= 0 and s.allocated <= s.on_hand, s
    assert services.stock_audit() == []

    held: dict[tuple[int, int], int] = defaultdict(int)
    for vid, lid, total in (
        Allocation.objects.filter(status=Allocation.Status.ALLOCATED)
        .values_list("variant_id", "location_id")
        .annotate(total=Sum("quantity"))
    ):
        held[vid, lid] += total
    for vid, lid, qty in TransferLine.objects.filter(
        transfer__status=Transfer.Status.REQUESTED
    ).values_list("variant_id", "transfer__source_id", "quantity"):
        held[vid, lid] += qty
    assert {(s.variant_id, s.location_id): s.allocated for s in stocks if s.allocated} == {
        k: v for k, v in held.items() if v
    }

    available = availability_from_rows()
    assert all(units >= 0 for units in available.values())
    told = latest_availability_events()
    for key, units in available.items():
        # A channel is told every change; with no event, it never had anything to sell.
        assert (told[key].payload["available"] if key in told else 0) == units, key


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


@pytest.fixture
def marketplace():
    return f.ChannelFactory(code="trendyol", kind=Channel.Kind.MARKETPLACE)


@pytest.fixture
def dcs():
    return (
        f.StockLocationFactory(code="dc-gebze", city="Kocaeli"),
        f.StockLocationFactory(code="dc-izmir", city="İzmir"),
    )


def variants(n: int) -> list:
    return list(f.product(variants=n).variants.order_by("id"))


def one_unit(channel, variant, reference: str) -> Callable[[], Any]:
    return lambda: services.stock_allocate(
        channel=channel, reference=reference, lines=[services.LineRequest(variant.pk, 1)]
    )


# --- the proofs -----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_orders_for_the_last_ten_units_sell_exactly_ten(web, dcs):
    dc1, dc2 = dcs
    f.sells_from(web, dc1, dc2)
    (variant,) = variants(1)
    services.stock_receive(variant=variant, location=dc1, quantity=9)
    services.stock_receive(variant=variant, location=dc2, quantity=4)
    services.stock_allocate(  # 3 already sold: 6 + 4 are the last 10
        channel=web, reference="order:earlier", lines=[services.LineRequest(variant.pk, 3)]
    )
    first_race_event = OutboxEvent.objects.order_by("-id").values_list("id", flat=True)[0]

    outcomes = race([one_unit(web, variant, f"order:{n}") for n in range(50)])

    assert unexpected(outcomes) == []
    sold = [o for o in outcomes if isinstance(o, services.AllocationResult)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert (len(sold), len(refused)) == (10, 40)
    for error in refused:
        assert error.items == [(variant.sku, 1, 0)]
        assert variant.sku in error.message
    rows = {s.location_id: s for s in Stock.objects.filter(variant=variant)}
    assert {lid: (s.on_hand, s.allocated) for lid, s in rows.items()} == {
        dc1.pk: (9, 9),
        dc2.pk: (4, 4),
    }
    race_allocations = Allocation.objects.exclude(reference="order:earlier")
    assert race_allocations.aggregate(n=Sum("quantity"))["n"] == 10
    assert race_allocations.values("reference").distinct().count() == 10
    assert services.stock_audit() == []
    # One event per sale, in the order of the sales, counting down to zero.
    events = list(
        OutboxEvent.objects.filter(
            topic=TOPIC, key=f"availability:{variant.pk}:{web.pk}", id__gt=first_race_event
        )
        .order_by("id")
        .values_list("payload__available", "version")
    )
    assert [units for units, _v in events] == list(range(9, -1, -1))
    assert [v for _u, v in events] == sorted({v for _u, v in events})
    highest = (
        OutboxEvent.objects.filter(topic=TOPIC, key=f"availability:{variant.pk}:{web.pk}")
        .order_by("-version")
        .first()
    )
    assert highest.payload["available"] == 0
    # Refused orders rolled back their version bump too: the last sale is the last change.
    assert highest.version == VariantInventory.objects.get(variant=variant).version
    check_invariants()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_deadlock_when_everything_touches_the_same_variants_in_every_order(
    web, marketplace, dcs
):
    dc1, dc2 = dcs
    f.sells_from(web, dc1, dc2)
    f.sells_from(marketplace, dc2, dc1, safety_stock=1)
    a, b, c = variants(3)
    for v in (a, b, c):
        services.stock_receive(variant=v, location=dc1, quantity=12)
        services.stock_receive(variant=v, location=dc2, quantity=8)
    for n in range(6):
        services.stock_allocate(
            channel=web,
            reference=f"order:old-{n}",
            lines=[services.LineRequest(a.pk, 1), services.LineRequest(c.pk, 1)],
        )
    forwards = [a, b, c]
    backwards = [c, b, a]

    def worker(n: int) -> Callable[[], list[Any]]:
        rng = random.Random(n)

        def steps() -> list[Any]:
            results = []
            for i in range(6):
                ref = f"order:{n}-{i}"
                kind = (n + i) % 7
                try:
                    if kind in (0, 1):  # multi-line orders, lines in opposite orders
                        ordered = forwards if kind == 0 else backwards
                        channel = web if i % 2 else marketplace
                        results.append(
                            services.stock_allocate(
                                channel=channel,
                                reference=ref,
                                lines=[services.LineRequest(v.pk, 1, f"l{v.pk}") for v in ordered],
                            )
                        )
                    elif kind == 2:
                        results.append(
                            services.stock_adjust(
                                variant=rng.choice(forwards),
                                location=rng.choice(dcs),
                                delta=rng.choice([-2, -1, 1, 2]),
                                reason="Sayım farkı",
                            )
                        )
                    elif kind == 3:
                        results.append(
                            services.stock_receive_many(
                                location=rng.choice(dcs), lines={c.pk: 2, a.pk: 1, b.pk: 1}
                            )
                        )
                    elif kind == 4:
                        lines = {v.pk: 1 for v in rng.sample(backwards, 2)}
                        results.append(
                            services.reservations_set(
                                channel=web,
                                reference=f"cart:{n}",
                                lines=lines,
                                ttl=timedelta(minutes=15),
                            )
                        )
                    elif kind == 5:
                        results.append(
                            services.allocations_release(reference=f"order:old-{(n + i) % 6}")
                        )
                        results.append(services.allocations_release(reference=f"order:{n}-{i - 5}"))
                    else:
                        transfer = services.transfer_request(
                            source=dc1, destination=dc2, lines={c.pk: 1, a.pk: 1}
                        )
                        results.append(services.transfer_ship(transfer=transfer))
                        results.append(services.reservations_release(reference=f"cart:{n}"))
                except OmniError as error:
                    assert error.message and error.code
                    results.append(error)
            return results

        return steps

    outcomes = race([worker(n) for n in range(14)])

    assert unexpected(outcomes) == []
    calls = [r for o in outcomes for r in o]
    assert len(calls) >= 14 * 6
    assert not any(isinstance(r, BaseException) and not isinstance(r, OmniError) for r in calls)
    assert sum(isinstance(r, services.AllocationResult) for r in calls) > 0
    check_invariants()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_availability_events_stay_exact_when_two_locations_change_at_once(web, marketplace, dcs):
    dc1, dc2 = dcs
    store_channel = f.ChannelFactory(code="store-kadikoy", kind=Channel.Kind.STORE)
    f.sells_from(web, dc1, dc2)
    f.sells_from(marketplace, dc1, safety_stock=2)
    f.sells_from(store_channel, dc2)
    (variant,) = variants(1)
    services.stock_receive(variant=variant, location=dc1, quantity=10)
    services.stock_receive(variant=variant, location=dc2, quantity=10)

    def at(location, n: int) -> Callable[[], list[Any]]:
        def steps() -> list[Any]:
            results = []
            for i in range(5):
                try:
                    if i % 3 == 0:
                        results.append(
                            services.stock_receive(variant=variant, location=location, quantity=2)
                        )
                    elif i % 3 == 1:
                        results.append(
                            services.stock_adjust(
                                variant=variant, location=location, delta=-1, reason="Hasarlı"
                            )
                        )
                    else:
                        results.append(
                            services.external_movement_record(
                                variant=variant,
                                location=location,
                                quantity=1,
                                kind="sale",
                                external_ref=f"TILL-{location.pk}-{n}-{i}",
                            )
                        )
                except OmniError as error:
                    results.append(error)
            return results

        return steps

    def buyer(channel, n: int) -> Callable[[], list[Any]]:
        def steps() -> list[Any]:
            results = []
            for i in range(3):
                try:
                    if i == 1:
                        results.append(
                            services.reservations_set(
                                channel=channel,
                                reference=f"cart:{channel.code}-{n}",
                                lines={variant.pk: 1},
                                ttl=timedelta(minutes=15),
                            )
                        )
                    else:
                        results.append(one_unit(channel, variant, f"{channel.code}:{n}-{i}")())
                except OmniError as error:
                    results.append(error)
            return results

        return steps

    jobs = [at(dc1, n) for n in range(4)] + [at(dc2, n) for n in range(4)]
    jobs += [buyer(web, n) for n in range(2)] + [buyer(marketplace, n) for n in range(2)]
    jobs += [buyer(store_channel, n) for n in range(2)]
    outcomes = race(jobs)

    assert unexpected(outcomes) == []
    assert not unexpected([r for o in outcomes for r in o])
    available = availability_from_rows()
    told = latest_availability_events()
    for channel in (web, marketplace, store_channel):
        key = (channel.pk, variant.pk)
        assert told[key].payload["available"] == available[key], channel.code
    check_invariants()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_channels_racing_for_the_last_units_never_take_the_safety_stock(web, marketplace, dcs):
    dc1, dc2 = dcs
    f.sells_from(web, dc1, dc2)
    f.sells_from(marketplace, dc1, dc2, safety_stock=1)
    (variant,) = variants(1)
    services.stock_receive(variant=variant, location=dc1, quantity=3)
    services.stock_receive(variant=variant, location=dc2, quantity=2)
    # web can sell 5; the marketplace 2 + 1, never the last unit of a location

    jobs = [one_unit(web, variant, f"web:{n}") for n in range(20)]
    jobs += [one_unit(marketplace, variant, f"ty:{n}") for n in range(20)]
    random.Random(3).shuffle(jobs)
    outcomes = race(jobs)

    assert unexpected(outcomes) == []
    sold = [o for o in outcomes if isinstance(o, services.AllocationResult)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert len(sold) + len(refused) == 40
    # Web is refused only when nothing at all is left, so every unit is sold, once.
    assert len(sold) == 5
    assert all(e.items == [(variant.sku, 1, 0)] for e in refused)
    assert Allocation.objects.filter(reference__startswith="ty:").count() <= 3
    assert {s.location_id: (s.on_hand, s.allocated) for s in Stock.objects.all()} == {
        dc1.pk: (3, 3),
        dc2.pk: (2, 2),
    }
    # Replay the ledger in the order it was written (the order of the locks): the marketplace
    # only ever took a unit from a location that kept its safety stock after the sale.
    free = {dc1.pk: 0, dc2.pk: 0}
    for m in (
        StockMovement.objects.filter(stock__variant=variant).order_by("id").select_related("stock")
    ):
        lid = m.stock.location_id
        if m.kind == StockMovement.Kind.ALLOCATION and m.channel_id == marketplace.pk:
            assert free[lid] - m.quantity >= 1, f"marketplace sold the safety stock at {lid}"
        free[lid] += m.on_hand_delta - m.allocated_delta
    told = latest_availability_events()
    assert told[web.pk, variant.pk].payload["available"] == 0
    assert told[marketplace.pk, variant.pk].payload["available"] == 0
    check_invariants()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_deadlock_on_the_first_use_of_a_variant(monkeypatch):
    """The lock row of a variant is made on its first use. Making it must not break the variant
    order: T1 locks [new, old] and is held just before it makes `new`'s row; meanwhile T2 makes
    that row and commits, and T3 locks [new, old] (it gets `new`, then waits for T1 on `old`).
    T1 must not then wait for `new` behind T3."""
    new, old = variants(2)  # new.pk < old.pk; only `old` has been stocked before
    with transaction.atomic():
        variants_lock([old.pk])
    go = threading.Event()
    paused = threading.Event()
    create = VariantInventory.objects.bulk_create

    def held_before_create(*args, **kwargs):
        if threading.current_thread().name == "t1":
            paused.set()
            go.wait(10)
        return create(*args, **kwargs)

    monkeypatch.setattr(VariantInventory.objects, "bulk_create", held_before_create)
    outcomes: dict[str, Any] = {}
    pids: dict[str, int] = {}

    def lock(name: str, ids: list[int]) -> threading.Thread:
        def run() -> None:
            try:
                connection.ensure_connection()
                pids[name] = connection.connection.info.backend_pid
                with transaction.atomic():
                    outcomes[name] = variants_lock(ids)
                    if name == "t1":
                        paused.set()
                        go.wait(10)
            except BaseException as error:
                outcomes[name] = error
            finally:
                connection.close()

        thread = threading.Thread(target=run, name=name)
        thread.start()
        return thread

    def finished_or_waiting(name: str, thread: threading.Thread) -> None:
        deadline = time.monotonic() + 10
        while thread.is_alive() and time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pids.get(name)]
                )
                if (cursor.fetchone() or [None])[0] == "Lock":
                    return
            time.sleep(0.02)

    t1 = lock("t1", [new.pk, old.pk])
    assert paused.wait(10)
    t2 = lock("t2", [new.pk])
    finished_or_waiting("t2", t2)
    t3 = lock("t3", [new.pk, old.pk])
    finished_or_waiting("t3", t3)
    go.set()
    for thread in (t1, t2, t3):
        thread.join(20)

    assert unexpected(list(outcomes.values())) == []
    assert sorted(outcomes) == ["t1", "t2", "t3"]
    assert VariantInventory.objects.get(variant=new).version == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_orders_transfers_are_locked_in_id_order_so_a_step_on_one_never_deadlocks(dcs):
    """transfers_lock takes an order's transfers in id order (the model's own ordering is
    newest first). T1 holds the first transfer and then takes the second; T2, locking them all
    meanwhile, must wait for the first before it holds any, or T1 and T2 would deadlock."""
    source, destination = dcs[0], dcs[1]
    first, second, third = (
        Transfer.objects.create(source=source, destination=destination, order_reference="W-1")
        for _ in range(3)
    )
    held, waiting = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {}
    pids: dict[str, int] = {}

    def run(name: str, work: Callable[[], Any]) -> threading.Thread:
        def target() -> None:
            try:
                connection.ensure_connection()
                pids[name] = connection.connection.info.backend_pid
                with transaction.atomic():
                    outcomes[name] = work()
            except BaseException as error:
                outcomes[name] = error
            finally:
                connection.close()

        thread = threading.Thread(target=target, name=name)
        thread.start()
        return thread

    def step_on_two() -> list[int]:
        taken = [transfer_lock(first.pk).pk]
        held.set()
        waiting.wait(10)
        return [*taken, transfer_lock(second.pk).pk]

    t1 = run("t1", step_on_two)
    assert held.wait(10)
    t2 = run(
        "t2",
        lambda: [
            t.pk for t in transfers_lock(order_reference="W-1", status=Transfer.Status.REQUESTED)
        ],
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until T2 waits for a lock
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pids.get("t2")]
            )
            if (cursor.fetchone() or [None])[0] == "Lock":
                break
        time.sleep(0.02)
    waiting.set()
    t1.join(20)
    t2.join(20)

    assert unexpected(list(outcomes.values())) == []
    assert outcomes == {"t1": [first.pk, second.pk], "t2": [first.pk, second.pk, third.pk]}
