"""Two merges at once, on real PostgreSQL with real connections (one per thread) released
together: A into B and B into A, or A into B twice, end as exactly one merge and one clear
error, never a deadlock, a lost order or a profile merged into one that is merged away."""

from __future__ import annotations

from decimal import Decimal

import pytest

from customers.merge import customer_merge
from customers.models import Customer, CustomerMerge
from omni.errors import Conflict
from omni.models import OutboxEvent
from orders.models import Order
from tests import factories as f
from tests.orders.test_concurrency import race, unexpected

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _pair():
    web = f.ChannelFactory(code="web")
    a, b = f.CustomerFactory(phone=""), f.CustomerFactory(phone="")
    for number, customer in (("A-1", a), ("B-1", b)):
        Order.objects.create(
            number=number,
            channel=web,
            origin_channel=web,
            customer=customer,
            delivery=Order.Delivery.HOME,
            currency="TRY",
            subtotal=Decimal("10"),
            total=Decimal("10"),
        )
    return a, b


def _one_merge_and_one_conflict(outcomes):
    assert unexpected(outcomes) == []
    assert sum(isinstance(o, CustomerMerge) for o in outcomes) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    assert CustomerMerge.objects.count() == 1
    assert OutboxEvent.objects.filter(topic="customers.customer.merged").count() == 1
    merge = CustomerMerge.objects.get()
    survivor = Customer.objects.get(pk=merge.target_id)
    assert survivor.merged_into_id is None
    assert Customer.objects.get(pk=merge.source_id).merged_into_id == survivor.pk
    assert set(Order.objects.values_list("customer_id", flat=True)) == {survivor.pk}


def test_a_into_b_and_b_into_a_at_once_is_one_merge():
    a, b = _pair()
    outcomes = race(
        [
            lambda: customer_merge(source=a, target=b, actor=None),
            lambda: customer_merge(source=b, target=a, actor=None),
        ]
    )
    _one_merge_and_one_conflict(outcomes)


def test_the_same_merge_twice_at_once_is_one_merge():
    a, b = _pair()
    outcomes = race(
        [
            lambda: customer_merge(source=a, target=b, actor=None),
            lambda: customer_merge(source=a, target=b, actor=None),
        ]
    )
    _one_merge_and_one_conflict(outcomes)
