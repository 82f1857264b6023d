"""Two spends at once of the same gift card's balance, on real PostgreSQL with a connection
each: exactly one is paid, the other gets a clear field error, and the balance ends at zero,
never below."""

from decimal import Decimal

import pytest

from omni.errors import ValidationError
from payments import services
from payments.models import GiftCard, GiftCardEntry, Payment
from tests.orders.test_concurrency import race
from tests.payments import support
from tests.payments.gift_card_support import issued

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_spends_of_the_same_balance_at_once_give_one_success():
    card, pin = issued("50.00")
    store, web = support.store_channel(), support.web_channel()
    orders = [support.place(store, price="50.00"), support.place(web, price="50.00")]

    outcomes = race(
        [
            lambda o=o: services.payment_start(
                order=o,
                gateway_code="gift_card",
                amount=Decimal("50.00"),
                gift_card_code=card.code,
                gift_card_pin=pin,
            )
            for o in orders
        ]
    )

    paid = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(paid), len(refused)) == (1, 1), outcomes
    assert refused[0].code in ("insufficient_gift_card_balance", "gift_card_empty")
    card.refresh_from_db()
    assert card.balance == Decimal("0.00")
    assert GiftCardEntry.objects.filter(kind="spend").count() == 1
    assert Payment.objects.filter(gateway="gift_card").count() == 1
    assert paid[0][0].amount_captured == Decimal("50.00")
    assert GiftCard.objects.filter(balance__lt=0).count() == 0
