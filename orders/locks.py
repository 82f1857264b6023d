"""Every row lock of orders: an order, its returns, carts and the notifications to send.

Locks are taken in one order everywhere: the order row first (then its return, its payments in
payments.locks, then stock in inventory.locks), and several rows of one kind in id order, so two
writers never deadlock. Each function must run inside a transaction; the lock is held until it
ends.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from omni.db import columns, from_row
from orders.models import Cart, Notification, Order, Return


def order_lock(order: Order | int) -> Order:
    """The order, read again under its lock: every change to an order, its fulfilments,
    returns and payments takes it first, so they happen one after the other."""
    assert connection.in_atomic_block, "order_lock() must run inside a transaction"
    pk = order if isinstance(order, int) else order.pk
    return Order.objects.select_for_update().get(pk=pk)


def return_lock(pk: int) -> Return:
    """The return, read again under its lock, taken after its order's (order_lock)."""
    assert connection.in_atomic_block, "return_lock() must run inside a transaction"
    return Return.objects.select_for_update().get(pk=pk)


def cart_lock(pk: int, *, touch_channel_id: int | None = None) -> Cart | None:
    """The cart, read again under its lock, or None if it is gone: a cart is changed, or
    ordered, by one request at a time. One plain statement, for the hot paths of checkout and
    the cart (bench/checkout.py); the row is read as the ORM reads it (omni.db.from_row).

    `touch_channel_id`: also record the channel the cart was last changed on, in the same
    statement (an UPDATE takes the row lock as SELECT ... FOR UPDATE does; the caller's error
    on a closed cart rolls the update back)."""
    assert connection.in_atomic_block, "cart_lock() must run inside a transaction"
    with connection.cursor() as cursor:
        if touch_channel_id is None:
            cursor.execute(_cart_sql(connection.vendor), [pk])
        else:
            cursor.execute(
                _CART_TOUCH.format(table=Cart._meta.db_table, columns=columns(Cart)),
                [touch_channel_id, connection.ops.adapt_datetimefield_value(timezone.now()), pk],
            )
        row = cursor.fetchone()
    return None if row is None else from_row(Cart, row)


@functools.cache
def _cart_sql(vendor: str) -> str:
    # The model's own table and columns, never input; FOR UPDATE where the database has it.
    quote = connection.ops.quote_name
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return f"SELECT {columns(Cart)} FROM {quote(Cart._meta.db_table)} WHERE id = %s LIMIT 1{lock}"  # noqa: S608


# The model's own table and columns, never input.
_CART_TOUCH = (
    "UPDATE {table} SET last_channel_id = %s, updated_at = %s WHERE id = %s RETURNING {columns}"
)


def carts_lock(ids: Iterable[int]) -> dict[int, Cart]:
    """The carts, locked in id order, by id: a visitor's cart merged into a customer's."""
    assert connection.in_atomic_block, "carts_lock() must run inside a transaction"
    return {
        cart.pk: cart
        for cart in Cart.objects.select_for_update().filter(pk__in=sorted(ids)).order_by("pk")
    }


def notification_claim(pk: int) -> Notification | None:
    """The notification if it is still unsent, locked, with its order and pickup store, or None
    when it was sent or another worker holds it (SKIP LOCKED): it is claimed by the transaction
    that sends it, so it is sent once. of=self: only the notification is locked, never its
    order, which staff may be changing (and would otherwise be held for as long as the mail
    server takes)."""
    assert connection.in_atomic_block, "notification_claim() must run inside a transaction"
    return (
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("order__pickup_location")
        .filter(pk=pk, sent_at__isnull=True)
        .first()
    )
