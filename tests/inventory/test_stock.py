"""Stock operations through the services: every change balanced by the ledger, events with a
growing version, and nothing ever below zero."""

from datetime import timedelta

import pytest

from inventory import services
from inventory.models import Allocation, Reservation, Stock, StockMovement
from omni.errors import InsufficientStock, InvalidTransition, ValidationError
from omni.models import OutboxEvent
from tests import factories as f
from tests.queries import assert_num_queries, cache_as_in_production

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


@pytest.fixture
def dc():
    return f.StockLocationFactory(code="dc-gebze", city="Kocaeli")


@pytest.fixture
def variant(web):
    return f.product(channels=[web]).variants.get()


def stock(variant, location) -> Stock:
    return Stock.objects.get(variant=variant, location=location)


def availability_events(variant, channel):
    return list(
        OutboxEvent.objects.filter(
            topic="inventory.availability.changed", key=f"availability:{variant.pk}:{channel.pk}"
        )
        .order_by("id")
        .values_list("payload__available", "version")
    )


def test_receive_adjust_and_count_balance_the_ledger(web, dc, variant):
    f.sells_from(web, dc)
    services.stock_receive(variant=variant, location=dc, quantity=10)
    services.stock_adjust(variant=variant, location=dc, delta=-2, reason="Hasarlı")
    services.stock_count(variant=variant, location=dc, counted=7)

    row = stock(variant, dc)
    assert row.on_hand == 7
    assert list(row.movements.order_by("id").values_list("kind", "on_hand_delta")) == [
        ("receipt", 10),
        ("adjustment", -2),
        ("count", -1),
    ]
    assert services.stock_audit() == []
    assert availability_events(variant, web) == [(10, 1), (8, 2), (7, 3)]


def test_an_adjustment_needs_a_reason_and_cannot_go_below_what_is_allocated(web, dc, variant):
    f.sells_from(web, dc)
    services.stock_receive(variant=variant, location=dc, quantity=3)
    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(variant.pk, 2)]
    )
    with pytest.raises(ValidationError) as no_reason:
        services.stock_adjust(variant=variant, location=dc, delta=-1, reason=" ")
    assert list(no_reason.value.fields) == ["reason"]
    with pytest.raises(ValidationError) as too_many:
        services.stock_adjust(variant=variant, location=dc, delta=-2, reason="Kayıp")
    assert too_many.value.code == "insufficient_stock"
    with pytest.raises(ValidationError):
        services.stock_count(variant=variant, location=dc, counted=1)
    assert (stock(variant, dc).on_hand, stock(variant, dc).allocated) == (3, 2)


def test_allocation_is_all_lines_or_none_and_names_the_short_variant(web, dc):
    f.sells_from(web, dc)
    a = f.product(channels=[web]).variants.get()
    b = f.product(channels=[web]).variants.get()
    services.stock_receive(variant=a, location=dc, quantity=5)
    services.stock_receive(variant=b, location=dc, quantity=1)

    with pytest.raises(InsufficientStock) as error:
        services.stock_allocate(
            channel=web,
            reference="order:1",
            lines=[services.LineRequest(a.pk, 2, "l1"), services.LineRequest(b.pk, 3, "l2")],
        )
    assert error.value.items == [(b.sku, 3, 1)]
    assert b.sku in error.value.message
    assert stock(a, dc).allocated == 0
    assert not Allocation.objects.exists()


def test_a_reservation_holds_stock_until_it_expires(web, dc, variant):
    f.sells_from(web, dc)
    services.stock_receive(variant=variant, location=dc, quantity=2)
    services.reservations_set(
        channel=web, reference="cart:a", lines={variant.pk: 2}, ttl=timedelta(minutes=10)
    )

    with pytest.raises(InsufficientStock):
        services.stock_allocate(
            channel=web, reference="order:1", lines=[services.LineRequest(variant.pk, 1)]
        )
    # the cart that holds it can have it
    services.stock_allocate(
        channel=web,
        reference="order:2",
        lines=[services.LineRequest(variant.pk, 2)],
        reservation_reference="cart:a",
    )
    assert not Reservation.objects.exists()
    assert stock(variant, dc).allocated == 2


def test_an_expired_reservation_never_blocks_a_sale(web, dc, variant):
    f.sells_from(web, dc)
    services.stock_receive(variant=variant, location=dc, quantity=1)
    services.reservations_set(
        channel=web, reference="cart:a", lines={variant.pk: 1}, ttl=timedelta(minutes=10)
    )
    Reservation.objects.update(
        expires_at=Reservation.objects.get().created_at - timedelta(seconds=1)
    )

    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(variant.pk, 1)]
    )
    assert stock(variant, dc).allocated == 1
    assert services.reservations_expire() == 1
    assert not Reservation.objects.exists()


def test_safety_stock_keeps_the_last_units_from_a_channel(web, dc, variant):
    marketplace = f.ChannelFactory(code="trendyol", kind="marketplace")
    f.sells_from(web, dc)
    f.sells_from(marketplace, dc, safety_stock=2)
    services.stock_receive(variant=variant, location=dc, quantity=3)
    with pytest.raises(InsufficientStock) as error:
        services.stock_allocate(
            channel=marketplace, reference="ty:1", lines=[services.LineRequest(variant.pk, 2)]
        )
    assert error.value.items == [(variant.sku, 2, 1)]
    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(variant.pk, 3)]
    )
    assert availability_events(variant, marketplace)[-1][0] == 0


def test_fulfilment_consumes_and_cancellation_releases(web, dc, variant):
    f.sells_from(web, dc)
    services.stock_receive(variant=variant, location=dc, quantity=10)
    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(variant.pk, 4, "l1")]
    )
    services.allocations_consume(reference="order:1", quantities={"l1": 1})
    assert (stock(variant, dc).on_hand, stock(variant, dc).allocated) == (9, 3)
    assert services.allocations_release(reference="order:1") == 3
    assert (stock(variant, dc).on_hand, stock(variant, dc).allocated) == (9, 0)
    assert services.allocations_release(reference="order:1") == 0
    assert services.stock_audit() == []


def test_an_external_sale_is_recorded_once(web, dc, variant):
    f.sells_from(web, dc)
    services.stock_receive(variant=variant, location=dc, quantity=5)
    first, created = services.external_movement_record(
        variant=variant, location=dc, quantity=2, kind="sale", external_ref="TILL-7-0001"
    )
    again, created_again = services.external_movement_record(
        variant=variant, location=dc, quantity=2, kind="sale", external_ref="TILL-7-0001"
    )
    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert stock(variant, dc).on_hand == 3


def test_transfers_hold_at_the_source_then_move(web, dc, variant):
    store = f.StockLocationFactory(code="store-kadikoy", kind="store", click_and_collect=True)
    f.sells_from(web, dc, store)
    services.stock_receive(variant=variant, location=dc, quantity=5)
    transfer = services.transfer_request(source=dc, destination=store, lines={variant.pk: 3})
    assert stock(variant, dc).allocated == 3
    services.transfer_ship(transfer=transfer)
    assert (stock(variant, dc).on_hand, stock(variant, dc).allocated) == (2, 0)
    services.transfer_receive(transfer=transfer)
    assert stock(variant, store).on_hand == 3
    with pytest.raises(InvalidTransition):  # its message is in the active language
        services.transfer_cancel(transfer=transfer)
    assert services.stock_audit() == []
    with pytest.raises(ValidationError):
        services.transfer_request(source=dc, destination=dc, lines={variant.pk: 1})


def test_the_version_of_availability_only_grows(web, dc, variant):
    f.sells_from(web, dc)
    for q in (5, 3, 1):
        services.stock_receive(variant=variant, location=dc, quantity=q)
    services.stock_allocate(channel=web, reference="o", lines=[services.LineRequest(variant.pk, 2)])
    versions = [v for _a, v in availability_events(variant, web)]
    assert versions == sorted(versions) and len(set(versions)) == len(versions) == 4
    assert availability_events(variant, web)[-1][0] == 7


def test_low_stock_raises_one_alert_per_crossing(
    web, dc, variant, mailoutbox, django_capture_on_commit_callbacks
):
    f.sells_from(web, dc)
    f.UserFactory(is_superuser=True, is_staff=True, email="depo@example.com")
    services.stock_receive(variant=variant, location=dc, quantity=10)
    Stock.objects.filter(variant=variant).update(reorder_point=3)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            services.stock_allocate(
                channel=web, reference=f"order:{n}", lines=[services.LineRequest(variant.pk, 2)]
            )
    alerts = list(stock(variant, dc).alerts.all())
    assert len(alerts) == 1 and alerts[0].resolved_at is None
    assert len(mailoutbox) == 1 and variant.sku in mailoutbox[0].subject
    services.stock_receive(variant=variant, location=dc, quantity=20)
    assert stock(variant, dc).alerts.get().resolved_at is not None
    assert StockMovement.objects.count() == 7


def test_an_external_reference_reused_for_another_movement_is_refused(web, dc, variant):
    from omni.errors import Conflict

    services.stock_receive(variant=variant, location=dc, quantity=5)
    services.external_movement_record(
        variant=variant, location=dc, quantity=1, kind="sale", external_ref="TILL-1"
    )
    with pytest.raises(Conflict) as error:
        services.external_movement_record(
            variant=variant, location=dc, quantity=2, kind="sale", external_ref="TILL-1"
        )
    assert error.value.code == "external_ref_reused"
    assert stock(variant, dc).on_hand == 4


def test_services_return_the_stock_as_it_now_is(web, dc, variant):
    services.stock_receive(variant=variant, location=dc, quantity=10)
    assert (
        services.stock_adjust(variant=variant, location=dc, delta=-3, reason="Kayıp").on_hand == 7
    )
    assert services.stock_count(variant=variant, location=dc, counted=5).on_hand == 5


def test_an_order_without_lines_is_refused(web, dc):
    with pytest.raises(ValidationError) as error:
        services.stock_allocate(channel=web, reference="order:1", lines=[])
    assert list(error.value.fields) == ["lines"]


def test_channel_configuration_is_kept_for_a_while_and_forgotten_when_saved_here(web, dc, settings):
    settings.OMNI_STOCK_CONFIG_SECONDS = 60
    services.channel_config_changed()
    assert services.channel_sources() == {}
    f.sells_from(web, dc)  # saved in this process: forgotten at once
    assert [s.location_id for s in services.channel_sources()[web.pk]] == [dc.pk]
    from inventory.models import ChannelLocation

    ChannelLocation.objects.filter(channel=web).update(safety_stock=4)  # as another process would
    assert services.channel_sources()[web.pk][0].safety_stock == 0
    services.channel_config_changed()
    assert services.channel_sources()[web.pk][0].safety_stock == 4


def test_an_allocation_runs_the_same_queries_for_1_and_20_lines(web, dc, settings):
    """Lock, read, write, in one transaction (the hot path the README describes), however many
    lines; the channels' stock configuration is cached as in production."""
    cache_as_in_production(settings)
    f.sells_from(web, dc)
    many = [f.product(channels=[web]).variants.get() for _ in range(20)]
    for variant in many:
        services.stock_receive(variant=variant, location=dc, quantity=5)
    services.stock_allocate(
        channel=web, reference="warm", lines=[services.LineRequest(many[0].pk, 1)]
    )
    for reference, variants in (("order:1", many[:1]), ("order:2", many)):
        lines = [services.LineRequest(v.pk, 1) for v in variants]
        # the savepoint, lock, read, write (stock, ledger, allocations, events), release
        with assert_num_queries(5):
            services.stock_allocate(channel=web, reference=reference, lines=lines)
    assert Allocation.objects.count() == 22
