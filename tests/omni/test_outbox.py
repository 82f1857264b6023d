import pytest
from django.db import transaction

from catalog import services
from omni.models import OutboxEvent
from omni.outbox import OutboxOutsideTransaction, outbox_record
from tests import factories as f


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_committed_price_change_always_leaves_its_event():
    # Given a product sold on the web
    web = f.ChannelFactory(code="web")
    item = f.product(channels=[web], price="100.00")
    variant = item.variants.get()
    before = OutboxEvent.objects.count()

    # When its price is changed and the transaction commits
    services.variant_price_set(variant=variant, channel=web, price="90.00")

    # Then exactly one price event is in the outbox, with the new price
    events = list(OutboxEvent.objects.filter(id__gt=0).order_by("id")[before:])
    assert [(e.topic, e.key, e.channel_id) for e in events] == [
        ("catalog.price.changed", f"price:{variant.pk}:{web.pk}", web.pk)
    ]
    assert events[0].payload["price"] == "90.00"
    assert events[0].payload["currency"] == "TRY"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event_and_no_change():
    web = f.ChannelFactory(code="web")
    item = f.product(channels=[web], price="100.00")
    variant = item.variants.get()
    before = OutboxEvent.objects.count()

    class Boom(Exception):
        pass

    # When the change happens inside a transaction that then fails
    with pytest.raises(Boom), transaction.atomic():
        services.variant_price_set(variant=variant, channel=web, price="90.00")
        services.product_update(product=item, data={"name_tr": "Yeni ad"})
        raise Boom

    # Then neither the changes nor their events are there
    assert OutboxEvent.objects.count() == before
    variant.refresh_from_db()
    assert str(variant.channel_prices.get().price) == "100.00"
    item.refresh_from_db()
    assert item.name_tr != "Yeni ad"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_cannot_be_recorded_outside_a_transaction():
    with pytest.raises(OutboxOutsideTransaction):
        outbox_record(topic="x", key="y", payload={})
    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db
def test_setting_a_price_to_what_it_is_records_nothing():
    web = f.ChannelFactory(code="web")
    variant = f.product(channels=[web], price="100.00").variants.get()
    before = OutboxEvent.objects.count()

    services.variant_price_set(variant=variant, channel=web, price="100.00")

    assert OutboxEvent.objects.count() == before


@pytest.mark.django_db
def test_each_kind_of_catalog_change_records_its_event():
    web = f.ChannelFactory(code="web")
    item = f.product(channels=[web], price="100.00", published=False)
    start = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first()

    services.product_update(product=item, data={"name_en": "New name"})
    services.product_listing_set(product=item, channel=web, is_published=True)
    services.variant_price_set(variant=item.variants.get(), channel=web, price="80.00")

    topics = list(
        OutboxEvent.objects.filter(id__gt=start).order_by("id").values_list("topic", flat=True)
    )
    assert topics == ["catalog.product.changed", "catalog.listing.changed", "catalog.price.changed"]
