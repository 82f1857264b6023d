"""What the redemption, code and cart-code tests build on: promotions and codes made directly
(the merchant's services are another slice's), carts with codes, and orders placed through
checkout.order_place as every channel places them."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection

from campaigns.models import Code, Promotion
from orders.services import carts, checkout
from tests import factories as f


def promotion(
    *, channels=(), kind: str = "percent", value: str = "10", label: str = "%10 indirim", **fields
) -> Promotion:
    made = Promotion.objects.create(
        name=label,
        label_tr=label,
        label_en=fields.pop("label_en", label),
        kind=kind,
        value=Decimal(value),
        **fields,
    )
    made.channels.set(channels)
    return made


def code(of: Promotion, text: str = "BAHAR10", **fields) -> Code:
    return Code.objects.create(promotion=of, code=text, **fields)


def cart_with(channel, customer, lines: dict, codes: tuple[str, ...] = ()):
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    for variant, quantity in lines.items():
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    if codes:
        cart = carts.cart_codes_set(cart=cart, channel=channel, codes=list(codes))
    return cart


def home(channel):
    f.ShippingMethodFactory(channel=channel)
    return checkout.delivery_build(
        channel=channel, method="home", shipping_method="standart", address=f.ADDRESS
    )


def place(channel, customer, lines: dict, codes: tuple[str, ...] = ()):
    cart = cart_with(channel, customer, lines, codes)
    return checkout.order_place(
        cart=cart, channel=channel, delivery=home(channel), customer=customer
    )


def race(jobs: list[Callable[[], Any]], *, workers: int = 20, timeout: float = 120) -> list[Any]:
    """Run the jobs on `workers` threads, each on its own database connection, all released
    at once by a barrier and each taking the next job as soon as it is done (PostgreSQL allows
    100 connections in all, shared with other test runs: 20 keep every job in contention).
    Returns what each job returned or raised, in the order of the jobs."""
    outcomes: list[Any] = [None] * len(jobs)
    todo: queue.Queue[int] = queue.Queue()
    for i in range(len(jobs)):
        todo.put(i)
    barrier = threading.Barrier(workers)

    def run() -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcomes[i] = jobs[i]()
                except BaseException as error:
                    outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a worker is stuck (a lock never released?)"
    return outcomes
