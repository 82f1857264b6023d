"""The engine keeps the promotions' terms per process (as production does, for
OMNI_CHANNEL_CACHE_SECONDS): what changes without a write of the promotion (budget spent, uses)
is read on every quote; a saved promotion is read again at once; promotions_changed() forgets."""

from decimal import Decimal as D

import pytest
from django.utils import timezone

from campaigns import engine
from campaigns.models import Promotion, Redemption
from tests.campaigns.promos import promo, quote, variant
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kept(settings):
    settings.OMNI_CHANNEL_CACHE_SECONDS = 60
    engine.promotions_changed()
    yield
    engine.promotions_changed()


def test_held_terms_still_see_the_budget_spent_and_a_saved_change_at_once(web):
    a = variant(web, "200.00")
    p = promo(kind=Promotion.Kind.PERCENT, value=D("10"), budget=D("100"))
    assert quote(web, [(a, 1)]).discount_total == D("20.00")

    # A redemption elsewhere spends the budget with an UPDATE (no save, no signal).
    Promotion.objects.filter(pk=p.pk).update(spent=D("95"))
    with assert_num_queries(2):  # the helper's prices, then the engine's one query
        capped = quote(web, [(a, 1)])
    assert capped.discount_total == D("5.00")

    # Another process saves the promotion: its updated_at changes, so it is read again.
    Promotion.objects.filter(pk=p.pk).update(value=D("20"), spent=0, updated_at=timezone.now())
    assert quote(web, [(a, 1)]).discount_total == D("40.00")


def test_conditions_changed_in_this_process_are_seen_at_once_and_others_after_forgetting(web):
    a, b = variant(web, "100.00"), variant(web, "100.00")
    p = promo(kind=Promotion.Kind.PERCENT, value=D("10"), variants=[a])
    assert quote(web, [(b, 1)]).discount_total == 0

    p.variants.set([b])  # m2m_changed in this process
    assert quote(web, [(b, 1)]).discount_total == D("10.00")

    # A change of the conditions alone in another process (no signal here, same updated_at)
    # is seen once the held terms are forgotten (or after the TTL).
    Promotion.variants.through.objects.filter(promotion=p).delete()
    assert quote(web, [(a, 1)]).discount_total == 0
    engine.promotions_changed()
    assert quote(web, [(a, 1)]).discount_total == D("10.00")


def test_held_rules_read_the_customers_facts_with_the_promotions_and_see_a_new_use(web):
    from orders.models import Order
    from tests import factories as f

    a = variant(web, "100.00")
    p = promo(kind=Promotion.Kind.AMOUNT, value=D("10"), per_customer_limit=1)
    customer = f.CustomerFactory()
    assert quote(web, [(a, 1)], customer=customer).discount_total == D("10.00")

    # Held: the customer's uses come in the promotions' query (the helper's prices + 1).
    with assert_num_queries(2):
        assert quote(web, [(a, 1)], customer=customer).discount_total == D("10.00")

    order = Order.objects.create(
        number="C-1", channel=web, origin_channel=web, customer=customer,
        delivery=Order.Delivery.HOME, currency="TRY", subtotal=D("1"), total=D("1"),
    )  # fmt: skip
    Redemption.objects.create(
        promotion=p, order=order, customer=customer, channel=web, amount=D("10"), currency="TRY"
    )
    with assert_num_queries(2):
        assert quote(web, [(a, 1)], customer=customer).discount_total == 0


def test_held_rules_see_a_window_open_without_reading_the_promotion_again(web):
    import time
    from datetime import timedelta

    a = variant(web, "100.00")
    opens = timezone.now() + timedelta(seconds=1)
    promo(kind=Promotion.Kind.PERCENT, value=D("10"), starts_at=opens)
    assert quote(web, [(a, 1)]).discount_total == 0
    assert quote(web, [(a, 1)]).discount_total == 0  # held, checked before the start

    time.sleep(max((opens - timezone.now()).total_seconds(), 0) + 0.05)
    assert quote(web, [(a, 1)]).discount_total == D("10.00")
