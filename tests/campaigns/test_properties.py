"""Properties of the engine for any cart and any promotions (the pure engine, no database):
no line goes below zero, discounts never exceed what the goods cost, an order-wide discount's
shares add up exactly, and the total is the subtotal less the discounts plus shipping."""

from collections import defaultdict
from decimal import Decimal as D
from types import SimpleNamespace

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.engine import CustomerFacts, Rule, VariantFacts, decide
from campaigns.models import Promotion
from omni.money import quantize
from orders import pricing

Kind, Target = Promotion.Kind, Promotion.Target
CHANNEL = SimpleNamespace(pk=1, currency="TRY")
VARIANTS = range(1, 9)
FACTS = {
    v: VariantFacts(
        product_id=100 + v % 3,
        brand_id=v % 2 or None,
        category_path="0001" + "0001" * (v % 2),
        attribute_values=frozenset({v % 4}),
    )
    for v in VARIANTS
}

money = st.decimals(min_value=D("0.01"), max_value=D("3000"), places=2)
percent = st.decimals(min_value=D("0"), max_value=D("100"), places=2)


@st.composite
def carts(draw):
    keys = draw(st.lists(st.sampled_from(list(VARIANTS)), min_size=1, max_size=6, unique=True))
    return [
        pricing.LineInput(str(v), f"SKU-{v}", draw(st.integers(1, 6)), draw(money), D(20))
        for v in keys
    ]


@st.composite
def rules(draw, pk):
    kind = draw(st.sampled_from(list(Kind)))
    config = {}
    value = draw(percent if kind in (Kind.PERCENT, Kind.SHIPPING) else money)
    if kind == Kind.BUY_X_GET_Y:
        config = {
            "buy": draw(st.integers(1, 3)),
            "get": draw(st.integers(1, 2)),
            "percent": str(draw(percent)),
        }
    elif kind == Kind.BUNDLE:
        size = draw(st.integers(2, 4))
        config = draw(
            st.sampled_from(
                [{"quantity": size, "pay": size - 1}, {"quantity": size, "price": str(draw(money))}]
            )
        )
    elif kind == Kind.TIERED:
        config = {
            "tiers": [
                {"from": str(draw(money)), "percent": str(draw(percent))}
                for _ in range(draw(st.integers(1, 3)))
            ]
        }
    elif kind == Kind.GIFT:
        config = {
            "variant": draw(st.sampled_from(list(VARIANTS))),
            "quantity": draw(st.integers(1, 3)),
        }
    goods = draw(st.sampled_from(["", "variants", "products", "brands", "category", "attributes"]))
    return Rule(
        pk=pk,
        kind=kind,
        target=draw(st.sampled_from(list(Target))),
        value=value,
        config=config,
        labels={"tr": f"promo {pk}"},
        exclusive=draw(st.booleans()),
        priority=draw(st.integers(0, 3)),
        min_subtotal=draw(st.none() | money),
        min_quantity=draw(st.none() | st.integers(1, 5)),
        budget=draw(st.none() | money),
        variants=frozenset(draw(st.sets(st.sampled_from(list(VARIANTS)), min_size=1))) if goods == "variants" else frozenset(),
        products=frozenset({101}) if goods == "products" else frozenset(),
        brands=frozenset({1}) if goods == "brands" else frozenset(),
        category_paths=("00010001",) if goods == "category" else (),
        attribute_values=frozenset({0, 2}) if goods == "attributes" else frozenset(),
    )  # fmt: skip


promotion_sets = st.integers(0, 6).flatmap(
    lambda n: st.tuples(*[rules(pk) for pk in range(1, n + 1)])
)


def granted(lines, promotions):
    return decide(
        rules=list(promotions), lines=lines, codes=(), channel=CHANNEL, customer=None,
        variants=FACTS, known=CustomerFacts(), now=timezone.now(),
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    lines=carts(),
    promotions=promotion_sets,
    shipping=st.decimals(min_value=0, max_value=100, places=2),
)
def test_no_line_below_zero_and_the_total_adds_up(lines, promotions, shipping):
    benefits = granted(lines, promotions)

    gross = {line.key: line.unit_price * line.quantity for line in lines}
    taken = defaultdict(lambda: D(0))
    for d in benefits.discounts:
        assert d.amount > 0 and d.amount == quantize(d.amount, "TRY")
        taken[d.key] += d.amount
    assert all(taken[key] <= gross[key] for key in gross)  # before pricing caps anything
    for promotion in promotions:
        if promotion.budget is not None:
            assert (
                sum(d.amount for d in benefits.discounts if d.promotion == str(promotion.pk))
                <= promotion.budget
            )
    if benefits.shipping is not None:
        assert 0 < benefits.shipping.percent <= 100

    quote = pricing.price(currency="TRY", lines=lines, shipping=shipping, benefits=benefits)
    assert quote.discount_total == sum(taken.values(), D(0))
    assert all(line.total >= 0 for line in quote.lines)
    assert quote.total == quote.subtotal - quote.discount_total + quote.shipping
    assert quote.shipping == shipping - quote.shipping_discount >= 0


@settings(max_examples=200, deadline=None)
@given(lines=carts(), amount=money, pct=percent, by_percent=st.booleans())
def test_an_order_discount_is_shared_out_exactly(lines, amount, pct, by_percent):
    kind, value = (Kind.PERCENT, pct) if by_percent else (Kind.AMOUNT, amount)
    rule = Rule(pk=1, kind=kind, target=Target.ORDER, value=value)

    benefits = granted(lines, [rule])

    goods = sum((line.unit_price * line.quantity for line in lines), D(0))
    expected = quantize(goods * pct / 100, "TRY") if by_percent else min(amount, goods)
    assert sum((d.amount for d in benefits.discounts), D(0)) == expected


@settings(max_examples=100, deadline=None)
@given(lines=carts(), promotions=promotion_sets)
def test_the_engine_is_deterministic_whatever_the_order_of_the_promotions(lines, promotions):
    forward = granted(lines, promotions)
    backward = granted(lines, sorted(promotions, key=lambda r: (r.priority, r.pk)))

    assert sorted(forward.discounts, key=repr) == sorted(backward.discounts, key=repr)
