"""Placing orders under concurrency, on real PostgreSQL with real connections (one per thread)
released together by a barrier, checked against the database afterwards: the last units are
sold exactly once whichever channel asks, checkouts never deadlock, and a cart becomes one
order however often it is placed at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from inventory import services as inventory
from inventory.models import Allocation, Stock
from omni.errors import Conflict, InsufficientStock, OmniError
from orders.models import Cart, IdempotencyKey, Order, OrderLine
from orders.services import carts, checkout, lifecycle
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(jobs: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
    """Run each job in its own thread, on its own database connection, all released at once.
    Returns what each returned or raised, in the order of the jobs."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect first, so that they start together
            barrier.wait(timeout=timeout)
            outcomes[i] = job()
        except BaseException as error:
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a worker is stuck (a lock never released?)"
    return outcomes


def unexpected(outcomes: list[Any]) -> list[BaseException]:
    """What was raised that is not one of Omni's own clear errors: a deadlock, a lost
    connection, a constraint violation, a bug."""
    return [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, OmniError)]


def nothing_oversold() -> None:
    for stock in Stock.objects.all():
        assert 0 <= stock.allocated <= stock.on_hand, stock
    assert inventory.stock_audit() == []
    held = Allocation.objects.filter(status="allocated").aggregate(n=Sum("quantity"))["n"] or 0
    ordered = (
        OrderLine.objects.exclude(order__status="cancelled").aggregate(n=Sum("quantity"))["n"] or 0
    )
    assert held == ordered == (Stock.objects.aggregate(n=Sum("allocated"))["n"] or 0)


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web")


@pytest.fixture
def app():
    return f.ChannelFactory(code="app", kind="app")


@pytest.fixture
def locations(web, app):
    """A distribution centre and a store that both channels sell from."""
    dc = f.StockLocationFactory(code="dc-gebze", city="Kocaeli")
    store = f.StockLocationFactory(code="store-kadikoy", kind="store", click_and_collect=True)
    for channel in (web, app):
        f.sells_from(channel, dc, store)
        f.ShippingMethodFactory(channel=channel)
    return dc, store


def cart_of(channel, customer, lines: list[tuple[Any, int]]) -> Cart:
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    for variant, quantity in lines:
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    return cart


def placing(cart: Cart, channel, customer) -> Callable[[], Order]:
    delivery = checkout.delivery_build(
        channel=channel, method="home", shipping_method="standart", address=f.ADDRESS
    )
    return lambda: checkout.order_place(
        cart=cart, channel=channel, delivery=delivery, customer=customer
    )


def test_two_channels_racing_for_the_last_units_sell_each_unit_once(web, app, locations):
    dc, store = locations
    variant = f.product(channels=[web, app], price="100.00").variants.get()
    inventory.stock_receive(variant=variant, location=dc, quantity=3)
    inventory.stock_receive(variant=variant, location=store, quantity=2)
    jobs, customers = [], []
    for n in range(12):  # 12 shoppers, 6 on each channel, for the last 5 units
        channel = web if n % 2 else app
        customer = f.CustomerFactory()
        customers.append(customer)
        jobs.append(placing(cart_of(channel, customer, [(variant, 1)]), channel, customer))

    outcomes = race(jobs)

    assert unexpected(outcomes) == []
    placed = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert (len(placed), len(refused)) == (5, 7)
    for error in refused:
        assert error.items == [(variant.sku, 1, 0)]
    assert {o.channel.code for o in placed} <= {"web", "app"}
    assert Order.objects.count() == 5
    assert sorted(Stock.objects.values_list("location__code", "on_hand", "allocated")) == [
        ("dc-gebze", 3, 3),
        ("store-kadikoy", 2, 2),
    ]
    # a refused shopper keeps their cart, as it was
    kept = Cart.objects.filter(customer__in=customers, status="active")
    assert kept.count() == 7
    assert all(c.lines.get().quantity == 1 for c in kept)
    nothing_oversold()


def test_many_customers_checking_out_at_once_never_deadlock(web, app, locations):
    dc, store = locations
    variants = list(f.product(channels=[web, app], variants=6).variants.order_by("id"))
    for v in variants:
        inventory.stock_receive(variant=v, location=dc, quantity=30)
        inventory.stock_receive(variant=v, location=store, quantity=10)
    # Orders already placed, which some workers cancel during the race (a cancel releases
    # stock: it locks the same variants, from the order's side).
    earlier = []
    for n in range(4):
        customer = f.CustomerFactory()
        cart = cart_of(web, customer, [(v, 1) for v in variants[n : n + 3]])
        earlier.append(placing(cart, web, customer)())
    jobs = []
    for n in range(12):
        channel = web if n % 2 else app
        customer = f.CustomerFactory()
        # each cart holds the same variants, added in a different order, some twice over
        mine = variants[n % 6 :] + variants[: n % 6]
        if n % 3 == 0:
            mine = list(reversed(mine))
        cart = cart_of(channel, customer, [(v, 1 + (i + n) % 2) for i, v in enumerate(mine)])
        jobs.append(placing(cart, channel, customer))
    jobs += [(lambda o=order: lifecycle.order_cancel(order=o, reason="race")) for order in earlier]

    outcomes = race(jobs)

    assert unexpected(outcomes) == []
    assert [o for o in outcomes if isinstance(o, OmniError)] == []
    assert Order.objects.exclude(status="cancelled").count() == 12
    assert Order.objects.filter(status="cancelled").count() == 4
    nothing_oversold()


def test_the_same_cart_placed_twice_at_once_is_one_order(web, locations):
    dc, _store = locations
    variant = f.product(channels=[web], price="100.00").variants.get()
    inventory.stock_receive(variant=variant, location=dc, quantity=10)
    customer = f.CustomerFactory()
    cart = cart_of(web, customer, [(variant, 2)])

    outcomes = race([placing(cart, web, customer)] * 2)

    assert unexpected(outcomes) == []
    (order,) = Order.objects.all()
    for outcome in outcomes:
        if isinstance(outcome, Order):
            assert outcome.pk == order.pk
        else:
            assert isinstance(outcome, Conflict)
            assert outcome.code == "cart_closed"
    assert order.lines.get().quantity == 2
    assert Stock.objects.get(variant=variant).allocated == 2
    assert Cart.objects.get(pk=cart.pk).status == "ordered"
    nothing_oversold()


# --- one Idempotency-Key sent at once, through the real endpoint ----------------------------


def guest_with_cart(variant, quantity: int) -> APIClient:
    """A visitor's API client whose cart (by Cart-Token) holds the variant."""
    token = APIClient().post("/api/v1/cart/?channel=web").json()["token"]
    client = APIClient()
    client.credentials(HTTP_CART_TOKEN=token)
    added = client.post(
        "/api/v1/cart/lines/?channel=web", {"sku": variant.sku, "quantity": quantity}
    )
    assert added.status_code == 201, added.json()
    return client


def posting(client: APIClient, body: dict, key: str) -> Callable[[], tuple[int, dict]]:
    """POST /api/v1/orders/ as its own request, on this thread's connection: (status, body).
    The client raises nothing (a 500 is an answer to count, in the JSON shape or not)."""
    client.raise_request_exception = False

    def post() -> tuple[int, dict]:
        response = client.post("/api/v1/orders/?channel=web", body, HTTP_IDEMPOTENCY_KEY=key)
        is_json = response["Content-Type"].startswith("application/json")
        return response.status_code, response.json() if is_json else {"html": True}

    return post


def home(**extra) -> dict:
    return {
        "delivery": "home",
        "shipping_method": "standart",
        "shipping_address": f.ADDRESS,
        "email": "misafir@example.com",
        **extra,
    }


def test_one_key_sent_at_once_over_the_api_places_one_order_and_gives_one_answer(web, locations):
    dc, _store = locations
    variant = f.product(channels=[web], price="100.00").variants.get()
    inventory.stock_receive(variant=variant, location=dc, quantity=10)
    client = guest_with_cart(variant, 2)

    outcomes = race([posting(client, home(), "checkout-1")] * 6)

    assert unexpected(outcomes) == []
    statuses = sorted(status for status, _body in outcomes)
    assert set(statuses) <= {201, 409}, outcomes
    assert statuses[0] == 201
    (order,) = Order.objects.all()
    placed = [body for status, body in outcomes if status == 201]
    assert all(body == placed[0] for body in placed)  # the first answer, replayed
    assert placed[0]["number"] == order.number
    for status, body in outcomes:
        if status == 409:
            assert body["code"] == "request_in_flight"
    # and afterwards a replay is that same answer again
    assert posting(client, home(), "checkout-1")() == (201, placed[0])
    assert Stock.objects.get(variant=variant).allocated == 2
    nothing_oversold()


def test_one_key_sent_at_once_with_a_body_refused_after_the_claim_never_fails_with_500(
    web, locations
):
    """Each request claims the key, fails on the body (an unknown shipping method, found out
    only once the key is claimed) and frees it, while the others, whose claim just failed,
    look for it: they may find it gone, and claim it again."""
    dc, _store = locations
    variant = f.product(channels=[web], price="100.00").variants.get()
    inventory.stock_receive(variant=variant, location=dc, quantity=10)
    client = guest_with_cart(variant, 1)

    outcomes = []
    for attempt in range(5):
        outcomes += race([posting(client, home(shipping_method="ekspres"), f"k-{attempt}")] * 8)

    assert unexpected(outcomes) == []
    assert {status for status, _body in outcomes} <= {400, 409}, outcomes
    for status, body in outcomes:
        if status == 400:
            assert list(body["fields"]) == ["shipping_method"], body
        else:
            assert body["code"] == "request_in_flight", body
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert Cart.objects.get().status == "active"


def test_a_customers_devices_adding_a_first_line_at_once_start_one_cart(web, app, locations):
    """No cart yet: each add starts the cart in its own transaction; the insert that loses the
    unique active-cart index is retried into the cart that won."""
    dc, _store = locations
    variant = f.product(channels=[web, app], price="100.00").variants.get()
    inventory.stock_receive(variant=variant, location=dc, quantity=10)
    customer = f.CustomerFactory()
    outcomes = race(
        [lambda channel=channel: carts.cart_add(customer=customer, channel=channel,
                                                variant_id=variant.pk, quantity=1)
         for channel in (web, app, web, app)]
    )  # fmt: skip

    assert unexpected(outcomes) == []
    (cart,) = Cart.objects.filter(customer=customer)
    assert {outcome.cart.pk for outcome in outcomes} == {cart.pk}
    assert cart.lines.get().quantity == 4


def test_a_customers_devices_opening_the_cart_at_once_share_one_cart(web, app):
    """The phone and the web both find no cart and create one at the same moment: one insert
    wins the unique active-cart index and the other device gets that same cart."""
    customer = f.CustomerFactory()
    outcomes = race(
        [lambda channel=channel: carts.cart_for_customer(customer=customer, channel=channel)
         for channel in (web, app, web, app)]
    )  # fmt: skip

    assert unexpected(outcomes) == []
    (cart,) = Cart.objects.filter(customer=customer)
    assert {outcome.pk for outcome in outcomes} == {cart.pk}
