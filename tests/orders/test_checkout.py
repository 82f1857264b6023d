"""One cart and one checkout through the services: the cart follows the customer across
channels, checkout re-prices and re-checks, and an order is placed all or nothing."""

from decimal import Decimal

import pytest

from catalog import services as catalog
from inventory.models import Allocation, Stock, Transfer
from omni.errors import InsufficientStock, ValidationError
from omni.models import OutboxEvent
from orders.models import Cart, Fulfilment, Order
from orders.services import carts, checkout
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web")


@pytest.fixture
def app():
    return f.ChannelFactory(code="app", kind="app")


@pytest.fixture
def customer():
    return f.CustomerFactory()


def home(channel):
    method = f.ShippingMethodFactory(channel=channel)
    return checkout.delivery_build(
        channel=channel, method="home", shipping_method=method.code, address=f.ADDRESS
    )


def test_an_item_added_in_the_app_is_in_the_web_cart(web, app, customer):
    variant = f.product(channels=[web, app], price="100.00").variants.get()
    f.stocked(web, variant)
    f.sells_from(app, Stock.objects.get().location)

    carts.cart_add(
        cart=carts.cart_for_customer(customer=customer, channel=app),
        channel=app,
        variant_id=variant.pk,
        quantity=2,
    )

    on_web = carts.cart_for_customer(customer=customer, channel=web)
    assert [(line.variant_id, line.quantity) for line in on_web.lines.all()] == [(variant.pk, 2)]
    assert (on_web.origin_channel, on_web.last_channel) == (app, web)


def test_adding_more_than_can_be_had_is_refused_and_changes_nothing(web, customer):
    variant = f.product(channels=[web]).variants.get()
    f.stocked(web, variant, quantity=2)
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk, quantity=2)
    with pytest.raises(ValidationError) as error:
        carts.cart_add(cart=cart, channel=web, variant_id=variant.pk, quantity=1)
    assert error.value.code == "insufficient_stock"
    assert cart.lines.get().quantity == 2


def test_an_anonymous_cart_merges_into_the_customers_on_sign_in(web, customer):
    a, b, c = (f.product(channels=[web], price="10.00").variants.get() for _ in range(3))
    f.stocked(web, a, b, quantity=5)
    f.stocked(web, c, location=Stock.objects.first().location, quantity=5)
    mine = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=mine, channel=web, variant_id=a.pk, quantity=4)
    visitor = carts.cart_create_anonymous(channel=web)
    carts.cart_add(cart=visitor, channel=web, variant_id=a.pk, quantity=3)  # 4 + 3 > 5 available
    carts.cart_add(cart=visitor, channel=web, variant_id=b.pk, quantity=1)

    merged = carts.cart_merge(anonymous=visitor, customer=customer, channel=web)

    assert merged.pk == mine.pk
    assert dict(merged.lines.values_list("variant_id", "quantity")) == {a.pk: 5, b.pk: 1}
    visitor.refresh_from_db()
    assert visitor.status == Cart.Status.MERGED


def test_a_changed_price_stops_the_order_until_the_shopper_reviews_it(web, customer):
    variant = f.product(channels=[web], price="100.00").variants.get()
    f.stocked(web, variant)
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk)
    catalog.variant_price_set(variant=variant, channel=web, price="120.00")

    with pytest.raises(checkout.CartChanged) as error:
        checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)
    assert [c.as_dict() for c in error.value.changes] == [
        {
            "line": cart.lines.get().pk,
            "sku": variant.sku,
            "change": "price_up",
            "before": "100.00",
            "after": "120.00",
        }
    ]
    assert not Order.objects.exists()

    assert [c.kind for c in carts.cart_refresh(cart=cart, channel=web)] == ["price_up"]
    order = checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)
    assert order.total == Decimal("169.90")  # 120 + 49.90 shipping


def test_placing_an_order_prices_allocates_and_records_everything(web, customer):
    shirt = f.product(channels=[web], price="600.00").variants.get()
    towel = f.product(channels=[web], price="250.00").variants.get()
    catalog.product_update(
        product=towel.product,
        data={"tax_class": f.TaxClassFactory(code="kdv-10", rate=Decimal("10"))},
    )
    dc = f.stocked(web, shirt, towel)
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=shirt.pk)
    carts.cart_add(cart=cart, channel=web, variant_id=towel.pk, quantity=2)

    order = checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)

    # 600 + 2 x 250 = 1100 >= 1000: free shipping; KDV: 600 x 20/120 + 500 x 10/110
    assert (order.subtotal, order.shipping_total, order.total) == (
        Decimal("1100.00"),
        Decimal("0.00"),
        Decimal("1100.00"),
    )
    assert order.pricing["tax_by_rate"] == {"10": "45.45", "20": "100.00"}
    assert order.tax_total == Decimal("145.45")
    assert order.number.startswith("ME") and order.status == "pending"
    assert (order.channel, order.origin_channel, order.customer) == (web, web, customer)
    assert sorted(order.lines.values_list("sku", "quantity", "line_total")) == sorted(
        [(shirt.sku, 1, Decimal("600.00")), (towel.sku, 2, Decimal("500.00"))]
    )
    assert Stock.objects.get(variant=shirt).allocated == 1
    assert Allocation.objects.filter(reference=order.reference).count() == 2
    assert list(Fulfilment.objects.filter(order=order).values_list("location", flat=True)) == [
        dc.pk
    ]
    cart.refresh_from_db()
    assert cart.status == Cart.Status.ORDERED
    assert OutboxEvent.objects.filter(topic="orders.order.placed", key=f"order:{order.pk}").exists()
    assert [e.kind for e in order.events.all()] == ["placed", "allocated"]


def test_a_shortage_places_nothing(web, customer):
    a = f.product(channels=[web]).variants.get()
    b = f.product(channels=[web]).variants.get()
    f.stocked(web, a, b, quantity=1)
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=a.pk)
    carts.cart_add(cart=cart, channel=web, variant_id=b.pk)
    Stock.objects.filter(variant=b).update(on_hand=0)  # sold meanwhile (a test shortcut)

    with pytest.raises(InsufficientStock) as error:
        checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)
    assert [sku for sku, _asked, _have in error.value.items] == [b.sku]
    assert not Order.objects.exists()
    assert Stock.objects.get(variant=a).allocated == 0
    assert Cart.objects.get(pk=cart.pk).status == Cart.Status.ACTIVE


def test_placing_an_order_runs_the_same_queries_for_1_and_for_20_lines(web):
    delivery = home(web)
    for count in (1, 20):
        customer = f.CustomerFactory()
        variants = [f.product(channels=[web], price="10.00").variants.get() for _ in range(count)]
        f.stocked(web, *variants)
        cart = carts.cart_for_customer(customer=customer, channel=web)
        for v in variants:
            carts.cart_add(cart=cart, channel=web, variant_id=v.pk)

        # Caches off, as the test settings have them: the channel's locations are read twice.
        # (The whole request's 16, with production's caches: test_checkout_api.py.)
        with assert_num_queries(17):
            order = checkout.order_place(
                cart=cart, channel=web, delivery=delivery, customer=customer
            )

        assert order.lines.count() == count


def test_click_and_collect_from_the_stores_own_stock(web, customer):
    variant = f.product(channels=[web]).variants.get()
    store = f.StockLocationFactory(code="store-kadikoy", kind="store", click_and_collect=True)
    f.stocked(web, variant, location=store, quantity=3)
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk)
    delivery = checkout.delivery_build(
        channel=web, method="pickup", pickup_location="store-kadikoy"
    )

    order = checkout.order_place(cart=cart, channel=web, delivery=delivery, customer=customer)

    assert order.pickup_location == store and order.shipping_total == 0
    assert Allocation.objects.get(reference=order.reference).location == store
    assert not Transfer.objects.exists()


def test_click_and_collect_brings_missing_stock_by_transfer(web, customer):
    variant = f.product(channels=[web]).variants.get()
    dc = f.stocked(web, variant, quantity=5)
    store = f.StockLocationFactory(
        code="store-kizilay", kind="store", click_and_collect=True, city="Ankara"
    )
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk, quantity=2)
    delivery = checkout.delivery_build(
        channel=web, method="pickup", pickup_location="store-kizilay"
    )

    order = checkout.order_place(cart=cart, channel=web, delivery=delivery, customer=customer)

    transfer = Transfer.objects.get(order_reference=order.reference)
    assert (transfer.source, transfer.destination) == (dc, store)
    assert order.pickup_ready_by >= transfer.created_at
    from inventory import services as inventory

    inventory.transfer_ship(transfer=transfer)
    inventory.transfer_receive(transfer=transfer)
    assert Allocation.objects.get(reference=order.reference, status="allocated").location == store
    assert (
        Stock.objects.get(variant=variant, location=store).allocated,
        Stock.objects.get(variant=variant, location=dc).on_hand,
    ) == (2, 3)
    assert inventory.stock_audit() == []


def test_a_store_counter_sale_is_paid_and_handed_over_at_once(customer):
    counter = f.ChannelFactory(code="store-kadikoy", kind="store", pay_later=True)
    store = f.StockLocationFactory(
        code="kadikoy", kind="store", click_and_collect=True, channel=counter
    )
    variant = f.product(channels=[counter]).variants.get()
    f.stocked(counter, variant, location=store, quantity=2)
    cart = carts.cart_for_customer(customer=customer, channel=counter)
    carts.cart_add(cart=cart, channel=counter, variant_id=variant.pk)
    delivery = checkout.delivery_build(channel=counter, method="pickup", pickup_location="kadikoy")

    order = checkout.order_place(
        cart=cart, channel=counter, delivery=delivery, customer=customer, handed_over=True
    )

    assert order.status == "collected"
    stock = Stock.objects.get(variant=variant)
    assert (stock.on_hand, stock.allocated) == (1, 0)


def test_a_cart_can_be_ordered_only_once(web, customer):
    variant = f.product(channels=[web]).variants.get()
    f.stocked(web, variant)
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk)
    checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)
    with pytest.raises(Exception) as error:
        checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)
    assert getattr(error.value, "code", "") == "cart_closed"
    assert Order.objects.count() == 1


def test_ship_from_store_ships_from_a_store_even_when_a_warehouse_has_stock(web, customer):
    variant = f.product(channels=[web]).variants.get()
    dc = f.stocked(web, variant, quantity=10)
    store = f.StockLocationFactory(code="store-alsancak", kind="store", city="İzmir")
    f.sells_from(web, dc, store)
    from inventory import services as inventory

    inventory.stock_receive(variant=variant, location=store, quantity=2)
    method = f.ShippingMethodFactory(channel=web, code="magazadan", kind="ship_from_store")
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk)
    delivery = checkout.delivery_build(
        channel=web, method="ship_from_store", shipping_method=method.code, address=f.ADDRESS
    )

    order = checkout.order_place(cart=cart, channel=web, delivery=delivery, customer=customer)

    assert Allocation.objects.get(reference=order.reference).location == store
    assert list(order.fulfilments.values_list("location", flat=True)) == [store.pk]


def test_a_key_completed_meanwhile_by_another_request_rolls_the_order_back(web, customer):
    from omni.errors import Conflict
    from orders.models import IdempotencyKey

    variant = f.product(channels=[web], price="100.00").variants.get()
    f.stocked(web, variant, quantity=3)
    cart = carts.cart_for_customer(customer=customer, channel=web)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk, quantity=1)
    record = checkout.idempotency_begin(scope="user:1", key="k-1", fingerprint="body")
    IdempotencyKey.objects.filter(pk=record.pk).update(state=IdempotencyKey.State.DONE)

    with pytest.raises(Conflict) as error:
        checkout.order_place(
            cart=cart, channel=web, delivery=home(web), customer=customer, idempotency=record
        )

    assert error.value.code == "request_in_flight"
    assert not Order.objects.exists()
    assert Cart.objects.get(pk=cart.pk).status == Cart.Status.ACTIVE
    assert Stock.objects.get().allocated == 0
