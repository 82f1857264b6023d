"""Each condition of a promotion: where (channels, stores), what (products, variants, category
subtrees, brands, attribute values), how much (subtotal, quantity), who (first order, segment,
loyalty tier, per-customer uses) and when (the window in Europe/Istanbul)."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.models import Promotion, Redemption
from customers.models import (
    LoyaltyAccount,
    LoyaltyProgramme,
    LoyaltyTier,
    Segment,
    SegmentMembership,
)
from orders.models import Order
from tests import factories as f
from tests.campaigns.promos import off, promo, quote, variant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["postgresql", "sqlite"])
def vendor(request, monkeypatch):
    """Each test twice: on PostgreSQL's statements, and on the portable reads (the ORM) that
    the embedded SQLite default of `make run` takes, with the same data and expectations."""
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", request.param)
    return request.param


Kind = Promotion.Kind
ISTANBUL = ZoneInfo("Europe/Istanbul")


def ten_percent(**conditions) -> Promotion:
    return promo(kind=Kind.PERCENT, value=D("10"), **conditions)


def test_a_channel_condition_applies_on_that_channel_only_and_a_store_is_a_channel(web, store):
    a_web, a_store = variant(web), variant(store)
    ten_percent(channels=[store])

    assert quote(web, [(a_web, 1)]).discount_total == 0
    assert quote(store, [(a_store, 1)]).discount_total == D("10.00")


def test_product_and_variant_conditions_pick_their_lines(web):
    shirt = f.product(channels=[web], variants=2)
    red, blue = shirt.variants.all()
    other = variant(web)
    ten_percent(products=[shirt])
    promo(kind=Kind.AMOUNT, value=D("5"), variants=[blue])

    q = quote(web, [(red, 1), (blue, 1), (other, 1)])

    assert off(q) == {red.pk: D("10.00"), blue.pk: D("15.00"), other.pk: D("0")}


def test_a_category_takes_its_whole_subtree_and_nothing_beside_it(web):
    clothing = f.category("giyim")
    dresses = f.category("elbise", parent=clothing)
    evening = f.category("abiye", parent=dresses)
    shoes = f.category("ayakkabi", parent=clothing)
    gown = variant(web, in_category=evening)
    sneaker = variant(web, in_category=shoes)
    ten_percent(categories=[dresses])

    assert off(quote(web, [(gown, 1), (sneaker, 1)])) == {gown.pk: D("10.00"), sneaker.pk: D("0")}


def test_a_brand_condition(web):
    brand = f.BrandFactory()
    branded, plain = variant(web, brand=brand), variant(web)
    ten_percent(brands=[brand])

    assert off(quote(web, [(branded, 1), (plain, 1)])) == {branded.pk: D("10.00"), plain.pk: D("0")}


def test_a_collection_by_attribute_takes_a_variant_with_any_of_its_values(web):
    red = f.AttributeValueFactory(slug="kirmizi")
    green = f.AttributeValueFactory(slug="yesil")
    blue = f.AttributeValueFactory(slug="mavi")
    size_m = f.AttributeValueFactory(attribute=f.AttributeFactory(code="beden"), slug="m")
    tee = f.product(channels=[web], variants=3, attributes=[[red, size_m], [green], [blue, size_m]])
    r, g, b = tee.variants.order_by("sort_order")
    ten_percent(attribute_values=[red, green])

    assert off(quote(web, [(r, 1), (g, 1), (b, 1)])) == {
        r.pk: D("10.00"),
        g.pk: D("10.00"),
        b.pk: D("0"),
    }


def test_min_subtotal_counts_the_whole_cart_before_discounts(web):
    brand = f.BrandFactory()
    cheap, branded = variant(web, "300.00"), variant(web, "200.00", brand=brand)
    ten_percent(brands=[brand], min_subtotal=D("500"))

    assert quote(web, [(branded, 2)]).discount_total == 0
    assert off(quote(web, [(cheap, 1), (branded, 1)])) == {cheap.pk: D("0"), branded.pk: D("20.00")}


def test_min_quantity_counts_the_matching_units(web):
    brand = f.BrandFactory()
    branded, plain = variant(web, brand=brand), variant(web)
    ten_percent(brands=[brand], min_quantity=3)

    assert quote(web, [(branded, 2), (plain, 5)]).discount_total == 0
    assert quote(web, [(branded, 3)]).discount_total == D("30.00")


def test_first_order_only_counts_orders_that_were_not_cancelled_and_not_guests(web):
    a = variant(web)
    newcomer, regular, came_back = f.CustomerFactory(), f.CustomerFactory(), f.CustomerFactory()
    for n, (customer, status) in enumerate(
        [(regular, Order.Status.DELIVERED), (came_back, Order.Status.CANCELLED)]
    ):
        Order.objects.create(
            number=f"T-{n}", channel=web, origin_channel=web, customer=customer, status=status,
            delivery=Order.Delivery.HOME, currency="TRY", subtotal=D("1"), total=D("1"),
        )  # fmt: skip
    ten_percent(first_order_only=True)

    assert quote(web, [(a, 1)], customer=newcomer).discount_total == D("10.00")
    assert quote(web, [(a, 1)], customer=came_back).discount_total == D("10.00")
    assert quote(web, [(a, 1)], customer=regular).discount_total == 0
    assert quote(web, [(a, 1)], customer=None).discount_total == 0


def test_a_segment_condition_takes_its_members(web):
    a = variant(web)
    vip = Segment.objects.create(name="VIP", rules={"all": []})
    member, outsider = f.CustomerFactory(), f.CustomerFactory()
    SegmentMembership.objects.create(segment=vip, customer=member)
    ten_percent(segments=[vip])

    assert quote(web, [(a, 1)], customer=member).discount_total == D("10.00")
    assert quote(web, [(a, 1)], customer=outsider).discount_total == 0
    assert quote(web, [(a, 1)]).discount_total == 0


def test_a_loyalty_tier_condition_reads_the_customers_current_tier(web):
    a = variant(web)
    programme = LoyaltyProgramme.objects.create(name="Omni Club", currency="TRY")
    silver = LoyaltyTier.objects.create(programme=programme, name="Gümüş", min_spend=D("0"))
    gold = LoyaltyTier.objects.create(programme=programme, name="Altın", min_spend=D("5000"))
    golden, silvery = f.CustomerFactory(), f.CustomerFactory()
    LoyaltyAccount.objects.create(customer=golden, programme=programme, tier=gold)
    LoyaltyAccount.objects.create(customer=silvery, programme=programme, tier=silver)
    ten_percent(loyalty_tiers=[gold])

    assert quote(web, [(a, 1)], customer=golden).discount_total == D("10.00")
    assert quote(web, [(a, 1)], customer=silvery).discount_total == 0
    assert quote(web, [(a, 1)], customer=f.CustomerFactory()).discount_total == 0


def test_the_window_is_entered_in_istanbul_time(web):
    a = variant(web)
    now = timezone.now().astimezone(ISTANBUL)
    # The merchant typed wall-clock times in Istanbul; stored aware, compared with now.
    started = datetime(now.year, now.month, now.day, now.hour, tzinfo=ISTANBUL)
    ten_percent(starts_at=started, ends_at=started + timedelta(hours=2))
    promo(kind=Kind.AMOUNT, value=D("1"), starts_at=now + timedelta(minutes=5))
    promo(kind=Kind.AMOUNT, value=D("2"), ends_at=now - timedelta(seconds=1))

    assert quote(web, [(a, 1)]).discount_total == D("10.00")


def test_paused_spent_and_used_up_promotions_are_not_live(web):
    a = variant(web)
    promo(kind=Kind.AMOUNT, value=D("1"), is_active=False)
    promo(kind=Kind.AMOUNT, value=D("2"), budget=D("100"), spent=D("100"))
    promo(kind=Kind.AMOUNT, value=D("4"), usage_limit=3, times_used=3)
    live = promo(kind=Kind.AMOUNT, value=D("8"), usage_limit=3, times_used=2)

    q = quote(web, [(a, 1)])

    assert q.discount_total == D("8.00")
    assert [p.promotion for p in q.promotions] == [str(live.pk)]


def test_a_discount_larger_than_the_budget_left_is_capped_at_what_is_left(web):
    a, b = variant(web, "300.00"), variant(web, "100.00")
    promo(kind=Kind.PERCENT, value=D("50"), budget=D("1000"), spent=D("900"))

    q = quote(web, [(a, 1), (b, 1)])

    assert off(q) == {a.pk: D("75.00"), b.pk: D("25.00")}


def test_a_per_customer_limit_counts_the_customers_unreleased_redemptions(web):
    a = variant(web)
    p = promo(kind=Kind.AMOUNT, value=D("10"), per_customer_limit=1)
    used, released, fresh = f.CustomerFactory(), f.CustomerFactory(), f.CustomerFactory()
    for n, (customer, released_at) in enumerate([(used, None), (released, timezone.now())]):
        order = Order.objects.create(
            number=f"R-{n}", channel=web, origin_channel=web, customer=customer,
            delivery=Order.Delivery.HOME, currency="TRY", subtotal=D("1"), total=D("1"),
        )  # fmt: skip
        Redemption.objects.create(
            promotion=p, order=order, customer=customer, channel=web, amount=D("10"),
            currency="TRY", released_at=released_at,
        )  # fmt: skip

    assert quote(web, [(a, 1)], customer=used).discount_total == 0
    assert quote(web, [(a, 1)], customer=released).discount_total == D("10.00")
    assert quote(web, [(a, 1)], customer=fresh).discount_total == D("10.00")
