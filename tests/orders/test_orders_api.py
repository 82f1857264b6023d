"""The customer's orders over the API: one history from every channel, the detail with its
fulfilments, timeline and pickup, cancelling, and nobody seeing anyone else's orders."""

import pytest

from customers.services import customer_for_user
from inventory.models import Stock
from orders.models import Order
from orders.services import carts, checkout
from tests import factories as f
from tests.orders.api_support import item, money, signed_in, visitor
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    channel = f.ChannelFactory(code="web", kind="web")
    f.ShippingMethodFactory(channel=channel)
    return channel


@pytest.fixture
def app():
    channel = f.ChannelFactory(code="app", kind="app")
    f.ShippingMethodFactory(channel=channel)
    return channel


@pytest.fixture
def counter():
    channel = f.ChannelFactory(code="store-kadikoy", kind="store", pay_later=True)
    f.StockLocationFactory(code="kadikoy", kind="store", click_and_collect=True, channel=channel)
    return channel


def placed(customer, channel, variants, *, pickup=None, handed_over=False, quantity=1):
    """An order placed through the one place-order service."""
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    for variant in variants:
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    if pickup:
        delivery = checkout.delivery_build(channel=channel, method="pickup", pickup_location=pickup)
    else:
        delivery = checkout.delivery_build(
            channel=channel, method="home", shipping_method="standart", address=f.ADDRESS
        )
    return checkout.order_place(
        cart=cart, channel=channel, delivery=delivery, customer=customer, handed_over=handed_over
    )


def shopper():
    user, client = signed_in()
    return customer_for_user(user=user), client


def test_the_history_lists_orders_from_every_channel_newest_first(web, app, counter):
    variant = item(web, price="100.00", also=(app,))
    at_store = f.product(channels=[counter], price="50.00").variants.get()
    f.stocked(counter, at_store, location=counter.store_location, quantity=2)
    customer, client = shopper()
    on_web = placed(customer, web, [variant])
    on_app = placed(customer, app, [variant])
    at_counter = placed(customer, counter, [at_store], pickup="kadikoy", handed_over=True)
    someone_else = placed(f.CustomerFactory(), web, [variant])

    response = client.get("/api/v1/orders/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(o["number"], o["channel"], o["status"]) for o in body["results"]] == [
        (at_counter.number, "store-kadikoy", "collected"),
        (on_app.number, "app", "pending"),
        (on_web.number, "web", "pending"),
    ]
    assert someone_else.number not in str(body)
    assert body["results"][0]["total"] == money("50.00")
    assert [(ln["sku"], ln["quantity"]) for ln in body["results"][0]["lines"]] == [
        (at_store.sku, 1)
    ]


def test_the_detail_has_lines_fulfilments_events_and_no_pickup_for_home_delivery(web):
    variant = item(web, price="200.00")
    customer, client = shopper()
    order = placed(customer, web, [variant], quantity=2)

    response = client.get(f"/api/v1/orders/{order.number}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["status"], body["delivery"]) == (order.number, "pending", "home")
    assert (body["subtotal"], body["shipping_total"], body["total"]) == (
        money("400.00"),
        money("49.90"),
        money("449.90"),
    )
    assert body["tax_by_rate"] == {"20": money("74.98")}
    assert [
        (fl["location"], fl["status"], fl["carrier"], fl["tracking_number"])
        for fl in body["fulfilments"]
    ] == [("dc-test", "pending", "", "")]
    assert [(e["kind"], e["to_status"]) for e in body["events"]] == [
        ("placed", "pending"),
        ("allocated", ""),
    ]
    assert body["pickup"] is None


def test_the_pickup_code_shows_only_once_the_order_is_ready(web):
    variant = item(web)
    store = f.StockLocationFactory(code="kizilay", kind="store", click_and_collect=True)
    f.stocked(web, variant, location=store, quantity=2)
    customer, client = shopper()
    order = placed(customer, web, [variant], pickup="kizilay")
    Order.objects.filter(pk=order.pk).update(pickup_code="482913")

    waiting = client.get(f"/api/v1/orders/{order.number}/").json()["pickup"]
    Order.objects.filter(pk=order.pk).update(status=Order.Status.READY_FOR_PICKUP)
    ready = client.get(f"/api/v1/orders/{order.number}/").json()["pickup"]

    assert (waiting["store"], waiting["code"]) == ("kizilay", None)
    assert waiting["ready_by"] is not None
    assert ready["code"] == "482913"


def test_a_customer_cancels_a_pending_order_and_the_stock_is_released(web):
    variant = item(web)
    customer, client = shopper()
    order = placed(customer, web, [variant], quantity=2)

    response = client.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": "Vazgeçtim"})

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert response.json()["events"][-1]["message"] == "Vazgeçtim"
    assert Stock.objects.get(variant=variant).allocated == 0


@pytest.mark.parametrize("status", ["ready_for_pickup", "shipped", "collected", "cancelled"])
def test_an_order_past_confirmation_cannot_be_cancelled_by_the_customer(web, status):
    variant = item(web)
    customer, client = shopper()
    order = placed(customer, web, [variant])
    Order.objects.filter(pk=order.pk).update(status=status)

    response = client.post(f"/api/v1/orders/{order.number}/cancel/")

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    order.refresh_from_db()
    assert order.status == status
    assert Stock.objects.get(variant=variant).allocated == 1


def test_another_customers_order_is_not_found_and_untouched(web):
    variant = item(web)
    ayse, ayse_client = shopper()
    _mehmet, mehmet = shopper()
    order = placed(ayse, web, [variant])

    assert mehmet.get(f"/api/v1/orders/{order.number}/").status_code == 404
    assert mehmet.post(f"/api/v1/orders/{order.number}/cancel/").status_code == 404
    assert mehmet.get("/api/v1/orders/").json()["count"] == 0
    order.refresh_from_db()
    assert order.status == "pending"
    # The same URLs answer the owner.
    assert ayse_client.get(f"/api/v1/orders/{order.number}/").status_code == 200
    assert ayse_client.get("/api/v1/orders/").json()["count"] == 1
    cancelled = ayse_client.post(f"/api/v1/orders/{order.number}/cancel/")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")


def test_orders_need_a_sign_in(web):
    variant = item(web)
    order = placed(f.CustomerFactory(), web, [variant])
    assert visitor().get("/api/v1/orders/").status_code == 401
    assert visitor().get(f"/api/v1/orders/{order.number}/").status_code == 401
    assert visitor().post(f"/api/v1/orders/{order.number}/cancel/").status_code == 401


def _get(client, path, queries):
    with assert_num_queries(queries):
        response = client.get(path)
    assert response.status_code == 200
    return response.json()


def test_the_history_runs_the_same_queries_for_1_and_6_orders(web):
    variants = [item(web, price="10.00", quantity=50) for _ in range(5)]
    customer, client = shopper()
    placed(customer, web, variants[:1])
    assert _get(client, "/api/v1/orders/", 4)["count"] == 1
    for _ in range(5):
        placed(customer, web, variants)

    assert _get(client, "/api/v1/orders/", 4)["count"] == 6


def test_the_detail_runs_the_same_queries_for_1_and_10_lines(web):
    variants = [item(web, price="10.00") for _ in range(10)]
    customer, client = shopper()
    small = placed(customer, web, variants[:1])
    large = placed(customer, web, variants)

    assert len(_get(client, f"/api/v1/orders/{small.number}/", 5)["lines"]) == 1
    assert len(_get(client, f"/api/v1/orders/{large.number}/", 5)["lines"]) == 10
