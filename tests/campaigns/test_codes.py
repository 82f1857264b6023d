"""Promotions behind codes, and why a code on the cart gave nothing, in the shopper's
language."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone, translation

from campaigns.models import Code, Promotion
from tests import factories as f
from tests.campaigns.promos import promo, quote, variant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["postgresql", "sqlite"])
def vendor(request, monkeypatch):
    """Each test twice: on PostgreSQL's statements, and on the portable reads (the ORM) that
    the embedded SQLite default of `make run` takes, with the same data and expectations."""
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", request.param)
    return request.param


Kind = Promotion.Kind


def test_a_promotion_behind_a_code_applies_only_with_its_code_in_any_case(web):
    a = variant(web, "200.00")
    p = promo(kind=Kind.PERCENT, value=D("10"), code="ACILIS10")

    without = quote(web, [(a, 1)])
    with_code = quote(web, [(a, 1)], codes=["acilis10"])

    assert without.discount_total == 0
    assert with_code.discount_total == D("20.00")
    assert [(x.promotion, x.code) for x in with_code.promotions] == [(str(p.pk), "ACILIS10")]
    assert with_code.rejected_codes == {}


def reasons(channel, items, codes, **kwargs) -> dict[str, str]:
    with translation.override("en"):
        return quote(channel, items, codes=codes, **kwargs).rejected_codes


def test_an_unknown_expired_not_started_used_up_or_paused_code_says_why(web):
    a = variant(web)
    now = timezone.now()
    promo(code="OLD", ends_at=now - timedelta(days=1), starts_at=now - timedelta(days=9))
    promo(code="SOON", starts_at=now + timedelta(days=1))
    promo(code="GONE", usage_limit=5, times_used=5)
    promo(code="SPENT", budget=D("10"), spent=D("10"))
    promo(code="PAUSED", is_active=False)
    single = promo(code="ONCE")
    Code.objects.filter(code="ONCE").update(usage_limit=1, times_used=1)

    assert reasons(web, [(a, 1)], ["NOPE", "OLD", "SOON", "GONE", "SPENT", "PAUSED", "ONCE"]) == {
        "NOPE": "This code is not valid.",
        "OLD": "This code has expired.",
        "SOON": "This code is not valid yet.",
        "GONE": "This code has been used up.",
        "SPENT": "This code has been used up.",
        "PAUSED": "This code is not valid.",
        "ONCE": "This code has been used up.",
    }
    assert single.pk


def test_a_code_for_another_channel_says_so(web, store):
    a = variant(web)
    promo(code="MAGAZA", channels=[store])

    assert reasons(web, [(a, 1)], ["MAGAZA"]) == {"MAGAZA": "This code is not valid here."}


def test_a_code_below_its_minimum_says_how_much_more_to_add(web):
    a = variant(web, "380.00")
    promo(code="ALT500", kind=Kind.AMOUNT, value=D("50"), min_subtotal=D("500"))

    assert reasons(web, [(a, 1)], ["ALT500"]) == {"ALT500": "Add ₺120.00 more to use this code."}
    with translation.override("tr"):
        in_turkish = quote(web, [(a, 1)], codes=["ALT500"]).rejected_codes
    assert in_turkish == {"ALT500": "Bu kodu kullanmak için 120,00\u00a0₺ daha ekleyin."}


def test_a_code_below_its_minimum_quantity_or_for_other_goods_says_so(web):
    brand = f.BrandFactory()
    a, branded = variant(web), variant(web, brand=brand)
    promo(code="UCADET", min_quantity=3)
    promo(code="MARKA", brands=[brand], value=D("10"))

    assert reasons(web, [(a, 2)], ["UCADET", "MARKA"]) == {
        "UCADET": "Add 1 more item to use this code.",
        "MARKA": "This code does not apply to the items in your cart.",
    }
    assert quote(web, [(branded, 1)], codes=["MARKA"]).rejected_codes == {}


def test_a_code_for_a_first_order_says_so_to_a_guest_and_to_a_regular(web):
    a = variant(web)
    promo(code="ILK", first_order_only=True)
    from orders.models import Order

    regular = f.CustomerFactory()
    Order.objects.create(
        number="T-1", channel=web, origin_channel=web, customer=regular,
        delivery=Order.Delivery.HOME, currency="TRY", subtotal=D("1"), total=D("1"),
    )  # fmt: skip

    assert reasons(web, [(a, 1)], ["ILK"]) == {
        "ILK": "Sign in to use this offer: it is for a first order only."
    }
    assert reasons(web, [(a, 1)], ["ILK"], customer=regular) == {
        "ILK": "This offer is for a first order only."
    }


def test_a_code_that_loses_to_a_better_exclusive_offer_says_so(web):
    a = variant(web, "100.00")
    promo(kind=Kind.PERCENT, value=D("40"), stacking=Promotion.Stacking.EXCLUSIVE)
    promo(code="ON", kind=Kind.PERCENT, value=D("10"))

    q = quote(web, [(a, 1)], codes=["ON"])

    assert q.discount_total == D("40.00")
    with translation.override("en"):
        assert quote(web, [(a, 1)], codes=["ON"]).rejected_codes == {
            "ON": "A better offer already applies to this cart."
        }
