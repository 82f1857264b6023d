from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omni.money import Money, quantize


def test_money_adds_and_rounds_half_up_once_at_the_edge():
    total = Money("0.005", "TRY") + Money("0.005", "TRY")
    assert total.amount == Decimal("0.010")
    assert Money("10.005", "TRY").quantize() == Money(Decimal("10.01"), "TRY")
    assert Money("1.5", "JPY").as_dict() == {"amount": "2", "currency": "JPY"}


def test_money_refuses_floats_mixed_currencies_and_unknown_codes():
    with pytest.raises(TypeError):
        Money(0.1, "TRY")
    with pytest.raises(TypeError):
        Money("1", "TRY") * 1.5
    with pytest.raises(ValueError, match="currency mismatch"):
        Money("1", "TRY") + Money("1", "EUR")
    with pytest.raises(ValueError, match="ISO 4217"):
        Money("1", "XYZ")
    with pytest.raises(ValueError):
        Money("abc", "TRY")
    with pytest.raises(ValueError):
        Money("NaN", "TRY")


amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4)


@given(a=amounts, b=amounts)
def test_addition_is_exact_and_quantizing_moves_by_at_most_half_a_kurus(a, b):
    total = Money(a, "TRY") + Money(b, "TRY")
    assert total.amount == a + b
    assert abs(quantize(total.amount, "TRY") - total.amount) <= Decimal("0.005")
