"""payments.locks: a payment's lock holds its own row only, never its channel's."""

import contextlib

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from payments.locks import payment_lock, payments_lock
from payments.models import Payment

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not connection.features.has_select_for_update_of, reason="needs FOR UPDATE OF"
    ),
]


def _locking_sql(call) -> str:
    with (
        transaction.atomic(),
        CaptureQueriesContext(connection) as captured,
        contextlib.suppress(Payment.DoesNotExist),
    ):
        call()
    (query,) = captured.captured_queries
    return query["sql"]


def test_a_payment_is_read_with_its_channel_but_only_the_payment_is_locked():
    sql = _locking_sql(lambda: payment_lock(0))

    assert '"sales_channels_channel"' in sql
    assert sql.endswith(f'FOR UPDATE OF "{Payment._meta.db_table}"')


def test_an_orders_payments_read_with_their_channels_lock_only_the_payments():
    sql = _locking_sql(lambda: payments_lock(order_id=0, with_channel=True))

    assert '"sales_channels_channel"' in sql
    assert sql.endswith(f'FOR UPDATE OF "{Payment._meta.db_table}"')
