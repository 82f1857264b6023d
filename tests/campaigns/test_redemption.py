"""Redemption: what a placed order used of its promotions and codes is recorded and counted in
the placement's transaction, refused with a 409 promotion_unavailable when it can no longer be
had (nothing placed, the code off the cart), and given back once when the order is cancelled or
wholly returned and refunded. The races are in test_redemption_races.py."""

import contextlib
from decimal import Decimal

import pytest
from django.utils import translation

from campaigns.models import Code, Promotion, Redemption
from campaigns.services import redemption
from orders.models import Cart, Fulfilment, Order
from orders.pricing import Applied, Benefits, Discount, spread
from orders.services import carts, checkout, fulfilment, lifecycle, returns
from tests import factories as f
from tests.campaigns.redeem_world import cart_with, code, home, place, promotion
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web", return_window_days=14)


@pytest.fixture
def customer():
    return f.CustomerFactory()


@pytest.fixture
def dress(web):
    """Two sizes of a dress at 100.00 and a coat at 200.00, stocked for the web."""
    m, big = f.product(channels=[web], price="100.00", variants=2).variants.order_by("id")
    coat = f.product(channels=[web], price="200.00").variants.get()
    f.stocked(web, m, big, coat, quantity=50)
    return m, big, coat


def counts(p: Promotion, c: Code | None = None) -> tuple:
    p.refresh_from_db()
    if c is None:
        return p.times_used, p.spent
    c.refresh_from_db()
    return p.times_used, p.spent, c.times_used


# --- claiming -------------------------------------------------------------------------------


def test_an_order_with_a_code_records_what_it_used(web, customer, dress):
    m, _big, coat = dress
    spring = promotion(channels=[web], requires_code=True, usage_limit=50)
    bahar = code(spring, usage_limit=5)

    order = place(web, customer, {m: 2, coat: 1}, codes=("BAHAR10",))

    assert order.discount_total == Decimal("40.00")
    (used,) = Redemption.objects.all()
    assert (used.promotion, used.code, used.order, used.customer, used.channel) == (
        spring,
        bahar,
        order,
        customer,
        web,
    )
    assert (used.amount, used.currency, used.released_at) == (Decimal("40.00"), "TRY", None)
    assert counts(spring, bahar) == (1, Decimal("40.00"), 1)


def test_an_automatic_promotion_is_counted_against_its_budget(web, customer, dress):
    m, _big, _coat = dress
    sale = promotion(channels=[web], kind="amount", value="20", budget=Decimal("100.00"))

    place(web, customer, {m: 3})

    assert counts(sale) == (1, Decimal("60.00"))
    assert Redemption.objects.get().code is None


def test_an_order_without_promotions_redeems_nothing(web, customer, dress):
    m, _big, _coat = dress

    place(web, customer, {m: 1})

    assert not Redemption.objects.exists()


def test_a_used_up_code_refuses_the_order_and_leaves_the_cart(web, customer, dress):
    m, _big, _coat = dress
    spring = promotion(channels=[web], requires_code=True)
    bahar = code(spring, usage_limit=1)
    Code.objects.filter(pk=bahar.pk).update(times_used=1)  # the last use went a moment ago
    cart = cart_with(web, customer, {m: 1}, codes=("BAHAR10",))

    with translation.override("en"), pytest.raises(redemption.PromotionUnavailable) as refused:
        checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)

    assert refused.value.status_code == 409
    assert refused.value.code == "promotion_unavailable"
    assert refused.value.message == (
        "The code BAHAR10 (%10 indirim) can no longer be used: it was removed from your cart. "
        "Review the new total and place the order again."
    )
    assert refused.value.fields == {"code": [refused.value.message]}
    assert not Order.objects.exists()
    assert not Redemption.objects.exists()
    assert counts(spring, bahar) == (0, Decimal("0"), 1)
    kept = Cart.objects.get(pk=cart.pk)
    assert (kept.status, kept.codes, kept.lines.count()) == ("active", [], 1)
    # placed again, the cart is priced without the code
    order = checkout.order_place(cart=kept, channel=web, delivery=home(web), customer=customer)
    assert order.discount_total == 0


def twenty_off_from_yaz(*, channel, customer, lines, codes=()):
    """A test discount provider: the promotion "Yaz" takes 20.00 off the first line, as an
    engine quoted it a moment before the budget was spent by another order."""
    yaz = Promotion.objects.get(name="Yaz")
    return Benefits(
        discounts=[Discount(lines[0].key, Decimal("20.00"), "Yaz", str(yaz.pk))],
        applied=[Applied(str(yaz.pk), "Yaz")],
    )


def test_a_spent_budget_refuses_the_promotion_and_rolls_everything_back(
    settings, web, customer, dress
):
    settings.OMNI_DISCOUNT_PROVIDER = "tests.campaigns.test_redemption.twenty_off_from_yaz"
    m, _big, _coat = dress
    sale = promotion(
        channels=[web], kind="amount", value="20", budget=Decimal("50.00"), label="Yaz"
    )
    Promotion.objects.filter(pk=sale.pk).update(spent=Decimal("40.00"))  # 10.00 left

    with translation.override("en"), pytest.raises(redemption.PromotionUnavailable) as refused:
        place(web, customer, {m: 1})

    assert refused.value.message.startswith("The promotion Yaz is no longer available")
    assert refused.value.fields == {"promotion": [refused.value.message]}
    assert not Order.objects.exists()
    assert counts(sale) == (0, Decimal("40.00"))


def test_the_customers_limit_counts_their_unreleased_redemptions(web, customer, dress):
    m, _big, _coat = dress
    once = promotion(channels=[web], requires_code=True, per_customer_limit=1)
    code(once, "HOSGELDIN")

    first = place(web, customer, {m: 1}, codes=("HOSGELDIN",))
    cart = cart_with(web, customer, {m: 1}, codes=("HOSGELDIN",))
    with pytest.raises(redemption.PromotionUnavailable) as refused:
        checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)

    assert refused.value.code == "promotion_unavailable"
    assert Order.objects.get() == first
    assert Cart.objects.get(pk=cart.pk).codes == []
    # someone else may
    place(web, f.CustomerFactory(), {m: 1}, codes=("HOSGELDIN",))
    # and once the first order is cancelled, the customer may again
    lifecycle.order_cancel(order=first, reason="test")
    again = place(web, customer, {}, codes=("HOSGELDIN",))  # the cart kept its line
    assert again.discount_total == Decimal("10.00")


def test_a_codes_own_per_customer_limit_is_kept(web, customer, dress):
    m, _big, _coat = dress
    spring = promotion(channels=[web], requires_code=True)
    code(spring, "IKIKEZ", per_customer_limit=2)

    place(web, customer, {m: 1}, codes=("IKIKEZ",))
    place(web, customer, {m: 1}, codes=("IKIKEZ",))
    with pytest.raises(redemption.PromotionUnavailable):
        place(web, customer, {m: 1}, codes=("IKIKEZ",))

    assert Redemption.objects.filter(customer=customer).count() == 2


def test_a_promotion_without_a_limit_or_budget_is_counted_by_its_redemptions(web, customer, dress):
    """Its row is not claimed (checkouts never wait for each other on it); set a limit on it
    and promotion_counters_recount brings the row up to date."""
    m, _big, coat = dress
    sale = promotion(channels=[web], kind="amount", value="5")
    place(web, customer, {m: 2}, codes=())
    place(web, f.CustomerFactory(), {coat: 1}, codes=())

    assert counts(sale) == (0, Decimal("0"))
    assert redemption.redemption_totals(promotion_ids=[sale.pk]) == {sale.pk: (2, Decimal("15.00"))}
    Promotion.objects.filter(pk=sale.pk).update(usage_limit=3)
    redemption.promotion_counters_recount(promotion_id=sale.pk)
    assert counts(sale) == (2, Decimal("15.00"))
    place(web, f.CustomerFactory(), {m: 1}, codes=())
    assert counts(sale) == (3, Decimal("20.00"))
    # the limit reached: the engine leaves it out, or the claim refuses it
    with contextlib.suppress(redemption.PromotionUnavailable):
        place(web, f.CustomerFactory(), {m: 1}, codes=())
    assert redemption.redemption_totals(promotion_ids=[sale.pk])[sale.pk][0] == 3


# --- giving uses back -----------------------------------------------------------------------


def test_a_cancelled_order_gives_its_use_back(web, customer, dress):
    m, _big, _coat = dress
    spring = promotion(channels=[web], requires_code=True, budget=Decimal("500"))
    bahar = code(spring, usage_limit=1)
    order = place(web, customer, {m: 1}, codes=("BAHAR10",))
    assert counts(spring, bahar) == (1, Decimal("10.00"), 1)

    lifecycle.order_cancel(order=order, reason="vazgeçtim")

    assert counts(spring, bahar) == (0, Decimal("0.00"), 0)
    assert Redemption.objects.get().released_at is not None
    # the single-use code can be used again
    place(web, f.CustomerFactory(), {m: 1}, codes=("BAHAR10",))
    assert counts(spring, bahar) == (1, Decimal("10.00"), 1)


def test_releasing_twice_is_releasing_once(web, customer, dress):
    m, _big, _coat = dress
    spring = promotion(channels=[web], requires_code=True, budget=Decimal("1000"))
    bahar = code(spring, usage_limit=10)
    first = place(web, customer, {m: 1}, codes=("BAHAR10",))
    place(web, f.CustomerFactory(), {m: 2}, codes=("BAHAR10",))
    assert counts(spring, bahar) == (2, Decimal("30.00"), 2)

    assert redemption.redemptions_release(order_id=first.pk) == 1
    assert redemption.redemptions_release(order_id=first.pk) == 0

    assert counts(spring, bahar) == (1, Decimal("20.00"), 1)


def delivered(order):
    lifecycle.order_confirm(order=order)
    for each in Fulfilment.objects.filter(order=order):
        fulfilment.fulfilment_pack(fulfilment=each)
        fulfilment.fulfilment_ship(fulfilment=each, carrier="Yurtiçi", tracking_number="YK1")
        fulfilment.fulfilment_deliver(fulfilment=each)
    order.refresh_from_db()
    return order


def returned(order, *lines, reason="size"):
    """Return (variant, quantity) of the order, received at the DC and refunded."""
    asked = returns.return_request(
        order=order,
        channel=order.channel,
        lines=[
            {
                "order_line_id": order.lines.get(variant=variant).pk,
                "quantity": quantity,
                "reason": reason,
            }
            for variant, quantity in lines
        ],
    )
    location = f.StockLocationFactory(code="dc-test")
    received = returns.return_receive(
        return_request=asked,
        location=location,
        conditions={line.pk: "resellable" for line in asked.lines.all()},
    )
    return returns.return_refund(return_request=received)


def test_a_wholly_returned_and_refunded_order_gives_its_use_back(web, customer, dress):
    m, _big, coat = dress
    spring = promotion(channels=[web], requires_code=True, usage_limit=100)
    bahar = code(spring, usage_limit=1)
    order = delivered(place(web, customer, {m: 2, coat: 1}, codes=("BAHAR10",)))

    returned(order, (m, 2))  # part of the order back: the use is kept
    assert counts(spring, bahar) == (1, Decimal("40.00"), 1)
    returned(order, (coat, 1))  # the rest: it comes back

    assert counts(spring, bahar) == (0, Decimal("0.00"), 0)
    assert Redemption.objects.get().released_at is not None


def test_a_promotion_on_lines_refunds_what_was_paid_for_the_returned_line(web, customer, dress):
    m, _big, coat = dress
    spring = promotion(channels=[web], requires_code=True, value="15")
    code(spring)
    order = delivered(place(web, customer, {m: 3, coat: 1}, codes=("BAHAR10",)))
    assert order.lines.get(variant=m).line_total == Decimal("255.00")

    refunded = returned(order, (m, 1))

    assert refunded.refund_amount == Decimal("85.00")


ORDER_WIDE = Decimal("100.00")


def hundred_off_the_order(*, channel, customer, lines, codes=()):
    """A test discount provider: 100.00 off the order, shared over the lines by pricing.spread
    (the rule the engine follows for an order-wide discount)."""
    shares = spread(
        amount=ORDER_WIDE,
        weights={line.key: line.unit_price * line.quantity for line in lines},
        currency=channel.currency,
    )
    return Benefits(
        discounts=[Discount(key, amount, "100 TL indirim") for key, amount in shares.items()],
        applied=[Applied("", "100 TL indirim")],
    )


def test_an_order_wide_discount_refunds_each_lines_share_of_what_was_paid(
    settings, web, customer, dress
):
    settings.OMNI_DISCOUNT_PROVIDER = "tests.campaigns.test_redemption.hundred_off_the_order"
    m, big, coat = dress
    # 100 + 100 x 2 + 200 = 500 of goods, 100.00 off: a fifth of each line
    order = delivered(place(web, customer, {m: 1, big: 2, coat: 1}))
    totals = {line.variant_id: line.line_total for line in order.lines.all()}
    assert totals == {m.pk: Decimal("80.00"), big.pk: Decimal("160.00"), coat.pk: Decimal("160")}
    assert order.discount_total == ORDER_WIDE

    one_of_two = returned(order, (big, 1))
    the_rest = returned(order, (m, 1), (big, 1), (coat, 1))

    assert one_of_two.refund_amount == Decimal("80.00")
    assert one_of_two.refund_amount + the_rest.refund_amount == order.total - order.shipping_total
    assert not Redemption.objects.exists()  # a promotion that is not campaigns' is not counted


def test_an_uneven_order_wide_share_is_refunded_as_the_price_paid_per_unit(
    settings, web, customer, dress
):
    settings.OMNI_DISCOUNT_PROVIDER = "tests.campaigns.test_redemption.hundred_off_the_order"
    m, _big, _coat = dress
    order = delivered(place(web, customer, {m: 3}))  # 300.00 - 100.00 = 200.00 for three

    refunds = [returned(order, (m, 1)).refund_amount, returned(order, (m, 2)).refund_amount]

    # the price paid per unit (line_total / quantity), rounded once per return
    assert refunds == [Decimal("66.67"), Decimal("133.33")]


def codes_turned_down(*, channel, customer, lines, codes=()):
    """A test discount provider that turns every code down, as an engine does for a code whose
    uses are gone when it prices the cart."""
    return Benefits(rejected_codes={code: "no" for code in codes})


def test_a_code_the_quote_turned_down_as_used_up_is_refused_not_ignored(
    settings, web, customer, dress
):
    m, _big, _coat = dress
    code(promotion(channels=[web], requires_code=True), "BITTI", usage_limit=1, times_used=1)
    once = promotion(channels=[web], requires_code=True, per_customer_limit=1)
    code(once, "HOSGELDIN")
    code(promotion(channels=[web], requires_code=True), "BASKA")
    place(web, customer, {m: 1}, codes=("HOSGELDIN",))
    settings.OMNI_DISCOUNT_PROVIDER = "tests.campaigns.test_redemption.codes_turned_down"
    cart = cart_with(web, customer, {m: 1})

    for text, customer_limit in (("BITTI", False), ("HOSGELDIN", True)):
        cart = carts.cart_codes_set(cart=cart, channel=web, codes=[text])
        with translation.override("en"), pytest.raises(redemption.PromotionUnavailable) as no:
            checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)
        assert no.value.message.startswith("You have already used" if customer_limit else "The")
        assert Cart.objects.get(pk=cart.pk).codes == []
    # a code turned down for another reason (it does not apply to this cart) does not stop it
    cart = carts.cart_codes_set(cart=cart, channel=web, codes=["BASKA"])
    order = checkout.order_place(cart=cart, channel=web, delivery=home(web), customer=customer)
    assert order.discount_total == 0
    assert Order.objects.count() == 2


def test_placing_with_a_code_runs_the_same_queries_for_one_line_and_many(web, dress):
    spring = promotion(channels=[web], requires_code=True, usage_limit=100, per_customer_limit=5)
    code(spring, usage_limit=100)
    delivery = home(web)
    variants = [f.product(channels=[web]).variants.get() for _ in range(5)]
    f.stocked(web, *variants, location=f.StockLocationFactory(code="dc-test"))
    for lines in (variants[:1], variants):
        customer = f.CustomerFactory()
        cart = cart_with(web, customer, dict.fromkeys(lines, 1), codes=("BAHAR10",))

        with assert_num_queries(QUERIES_WITH_A_CODE):
            order = checkout.order_place(
                cart=cart, channel=web, delivery=delivery, customer=customer
            )

        assert order.discount_total == Decimal("10.00") * len(lines)


# order_place's own, the engine's, and the redemption's 7: the code and the promotions read,
# the promotion's and the code's claims, the customer's lock and count, the redemption written
QUERIES_WITH_A_CODE = 25
