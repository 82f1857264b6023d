"""orders.locks: the cart's lock is one statement that reads the cart as the ORM does."""

import pytest
from django.db import connection, transaction

from orders.locks import cart_lock, carts_lock
from orders.models import Cart
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


def test_the_cart_is_locked_and_read_as_the_orm_reads_it_in_one_statement():
    channel = f.ChannelFactory(code="web")
    cart = Cart.objects.create(origin_channel=channel, last_channel=channel)

    with transaction.atomic(), assert_num_queries(1) as captured:
        locked = cart_lock(cart.pk)

    orm = Cart.objects.get(pk=cart.pk)
    assert locked == orm and not locked._state.adding
    assert locked.token == cart.token
    for field in Cart._meta.concrete_fields:
        mine, theirs = getattr(locked, field.attname), getattr(orm, field.attname)
        assert (type(mine), mine) == (type(theirs), theirs), field.name
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    assert captured.captured_queries[0]["sql"].endswith(f"LIMIT 1{lock}")


def test_a_cart_touched_under_its_lock_records_its_channel_in_the_same_statement():
    web, app = f.ChannelFactory(code="web"), f.ChannelFactory(code="app")
    cart = Cart.objects.create(origin_channel=web, last_channel=web)

    with transaction.atomic(), assert_num_queries(1):
        locked = cart_lock(cart.pk, touch_channel_id=app.pk)

    assert locked.last_channel_id == app.pk
    assert Cart.objects.get(pk=cart.pk).last_channel_id == app.pk


def test_a_missing_cart_is_none_and_carts_come_by_id():
    web, app = f.ChannelFactory(code="web"), f.ChannelFactory(code="app")
    first, second = (Cart.objects.create(origin_channel=web, last_channel=web) for _ in range(2))

    with transaction.atomic():
        assert cart_lock(second.pk + 1) is None
        assert cart_lock(second.pk + 1, touch_channel_id=app.pk) is None
        with assert_num_queries(1):
            locked = carts_lock([second.pk, first.pk])

    assert list(locked) == [first.pk, second.pk]
    assert set(Cart.objects.values_list("last_channel_id", flat=True)) == {web.pk}
