"""Channel sale prices: the automatic promotions certain to apply reach the feeds, the webhooks
and Trendyol through the outbox, as a price change does; conditional ones do not."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.channel_prices import (
    TOPIC_PROMOTION_CHANGED,
    channel_prices_consume,
    promotion_changed_event,
    promotion_windows_sweep,
    sale_prices,
)
from campaigns.models import Promotion, PromotionWindowSweep
from catalog import services as catalog_services
from catalog.models import VariantChannelPrice
from customers.models import Segment
from omni.models import OutboxEvent
from omni.outbox import outbox_record_many
from sales_channels import services as relay
from sales_channels.consumers import _events_by_id
from tests.factories import ChannelFactory, category, product, stocked
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

GOOGLE_NS = "{http://base.google.com/ns/1.0}"


def promotion(*, channels=(), categories=(), **fields) -> Promotion:
    fields.setdefault("name", "Yaz indirimi")
    fields.setdefault("label_tr", "Yaz indirimi")
    fields.setdefault("kind", Promotion.Kind.PERCENT)
    fields.setdefault("value", Decimal("10"))
    made = Promotion.objects.create(**fields)
    made.channels.set(channels)
    made.categories.set(categories)
    return made


def changed(*promotions: Promotion) -> None:
    """What the promotion services record with a change (promo-admin's event)."""
    with transaction.atomic():
        outbox_record_many(promotion_changed_event(promotion=p, reason="test") for p in promotions)


def price_events(variant) -> list[dict]:
    return [
        e.payload
        for e in OutboxEvent.objects.filter(
            topic="catalog.price.changed", key__startswith=f"price:{variant.pk}:"
        ).order_by("id")
    ]


def row(variant, channel) -> VariantChannelPrice:
    return VariantChannelPrice.objects.get(variant=variant, channel=channel)


def test_only_automatic_unconditional_line_promotions_make_a_sale_price():
    web = ChannelFactory(code="web")
    dresses = category("elbise")
    dress = product(channels=[web], price="200.00", in_category=dresses).variants.get()
    shirt = product(channels=[web], price="100.00").variants.get()
    promotion(categories=[dresses], value=Decimal("10"))  # certain
    promotion(kind=Promotion.Kind.PERCENT, value=Decimal("50"), requires_code=True)
    promotion(value=Decimal("40"), min_subtotal=Decimal("750"))
    promotion(kind=Promotion.Kind.BUY_X_GET_Y, config={"buy": 1, "get": 1, "percent": 50}, value=0)
    promotion(value=Decimal("30"), first_order_only=True)
    promotion(value=Decimal("30"), usage_limit=10)
    promotion(value=Decimal("30"), target=Promotion.Target.ORDER)
    segmented = promotion(value=Decimal("30"))
    segmented.segments.add(Segment.objects.create(name="VIP", rules={}))
    promotion(value=Decimal("30"), ends_at=timezone.now() - timedelta(minutes=1))
    promotion(value=Decimal("30"), is_active=False)
    promotion(value=Decimal("30"), channels=[ChannelFactory(code="app")])

    sales = sale_prices(channel=web, variant_ids=[dress.pk, shirt.pk])

    assert set(sales) == {dress.pk}
    assert (sales[dress.pk].price, sales[dress.pk].sale_price) == (
        Decimal("200.00"),
        Decimal("180.00"),
    )


def test_combinable_promotions_apply_in_turn_and_an_exclusive_one_wins_when_it_takes_more():
    web = ChannelFactory(code="web")
    variant = product(channels=[web], price="200.00").variants.get()
    ten = promotion(value=Decimal("10"))
    promotion(value=Decimal("10"), priority=5)
    promotion(kind=Promotion.Kind.AMOUNT, value=Decimal("2"))

    # as the engine stacks them: 200 - 10 % = 180, - 10 % = 162, - 2 TL = 160
    assert sale_prices(channel=web, variant_ids=[variant.pk])[variant.pk].sale_price == Decimal(
        "160.00"
    )

    exclusive = promotion(
        kind=Promotion.Kind.FIXED_PRICE,
        value=Decimal("150"),
        stacking=Promotion.Stacking.EXCLUSIVE,
        ends_at=timezone.now() + timedelta(days=3),
    )
    sale = sale_prices(channel=web, variant_ids=[variant.pk])[variant.pk]
    assert (sale.sale_price, sale.promotion, sale.window) == (
        Decimal("150.00"),
        exclusive,
        (None, exclusive.ends_at),
    )
    assert sale.promotion != ten


def test_sale_prices_take_the_same_queries_for_one_variant_and_for_many():
    web = ChannelFactory(code="web")
    one = product(channels=[web]).variants.get()
    many = list(product(channels=[web], variants=8).variants.all())
    promotion(value=Decimal("10"))
    promotion(value=Decimal("5"), categories=[category("giyim")])

    with assert_num_queries(9):
        assert len(sale_prices(channel=web, variant_ids=[one.pk])) == 1
    with assert_num_queries(9):
        assert len(sale_prices(channel=web, variant_ids=[v.pk for v in many])) == 8


def test_a_promotion_change_records_price_events_with_the_sale_price_once():
    web, store = ChannelFactory(code="web"), ChannelFactory(code="store-kadikoy")
    variant = product(channels=[web, store], price="100.00").variants.get()
    before = row(variant, web).version
    summer = promotion(value=Decimal("20"), channels=[web])

    changed(summer)
    relay.outbox_relay_batch()

    assert row(variant, web).sale_price == Decimal("80.00")
    assert row(variant, store).sale_price is None
    event = price_events(variant)[-1]
    assert (event["channel"], event["price"], event["sale_price"], event["sale_promotion"]) == (
        "web",
        "100.00",
        "80.00",
        summer.pk,
    )
    assert event["version"] > before and event["cause"] == "sale"

    # the same events again (a retry after a crash): nothing changes, nothing is recorded
    count = OutboxEvent.objects.count()
    ids = list(OutboxEvent.objects.order_by("id").values_list("id", flat=True))
    channel_prices_consume(_events_by_id(ids))
    assert OutboxEvent.objects.count() == count

    # paused: the sale ends, with an event that says so
    summer.is_active = False
    summer.save(update_fields=["is_active"])
    changed(summer)
    relay.outbox_relay_batch()
    assert row(variant, web).sale_price is None
    assert price_events(variant)[-1]["sale_price"] is None


def test_a_price_change_during_a_sale_works_the_sale_price_out_again():
    web = ChannelFactory(code="web")
    variant = product(channels=[web], price="100.00").variants.get()
    changed(promotion(value=Decimal("10")))
    relay.outbox_relay_batch()
    assert row(variant, web).sale_price == Decimal("90.00")

    catalog_services.variant_price_set(variant=variant, channel=web, price=Decimal("200.00"))
    # the stale sale price is never told: the price event has none, until campaigns re-prices
    assert row(variant, web).sale_price is None
    assert price_events(variant)[-1]["sale_price"] is None
    relay.outbox_relay_batch()

    assert row(variant, web).sale_price == Decimal("180.00")
    assert price_events(variant)[-1]["sale_price"] == "180.00"
    relay.outbox_relay_batch()  # its own event re-prices nothing
    assert price_events(variant)[-1]["sale_price"] == "180.00"
    assert len(price_events(variant)) == 4


def test_the_beat_records_a_promotion_change_when_a_window_opens_or_closes_once():
    web = ChannelFactory(code="web")
    variant = product(channels=[web], price="100.00").variants.get()
    now = timezone.now()
    PromotionWindowSweep.objects.create(
        name=PromotionWindowSweep.WINDOWS, swept_until=now - timedelta(minutes=2)
    )
    weekend = promotion(value=Decimal("25"), starts_at=now - timedelta(minutes=1))
    promotion(value=Decimal("50"), requires_code=True, starts_at=now - timedelta(minutes=1))

    assert promotion_windows_sweep(now=now) == 1
    assert promotion_windows_sweep(now=now) == 0
    relay.outbox_relay_batch()
    assert row(variant, web).sale_price == Decimal("75.00")
    (event,) = OutboxEvent.objects.filter(topic=TOPIC_PROMOTION_CHANGED)
    assert (event.key, event.payload["promotion"], event.payload["channels"]) == (
        f"promotion:{weekend.pk}",
        weekend.pk,
        "all",
    )

    Promotion.objects.filter(pk=weekend.pk).update(ends_at=now + timedelta(seconds=1))
    later = now + timedelta(seconds=2)
    assert promotion_windows_sweep(now=later) == 1
    Promotion.objects.filter(pk=weekend.pk).update(ends_at=now)  # ended by the time we relay
    relay.outbox_relay_batch()
    assert row(variant, web).sale_price is None


def test_the_google_feed_shows_the_sale_price_and_its_dates(client):
    web = ChannelFactory(code="web")
    dress = product(channels=[web], price="1299.00").variants.get()
    stocked(web, dress, quantity=2)
    ends = timezone.now().replace(second=0, microsecond=0) + timedelta(days=2)
    starts = ends - timedelta(days=5)
    changed(promotion(value=Decimal("10"), starts_at=starts, ends_at=ends))
    relay.outbox_relay_batch()

    response = client.get("/feeds/web/google.xml")

    root = ET.fromstring(b"".join(response.streaming_content).decode())  # noqa: S314
    (item,) = [{c.tag.removeprefix(GOOGLE_NS): c.text for c in i} for i in root.iter("item")]
    istanbul = "+0300"
    assert (item["price"], item["sale_price"]) == ("1299.00 TRY", "1169.10 TRY")
    assert item["sale_price_effective_date"] == (
        f"{(starts + timedelta(hours=3)).strftime('%Y-%m-%dT%H:%M')}{istanbul}/"
        f"{(ends + timedelta(hours=3)).strftime('%Y-%m-%dT%H:%M')}{istanbul}"
    )
    # a sale whose end passed before the beat caught it is not shown
    VariantChannelPrice.objects.filter(variant=dress).update(
        sale_ends_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/feeds/web/google.xml")
    text = b"".join(response.streaming_content).decode()
    assert "sale_price" not in text and "<g:price>1299.00 TRY</g:price>" in text


def test_a_webhook_gets_the_sale_price_in_the_price_delivery_with_a_newer_version():
    from sales_channels.models import Delivery
    from tests.sales_channels.conftest import endpoint_for

    web = ChannelFactory(code="web")
    variant = product(channels=[web], price="100.00").variants.get()
    endpoint_for(web, "http://127.0.0.1:9/web")
    relay.outbox_relay_batch()  # the price as it was set
    key = f"price:{variant.pk}:{web.pk}"
    before = Delivery.objects.get(key=key).version

    changed(promotion(value=Decimal("20")))
    relay.outbox_relay_batch()  # the promotion change: re-priced, a price event recorded
    relay.outbox_relay_batch()  # that price event

    delivery = Delivery.objects.get(key=key)  # folded into the one not yet sent
    assert delivery.version > before
    assert (delivery.payload["price"], delivery.payload["sale_price"]) == ("100.00", "80.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_each_window_edge_once(monkeypatch):
    """While one sweep holds its stretch (claimed, not committed), a second one started at the
    same time waits for it, then finds the stretch taken and records nothing."""
    import threading

    from django.db import connection

    from campaigns import channel_prices

    now = timezone.now()
    PromotionWindowSweep.objects.create(
        name=PromotionWindowSweep.WINDOWS, swept_until=now - timedelta(minutes=2)
    )
    promotion(value=Decimal("10"), starts_at=now - timedelta(minutes=1))
    holding, release = threading.Event(), threading.Event()
    record = channel_prices.outbox_record_many
    first_thread: list[threading.Thread] = []

    def held(events):
        if threading.current_thread() is first_thread[0]:
            holding.set()
            release.wait(20)
        return record(events)

    monkeypatch.setattr(channel_prices, "outbox_record_many", held)
    swept: dict[str, int] = {}

    def sweep(name: str) -> None:
        try:
            swept[name] = promotion_windows_sweep(now=now)
        finally:
            connection.close()

    first = threading.Thread(target=sweep, args=("first",))
    first_thread.append(first)
    first.start()
    try:
        assert holding.wait(10)
        second = threading.Thread(target=sweep, args=("second",))
        second.start()
        second.join(0.5)
        assert second.is_alive(), "the second sweep did not wait for the first one's claim"
    finally:
        release.set()
        first.join(20)
    second.join(20)

    assert swept == {"first": 1, "second": 0}
    assert OutboxEvent.objects.filter(topic=TOPIC_PROMOTION_CHANGED).count() == 1
