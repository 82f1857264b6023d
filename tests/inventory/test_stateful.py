"""Random sequences of every stock operation, with the invariants checked after each step.

Hypothesis drives the services (receive, adjust, count, reserve, release, expire, allocate,
release, consume, external sales, transfers) on 3 variants, 3 locations and 2 channels, one
with a safety stock. Business errors (not enough stock, bad input, a transfer in the wrong
state, nothing to ship) are expected answers; after every step no stock is negative or
over-allocated, the ledger balances, every allocated unit is accounted for by an order or a
requested transfer, and each channel was told exactly what it can sell
(tests/inventory/test_concurrency.py: check_invariants). Each example runs in a savepoint
that is rolled back, so the catalog is made once.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from catalog.models import ProductVariant
from inventory import services
from inventory.models import (
    Allocation,
    ChannelLocation,
    Reservation,
    Stock,
    StockLocation,
    StockMovement,
    Transfer,
)
from omni.errors import Conflict, InsufficientStock, InvalidTransition, NotFound, ValidationError
from sales_channels.models import Channel
from tests import factories as f
from tests.inventory.test_concurrency import check_invariants, latest_availability_events

# Conflict: an external reference drawn again for another movement is refused.
EXPECTED = (InsufficientStock, ValidationError, InvalidTransition, NotFound, Conflict)

# What the rules draw from, made by the test before the machine runs (hence deferred).
variant_ids = st.deferred(lambda: st.sampled_from(Inventory.variant_ids))
locations = st.deferred(lambda: st.sampled_from(Inventory.locations))
channels = st.deferred(lambda: st.sampled_from(Inventory.channels))
lines = st.dictionaries(variant_ids, st.integers(1, 3), min_size=1, max_size=3)
few = st.dictionaries(variant_ids, st.integers(1, 2), min_size=1, max_size=2)
CARTS = ["cart:a", "cart:b", "cart:c"]
TTL = timedelta(minutes=30)


class Inventory(RuleBasedStateMachine):
    """The world is set on the class by the test: channels, locations, variants."""

    channels: list[Channel]
    locations: list[StockLocation]
    store: StockLocation
    variant_ids: list[int]
    placed = 0  # orders allocated, over all examples

    orders = Bundle("orders")
    transfers = Bundle("transfers")

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self._orders = 0
        self._externals = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    def _variant_obj(self, vid: int) -> ProductVariant:
        return ProductVariant.objects.get(pk=vid)

    @initialize(quantities=st.lists(st.integers(0, 8), min_size=9, max_size=9))
    def stock_up(self, quantities):
        # Start from some stock of each variant at each location, so that carts and orders
        # mostly succeed and the interesting states (last units, safety stock) come quickly.
        at = iter(quantities)
        for location in self.locations:
            lines = {vid: q for vid in self.variant_ids if (q := next(at))}
            if lines:
                services.stock_receive_many(location=location, lines=lines)

    # goods in, corrections

    @rule(vid=variant_ids, location=locations, qty=st.integers(1, 6))
    def receive(self, vid, location, qty):
        services.stock_receive(variant=self._variant_obj(vid), location=location, quantity=qty)

    @rule(
        vid=variant_ids,
        location=locations,
        delta=st.integers(-4, 4).filter(bool),
        reason=st.sampled_from(["Hasarlı", "Kayıp", "Sayım farkı", " "]),
    )
    def adjust(self, vid, location, delta, reason):
        with contextlib.suppress(*EXPECTED):
            services.stock_adjust(
                variant=self._variant_obj(vid), location=location, delta=delta, reason=reason
            )

    @rule(vid=variant_ids, location=locations, counted=st.integers(0, 8))
    def count(self, vid, location, counted):
        with contextlib.suppress(*EXPECTED):
            services.stock_count(variant=self._variant_obj(vid), location=location, counted=counted)

    # carts

    @rule(cart=st.sampled_from(CARTS), channel=channels, lines=lines)
    def reserve(self, cart, channel, lines):
        with contextlib.suppress(*EXPECTED):
            services.reservations_set(channel=channel, reference=cart, lines=lines, ttl=TTL)

    @rule(cart=st.sampled_from(CARTS))
    def release_cart(self, cart):
        services.reservations_release(reference=cart)

    @rule(cart=st.sampled_from(CARTS))
    def expire_cart(self, cart):
        # Time passes for one cart; then the beat task cleans up and tells the channels.
        Reservation.objects.filter(reference=cart).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        services.reservations_expire()

    # orders

    @rule(
        target=orders,
        channel=channels,
        lines=st.lists(st.tuples(variant_ids, st.integers(1, 3)), min_size=1, max_size=3),
        cart=st.none() | st.sampled_from(CARTS),
        pickup=st.booleans(),
    )
    def allocate(self, channel, lines, cart, pickup):
        return self._place(channel, lines, cart, pickup)

    @rule(target=orders, cart=st.sampled_from(CARTS), pickup=st.booleans(), data=st.data())
    def checkout(self, cart, pickup, data):
        # A cart becomes an order on its channel: some of what it holds, or all, from its own
        # reservations.
        held = list(
            Reservation.objects.filter(reference=cart)
            .order_by()
            .values("variant_id", "channel_id")
            .annotate(total=Sum("quantity"))
            .values_list("variant_id", "channel_id", "total")
        )
        if not held:
            return multiple()
        channel = Channel.objects.get(pk=held[0][1])
        chosen = data.draw(st.lists(st.sampled_from(held), min_size=1, unique=True))
        lines = [(vid, data.draw(st.integers(1, total))) for vid, _c, total in chosen]
        return self._place(channel, lines, cart, pickup)

    def _place(self, channel, lines, cart, pickup):
        self._orders += 1
        reference = f"order:{self._orders}"
        demand: dict[int, int] = defaultdict(int)
        for vid, qty in lines:
            demand[vid] += qty
        # Worked out from the rows before the call, so an allocation refused (or granted)
        # against the stock fails the machine, not only a broken invariant.
        covered = self._stock_covers(channel, demand, cart, self.store if pickup else None)
        try:
            services.stock_allocate(
                channel=channel,
                reference=reference,
                lines=[services.LineRequest(v, q, f"l{i}") for i, (v, q) in enumerate(lines)],
                reservation_reference=cart,
                pickup_location=self.store if pickup else None,
            )
        except EXPECTED as refused:
            assert not covered, f"refused an order the stock covers: {refused!r}"
            assert not Allocation.objects.filter(reference=reference).exists()  # all or none
            return multiple()
        assert covered, "allocated an order the stock does not cover"
        Inventory.placed += 1
        assert dict(
            Allocation.objects.filter(reference=reference)
            .values_list("variant_id")
            .annotate(total=Sum("quantity"))
            .order_by()
        ) == dict(demand)
        assert not Reservation.objects.filter(reference=cart or "-").exists()
        return reference

    def _stock_covers(self, channel, demand, cart, pickup) -> bool:
        """Whether the order can be had, from the rows alone: per variant, what the candidate
        locations can sell the channel (on hand - allocated - others' live reservations -
        safety stock, at least zero) covers it. Delivery: the channel's active locations that
        ship to customers, split as needed; pickup: the chosen store alone."""
        if pickup is not None:
            own = ChannelLocation.objects.filter(channel=channel, location=pickup).first()
            sources = {pickup.pk: own.safety_stock if own else 0}
        else:
            sources = dict(
                ChannelLocation.objects.filter(
                    channel=channel,
                    location__is_active=True,
                    location__ships_to_customers=True,
                ).values_list("location_id", "safety_stock")
            )
        live = Reservation.objects.filter(expires_at__gt=timezone.now())
        if cart:
            live = live.exclude(reference=cart)
        reserved: dict[int, int] = defaultdict(int)
        for stock_id, qty in live.values_list("stock_id", "quantity"):
            reserved[stock_id] += qty
        can: dict[int, int] = defaultdict(int)
        for stock in Stock.objects.filter(variant_id__in=demand, location_id__in=sources):
            free = stock.on_hand - stock.allocated - reserved[stock.pk]
            can[stock.variant_id] += max(0, free - sources[stock.location_id])
        return all(can[vid] >= qty for vid, qty in demand.items())

    @rule(reference=orders, some_lines=st.booleans())
    def release_order(self, reference, some_lines):
        services.allocations_release(reference=reference, line_refs=["l0"] if some_lines else None)

    @rule(
        reference=orders,
        quantities=st.none()
        | st.dictionaries(st.sampled_from(["l0", "l1", "l2"]), st.integers(1, 3)),
    )
    def consume(self, reference, quantities):
        with contextlib.suppress(*EXPECTED):
            services.allocations_consume(reference=reference, quantities=quantities)

    # outside Omni

    @rule(
        vid=variant_ids,
        location=locations,
        qty=st.integers(1, 3),
        kind=st.sampled_from(["sale", "return"]),
        fresh=st.booleans(),
        channel=channels,
    )
    def external(self, vid, location, qty, kind, fresh, channel):
        if fresh or not self._externals:
            self._externals += 1
        ref = f"TILL-{self._externals}"
        before = list(Stock.objects.order_by("id").values_list("on_hand", flat=True))
        with contextlib.suppress(*EXPECTED):
            _movement, created = services.external_movement_record(
                variant=self._variant_obj(vid),
                location=location,
                quantity=qty,
                kind=kind,
                external_ref=ref,
                channel=channel,
            )
            assert StockMovement.objects.filter(external_ref=ref).count() == 1
            if not created:  # the same reference again changes nothing
                assert (
                    list(Stock.objects.order_by("id").values_list("on_hand", flat=True)) == before
                )

    # transfers

    @rule(
        target=transfers,
        source=locations,
        destination=locations,
        lines=few,
    )
    def transfer_request(self, source, destination, lines):
        try:
            return services.transfer_request(source=source, destination=destination, lines=lines)
        except EXPECTED:
            return multiple()

    @rule(transfer=transfers)
    def transfer_ship(self, transfer):
        with contextlib.suppress(*EXPECTED):
            services.transfer_ship(transfer=transfer)

    @rule(transfer=transfers)
    def transfer_receive(self, transfer):
        with contextlib.suppress(*EXPECTED):
            services.transfer_receive(transfer=transfer)

    @rule(transfer=consumes(transfers))
    def transfer_cancel(self, transfer):
        with contextlib.suppress(*EXPECTED):
            services.transfer_cancel(transfer=transfer)
        assert Transfer.objects.get(pk=transfer.pk).status != Transfer.Status.REQUESTED

    # after every step

    @invariant()
    def stock_is_consistent(self):
        check_invariants()


@pytest.mark.django_db
def test_random_operation_sequences_keep_every_invariant():
    web = f.ChannelFactory(code="web")
    marketplace = f.ChannelFactory(code="trendyol", kind=Channel.Kind.MARKETPLACE)
    dc1 = f.StockLocationFactory(code="dc-gebze", city="Kocaeli")
    dc2 = f.StockLocationFactory(code="dc-izmir", city="İzmir")
    store = f.StockLocationFactory(
        code="store-kadikoy",
        kind=StockLocation.Kind.STORE,
        click_and_collect=True,
        ships_to_customers=False,
    )
    f.sells_from(web, dc1, dc2, store)
    f.sells_from(marketplace, dc2, dc1, safety_stock=2)
    Inventory.channels = [web, marketplace]
    Inventory.locations = [dc1, dc2, store]
    Inventory.store = store
    Inventory.variant_ids = list(f.product(variants=3).variants.values_list("id", flat=True))
    Inventory.placed = 0

    run_state_machine_as_test(
        Inventory,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert Inventory.placed > 0  # the orders the stock covers were tried, and went through


@pytest.mark.django_db
def test_ordering_part_of_a_cart_tells_the_channels_what_the_rest_of_it_freed():
    """Found by the machine above: allocating from a cart gives up all its reservations, those
    of variants not ordered too, and the channels must be told they can sell those again."""
    web = f.ChannelFactory(code="web")
    dc = f.StockLocationFactory(code="dc-gebze")
    f.sells_from(web, dc)
    ordered, left = f.product(variants=2).variants.order_by("id")
    services.stock_receive(variant=ordered, location=dc, quantity=3)
    services.stock_receive(variant=left, location=dc, quantity=3)
    services.reservations_set(
        channel=web, reference="cart:a", lines={ordered.pk: 1, left.pk: 1}, ttl=TTL
    )

    services.stock_allocate(
        channel=web,
        reference="order:1",
        lines=[services.LineRequest(ordered.pk, 1)],
        reservation_reference="cart:a",
    )

    assert not Reservation.objects.exists()
    told = latest_availability_events()
    assert told[web.pk, ordered.pk].payload["available"] == 2
    assert told[web.pk, left.pk].payload["available"] == 3
    check_invariants()
