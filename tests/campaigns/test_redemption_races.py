"""Redemption under concurrency, on real PostgreSQL with real connections (one per thread),
checked against the database afterwards: a code's last uses, a budget's last lira and a
customer's one use go to exactly as many orders as they allow; the others get a 409
promotion_unavailable with nothing placed and the code off their cart; a release at the same
time as placements never deadlocks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from campaigns.models import Code, Promotion, Redemption
from campaigns.services import redemption
from inventory.models import Stock
from omni.errors import OmniError
from orders.models import Cart, Order
from orders.services import carts, checkout, lifecycle
from tests import factories as f
from tests.campaigns.redeem_world import cart_with, code, home, place, promotion, race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web")


@pytest.fixture
def dress(web):
    variant = f.product(channels=[web], price="100.00").variants.get()
    f.stocked(web, variant, quantity=500)
    return variant


def placing(cart, channel, customer, delivery):
    return lambda: checkout.order_place(
        cart=cart, channel=channel, delivery=delivery, customer=customer
    )


def unexpected(outcomes) -> list[BaseException]:
    """Raised that is not one of Omni's own clear errors: a deadlock, a constraint, a bug."""
    return [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, OmniError)]


def test_a_hundred_orders_for_a_code_with_ten_uses_left_give_ten_discounts(web, dress):
    # the promotion's own limit and budget are far off: the code's uses run out first
    spring = promotion(
        channels=[web], requires_code=True, usage_limit=1000, budget=Decimal("100000")
    )
    bahar = code(spring, usage_limit=12)
    Code.objects.filter(pk=bahar.pk).update(times_used=2)  # 10 uses left
    delivery = home(web)
    jobs, cart_ids = [], []
    for _ in range(100):
        customer = f.CustomerFactory()
        cart = cart_with(web, customer, {dress: 1}, codes=("BAHAR10",))
        cart_ids.append(cart.pk)
        jobs.append(placing(cart, web, customer, delivery))

    outcomes = race(jobs)

    assert unexpected(outcomes) == []
    placed = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, OmniError)]
    assert (len(placed), len(refused)) == (10, 90)
    assert {e.code for e in refused} == {"promotion_unavailable"}
    assert {e.status_code for e in refused} == {409}
    assert {o.discount_total for o in placed} == {Decimal("10.00")}
    assert Order.objects.count() == 10
    bahar.refresh_from_db()
    spring.refresh_from_db()
    assert (bahar.times_used, spring.times_used, spring.spent) == (12, 10, Decimal("100.00"))
    assert Redemption.objects.count() == 10
    # the refused keep their carts, priced again without the code
    kept = Cart.objects.filter(pk__in=cart_ids, status="active")
    assert kept.count() == 90
    assert all(c.codes == [] for c in kept)
    assert Stock.objects.get(variant=dress).allocated == 10


def test_a_budget_is_never_overspent(web, dress):
    # 20.00 off each order, 100.00 to spend: five orders of twelve get it
    sale = promotion(
        channels=[web], kind="amount", value="20", requires_code=True, budget=Decimal("100.00")
    )
    code(sale, "YAZ20")
    delivery = home(web)
    jobs = []
    for _ in range(12):
        customer = f.CustomerFactory()
        jobs.append(
            placing(cart_with(web, customer, {dress: 1}, codes=("YAZ20",)), web, customer, delivery)
        )

    outcomes = race(jobs, workers=12)

    assert unexpected(outcomes) == []
    placed = [o for o in outcomes if isinstance(o, Order)]
    assert len(placed) == 5
    assert {o.code for o in outcomes if isinstance(o, OmniError)} == {"promotion_unavailable"}
    sale.refresh_from_db()
    assert (sale.times_used, sale.spent) == (5, Decimal("100.00"))
    assert Redemption.objects.aggregate(s=Sum("amount"))["s"] == Decimal("100.00")


def test_one_customer_placing_at_once_gets_their_one_use_once(web, dress):
    """A guest checks out several carts at once under one e-mail address (one customer)."""
    once = promotion(channels=[web], requires_code=True, per_customer_limit=1)
    code(once, "HOSGELDIN")
    customer = f.CustomerFactory()
    delivery = home(web)
    jobs = []
    for _ in range(6):
        cart = carts.cart_create_anonymous(channel=web)
        carts.cart_add(cart=cart, channel=web, variant_id=dress.pk, quantity=1)
        cart = carts.cart_codes_set(cart=cart, channel=web, codes=["HOSGELDIN"])
        jobs.append(placing(cart, web, customer, delivery))

    outcomes = race(jobs, workers=6)

    assert unexpected(outcomes) == []
    assert len([o for o in outcomes if isinstance(o, Order)]) == 1
    assert {o.code for o in outcomes if isinstance(o, OmniError)} == {"promotion_unavailable"}
    assert Redemption.objects.filter(customer=customer).count() == 1


def test_releases_and_placements_at_once_never_deadlock_and_release_once(web, dress):
    spring = promotion(channels=[web], requires_code=True, usage_limit=100)
    bahar = code(spring, usage_limit=100)
    earlier = [place(web, f.CustomerFactory(), {dress: 1}, codes=("BAHAR10",)) for _ in range(4)]
    delivery = home(web)
    jobs = []
    for _ in range(8):
        customer = f.CustomerFactory()
        jobs.append(
            placing(
                cart_with(web, customer, {dress: 1}, codes=("BAHAR10",)), web, customer, delivery
            )
        )
    for order in earlier:  # each cancelled, and released again at the same time
        jobs.append(lambda o=order: lifecycle.order_cancel(order=o, reason="race"))
        jobs.append(lambda o=order: redemption.redemptions_release(order_id=o.pk))

    outcomes = race(jobs, workers=16)

    assert unexpected(outcomes) == []
    assert [o for o in outcomes if isinstance(o, OmniError)] == []
    bahar.refresh_from_db()
    spring = Promotion.objects.get(pk=spring.pk)
    assert (bahar.times_used, spring.times_used, spring.spent) == (8, 8, Decimal("80.00"))
    assert Redemption.objects.filter(released_at__isnull=True).count() == 8
