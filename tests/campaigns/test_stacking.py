"""How promotions stack: combinable ones in priority order on what is left, an exclusive one
alone, the shopper getting the better of the two; labels in the shopper's language."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from campaigns.models import Promotion
from tests.campaigns.promos import off, promo, quote, variant

pytestmark = pytest.mark.django_db
Kind, Stacking = Promotion.Kind, Promotion.Stacking


def test_combinable_promotions_apply_in_priority_order_each_on_what_is_left(web):
    a = variant(web, "200.00")
    first = promo(kind=Kind.AMOUNT, value=D("50"), priority=10)
    then = promo(kind=Kind.PERCENT, value=D("10"), priority=5)

    q = quote(web, [(a, 1)])

    # 200 - 50 = 150, then 10 % of 150 = 15 (not 10 % of 200)
    assert q.discount_total == D("65.00")
    assert [(p.promotion, p.amount) for p in q.promotions] == [
        (str(first.pk), D("50.00")),
        (str(then.pk), D("15.00")),
    ]


def test_the_order_of_priority_changes_the_result(web):
    a = variant(web, "200.00")
    promo(kind=Kind.AMOUNT, value=D("50"), priority=1)
    promo(kind=Kind.PERCENT, value=D("10"), priority=5)

    # 10 % of 200 = 20, then 50 off: 70
    assert quote(web, [(a, 1)]).discount_total == D("70.00")


def test_an_exclusive_promotion_wins_alone_when_it_gives_more(web):
    a = variant(web, "200.00")
    promo(kind=Kind.AMOUNT, value=D("20"))
    promo(kind=Kind.PERCENT, value=D("10"))
    alone = promo(kind=Kind.PERCENT, value=D("30"), stacking=Stacking.EXCLUSIVE)

    q = quote(web, [(a, 1)])

    assert q.discount_total == D("60.00")
    assert [p.promotion for p in q.promotions] == [str(alone.pk)]


def test_the_combinable_ones_together_win_when_they_give_more(web):
    a = variant(web, "200.00")
    together = [promo(kind=Kind.AMOUNT, value=D("30")), promo(kind=Kind.PERCENT, value=D("10"))]
    promo(kind=Kind.PERCENT, value=D("20"), stacking=Stacking.EXCLUSIVE)

    q = quote(web, [(a, 1)])

    assert q.discount_total == D("47.00")
    assert {p.promotion for p in q.promotions} == {str(p.pk) for p in together}


def test_the_best_single_exclusive_one_is_taken_and_a_tie_goes_to_the_higher_priority(web):
    a = variant(web, "100.00")
    promo(kind=Kind.AMOUNT, value=D("10"), stacking=Stacking.EXCLUSIVE, priority=1)
    high = promo(kind=Kind.PERCENT, value=D("10"), stacking=Stacking.EXCLUSIVE, priority=2)
    promo(kind=Kind.PERCENT, value=D("5"), stacking=Stacking.EXCLUSIVE, priority=9)
    promo(kind=Kind.AMOUNT, value=D("10"), priority=0)  # combinable, same 10, lower priority

    q = quote(web, [(a, 1)])

    assert [p.promotion for p in q.promotions] == [str(high.pk)]


def test_shipping_promotions_stand_apart_from_the_goods(web):
    a = variant(web, "100.00")
    goods = promo(kind=Kind.PERCENT, value=D("30"), stacking=Stacking.EXCLUSIVE)
    ship = promo(kind=Kind.SHIPPING, value=D("100"), stacking=Stacking.EXCLUSIVE)

    q = quote(web, [(a, 1)], shipping="40.00")

    assert (q.discount_total, q.shipping_discount) == (D("30.00"), D("40.00"))
    assert [p.promotion for p in q.promotions] == [str(goods.pk), str(ship.pk)]
    assert q.total == D("70.00")


def test_labels_are_in_the_active_language_with_turkish_as_fallback(web):
    a = variant(web, "100.00")
    promo(kind=Kind.PERCENT, value=D("10"), label_tr="Elbiselerde %10", label_en="10 % off dresses")
    promo(kind=Kind.AMOUNT, value=D("5"), label_tr="5 TL indirim", priority=-1)

    with translation.override("tr"):
        in_turkish = quote(web, [(a, 1)])
    with translation.override("en"):
        in_english = quote(web, [(a, 1)])

    assert [p.label for p in in_turkish.promotions] == ["Elbiselerde %10", "5 TL indirim"]
    assert [p.label for p in in_english.promotions] == ["10 % off dresses", "5 TL indirim"]
    assert [d.label for d in in_english.discounts] == ["10 % off dresses", "5 TL indirim"]


def test_each_line_says_which_promotion_gave_what(web):
    a, b = variant(web, "100.00"), variant(web, "50.00")
    p = promo(kind=Kind.PERCENT, value=D("10"), variants=[a])
    q = promo(kind=Kind.AMOUNT, value=D("5"))

    priced = quote(web, [(a, 1), (b, 1)])

    assert [(d.key, d.promotion, d.amount) for d in priced.discounts] == [
        (str(a.pk), str(p.pk), D("10.00")),
        (str(a.pk), str(q.pk), D("5.00")),
        (str(b.pk), str(q.pk), D("5.00")),
    ]
    assert off(priced) == {a.pk: D("15.00"), b.pk: D("5.00")}
    assert priced.as_dict()["promotions"][0]["amount"] == "10.00"
