"""Returns and exchanges through the services: from any channel for an order from any channel,
handed in at any location that accepts returns, refunded by one rule, exchanged in one
operation, and received exactly once."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from catalog import services as catalog
from inventory import services as inventory
from inventory.models import Allocation, Stock, StockMovement
from omni.errors import InsufficientStock, InvalidTransition, ValidationError
from omni.models import OutboxEvent
from orders.models import Fulfilment, Notification, Order, OrderEvent, OrderLine, Return
from orders.pricing import Benefits, Discount
from orders.services import carts, checkout, fulfilment, lifecycle, returns
from tests import factories as f

pytestmark = pytest.mark.django_db


# --- the world ------------------------------------------------------------------------------


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web", return_window_days=14)


@pytest.fixture
def counter():
    return f.ChannelFactory(code="store-kadikoy", kind="store", pay_later=True)


@pytest.fixture
def store(counter):
    """A store in another channel than the web, which accepts returns and offers pickup."""
    return f.StockLocationFactory(
        code="kadikoy", kind="store", click_and_collect=True, channel=counter
    )


@pytest.fixture
def customer():
    return f.CustomerFactory()


@pytest.fixture
def clerk(counter):
    user = f.UserFactory(role="store_staff")
    user.stores.add(counter)
    return user


@pytest.fixture
def dress(web):
    """Two sizes of one dress (M, L) at 100.00 on the web."""
    return list(f.product(channels=[web], price="100.00", variants=2).variants.all())


def home(channel):
    method = f.ShippingMethodFactory(channel=channel)
    return checkout.delivery_build(
        channel=channel, method="home", shipping_method=method.code, address=f.ADDRESS
    )


def place(channel, customer, lines, *, delivery=None):
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    for variant, quantity in lines.items():
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    return checkout.order_place(
        cart=cart, channel=channel, delivery=delivery or home(channel), customer=customer
    )


def delivered(order):
    """Confirmed, then every fulfilment packed, shipped and delivered (the fulfilment
    services)."""
    lifecycle.order_confirm(order=order)
    for each in Fulfilment.objects.filter(order=order):
        fulfilment.fulfilment_pack(fulfilment=each)
        fulfilment.fulfilment_ship(fulfilment=each, carrier="Yurtiçi", tracking_number="YK1")
        fulfilment.fulfilment_deliver(fulfilment=each)
    order.refresh_from_db()
    assert order.status == "delivered"
    return order


def line_of(order, variant):
    return order.lines.get(variant=variant)


def ask(order, channel, *lines, **kwargs):
    """return_request with (order line, quantity, reason[, exchange variant]) tuples."""
    return returns.return_request(
        order=order,
        channel=channel,
        lines=[
            {
                "order_line_id": line.pk,
                "quantity": quantity,
                "reason": reason,
                "exchange_variant_id": rest[0].pk if rest else None,
            }
            for line, quantity, reason, *rest in lines
        ],
        **kwargs,
    )


def receive(return_request, location, condition="resellable", **kwargs):
    return returns.return_receive(
        return_request=return_request,
        location=location,
        conditions={line.pk: condition for line in return_request.lines.all()},
        **kwargs,
    )


def on_hand(variant, location):
    stock = Stock.objects.filter(variant=variant, location=location).first()
    return (stock.on_hand, stock.allocated) if stock else (0, 0)


def ten_percent_off(*, channel, customer, lines, codes=()):
    """A promotion for these tests (OMNI_DISCOUNT_PROVIDER): 10 % off every line."""
    return Benefits(
        discounts=[
            Discount(line.key, line.unit_price * line.quantity / 10, "10%") for line in lines
        ]
    )


def fifty_off(*, channel, customer, lines, codes=()):
    return Benefits(discounts=[Discount(line.key, Decimal("50.00"), "50 off") for line in lines])


# --- from any channel, at any location ------------------------------------------------------


def test_an_order_bought_on_the_web_is_returned_at_a_store(web, counter, store, customer, dress):
    m, _l = dress
    dc = f.stocked(web, m)
    order = delivered(place(web, customer, {m: 2}))
    assert on_hand(m, dc) == (8, 0)

    requested = ask(order, counter, (line_of(order, m), 1, "size"), note="Dar geldi")
    received = receive(requested, store)

    assert (received.status, received.channel, received.location) == ("received", counter, store)
    assert received.refund_amount == Decimal("100.00")
    assert received.lines.get().condition == "resellable"
    assert on_hand(m, store) == (1, 0) and on_hand(m, dc) == (8, 0)
    assert line_of(order, m).quantity_returned == 1
    movement = StockMovement.objects.get(reference=f"return:{received.pk}")
    assert (movement.kind, movement.quantity, movement.channel) == ("return", 1, counter)
    assert [e.kind for e in order.events.filter(kind__startswith="return_")] == [
        "return_requested",
        "return_received",
    ]
    assert inventory.stock_audit() == []


def test_a_store_counter_sale_is_returned_at_another_store(counter, store, customer, dress):
    m, _l = dress
    kizilay = f.ChannelFactory(code="store-kizilay", kind="store", pay_later=True)
    there = f.StockLocationFactory(
        code="kizilay", kind="store", channel=kizilay, click_and_collect=True, city="Ankara"
    )
    catalog.variant_price_set(variant=m, channel=kizilay, price=Decimal("90.00"))
    catalog.product_listing_set(product=m.product, channel=kizilay, is_published=True)
    f.stocked(kizilay, m, location=there, quantity=1)
    cart = carts.cart_for_customer(customer=customer, channel=kizilay)
    carts.cart_add(cart=cart, channel=kizilay, variant_id=m.pk)
    sale = checkout.order_place(
        cart=cart,
        channel=kizilay,
        delivery=checkout.delivery_build(
            channel=kizilay, method="pickup", pickup_location="kizilay"
        ),
        customer=customer,
        handed_over=True,
    )
    assert sale.status == "collected" and returns.return_window_open(order=sale)

    received = receive(ask(sale, counter, (sale.lines.get(), 1, "changed_mind")), store)

    assert received.refund_amount == Decimal("90.00")
    assert on_hand(m, store) == (1, 0) and on_hand(m, there) == (0, 0)


def test_a_damaged_item_is_written_off(web, counter, store, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 1}))

    received = receive(ask(order, counter, (line_of(order, m), 1, "damaged")), store, "damaged")

    assert on_hand(m, store) == (0, 0)
    assert StockMovement.objects.get(reference=f"return:{received.pk}").kind == "write_off"
    assert line_of(order, m).quantity_returned == 1
    assert inventory.stock_audit() == []


def test_a_location_that_does_not_accept_returns_is_refused(web, counter, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 1}))
    requested = ask(order, counter, (line_of(order, m), 1, "size"))
    outlet = f.StockLocationFactory(code="outlet", accepts_returns=False)

    with pytest.raises(ValidationError) as error:
        receive(requested, outlet)

    assert list(error.value.fields) == ["location"]
    requested.refresh_from_db()
    assert requested.status == "requested" and line_of(order, m).quantity_returned == 0


# --- how much may be returned, and when -----------------------------------------------------


def test_a_partial_return_then_the_rest(web, counter, store, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 3}))
    line = line_of(order, m)

    first = receive(ask(order, web, (line, 1, "size")), store)
    second = ask(order, web, (line, 2, "size"))

    assert first.refund_amount == Decimal("100.00")
    assert line_of(order, m).quantity_returned == 1
    assert second.lines.get().quantity == 2
    receive(second, store)
    assert line_of(order, m).quantity_returned == 3
    assert on_hand(m, store) == (3, 0)


def test_returning_more_than_was_shipped_is_refused_and_changes_nothing(web, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 2}))
    line = line_of(order, m)
    ask(order, web, (line, 1, "size"))  # open: claims one unit
    events = order.events.count()

    with pytest.raises(ValidationError) as error:
        ask(order, web, (line, 2, "size"))
    assert list(error.value.fields) == ["lines.0.quantity"]
    assert line.sku in error.value.fields["lines.0.quantity"][0]
    with pytest.raises(ValidationError) as error:  # two lines of one request add up
        ask(order, web, (line, 1, "size"), (line, 1, "other"))
    assert list(error.value.fields) == ["lines.1.quantity"]

    assert Return.objects.count() == 1
    assert order.events.count() == events


def test_a_cancelled_or_rejected_return_frees_its_units(web, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 1}))
    line = line_of(order, m)

    returns.return_cancel(return_request=ask(order, web, (line, 1, "size")))
    returns.return_reject(return_request=ask(order, web, (line, 1, "size")), note="Kullanılmış")

    assert ask(order, web, (line, 1, "size")).status == "requested"


def test_each_bad_line_is_named(web, customer, dress):
    m, big = dress
    f.stocked(web, m, big)
    order = delivered(place(web, customer, {m: 3}))
    other_order = delivered(place(web, customer, {big: 1}))
    shoes = f.product(channels=[web]).variants.get()
    not_on_web = f.product(channels=[], variants=1).variants.get()

    with pytest.raises(ValidationError) as error:
        returns.return_request(
            order=order,
            channel=web,
            lines=[
                {"order_line_id": line_of(other_order, big).pk, "quantity": 1, "reason": "size"},
                {"order_line_id": line_of(order, m).pk, "quantity": 0, "reason": "bored"},
                {
                    "order_line_id": line_of(order, m).pk,
                    "quantity": 1,
                    "reason": "size",
                    "exchange_variant_id": shoes.pk,
                },
                {
                    "order_line_id": line_of(order, m).pk,
                    "quantity": 1,
                    "reason": "size",
                    "exchange_variant_id": not_on_web.pk,
                },
            ],
        )

    assert sorted(error.value.fields) == [
        "lines.0.order_line_id",
        "lines.1.quantity",
        "lines.1.reason",
        "lines.2.exchange_variant_id",
        "lines.3.exchange_variant_id",
    ]
    assert not Return.objects.exists()


def test_the_return_window(web, customer, dress):
    m, _l = dress
    f.stocked(web, m, quantity=20)
    pending = place(web, customer, {m: 1})
    cancelled = lifecycle.order_cancel(order=place(web, customer, {m: 1}))
    order = delivered(place(web, customer, {m: 1}))
    at = returns.order_delivered_at(order)

    assert not returns.return_window_open(order=pending)
    assert not returns.return_window_open(order=cancelled)
    assert returns.return_window_open(order=order, now=at + timedelta(days=14))
    assert not returns.return_window_open(order=order, now=at + timedelta(days=14, seconds=1))


def test_a_return_after_the_window_is_refused(web, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 1}))
    OrderEvent.objects.filter(order=order, to_status="delivered").update(
        created_at=timezone.now() - timedelta(days=15)
    )

    with pytest.raises(ValidationError) as error:
        ask(order, web, (line_of(order, m), 1, "size"))

    assert error.value.code == "return_window_closed"
    assert not Return.objects.exists()


def test_an_order_not_yet_delivered_is_not_returnable(web, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = place(web, customer, {m: 1})
    lifecycle.order_confirm(order=order)

    with pytest.raises(ValidationError) as error:
        ask(order, web, (line_of(order, m), 1, "size"))

    assert error.value.code == "not_returnable"


# --- what is refunded -----------------------------------------------------------------------


def test_the_refund_honours_the_discount(settings, web, counter, store, customer, dress):
    settings.OMNI_DISCOUNT_PROVIDER = "tests.orders.test_returns.ten_percent_off"
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 3}))
    assert line_of(order, m).line_total == Decimal("270.00")

    received = receive(ask(order, counter, (line_of(order, m), 1, "changed_mind")), store)

    assert received.refund_amount == Decimal("90.00")
    assert received.lines.get().refund_amount == Decimal("90.00")


def test_the_price_paid_per_unit_is_rounded_once(settings, web, store, customer, dress):
    settings.OMNI_DISCOUNT_PROVIDER = "tests.orders.test_returns.fifty_off"
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 3}))  # 300 - 50 = 250.00 for three
    line = line_of(order, m)

    assert returns.refund_amount(return_request=ask(order, web, (line, 1, "size"))) == Decimal(
        "83.33"
    )
    Return.objects.all().delete()
    assert returns.refund_amount(return_request=ask(order, web, (line, 3, "size"))) == Decimal(
        "250.00"
    )


@pytest.mark.parametrize(
    "reason, whole, refund",
    [
        ("damaged", True, "249.90"),  # 200 goods + 49.90 shipping
        ("not_as_described", True, "249.90"),
        ("changed_mind", True, "200.00"),
        ("damaged", False, "100.00"),
    ],
)
def test_shipping_is_refunded_only_for_a_whole_order_at_the_merchants_fault(
    web, store, customer, dress, reason, whole, refund
):
    m, big = dress
    f.stocked(web, m, big)
    order = delivered(place(web, customer, {m: 1, big: 1}))
    assert order.shipping_total == Decimal("49.90")
    lines = [(line_of(order, m), 1, reason)] + ([(line_of(order, big), 1, reason)] if whole else [])

    assert receive(ask(order, web, *lines), store).refund_amount == Decimal(refund)


def test_shipping_comes_back_with_the_return_that_completes_the_order(web, store, customer, dress):
    m, big = dress
    f.stocked(web, m, big)
    order = delivered(place(web, customer, {m: 1, big: 1}))

    first = receive(ask(order, web, (line_of(order, m), 1, "damaged")), store)
    second = receive(ask(order, web, (line_of(order, big), 1, "damaged")), store)

    assert (first.refund_amount, second.refund_amount) == (Decimal("100.00"), Decimal("149.90"))


@pytest.mark.parametrize(
    "discount, new_price, refund, owed",
    [
        ("0", "100", "0", "0"),  # a size swap at the same price
        ("0", "90", "10", "0"),  # cheaper: the difference back
        ("0", "120", "0", "20"),  # dearer: the difference owed, nothing back
        ("20", "100", "0", "0"),  # the original discount is kept on the new size
        ("20", "90", "10", "0"),
        ("20", "10", "80", "0"),  # never more back than was paid
    ],
)
def test_an_exchange_settles_the_difference_of_prices(discount, new_price, refund, owed):
    line = OrderLine(
        quantity=2,
        unit_price=Decimal("100"),
        discount=Decimal(discount) * 2,
        line_total=(Decimal("100") - Decimal(discount)) * 2,
    )

    settled = returns.line_settlement(line, 1, Decimal(new_price))

    assert (settled.refund, settled.owed) == (Decimal(refund), Decimal(owed))


# --- exchanges ------------------------------------------------------------------------------


def test_an_exchange_for_another_size_is_one_operation(web, counter, store, customer, dress):
    m, big = dress
    dc = f.stocked(web, m)
    f.stocked(counter, big, location=store, quantity=1)
    order = delivered(place(web, customer, {m: 1}))
    requested = ask(order, web, (line_of(order, m), 1, "size", big))
    clerk = f.UserFactory(role="store_staff")

    received = receive(requested, store, actor=clerk)

    exchange = received.exchange_order
    assert received.refund_amount == Decimal("0.00")
    assert (exchange.status, exchange.total, exchange.channel) == (
        "confirmed",
        Decimal("0.00"),
        web,
    )
    assert (exchange.customer, exchange.delivery, exchange.pickup_location) == (
        customer,
        "pickup",
        store,
    )
    assert list(exchange.lines.values_list("sku", "quantity", "unit_price", "line_total")) == [
        (big.sku, 1, Decimal("100.00"), Decimal("100.00"))
    ]
    assert exchange.pricing["exchange"] == {
        "return": received.pk,
        "order": order.number,
        "goods": "100.00",
        "credit": "100.00",
    }
    assert Allocation.objects.get(reference=exchange.reference).location == store
    assert (
        on_hand(m, store) == (1, 0) and on_hand(big, store) == (1, 1) and on_hand(m, dc) == (9, 0)
    )
    assert Notification.objects.filter(order=exchange, kind="order_confirmed").exists()
    assert exchange.placed_by == clerk
    assert inventory.stock_audit() == []


def test_an_exchange_handed_in_where_there_is_no_pickup_is_delivered_like_the_order(
    web, customer, dress
):
    m, big = dress
    dc = f.stocked(web, m, big)
    order = delivered(place(web, customer, {m: 1}))
    catalog.variant_price_set(variant=big, channel=web, price=Decimal("120.00"))

    received = receive(ask(order, web, (line_of(order, m), 1, "size", big)), dc)

    exchange = received.exchange_order
    assert (exchange.delivery, exchange.shipping_address) == ("home", order.shipping_address)
    assert (exchange.total, exchange.shipping_total) == (Decimal("20.00"), Decimal("0.00"))
    assert received.refund_amount == Decimal("0.00")
    assert list(Fulfilment.objects.filter(order=exchange).values_list("location", flat=True)) == [
        dc.pk
    ]


def test_an_exchange_out_of_stock_fails_and_changes_nothing(web, counter, store, customer, dress):
    m, big = dress
    dc = f.stocked(web, m)  # no L anywhere
    order = delivered(place(web, customer, {m: 1}))
    requested = ask(order, counter, (line_of(order, m), 1, "size", big))
    orders, movements = Order.objects.count(), StockMovement.objects.count()
    events = OrderEvent.objects.count()

    with pytest.raises(InsufficientStock) as error:
        receive(requested, store)

    assert [sku for sku, _asked, _have in error.value.items] == [big.sku]
    requested.refresh_from_db()
    assert (requested.status, requested.location, requested.exchange_order) == (
        "requested",
        None,
        None,
    )
    assert on_hand(m, store) == (0, 0) and on_hand(m, dc) == (9, 0)
    assert line_of(order, m).quantity_returned == 0
    assert (Order.objects.count(), StockMovement.objects.count(), OrderEvent.objects.count()) == (
        orders,
        movements,
        events,
    )

    returns.return_drop_exchange(return_request=requested)
    received = receive(requested, store)
    assert (received.exchange_order, received.refund_amount) == (None, Decimal("100.00"))


# --- the state machine ----------------------------------------------------------------------


def test_rejected_and_cancelled_returns_go_no_further(web, store, customer, dress):
    m, _l = dress
    f.stocked(web, m, quantity=5)
    order = delivered(place(web, customer, {m: 2}))
    line = line_of(order, m)
    rejected = returns.return_reject(return_request=ask(order, web, (line, 1, "size")), note="Yok")
    cancelled = returns.return_cancel(return_request=ask(order, web, (line, 1, "size")))

    for gone in (rejected, cancelled):
        for step in (
            lambda r: receive(r, store),
            lambda r: returns.return_refund(return_request=r),
            lambda r: returns.return_cancel(return_request=r),
            lambda r: returns.return_reject(return_request=r, note="x"),
        ):
            with pytest.raises(InvalidTransition):
                step(gone)
    assert (
        Return.objects.get(pk=rejected.pk).status,
        Return.objects.get(pk=cancelled.pk).status,
    ) == (
        "rejected",
        "cancelled",
    )
    assert on_hand(m, store) == (0, 0) and line_of(order, m).quantity_returned == 0
    assert rejected.note == "" and order.events.get(kind="return_rejected").message == "Yok"


def test_a_rejection_needs_a_reason(web, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 1}))
    requested = ask(order, web, (line_of(order, m), 1, "size"))

    with pytest.raises(ValidationError) as error:
        returns.return_reject(return_request=requested, note="  ")

    assert list(error.value.fields) == ["note"]
    requested.refresh_from_db()
    assert requested.status == "requested"


def test_a_refund_is_handed_to_payments_and_the_customer_told_once(web, store, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 1}))
    requested = ask(order, web, (line_of(order, m), 1, "size"))
    with pytest.raises(InvalidTransition):  # not received yet
        returns.return_refund(return_request=requested)
    receive(requested, store)

    refunded = returns.return_refund(return_request=requested)

    assert refunded.status == "refunded"
    event = OutboxEvent.objects.get(topic="orders.refund.due")
    assert (event.key, event.payload) == (
        f"return:{refunded.pk}",
        {
            "order": order.number,
            "return": refunded.pk,
            "amount": "100.00",
            "currency": "TRY",
            "order_total": str(order.total),
        },
    )
    note = Notification.objects.get(order=order, kind="refunded")
    assert (note.subject, note.context) == (
        f"return:{refunded.pk}",
        {"amount": "100.00", "currency": "TRY"},
    )
    with pytest.raises(InvalidTransition):
        returns.return_refund(return_request=refunded)
    assert OutboxEvent.objects.filter(topic="orders.refund.due").count() == 1


def test_each_change_of_a_return_is_published_with_its_lines(web, store, customer, dress):
    m, big = dress
    f.stocked(web, m, big)
    order = delivered(place(web, customer, {m: 2, big: 1}))
    requested = ask(order, web, (line_of(order, m), 2, "size"), (line_of(order, big), 1, "size"))
    receive(requested, store)
    returns.return_refund(return_request=requested)
    other = delivered(place(web, customer, {m: 1}))
    returns.return_cancel(return_request=ask(other, web, (line_of(other, m), 1, "size")))

    events = OutboxEvent.objects.filter(topic=returns.TOPIC_RETURN_STATUS).order_by("id")
    assert [(e.key, e.version, e.payload["status"], e.payload["previous"]) for e in events] == [
        (f"return:{requested.pk}", 1, "requested", ""),
        (f"return:{requested.pk}", 2, "received", "requested"),
        (f"return:{requested.pk}", 3, "refunded", "received"),
        (f"return:{requested.pk + 1}", 1, "requested", ""),
        (f"return:{requested.pk + 1}", 2, "cancelled", "requested"),
    ]
    assert events[2].payload == {
        "order": order.number,
        "return": requested.pk,
        "status": "refunded",
        "previous": "received",
        "lines": [
            {"sku": m.sku, "quantity": 2, "amount": "200.00"},
            {"sku": big.sku, "quantity": 1, "amount": "100.00"},
        ],
        "refund_amount": "300.00",
        "currency": "TRY",
    }
    assert [ln["amount"] for ln in events[0].payload["lines"]] == ["0.00", "0.00"]


def test_a_same_price_exchange_closes_without_a_refund(web, counter, store, customer, dress):
    m, big = dress
    f.stocked(web, m, big)
    order = delivered(place(web, customer, {m: 1}))
    received = receive(ask(order, counter, (line_of(order, m), 1, "size", big)), store)

    returns.return_refund(return_request=received)

    assert not OutboxEvent.objects.filter(topic="orders.refund.due").exists()
    assert not Notification.objects.filter(kind="refunded").exists()


# --- the same return received twice at once -------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_return_received_twice_at_once_restocks_once(web, counter, store, customer, dress):
    m, _l = dress
    f.stocked(web, m)
    order = delivered(place(web, customer, {m: 2}))
    requested = ask(order, counter, (line_of(order, m), 2, "size"))
    conditions = {line.pk: "resellable" for line in requested.lines.all()}
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def clerk_receives(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes[i] = returns.return_receive(
                return_request=requested, location=store, conditions=conditions
            )
        except BaseException as error:
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk_receives, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not any(t.is_alive() for t in threads)
    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidTransition", "Return"]
    assert on_hand(m, store) == (2, 0)
    assert StockMovement.objects.filter(reference=f"return:{requested.pk}").count() == 1
    assert line_of(order, m).quantity_returned == 2
    assert Return.objects.get(pk=requested.pk).refund_amount == Decimal("200.00")
    assert inventory.stock_audit() == []
