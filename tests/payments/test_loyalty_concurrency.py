"""Two checkouts at once spending the customer's last points, on real PostgreSQL with a real
connection each: exactly one is paid, the other gets a clear field error, and the balance ends
at zero, never below."""

from decimal import Decimal

import pytest

from customers.loyalty.services import loyalty_adjust
from customers.models import LoyaltyAccount, LoyaltyEntry
from omni.errors import ValidationError
from payments import services
from payments.models import Payment
from tests.customers import loyalty_support
from tests.orders.test_concurrency import race
from tests.payments import support

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_spends_of_the_last_points_at_once_give_one_success():
    loyalty_support.programme()
    customer = support.f.CustomerFactory()
    loyalty_adjust(customer=customer, points=500, reason="welcome", actor=None)  # 50.00
    store = support.store_channel()
    orders = [support.place(store, customer, price="50.00") for _ in range(2)]

    outcomes = race(
        [
            lambda o=o: services.payment_start(order=o, gateway_code="loyalty", channel=store)
            for o in orders
        ]
    )

    paid = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(paid), len(refused)) == (1, 1), outcomes
    assert refused[0].code == "insufficient_points"
    assert refused[0].fields == {"amount": ["500 puan gerekiyor; kullanılabilir puan 0."]}
    account = LoyaltyAccount.objects.get(customer=customer)
    assert (account.available, account.pending) == (0, 0)
    assert LoyaltyEntry.objects.filter(kind="spend").count() == 1
    assert Payment.objects.filter(gateway="loyalty", status="captured").count() == 1
    assert Payment.objects.filter(gateway="loyalty").count() == 1
    assert paid[0][0].amount_captured == Decimal("50.00")
