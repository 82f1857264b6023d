"""The read side of stock: what a channel can sell, what each store holds, and the routing
preview, each in a fixed number of queries and none of them changing anything."""

from datetime import timedelta

import pytest

from inventory import selectors, services
from inventory.geo import city_position
from inventory.models import Allocation, Reservation, Stock, StockLocation, StockMovement
from omni.errors import ValidationError
from omni.models import OutboxEvent
from tests import factories as f
from tests.inventory.support import receive, store, variants
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


# --- availability on a channel --------------------------------------------------------------


def test_a_channel_sells_the_sum_of_its_locations_less_its_safety_stock(web, gebze, kadikoy):
    marketplace = f.ChannelFactory(code="trendyol", kind="marketplace")
    f.sells_from(web, gebze, kadikoy)
    f.sells_from(marketplace, gebze, kadikoy, safety_stock=2)
    shirt, scarf, unstocked = variants(web, 3)
    receive(shirt, gebze, 5)
    receive(shirt, kadikoy, 1)
    receive(scarf, kadikoy, 4)

    on_web = selectors.availability_for_channel(
        channel=web, variant_ids=[shirt.pk, scarf.pk, unstocked.pk]
    )
    on_marketplace = selectors.availability_for_channel(
        channel=marketplace, variant_ids=[shirt.pk, scarf.pk, unstocked.pk]
    )

    assert on_web == {shirt.pk: 6, scarf.pk: 4, unstocked.pk: 0}
    # Kadıköy's single shirt is below the safety stock: it gives 0, not -1, to the sum.
    assert on_marketplace == {shirt.pk: 3, scarf.pk: 2, unstocked.pk: 0}


def test_allocated_units_and_live_reservations_are_not_available_but_expired_ones_are(web, gebze):
    f.sells_from(web, gebze)
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 10)
    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(shirt.pk, 3)]
    )
    services.reservations_set(
        channel=web, reference="cart:live", lines={shirt.pk: 2}, ttl=timedelta(minutes=15)
    )
    services.reservations_set(
        channel=web, reference="cart:old", lines={shirt.pk: 4}, ttl=timedelta(minutes=15)
    )
    assert selectors.availability_for_channel(channel=web, variant_ids=[shirt.pk]) == {shirt.pk: 1}

    old = Reservation.objects.filter(reference="cart:old")
    old.update(expires_at=old.get().created_at - timedelta(seconds=1))

    assert selectors.availability_for_channel(channel=web, variant_ids=[shirt.pk]) == {shirt.pk: 5}


def test_inactive_locations_and_channels_sell_nothing(web, gebze, izmir_dc):
    f.sells_from(web, gebze, izmir_dc)
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 5)
    receive(shirt, izmir_dc, 7)
    StockLocation.objects.filter(pk=izmir_dc.pk).update(is_active=False)
    assert selectors.availability_for_channel(channel=web, variant_ids=[shirt.pk]) == {shirt.pk: 5}
    web.is_active = False
    web.save(update_fields=["is_active"])
    assert selectors.availability_for_channel(channel=web, variant_ids=[shirt.pk]) == {shirt.pk: 0}


def test_channel_availability_runs_two_queries_for_1_and_for_30_variants(web, gebze, kadikoy):
    f.sells_from(web, gebze, kadikoy)
    many = variants(web, 30)
    for variant in many:
        receive(variant, gebze, 2)
        receive(variant, kadikoy, 1)
    with assert_num_queries(2):  # the channels' locations, the stock rows
        one = selectors.availability_for_channel(channel=web, variant_ids=[many[0].pk])
    with assert_num_queries(2):
        every = selectors.availability_for_channel(channel=web, variant_ids=[v.pk for v in many])
    assert one == {many[0].pk: 3}
    assert every == {v.pk: 3 for v in many}


# --- availability by store ------------------------------------------------------------------


def test_stores_are_listed_nearest_first_with_in_stock_low_and_out(
    web, gebze, kadikoy, kizilay, alsancak
):
    f.sells_from(web, gebze, kadikoy, safety_stock=5)  # a channel's safety stock does not apply
    store("store-closed", "Kapalı Mağaza", "Ankara", "Ulus", "39.941", "32.854", is_active=False)
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 50)  # a warehouse without click and collect is not listed
    receive(shirt, kadikoy, 4)
    receive(shirt, kizilay, 3)
    services.reservations_set(
        channel=web, reference="cart:a", lines={shirt.pk: 2}, ttl=timedelta(minutes=15)
    )  # taken from Gebze, the channel's first location: the stores are untouched

    from_ankara = selectors.availability_by_store(
        variant_ids=shirt.pk, origin=city_position("Ankara")
    )

    assert [(s.code, s.distance_km, s.available, s.state) for s in from_ankara] == [
        ("store-kizilay", 1.6, 3, "low"),
        ("store-kadikoy", 344.7, 4, "in_stock"),
        ("store-alsancak", 519.9, 0, "out"),
    ]
    assert (from_ankara[0].name, from_ankara[0].city, from_ankara[0].district) == (
        "Kızılay Mağazası",
        "Ankara",
        "Çankaya",
    )


def test_stores_from_a_position_and_without_one(web, kadikoy, kizilay, alsancak):
    (shirt,) = variants(web, 1)
    receive(shirt, alsancak, 1)
    receive(shirt, kizilay, 9)

    near_konak = selectors.availability_by_store(variant_ids=[shirt.pk], origin=(38.42, 27.13))
    by_name = selectors.availability_by_store(variant_ids=[shirt.pk], origin=None)

    assert [(s.code, s.state) for s in near_konak] == [
        ("store-alsancak", "low"),
        ("store-kadikoy", "out"),
        ("store-kizilay", "in_stock"),
    ]
    assert near_konak[0].distance_km == 2.2
    assert [(s.name, s.distance_km) for s in by_name] == [
        ("Alsancak Mağazası", None),
        ("Kadıköy Mağazası", None),
        ("Kızılay Mağazası", None),
    ]


def test_a_reservation_at_a_store_lowers_what_it_shows(web, kadikoy):
    store_channel = f.ChannelFactory(code="store-kadikoy", kind="store")
    f.sells_from(store_channel, kadikoy)
    (shirt,) = variants(web, 1)
    receive(shirt, kadikoy, 5)
    services.reservations_set(
        channel=store_channel, reference="cart:b", lines={shirt.pk: 2}, ttl=timedelta(minutes=5)
    )
    (row,) = selectors.availability_by_store(variant_ids=[shirt.pk])
    assert (row.available, row.state) == (3, "low")


def test_for_several_variants_a_store_shows_how_many_of_all_of_them_it_has(web, kadikoy):
    shirt, scarf = variants(web, 2)
    receive(shirt, kadikoy, 6)
    receive(scarf, kadikoy, 2)
    (row,) = selectors.availability_by_store(variant_ids=[shirt.pk, scarf.pk])
    assert (row.available, row.state, row.by_variant) == (2, "low", {shirt.pk: 6, scarf.pk: 2})


def test_stores_run_two_queries_for_1_and_for_12_stores(web):
    (shirt,) = variants(web, 1)
    first = store("store-0", "Mağaza 0", "İstanbul", "Beşiktaş", "41.04", "29.00")
    receive(shirt, first, 5)
    with assert_num_queries(2):  # the stores, the stock rows
        one = selectors.availability_by_store(variant_ids=[shirt.pk], origin=(41.0, 29.0))
    for i in range(1, 12):
        receive(shirt, store(f"store-{i}", f"Mağaza {i}", "Ankara", "", "39.9", "32.8"), i)
    with assert_num_queries(2):
        many = selectors.availability_by_store(variant_ids=[shirt.pk], origin=(41.0, 29.0))
    assert [s.code for s in one] == ["store-0"]
    assert len(many) == 12
    assert many[0].code == "store-0"


# --- the routing preview --------------------------------------------------------------------


def nothing_written():
    return (
        StockMovement.objects.count(),
        Allocation.objects.count(),
        OutboxEvent.objects.count(),
        list(Stock.objects.order_by("id").values_list("on_hand", "allocated")),
    )


def test_the_preview_is_the_plan_the_allocation_makes_and_changes_nothing(
    web, gebze, izmir_dc, kizilay
):
    f.sells_from(web, gebze, izmir_dc, kizilay)
    shirt, scarf = variants(web, 2)
    receive(shirt, gebze, 2)
    receive(scarf, izmir_dc, 3)
    receive(shirt, kizilay, 1)
    before = nothing_written()

    preview = selectors.fulfilment_plan(
        channel=web, lines={shirt.pk: 2, scarf.pk: 1}, destination=city_position("İzmir")
    )

    assert nothing_written() == before
    allocated = services.stock_allocate(
        channel=web,
        reference="order:1",
        lines=[services.LineRequest(shirt.pk, 2), services.LineRequest(scarf.pk, 1)],
        destination=city_position("İzmir"),
    )
    assert preview == allocated.plan
    assert [(s.code, s.items) for s in preview.shipments] == [
        ("dc-izmir", {scarf.pk: 1}),
        ("dc-gebze", {shirt.pk: 2}),
    ]


def test_a_cart_previews_with_its_own_reservation_counted_as_its_own(web, gebze):
    f.sells_from(web, gebze)
    (shirt,) = variants(web, 1)
    receive(shirt, gebze, 2)
    services.reservations_set(
        channel=web, reference="cart:a", lines={shirt.pk: 2}, ttl=timedelta(minutes=15)
    )
    assert not selectors.fulfilment_plan(channel=web, lines={shirt.pk: 2}).feasible
    assert selectors.fulfilment_plan(
        channel=web, lines={shirt.pk: 2}, reservation_reference="cart:a"
    ).feasible


def test_the_preview_refuses_no_lines_and_non_positive_quantities(web, gebze):
    f.sells_from(web, gebze)
    (shirt,) = variants(web, 1)
    for lines in ({}, {shirt.pk: 0}, {shirt.pk: -1}):
        with pytest.raises(ValidationError) as error:
            selectors.fulfilment_plan(channel=web, lines=lines)
        assert list(error.value.fields) == ["lines"]


def test_the_preview_runs_three_queries_for_1_and_for_20_lines(web, gebze, izmir_dc, kadikoy):
    f.sells_from(web, gebze, izmir_dc, kadikoy)
    many = variants(web, 20)
    for variant in many:
        receive(variant, gebze, 1)
        receive(variant, izmir_dc, 1)
    with assert_num_queries(3):  # stock rows, the channels' locations, the locations
        one = selectors.fulfilment_plan(channel=web, lines={many[0].pk: 2})
    with assert_num_queries(3):
        every = selectors.fulfilment_plan(channel=web, lines={v.pk: 2 for v in many})
    assert [s.code for s in one.shipments] == ["dc-gebze", "dc-izmir"]
    assert [s.code for s in every.shipments] == ["dc-gebze", "dc-izmir"]
