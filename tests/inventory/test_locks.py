"""inventory.locks: claiming a low-stock alert locks the alert only, not the stock it is about,
so an allocation never waits for the alert's e-mail."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.locks import low_stock_alert_claim
from inventory.models import LowStockAlert

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not connection.features.has_select_for_update_of, reason="needs FOR UPDATE OF"
    ),
]


def test_claiming_an_alert_locks_the_alert_and_not_its_stock_row():
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        assert low_stock_alert_claim(0) is None

    (query,) = captured.captured_queries
    assert '"inventory_stock"' in query["sql"]
    assert query["sql"].endswith(f'FOR UPDATE OF "{LowStockAlert._meta.db_table}" SKIP LOCKED')
