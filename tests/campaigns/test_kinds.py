"""Each kind of benefit, priced by the one pricing function with the engine's benefits."""

from decimal import Decimal as D

import pytest

from campaigns.models import Promotion
from tests.campaigns.promos import off, promo, quote, variant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["postgresql", "sqlite"])
def vendor(request, monkeypatch):
    """Each test twice: on PostgreSQL's statements, and on the portable reads (the ORM) that
    the embedded SQLite default of `make run` takes, with the same data and expectations."""
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", request.param)
    return request.param


Kind, Target = Promotion.Kind, Promotion.Target


def test_percent_off_each_line_rounds_each_line_to_the_kurus(web):
    a, b = variant(web, "99.99"), variant(web, "10.00")
    promo(kind=Kind.PERCENT, value=D("15"))

    q = quote(web, [(a, 1), (b, 3)])

    assert off(q) == {a.pk: D("15.00"), b.pk: D("4.50")}
    assert q.total == D("129.99") - D("19.50")


def test_percent_off_the_order_is_shared_over_the_matching_lines_exactly(web):
    a, b, c = variant(web, "33.33"), variant(web, "33.33"), variant(web, "33.34")
    promo(kind=Kind.PERCENT, target=Target.ORDER, value=D("10"))

    q = quote(web, [(a, 1), (b, 1), (c, 1)])

    # 10 % of 100.00 is 10.00, shared 3.33 + 3.33 + 3.34 (the largest remainder gets the kuruş)
    assert off(q) == {a.pk: D("3.33"), b.pk: D("3.33"), c.pk: D("3.34")}
    assert q.discount_total == D("10.00")


def test_amount_off_lines_is_per_unit_and_never_below_zero(web):
    a, b = variant(web, "100.00"), variant(web, "20.00")
    promo(kind=Kind.AMOUNT, value=D("25"))

    q = quote(web, [(a, 2), (b, 1)])

    assert off(q) == {a.pk: D("50.00"), b.pk: D("20.00")}


def test_amount_off_the_order_is_shared_by_what_each_line_costs(web):
    a, b = variant(web, "300.00"), variant(web, "100.00")
    promo(kind=Kind.AMOUNT, target=Target.ORDER, value=D("100"))

    q = quote(web, [(a, 1), (b, 1)])

    assert off(q) == {a.pk: D("75.00"), b.pk: D("25.00")}


def test_a_fixed_price_sells_each_matching_unit_at_it_and_never_raises_a_price(web):
    a, cheap = variant(web, "150.00"), variant(web, "80.00")
    promo(kind=Kind.FIXED_PRICE, value=D("99.90"))

    q = quote(web, [(a, 2), (cheap, 1)])

    assert off(q) == {a.pk: D("100.20"), cheap.pk: D("0")}
    assert q.total == D("199.80") + D("80.00")


def test_second_item_half_price_discounts_the_cheapest_units(web):
    dress_a, dress_b, dress_c = (
        variant(web, "400.00"),
        variant(web, "300.00"),
        variant(web, "200.00"),
    )
    promo(kind=Kind.BUY_X_GET_Y, config={"buy": 1, "get": 1, "percent": 50})

    # 4 units: 2 of them are half price, the two cheapest (200 and 300)
    q = quote(web, [(dress_a, 2), (dress_b, 1), (dress_c, 1)])

    assert off(q) == {dress_a.pk: D("0"), dress_b.pk: D("150.00"), dress_c.pk: D("100.00")}


def test_buy_two_get_one_free_needs_a_full_group(web):
    a = variant(web, "50.00")
    promo(kind=Kind.BUY_X_GET_Y, config={"buy": 2, "get": 1, "percent": 100})

    assert off(quote(web, [(a, 2)])) == {a.pk: D("0")}
    assert off(quote(web, [(a, 5)])) == {a.pk: D("50.00")}
    assert off(quote(web, [(a, 6)])) == {a.pk: D("100.00")}


def test_three_for_two_makes_the_cheapest_of_each_three_free(web):
    a, b = variant(web, "90.00"), variant(web, "60.00")
    promo(kind=Kind.BUNDLE, config={"quantity": 3, "pay": 2})

    q = quote(web, [(a, 2), (b, 1)])

    assert off(q) == {a.pk: D("0"), b.pk: D("60.00")}


def test_any_two_for_500_bundles_the_most_expensive_units_first(web):
    a, b, c = variant(web, "400.00"), variant(web, "300.00"), variant(web, "150.00")
    promo(kind=Kind.BUNDLE, config={"quantity": 2, "price": "500"})

    # 400 + 300 = 700 for 500 (saving 200, shared 400:300); 150 is left alone
    q = quote(web, [(c, 1), (b, 1), (a, 1)])

    assert off(q) == {a.pk: D("114.29"), b.pk: D("85.71"), c.pk: D("0")}
    assert q.total == D("650.00")


def test_a_bundle_that_would_cost_more_than_its_units_is_not_made(web):
    a = variant(web, "200.00")
    promo(kind=Kind.BUNDLE, config={"quantity": 2, "price": "500"})

    assert quote(web, [(a, 4)]).discount_total == 0


def test_tiered_spend_gives_the_highest_tier_reached_on_the_matching_goods(web):
    a = variant(web, "250.00")
    tiers = [{"from": "500", "percent": "10"}, {"from": "1000", "percent": "15"}]
    promo(kind=Kind.TIERED, target=Target.ORDER, config={"tiers": tiers})

    assert quote(web, [(a, 1)]).discount_total == 0
    assert quote(web, [(a, 2)]).discount_total == D("50.00")
    assert quote(web, [(a, 4)]).discount_total == D("150.00")


def test_free_shipping_over_750(web):
    a = variant(web, "400.00")
    promo(
        kind=Kind.SHIPPING,
        value=D("100"),
        min_subtotal=D("750"),
        label_tr="750 TL üzeri kargo bedava",
    )

    below = quote(web, [(a, 1)], shipping="49.90")
    above = quote(web, [(a, 2)], shipping="49.90")

    assert (below.shipping, below.shipping_discount) == (D("49.90"), D("0"))
    assert (above.shipping, above.shipping_discount) == (D("0.00"), D("49.90"))
    assert above.total == D("800.00")
    assert [p.label for p in above.promotions] == ["750 TL üzeri kargo bedava"]


def test_only_the_best_shipping_discount_applies(web):
    a = variant(web, "100.00")
    promo(kind=Kind.SHIPPING, value=D("50"), priority=9)
    best = promo(kind=Kind.SHIPPING, value=D("100"))

    q = quote(web, [(a, 1)], shipping="40.00")

    assert q.shipping_discount == D("40.00")
    assert [p.promotion for p in q.promotions] == [str(best.pk)]


def test_a_gift_in_the_cart_is_free_and_one_not_in_it_is_offered(web):
    bought, gift = variant(web, "600.00"), variant(web, "120.00")
    p = promo(kind=Kind.GIFT, config={"variant": gift.pk, "quantity": 1}, min_subtotal=D("500"))

    offered = quote(web, [(bought, 1)])
    taken = quote(web, [(bought, 1), (gift, 2)])

    assert offered.discount_total == 0
    assert [(g.variant_id, g.quantity, g.in_cart) for g in offered.gifts] == [(gift.pk, 1, False)]
    assert [(a.promotion, a.amount) for a in offered.promotions] == [(str(p.pk), D("0.00"))]
    assert off(taken) == {bought.pk: D("0"), gift.pk: D("120.00")}
    assert [g.in_cart for g in taken.gifts] == [True]


def test_the_gift_itself_does_not_reach_the_threshold(web):
    bought, gift = variant(web, "400.00"), variant(web, "150.00")
    promo(kind=Kind.GIFT, config={"variant": gift.pk, "quantity": 1}, min_subtotal=D("500"))

    q = quote(web, [(bought, 1), (gift, 1)])

    assert q.discount_total == 0 and q.gifts == []
