"""omni.db's plain-SQL reads and writes store and read back exactly what the ORM would, on
PostgreSQL and on SQLite (the `make run` default): the same defaults, stamps, types and
conversions, in fewer and cheaper statements."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save, pre_save

from omni.db import WriteBatch, create, in_list, insert_fields, savepoint, select_one
from orders.models import Cart, CartLine, IdempotencyKey, OrderLine
from tests import factories as f

pytestmark = pytest.mark.django_db


def stored(obj) -> dict:
    """The row as the ORM reads it back, without what differs between two rows anyway."""
    row = type(obj).objects.filter(pk=obj.pk).values().get()
    return {k: v for k, v in row.items() if k not in ("id", "token", "created_at", "updated_at")}


def test_create_stores_the_row_the_orm_would_with_its_defaults_and_stamps():
    channel = f.ChannelFactory(code="web")
    fast = create(Cart, origin_channel=channel, last_channel=channel)
    orm = Cart.objects.create(origin_channel=channel, last_channel=channel)

    assert fast.pk and fast.pk != orm.pk and not fast._state.adding
    assert (
        stored(fast)
        == stored(orm)
        == {
            "customer_id": None,
            "status": "active",
            "origin_channel_id": channel.pk,
            "last_channel_id": channel.pk,
            "reserved_until": None,
            "codes": [],
        }
    )
    again = Cart.objects.get(pk=fast.pk)
    assert isinstance(again.token, UUID) and again.token == fast.token
    assert again.created_at == fast.created_at and again.updated_at == fast.updated_at
    assert isinstance(again.created_at, datetime) and again.created_at.tzinfo is not None


def test_create_converts_json_and_decimals_through_their_fields():
    channel = f.ChannelFactory(code="web")
    cart = create(Cart, origin_channel=channel, last_channel=channel)
    variant = f.product(channels=[channel], price="100.00").variants.get()
    line = create(
        CartLine,
        cart=cart,
        variant_id=variant.pk,
        quantity=2,
        seen_price=Decimal("1299.90"),
        seen_currency="TRY",
        seen_channel=channel,
    )
    assert CartLine.objects.get(pk=line.pk).seen_price == Decimal("1299.90")

    record = create(IdempotencyKey, scope="user:1", key="k", request_hash="h")
    IdempotencyKey.objects.filter(pk=record.pk).update(response_body={"number": "W-1", "n": 2})
    assert select_one(IdempotencyKey, "id = %s", [record.pk]).response_body == {
        "number": "W-1",
        "n": 2,
    }


def test_select_one_reads_the_row_as_the_orm_does_or_none():
    channel = f.ChannelFactory(code="web")
    cart = Cart.objects.create(origin_channel=channel, last_channel=channel)
    variant = f.product(channels=[channel], price="100.00").variants.get()
    CartLine.objects.create(
        cart=cart, variant=variant, quantity=3, seen_price=Decimal("99.50"), seen_channel=channel
    )

    found = select_one(CartLine, "cart_id = %s AND variant_id = %s", [cart.pk, variant.pk])
    orm = CartLine.objects.get(cart=cart)
    assert found == orm and not found._state.adding
    for field in CartLine._meta.concrete_fields:
        mine, theirs = getattr(found, field.attname), getattr(orm, field.attname)
        assert (type(mine), mine) == (type(theirs), theirs), field.name
    assert select_one(CartLine, "cart_id = %s", [cart.pk + 1]) is None


def test_a_write_refused_in_a_savepoint_leaves_the_callers_transaction_going():
    create(IdempotencyKey, scope="user:1", key="k", request_hash="h")
    with transaction.atomic():
        with pytest.raises(IntegrityError), savepoint():
            create(IdempotencyKey, scope="user:1", key="k", request_hash="other")
        assert IdempotencyKey.objects.count() == 1  # still usable
    # (outside a transaction: tests/orders/test_concurrency.py, two devices opening a cart)
    assert IdempotencyKey.objects.get().request_hash == "h"


def test_in_list_matches_any_of_the_values_however_many():
    channel = f.ChannelFactory(code="web")
    carts = [create(Cart, origin_channel=channel, last_channel=channel) for _ in range(4)]
    for wanted in ([carts[0].pk], [c.pk for c in carts[1:]]):
        sql, params = in_list("id", wanted)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM orders_cart WHERE {sql} ORDER BY id", params)  # noqa: S608
            assert [pk for (pk,) in cursor.fetchall()] == wanted


def _inserted_columns(model) -> list[str]:
    """The columns a batched insert of `model` names, read from the statement it builds."""
    batch = WriteBatch()
    batch.insert(model, [model()])
    [(sql, _params, _objs)] = batch._parts
    head = sql[sql.index("(") + 1 : sql.index(")")]
    return [name.strip().strip('"') for name in head.split(",")]


def test_every_batched_insert_writes_every_column_of_its_model_but_the_assigned_key():
    """Checked for every model of every app: a field added to a model is written by the batched
    inserts (checkout's lines, fulfilments and events, the outbox, the stock ledger, ...) with
    no other edit, and a column list kept by hand cannot leave one out. A generated column is
    the database's to fill (catalog.Product's search columns)."""
    checked = 0
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        expected = [
            field.column
            for field in model._meta.concrete_fields
            if not (field.primary_key and field.db_returning) and not field.generated
        ]
        assert [field.column for field in insert_fields(model)] == expected, model.__name__
        if not (pre_save.has_listeners(model) or post_save.has_listeners(model)):
            assert _inserted_columns(model) == expected, model.__name__
            checked += 1
    assert checked > 40


def test_an_insert_that_would_skip_a_models_save_receivers_is_refused():
    def receiver(**_kwargs):
        pass

    post_save.connect(receiver, sender=OrderLine, weak=False)
    try:
        with pytest.raises(TypeError, match="OrderLine has save signal receivers"):
            WriteBatch().insert(OrderLine, [OrderLine()])
    finally:
        post_save.disconnect(receiver, sender=OrderLine)
    WriteBatch().insert(OrderLine, [OrderLine()])  # (not executed)
