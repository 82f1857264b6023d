"""Channel prices: history, the lowest price of the last 30 days, bulk changes, and the
listing summary kept right under concurrent changes."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from catalog import services
from catalog.models import ProductChannelListing, VariantChannelPrice, VariantPriceHistory
from omni.errors import ValidationError
from omni.models import OutboxEvent
from tests import factories as f
from tests.queries import assert_num_queries


@pytest.fixture
def web(db):
    return f.ChannelFactory(code="web")


def price_of(variant, channel) -> VariantChannelPrice:
    return VariantChannelPrice.objects.get(variant=variant, channel=channel)


@pytest.mark.django_db
def test_the_lowest_prior_price_covers_the_30_days_before_the_change(web):
    variant = f.product(channels=[], price="0").variants.get()
    now = timezone.now()

    def set_price(days_ago, price, compare_at=None):
        services.prices_set(
            channel=web,
            changes=[
                services.PriceChange(variant.pk, Decimal(price), compare_at and Decimal(compare_at))
            ],
            now=now - timedelta(days=days_ago),
        )

    set_price(60, "80.00")  # ended 40 days ago: outside the window of the last change
    set_price(40, "120.00")
    set_price(20, "100.00")
    set_price(0, "90.00", compare_at="120.00")

    row = price_of(variant, web)
    assert row.price == Decimal("90.00")
    assert row.lowest_prior_price == Decimal("100.00")
    assert list(
        VariantPriceHistory.objects.filter(variant=variant)
        .order_by("started_at")
        .values_list("price", "ended_at")
    ) == [
        (Decimal("80.00"), now - timedelta(days=40)),
        (Decimal("120.00"), now - timedelta(days=20)),
        (Decimal("100.00"), now),
        (Decimal("90.00"), None),
    ]


@pytest.mark.django_db
def test_each_change_gets_a_growing_version_and_one_event(web):
    variant = f.product(channels=[web], price="100.00").variants.get()
    versions = [price_of(variant, web).version]
    for price in ("90.00", "95.00", "80.00"):
        versions.append(
            services.variant_price_set(variant=variant, channel=web, price=price).version
        )
    assert versions == sorted(versions) and len(set(versions)) == 4
    events = OutboxEvent.objects.filter(
        topic="catalog.price.changed", key=f"price:{variant.pk}:{web.pk}"
    )
    assert list(events.order_by("id").values_list("version", flat=True)) == versions


@pytest.mark.django_db
def test_a_price_change_takes_a_fixed_number_of_queries(web):
    """First prices (rows created) and changed prices (rows updated), for one variant and for
    ten: the same statements whatever the number."""
    for n in (1, 10):
        ids = list(f.product(channels=[], variants=n).variants.values_list("id", flat=True))
        with assert_num_queries(13):
            services.prices_set(
                channel=web, changes=[services.PriceChange(vid, Decimal("100")) for vid in ids]
            )
        with assert_num_queries(13):
            services.prices_set(
                channel=web, changes=[services.PriceChange(vid, Decimal("90")) for vid in ids]
            )
        with assert_num_queries(6):
            services.prices_set(
                channel=web, changes=[services.PriceChange(vid, Decimal("90")) for vid in ids]
            )


@pytest.mark.django_db
def test_the_listing_summarises_the_variant_prices(web):
    item = f.product(channels=[web], variants=3, price="100.00")
    a, _b, c = item.variants.order_by("id")
    services.variant_price_set(variant=a, channel=web, price="80.00", compare_at_price="100.00")
    services.variant_price_set(variant=c, channel=web, price="130.00")
    listing = ProductChannelListing.objects.get(product=item, channel=web)
    assert (listing.price_min, listing.price_max, listing.on_sale) == (
        Decimal("80.00"),
        Decimal("130.00"),
        True,
    )

    services.variant_price_remove(variant=a, channel=web)
    listing.refresh_from_db()
    assert (listing.price_min, listing.price_max, listing.on_sale) == (
        Decimal("100.00"),
        Decimal("130.00"),
        False,
    )


@pytest.mark.django_db
def test_a_removed_price_orders_after_every_earlier_price(web):
    variant = f.product(channels=[web], price="100.00").variants.get()
    before = price_of(variant, web).version
    services.variant_price_remove(variant=variant, channel=web)
    removed = OutboxEvent.objects.filter(key=f"price:{variant.pk}:{web.pk}").latest("id")
    assert removed.payload["price"] is None
    assert removed.version > before
    again = services.variant_price_set(variant=variant, channel=web, price="70.00")
    assert again.version > removed.version
    assert again.lowest_prior_price == Decimal("100.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("price", "compare_at", "field"),
    [
        ("-1.00", None, "price"),
        ("100.00", "100.00", "compare_at_price"),
        ("100.00", "90.00", "compare_at_price"),
    ],
)
def test_bad_prices_are_refused_and_change_nothing(web, price, compare_at, field):
    variant = f.product(channels=[web], price="50.00").variants.get()
    events = OutboxEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.variant_price_set(
            variant=variant, channel=web, price=price, compare_at_price=compare_at
        )
    assert list(error.value.fields) == [field]
    assert price_of(variant, web).price == Decimal("50.00")
    assert OutboxEvent.objects.count() == events


@pytest.mark.django_db
def test_prices_are_in_the_channel_currency(web):
    variant = f.product(channels=[web]).variants.get()
    with pytest.raises(ValidationError) as error:
        services.variant_price_set(variant=variant, channel=web, price="10", currency="EUR")
    assert error.value.code == "currency_mismatch"


@pytest.mark.django_db
def test_bulk_adjust_by_percent_amount_and_to_a_price(web):
    a = f.product(channels=[web], price="100.00").variants.get()
    b = f.product(channels=[web], price="33.33").variants.get()
    unpriced = f.product(channels=[]).variants.get()

    assert (
        services.prices_bulk_adjust(
            channel=web, variant_ids=[a.pk, b.pk, unpriced.pk], mode="percent", value=Decimal("-15")
        )
        == 2
    )
    assert (price_of(a, web).price, price_of(b, web).price) == (Decimal("85.00"), Decimal("28.33"))
    assert not VariantChannelPrice.objects.filter(variant=unpriced).exists()

    services.prices_bulk_adjust(channel=web, variant_ids=[a.pk], mode="amount", value=Decimal("5"))
    assert price_of(a, web).price == Decimal("90.00")
    services.prices_bulk_adjust(
        channel=web, variant_ids=[a.pk, unpriced.pk], mode="set", value=Decimal("49.90")
    )
    assert (price_of(a, web).price, price_of(unpriced, web).price) == (
        Decimal("49.90"),
        Decimal("49.90"),
    )


@pytest.mark.django_db
def test_a_bulk_change_that_would_break_one_price_changes_none(web):
    a = f.product(channels=[web], price="10.00").variants.get()
    b = f.product(channels=[web], price="100.00", compare_at="110.00").variants.get()
    with pytest.raises(ValidationError) as error:
        services.prices_bulk_adjust(
            channel=web, variant_ids=[a.pk, b.pk], mode="percent", value=Decimal("20")
        )
    assert b.sku in error.value.fields["value"][0]
    assert (price_of(a, web).price, price_of(b, web).price) == (Decimal("10.00"), Decimal("100.00"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_price_changes_keep_the_listing_summary_right():
    """Many variants of one product repriced at once from several connections: the listing's
    summary must equal what the prices say afterwards (no lost update, no deadlock)."""
    web = f.ChannelFactory(code="web")
    item = f.product(channels=[web], variants=8, price="100.00")
    variants = list(item.variants.order_by("id"))
    errors = []
    barrier = threading.Barrier(len(variants))

    def reprice(variant, price):
        try:
            barrier.wait(timeout=10)
            services.variant_price_set(variant=variant, channel=web, price=price)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=reprice, args=(v, Decimal(50 + 10 * i)))
        for i, v in enumerate(variants)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    listing = ProductChannelListing.objects.get(product=item, channel=web)
    assert (listing.price_min, listing.price_max) == (Decimal("50.00"), Decimal("120.00"))
