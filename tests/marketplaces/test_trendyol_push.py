"""Stock and price to Trendyol, against the local fake Trendyol server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from catalog import services as catalog_services
from catalog.demo import barcode_for
from catalog.models import ProductChannelListing, ProductVariant, VariantChannelPrice
from marketplaces import services
from marketplaces.connector import TrendyolConnector
from marketplaces.models import BarcodeMapping, MarketplaceItem, PushBatch
from marketplaces.trendyol import TOPIC_ITEM_RESEND, TrendyolClient, TrendyolError
from omni.models import OutboxEvent
from sales_channels.connectors.base import connector_class
from tests.factories import product, stocked
from tests.marketplaces.support import availability, change, client, later, price, send
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

PUSH = "/integration/inventory/sellers/123456/products/price-and-inventory"


def pushes(fake) -> list[list[dict]]:
    return [body["items"] for method, path, body in fake.requests if path == PUSH]


def listed(channel, *, variants=1, price_="100.00", compare_at=None, quantity=5, fake=None):
    item = product(channels=[channel], price=price_, compare_at=compare_at, variants=variants)
    variants_ = list(item.variants.order_by("id"))
    if quantity:
        stocked(channel, *variants_, quantity=quantity)
    if fake is not None:
        for v in variants_:
            fake.add_product(v.barcode)
    return item, variants_


def test_the_connector_is_registered_as_trendyol(endpoint):
    assert connector_class("trendyol") is TrendyolConnector
    assert TrendyolConnector(endpoint).check_config() == {}
    endpoint.config = {"supplier_id": "abc"}
    errors = TrendyolConnector(endpoint).check_config()
    assert set(errors) == {"config.supplier_id", "config.api_key", "config.api_secret"}


def test_stock_and_price_of_a_variant_go_out_as_one_item(fake, endpoint, channel):
    _, (variant,) = listed(channel, price_="149.90", compare_at="199.90", quantity=7, fake=fake)
    a, p = availability(variant, channel, available=7), price(variant, channel)

    outcomes = send(endpoint, [a, p])

    assert outcomes[a.delivery_id].ok and outcomes[p.delivery_id].ok
    assert pushes(fake) == [
        [
            {
                "barcode": variant.barcode,
                "quantity": 7,
                "salePrice": Decimal("149.90"),
                "listPrice": Decimal("199.90"),
            }
        ]
    ]
    assert fake.products[variant.barcode] == {
        "quantity": 7,
        "salePrice": Decimal("149.90"),
        "listPrice": Decimal("199.90"),
    }
    batch = PushBatch.objects.get()
    assert batch.status == PushBatch.Status.PENDING and batch.items[0]["barcode"] == variant.barcode
    item = MarketplaceItem.objects.get()
    assert (item.sent_quantity, item.sent_sale_price, item.status) == (
        7,
        Decimal("149.90"),
        MarketplaceItem.Status.PENDING,
    )


def test_the_list_price_is_never_below_the_sale_price(fake, endpoint, channel):
    _, (variant,) = listed(channel, price_="80.00", quantity=1, fake=fake)

    send(endpoint, [price(variant, channel)])

    (item,) = pushes(fake)[0]
    assert item["salePrice"] == item["listPrice"] == Decimal("80.00")


def test_the_quantity_is_capped_at_trendyols_stock_limit(fake, endpoint, channel):
    _, (variant,) = listed(channel, quantity=25_000, fake=fake)

    send(endpoint, [availability(variant, channel)])

    assert pushes(fake)[0][0]["quantity"] == 20_000


def test_nothing_unchanged_is_sent_again(fake, endpoint, channel):
    _, (variant,) = listed(channel, quantity=3, fake=fake)
    send(endpoint, [availability(variant, channel)])

    outcomes = send(endpoint, [availability(variant, channel), price(variant, channel)])

    assert all(o.ok for o in outcomes.values())
    assert len(pushes(fake)) == 1
    assert PushBatch.objects.count() == 1


def test_a_request_identical_to_one_of_the_last_15_minutes_is_refused_by_trendyol(
    fake, endpoint, channel
):
    _, (variant,) = listed(channel, quantity=3, fake=fake)
    send(endpoint, [availability(variant, channel)])
    body = pushes(fake)[0]
    api = client(endpoint)

    with pytest.raises(TrendyolError) as refused:
        api.price_and_inventory(body)
    assert refused.value.duplicate and not refused.value.retryable

    fake.advance(16 * 60)
    assert api.price_and_inventory(body)


def test_a_repeat_trendyol_already_holds_counts_as_delivered(fake, endpoint, channel):
    _, (variant,) = listed(channel, quantity=3, fake=fake)
    send(endpoint, [availability(variant, channel)])
    # What Omni knew of the first send was lost (e.g. a worker died before recording it).
    MarketplaceItem.objects.update(sent_quantity=None, sent_sale_price=None, sent_list_price=None)
    again = availability(variant, channel)

    outcomes = send(endpoint, [again])

    assert outcomes[again.delivery_id].ok
    assert len(pushes(fake)) == 2  # sent, refused as identical: nothing lost, no error
    assert PushBatch.objects.count() == 1
    assert MarketplaceItem.objects.get().status == MarketplaceItem.Status.OK


def test_a_thousand_and_one_items_go_out_in_two_requests(fake, endpoint, channel):
    item, (first,) = listed(channel, quantity=0, fake=fake)
    now = timezone.now()
    extra = ProductVariant.objects.bulk_create(
        ProductVariant(product=item, sku=f"BULK-{i}", barcode=barcode_for(700_000_000 + i))
        for i in range(1000)
    )
    VariantChannelPrice.objects.bulk_create(
        VariantChannelPrice(
            variant=v, channel=channel, price=Decimal("10.00"), currency="TRY", price_since=now
        )
        for v in extra
    )
    for v in extra:
        fake.add_product(v.barcode)
    changes = [availability(v, channel) for v in [first, *extra]]

    outcomes = send(endpoint, changes)

    assert all(o.ok for o in outcomes.values())
    assert [len(items) for items in pushes(fake)] == [1000, 1]
    assert PushBatch.objects.count() == 2


def test_the_barcode_mapping_of_the_channel_wins_over_the_ean(fake, endpoint, channel):
    _, (variant,) = listed(channel, quantity=2)
    BarcodeMapping.objects.create(channel=channel, variant=variant, barcode="TY-ELBISE-M")
    fake.add_product("TY-ELBISE-M")

    send(endpoint, [availability(variant, channel)])

    assert pushes(fake)[0][0]["barcode"] == "TY-ELBISE-M"
    assert fake.products["TY-ELBISE-M"]["quantity"] == 2


def test_a_variant_without_a_barcode_is_refused_for_good(fake, endpoint, channel):
    _, (variant,) = listed(channel, quantity=2)
    ProductVariant.objects.filter(pk=variant.pk).update(barcode=None)
    a = availability(variant, channel)

    outcome = send(endpoint, [a])[a.delivery_id]

    assert (outcome.ok, outcome.retry) == (False, False)
    assert variant.sku in outcome.error
    assert pushes(fake) == []


def test_an_unpublished_product_goes_to_zero(fake, endpoint, channel):
    item, (variant,) = listed(channel, quantity=4, fake=fake)
    send(endpoint, [availability(variant, channel)])
    catalog_services.product_listing_set(product=item, channel=channel, is_published=False)
    unlisted = change(
        "catalog.listing.changed",
        {"product_id": item.pk, "channel": channel.code, "is_published": False},
        channel_id=channel.pk,
    )

    assert send(endpoint, [unlisted])[unlisted.delivery_id].ok

    assert pushes(fake)[1] == [
        {
            "barcode": variant.barcode,
            "quantity": 0,
            "salePrice": Decimal("100.00"),
            "listPrice": Decimal("100.00"),
        }
    ]


def test_a_product_never_sold_on_the_channel_is_not_sent(fake, endpoint, channel):
    other = product(channels=[], variants=1).variants.get()

    a = availability(other, channel)
    assert send(endpoint, [a])[a.delivery_id].ok
    assert pushes(fake) == [] and not MarketplaceItem.objects.exists()


def test_wrong_credentials_are_not_retried(fake, endpoint, channel):
    _, (variant,) = listed(channel, quantity=1, fake=fake)
    endpoint.config = {**endpoint.config, "api_secret": "wrong"}
    a = availability(variant, channel)

    outcome = send(endpoint, [a])[a.delivery_id]

    assert (outcome.ok, outcome.retry, outcome.detail) == (False, False, {"status": 401})
    assert not PushBatch.objects.exists()
    assert MarketplaceItem.objects.get().sent_quantity is None  # sent again once it works


def test_trendyol_down_is_retried(endpoint, channel, fake):
    _, (variant,) = listed(channel, quantity=1, fake=fake)
    fake.stop()
    a = availability(variant, channel)

    outcome = send(endpoint, [a])[a.delivery_id]

    assert (outcome.ok, outcome.retry) == (False, True)
    assert MarketplaceItem.objects.get().sent_quantity is None


def test_the_fake_enforces_the_user_agent_and_the_1000_item_limit(fake, endpoint):
    api = client(endpoint)
    with pytest.raises(TrendyolError) as too_many:
        api._request(
            "POST",
            "inventory/sellers/123456/products/price-and-inventory",
            body={"items": [{"barcode": str(i), "quantity": 1} for i in range(1001)]},
        )
    assert too_many.value.status == 400
    no_agent = TrendyolClient(
        base_url=fake.url, seller_id="999", api_key="k-test", api_secret="s-test"
    )
    with pytest.raises(TrendyolError) as forbidden:
        no_agent.batch_result("x")
    assert forbidden.value.status == 403


# --- following the batches ------------------------------------------------------------------


def test_a_batch_not_ready_is_polled_later_then_applied(fake, endpoint, channel):
    fake.polls_before_result = 1
    _, (variant,) = listed(channel, quantity=3, fake=fake)
    send(endpoint, [availability(variant, channel)])
    api = client(endpoint)

    assert services.batches_poll(channel=channel, client=api, now=later(0)) == 0  # not due yet
    assert services.batches_poll(channel=channel, client=api, now=later(11)) == 0  # not ready
    batch = PushBatch.objects.get()
    assert batch.status == PushBatch.Status.PENDING and batch.polls == 1
    assert batch.next_poll_at > later(15)

    assert services.batches_poll(channel=channel, client=api, now=later(60)) == 1

    batch.refresh_from_db()
    assert (batch.status, batch.succeeded, batch.failed) == (PushBatch.Status.COMPLETED, 1, 0)
    assert MarketplaceItem.objects.get().status == MarketplaceItem.Status.OK


def test_an_unknown_barcode_is_refused_for_good_and_not_sent_again(fake, endpoint, channel):
    _, (variant,) = listed(channel, quantity=3)  # not on Trendyol
    send(endpoint, [availability(variant, channel)])

    services.batches_poll(channel=channel, client=client(endpoint), now=later(60))

    item = MarketplaceItem.objects.get()
    assert item.status == MarketplaceItem.Status.FAILED
    assert "bulunamadı" in item.last_error
    assert not OutboxEvent.objects.filter(topic=TOPIC_ITEM_RESEND).exists()
    assert PushBatch.objects.get().failures == {variant.barcode: [item.last_error]}
    # Unchanged, it is not sent again.
    send(endpoint, [availability(variant, channel)])
    assert len(pushes(fake)) == 1


def test_an_item_failed_for_a_passing_reason_is_sent_again(fake, endpoint, channel):
    _, (variant,) = listed(channel, quantity=3, fake=fake)
    fake.fail_once.add(variant.barcode)
    send(endpoint, [availability(variant, channel)])
    assert fake.products[variant.barcode]["quantity"] == 0

    services.batches_poll(channel=channel, client=client(endpoint), now=later(60))

    item = MarketplaceItem.objects.get()
    assert (item.status, item.failures, item.sent_quantity) == (
        MarketplaceItem.Status.RETRYING,
        1,
        None,
    )
    event = OutboxEvent.objects.get(topic=TOPIC_ITEM_RESEND)
    assert (event.channel_id, event.payload["variant_id"]) == (channel.pk, variant.pk)
    # The relay hands the event back to the connector, which sends the item again.
    resend = change(TOPIC_ITEM_RESEND, event.payload, channel_id=channel.pk)
    # Within 15 minutes the same values are an identical request, which Trendyol refuses: the
    # relay is told to try again when the window is over.
    early = send(endpoint, [resend])[resend.delivery_id]
    assert (early.ok, early.retry) == (False, True)
    assert 800 < early.retry_after <= 900
    fake.advance(15 * 60)
    assert send(endpoint, [resend])[resend.delivery_id].ok
    services.batches_poll(channel=channel, client=client(endpoint), now=later(60))
    assert fake.products[variant.barcode]["quantity"] == 3
    item.refresh_from_db()
    assert (item.status, item.failures) == (MarketplaceItem.Status.OK, 0)


def test_a_superseded_failure_does_not_undo_a_newer_send(fake, endpoint, channel):
    _, (variant,) = listed(channel, quantity=3, fake=fake)
    fake.fail_once.add(variant.barcode)
    send(endpoint, [availability(variant, channel)])
    stocked(channel, variant, quantity=2)  # 5 now, sent before the first batch is read
    send(endpoint, [availability(variant, channel)])

    services.batches_poll(channel=channel, client=client(endpoint), now=later(60))

    item = MarketplaceItem.objects.get()
    assert (item.status, item.sent_quantity) == (MarketplaceItem.Status.OK, 5)
    assert not OutboxEvent.objects.filter(topic=TOPIC_ITEM_RESEND).exists()


def test_planning_takes_a_fixed_number_of_queries(fake, endpoint, channel):
    for n in (1, 10):
        ProductChannelListing.objects.all().delete()
        _, variants = listed(channel, variants=n, quantity=1)
        changes = [availability(v, channel) for v in variants] + [
            price(v, channel) for v in variants
        ]
        MarketplaceItem.objects.all().delete()
        with assert_num_queries(10):
            services.items_plan(channel=channel, changes=changes, stock_cap=20_000)
