"""The engine's queries do not grow with the promotions or the lines: one for the promotions
(with their conditions and the cart's codes) and one for the facts a live promotion needs (the
lines' variants, the customer, or both together)."""

from decimal import Decimal as D

import pytest

from campaigns.models import Promotion
from customers.models import Segment
from orders import pricing
from tests import factories as f
from tests.campaigns.promos import promo
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db
Kind = Promotion.Kind


def mixed(n: int, *, channel, variants, segment) -> None:
    """n promotions of every kind, with goods, cart and customer conditions."""
    brand = f.BrandFactory()
    kinds = [
        dict(kind=Kind.PERCENT, value=D("5")),
        dict(kind=Kind.AMOUNT, value=D("3"), target=Promotion.Target.ORDER),
        dict(kind=Kind.BUY_X_GET_Y, config={"buy": 1, "get": 1, "percent": 50}),
        dict(kind=Kind.BUNDLE, config={"quantity": 2, "price": "150"}),
        dict(kind=Kind.TIERED, config={"tiers": [{"from": "100", "percent": "5"}]}),
        dict(kind=Kind.SHIPPING, value=D("100"), min_subtotal=D("500")),
        dict(kind=Kind.FIXED_PRICE, value=D("90"), stacking=Promotion.Stacking.EXCLUSIVE),
        dict(kind=Kind.GIFT, config={"variant": variants[0].pk, "quantity": 1}),
    ]
    for i in range(n):
        conditions = [
            {},
            {"variants": variants[i % len(variants) :][:3]},
            {"brands": [brand]},
            {"segments": [segment]},
            {"first_order_only": True, "per_customer_limit": 2},
            {"channels": [channel], "min_quantity": 2},
        ][i % 6]
        promo(name=f"p{i}", priority=i % 7, **kinds[i % len(kinds)], **conditions)


def lines(variants) -> list[pricing.LineInput]:
    return [pricing.LineInput(str(v.pk), v.sku, 2, D("100.00"), D(20)) for v in variants]


@pytest.mark.parametrize("n", [1, 200])
def test_a_quote_runs_two_queries_with_1_or_200_promotions_and_20_lines(web, n):
    variants = [f.product(channels=[web]).variants.get() for _ in range(20)]
    segment = Segment.objects.create(name="VIP", rules={"all": []})
    # One promotion that needs every lookup (a code, the goods, the customer); the others mixed.
    promo(name="coded", code="KOD10", value=D("10"), brands=[f.BrandFactory()], segments=[segment])
    mixed(n - 1, channel=web, variants=variants, segment=segment)
    customer = f.CustomerFactory()

    with assert_num_queries(2):
        granted = pricing.benefits_for(
            channel=web, customer=customer, lines=lines(variants), codes=["KOD10", "YOK"]
        )

    assert set(granted.rejected_codes) == {"KOD10", "YOK"}  # not in the segment; unknown
    assert bool(granted.applied) is (n > 1)


@pytest.mark.parametrize("n", [0, 1, 20])
def test_nothing_live_is_one_query_whatever_the_lines(web, n):
    variants = [f.product(channels=[web]).variants.get() for _ in range(max(n, 1))]
    promo(name="paused", value=D("10"), is_active=False)

    with assert_num_queries(1):
        granted = pricing.benefits_for(
            channel=web, customer=None, lines=lines(variants[:n] or variants)
        )

    assert granted.discounts == []


def test_promotions_without_goods_or_customer_conditions_need_one_query(web):
    variants = [f.product(channels=[web]).variants.get() for _ in range(3)]
    promo(name="all", value=D("10"))
    customer = f.CustomerFactory()

    with assert_num_queries(1):
        granted = pricing.benefits_for(channel=web, customer=customer, lines=lines(variants))

    assert len(granted.discounts) == 3


def test_goods_facts_given_with_the_lines_spare_the_facts_query(web):
    """The cart's lines statement reads the goods facts (LineInput.product_id and the rest):
    the engine then reads only the promotions, and matches on what it was given."""
    brand = f.BrandFactory()
    branded, other = f.product(channels=[web], brand=brand), f.product(channels=[web])
    promo(name="brand", value=D("10"), brands=[brand])

    def given(product) -> pricing.LineInput:
        v = product.variants.get()
        return pricing.LineInput(
            str(v.pk), v.sku, 1, D("100.00"), D(20), product_id=product.pk,
            brand_id=product.brand_id, category_path=product.category.path,
        )  # fmt: skip

    branded_line, other_line = given(branded), given(other)
    with assert_num_queries(1):
        granted = pricing.benefits_for(channel=web, customer=None, lines=[branded_line])
    assert [d.amount for d in granted.discounts] == [D("10.00")]

    with assert_num_queries(1):
        granted = pricing.benefits_for(channel=web, customer=None, lines=[other_line])
    assert granted.discounts == []
