"""Trendyol order packages imported as Omni orders, and their status reported back."""

from __future__ import annotations

import pytest

from inventory import selectors as inventory_selectors
from marketplaces import services
from marketplaces.models import PackageImport
from marketplaces.tasks import trendyol_packages_import
from orders.models import Fulfilment, Order
from tests.factories import product, stocked
from tests.marketplaces.support import client, order_status, send

pytestmark = pytest.mark.django_db


def on_trendyol(channel, *, quantity=5, variants=1):
    item = product(channels=[channel], price="250.00", variants=variants)
    variants_ = list(item.variants.order_by("id"))
    if quantity:
        stocked(channel, *variants_, quantity=quantity)
    return variants_


def available(channel, variant) -> int:
    return inventory_selectors.availability_for_channel(channel=channel, variant_ids=[variant.pk])[
        variant.pk
    ]


def test_a_package_becomes_a_confirmed_order_with_its_stock_allocated(fake, endpoint, channel):
    a, b = on_trendyol(channel, variants=2)
    package = fake.add_package(
        [{"barcode": a.barcode, "quantity": 2}, {"barcode": b.barcode, "quantity": 1}]
    )

    (record,) = services.packages_import(channel=channel, client=client(endpoint))

    assert record.status == PackageImport.Status.IMPORTED
    order = record.order
    assert (order.channel, order.status, order.email) == (
        channel,
        Order.Status.CONFIRMED,
        package["customerEmail"],
    )
    assert order.shipping_address["city"] == "İstanbul"
    assert sorted(order.lines.values_list("sku", "quantity")) == [(a.sku, 2), (b.sku, 1)]
    assert (available(channel, a), available(channel, b)) == (3, 4)
    assert order.events.filter(to_status=Order.Status.CONFIRMED).exists()


def test_one_trendyol_buyer_is_one_profile_whatever_masked_email_each_package_has(
    fake, endpoint, channel
):
    (a,) = on_trendyol(channel)
    fake.add_package([{"barcode": a.barcode}], customerId=4242)
    fake.add_package([{"barcode": a.barcode}], customerId=4242)
    fake.add_package([{"barcode": a.barcode}], customerId=None)

    first, second, anonymous = services.packages_import(channel=channel, client=client(endpoint))

    assert first.order.email != second.order.email
    assert first.order.customer_id == second.order.customer_id is not None
    assert anonymous.order.customer_id is None
    buyer = first.order.customer
    assert list(buyer.identities.order_by("kind").values_list("kind", "marketplace", "value")) == [
        ("email", "", first.order.email),
        ("marketplace_buyer", "trendyol", "4242"),
    ]
    assert (buyer.first_name, buyer.first_channel) == ("Zeynep", channel)


def test_a_package_is_imported_once(fake, endpoint, channel):
    (a,) = on_trendyol(channel)
    fake.add_package([{"barcode": a.barcode, "quantity": 1}])
    services.packages_import(channel=channel, client=client(endpoint))

    (again,) = services.packages_import(channel=channel, client=client(endpoint))

    assert again.status == PackageImport.Status.IMPORTED
    assert Order.objects.count() == 1 and available(channel, a) == 4


def test_a_package_short_of_stock_fails_whole_with_its_reason(fake, endpoint, channel):
    a, b = on_trendyol(channel, variants=2, quantity=1)
    fake.add_package([{"barcode": a.barcode, "quantity": 1}, {"barcode": b.barcode, "quantity": 3}])

    (record,) = services.packages_import(channel=channel, client=client(endpoint))

    assert record.status == PackageImport.Status.FAILED
    assert b.barcode in record.reason and b.sku in record.reason
    assert record.order is None and not Order.objects.exists()
    assert (available(channel, a), available(channel, b)) == (1, 1)  # nothing half-imported

    stocked(channel, b, quantity=5)
    record = services.package_import_retry(record=record)
    assert record.status == PackageImport.Status.IMPORTED and record.attempts == 2


def test_an_unknown_barcode_fails_the_package(fake, endpoint, channel):
    fake.add_package([{"barcode": "8690000000000", "quantity": 1}])

    (record,) = services.packages_import(channel=channel, client=client(endpoint))

    assert record.status == PackageImport.Status.FAILED
    assert "8690000000000" in record.reason
    assert not Order.objects.exists()


def test_only_new_packages_are_read(fake, endpoint, channel):
    (a,) = on_trendyol(channel)
    fake.add_package([{"barcode": a.barcode, "quantity": 1}], status="Shipped")

    assert services.packages_import(channel=channel, client=client(endpoint)) == []


def test_the_beat_task_imports_for_every_trendyol_endpoint(fake, endpoint, channel):
    from sales_channels.models import ChannelEndpoint

    (a,) = on_trendyol(channel)
    fake.add_package([{"barcode": a.barcode, "quantity": 1}])
    ChannelEndpoint.objects.create(
        channel=channel, name="Trendyol", kind="trendyol", url=fake.url, config=endpoint.config
    )

    assert trendyol_packages_import() == 1
    assert PackageImport.objects.get().status == PackageImport.Status.IMPORTED


# --- status back to Trendyol ----------------------------------------------------------------


def imported(fake, endpoint, channel):
    (a,) = on_trendyol(channel)
    package = fake.add_package([{"barcode": a.barcode, "quantity": 1}])
    (record,) = services.packages_import(channel=channel, client=client(endpoint))
    return fake.packages[str(package["id"])], record.order


def test_a_confirmed_order_is_picking_then_shipped_is_invoiced(fake, endpoint, channel):
    package, order = imported(fake, endpoint, channel)

    confirmed = order_status(order, "confirmed")
    assert send(endpoint, [confirmed])[confirmed.delivery_id].ok
    assert package["status"] == "Picking"

    shipped = order_status(order, "shipped")
    assert send(endpoint, [shipped])[shipped.delivery_id].ok
    assert package["status"] == "Invoiced"
    assert package["history"] == ["Picking", "Invoiced"]
    put = [body for method, path, body in fake.requests if method == "PUT"][-1]
    assert put["params"] == {"invoiceNumber": order.number}

    # A repeat sends nothing again.
    again = order_status(order, "shipped")
    assert send(endpoint, [again])[again.delivery_id].ok
    assert package["history"] == ["Picking", "Invoiced"]


def test_shipped_straight_away_sends_picking_first(fake, endpoint, channel):
    package, order = imported(fake, endpoint, channel)

    send(endpoint, [order_status(order, "shipped")])

    assert package["history"] == ["Picking", "Invoiced"]


def test_the_tracking_number_goes_when_the_seller_pays_the_carrier(fake, endpoint, channel):
    package, order = imported(fake, endpoint, channel)
    Fulfilment.objects.filter(order=order).update(tracking_number="YK123456789")
    endpoint.config = {**endpoint.config, "seller_pays_cargo": True}

    send(endpoint, [order_status(order, "shipped")])

    assert package["cargoSenderNumber"] == "YK123456789"
    assert package["history"] == ["Picking", "tracking", "Invoiced"]


def test_a_cancelled_order_is_reported_unsupplied(fake, endpoint, channel):
    package, order = imported(fake, endpoint, channel)

    cancelled = order_status(order, "cancelled")
    assert send(endpoint, [cancelled])[cancelled.delivery_id].ok

    assert package["status"] == "UnSupplied"


def test_an_order_not_from_trendyol_sends_nothing(fake, endpoint, channel):
    imported(fake, endpoint, channel)
    other = Order(number="X-1", channel=channel)
    before = len(fake.requests)

    change = order_status(other, "confirmed")
    assert send(endpoint, [change])[change.delivery_id].ok
    assert len(fake.requests) == before


def test_a_refused_status_update_is_not_retried(fake, endpoint, channel):
    package, order = imported(fake, endpoint, channel)
    package["status"] = "Shipped"  # Trendyol's carrier took it already

    change = order_status(order, "confirmed")
    outcome = send(endpoint, [change])[change.delivery_id]

    assert (outcome.ok, outcome.retry) == (False, False)
    assert "Shipped" in outcome.error
