"""The one pricing function: what a cart costs on a channel, used by the cart, checkout, the
order, the staff screens and every channel alike.

Prices are entered with VAT included (Turkey's KDV). A line costs unit price x quantity, less
its discount; shipping is added; the VAT inside each amount is worked out per rate as
gross x rate / (100 + rate). Amounts stay exact through the calculation and are rounded once,
at the edge, to the currency's minor unit.

Promotions plug in through OMNI_DISCOUNT_PROVIDER (campaigns.engine.benefits in production): a
function given the channel, the customer, the lines and the codes on the cart that returns the
Benefits they earn: a discount per line (an order-wide discount is already shared out over the
lines), a discount on shipping, the gifts the cart may add, each applied promotion with its
label in the active language, and why a code did not apply. Every channel prices through here,
so a promotion means the same wherever the shopper is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, Decimal
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from omni.money import minor_unit, quantize

ZERO = Decimal(0)


@dataclass(frozen=True)
class LineInput:
    key: str  # what the caller knows the line by (a variant id, a line id)
    sku: str
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal  # percent, e.g. Decimal("20")
    # What the goods conditions of promotions look at, when the caller has loaded them already
    # (the cart's lines statement does): the discount provider then need not read them again.
    # product_id None: not given (the provider reads them itself); category_path None with a
    # product: a product without a category.
    product_id: int | None = None
    brand_id: int | None = None
    category_path: str | None = None
    attribute_values: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Discount:
    key: str  # the LineInput.key it applies to
    amount: Decimal  # off the line's gross, tax included
    label: str = ""
    promotion: str = ""  # the promotion that gave it (campaigns.Promotion.pk as text), if any
    code: str = ""  # the code it came through, if any


@dataclass(frozen=True)
class ShippingDiscount:
    """Off the shipping price: 100 % is free shipping."""

    percent: Decimal
    label: str = ""
    promotion: str = ""
    code: str = ""


@dataclass(frozen=True)
class Gift:
    """A gift the cart has earned: its line costs nothing once the shopper adds it (the engine
    gives the gift line a 100 % discount); until then the cart offers it."""

    variant_id: int
    quantity: int
    label: str = ""
    promotion: str = ""
    in_cart: bool = False


@dataclass(frozen=True)
class Applied:
    """A promotion as it applied to a quote: what the cart, the order and the receipt list."""

    promotion: str
    label: str  # in the active language
    amount: Decimal = ZERO  # goods and shipping it took off, worked out by price()
    code: str = ""


@dataclass
class Benefits:
    """What the discount provider grants a cart."""

    discounts: list[Discount] = field(default_factory=list)
    shipping: ShippingDiscount | None = None
    gifts: list[Gift] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)  # in the order they were applied
    rejected_codes: dict[str, str] = field(default_factory=dict)  # code -> why, translated


@dataclass
class PricedLine:
    key: str
    sku: str
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal
    gross: Decimal  # unit price x quantity
    discount: Decimal
    total: Decimal  # gross - discount
    tax: Decimal


@dataclass
class Quote:
    currency: str
    lines: list[PricedLine]
    subtotal: Decimal  # goods before discounts
    discount_total: Decimal
    shipping: Decimal
    shipping_tax_rate: Decimal
    tax_by_rate: dict[str, Decimal]
    tax_total: Decimal
    total: Decimal
    discounts: list[Discount] = field(default_factory=list)
    shipping_discount: Decimal = ZERO  # already taken off `shipping`
    promotions: list[Applied] = field(default_factory=list)
    gifts: list[Gift] = field(default_factory=list)
    rejected_codes: dict[str, str] = field(default_factory=dict)

    @property
    def savings(self) -> Decimal:
        """All the promotions took off, goods and shipping."""
        return self.discount_total + self.shipping_discount

    def as_dict(self) -> dict:
        """The snapshot an order keeps of its prices and taxes."""
        return {
            "currency": self.currency,
            "subtotal": str(self.subtotal),
            "discount_total": str(self.discount_total),
            "shipping": str(self.shipping),
            "tax_by_rate": {rate: str(amount) for rate, amount in self.tax_by_rate.items()},
            "tax_total": str(self.tax_total),
            "total": str(self.total),
            "discounts": [
                {
                    "line": d.key,
                    "amount": str(d.amount),
                    "label": d.label,
                    "promotion": d.promotion,
                    "code": d.code,
                }
                for d in self.discounts
            ],
            "shipping_discount": str(self.shipping_discount),
            "promotions": [
                {
                    "promotion": a.promotion,
                    "label": a.label,
                    "amount": str(a.amount),
                    "code": a.code,
                }
                for a in self.promotions
            ],
        }


DiscountProvider = Callable[..., Benefits]


def no_discounts(*, channel, customer, lines: Sequence[LineInput], codes=()) -> Benefits:
    return Benefits(rejected_codes={code: "" for code in codes})


@cache
def _provider(path: str) -> DiscountProvider:
    return import_string(path)


def benefits_for(
    *, channel, customer, lines: Sequence[LineInput], codes: Sequence[str] = ()
) -> Benefits:
    """The promotions hook: whatever OMNI_DISCOUNT_PROVIDER grants, each line's discounts
    capped together at its gross."""
    granted = _provider(settings.OMNI_DISCOUNT_PROVIDER)(
        channel=channel, customer=customer, lines=lines, codes=tuple(codes)
    )
    left = {line.key: line.unit_price * line.quantity for line in lines}
    discounts = []
    for d in granted.discounts:
        amount = min(max(d.amount, ZERO), left.get(d.key, ZERO))
        if amount > 0:
            left[d.key] -= amount
            discounts.append(replace(d, amount=amount))
    granted.discounts = discounts
    return granted


def discounts_for(*, channel, customer, lines: Sequence[LineInput]) -> list[Discount]:
    """The line discounts alone (no codes)."""
    return benefits_for(channel=channel, customer=customer, lines=lines).discounts


def _tax_in(gross: Decimal, rate: Decimal) -> Decimal:
    return gross * rate / (Decimal(100) + rate) if rate else ZERO


def price(
    *,
    currency: str,
    lines: Sequence[LineInput],
    shipping: Decimal = ZERO,
    shipping_tax_rate: Decimal = Decimal(20),
    discounts: Sequence[Discount] = (),
    benefits: Benefits | None = None,
) -> Quote:
    """Price lines (and shipping) in one currency, with `discounts` or the provider's
    `benefits` (line discounts, a shipping discount, the promotions to list). Pure: no
    database."""
    if benefits is not None:
        discounts = benefits.discounts
    shipping_off = ZERO
    if benefits is not None and benefits.shipping is not None and shipping:
        percent = min(max(benefits.shipping.percent, ZERO), Decimal(100))
        shipping_off = quantize(shipping * percent / 100, currency)
        shipping -= shipping_off
    off: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for discount in discounts:
        off[discount.key] += discount.amount
    priced, by_rate = [], defaultdict(lambda: ZERO)
    for line in lines:
        gross = line.unit_price * line.quantity
        discount = min(off[line.key], gross)
        total = gross - discount
        by_rate[line.tax_rate] += total
        priced.append(
            PricedLine(
                line.key,
                line.sku,
                line.quantity,
                line.unit_price,
                line.tax_rate,
                gross,
                quantize(discount, currency),
                quantize(total, currency),
                quantize(_tax_in(total, line.tax_rate), currency),
            )
        )
    by_rate[shipping_tax_rate] += shipping
    tax_by_rate = {
        f"{rate.normalize():f}": quantize(_tax_in(gross, rate), currency)
        for rate, gross in sorted(by_rate.items())
        if gross
    }
    subtotal = sum((line.unit_price * line.quantity for line in lines), ZERO)
    discount_total = sum(
        (min(off[line.key], line.unit_price * line.quantity) for line in lines), ZERO
    )
    return Quote(
        currency=currency,
        lines=priced,
        subtotal=quantize(subtotal, currency),
        discount_total=quantize(discount_total, currency),
        shipping=quantize(shipping, currency),
        shipping_tax_rate=shipping_tax_rate,
        tax_by_rate=tax_by_rate,
        tax_total=sum(tax_by_rate.values(), ZERO),
        total=quantize(subtotal - discount_total + shipping, currency),
        discounts=list(discounts),
        shipping_discount=shipping_off,
        promotions=_applied(benefits, discounts, shipping_off, currency),
        gifts=list(benefits.gifts) if benefits else [],
        rejected_codes=dict(benefits.rejected_codes) if benefits else {},
    )


def _applied(
    benefits: Benefits | None, discounts: Sequence[Discount], shipping_off: Decimal, currency: str
) -> list[Applied]:
    """Each applied promotion with what it took off this quote, in the order applied; one
    that took nothing off (a gift not yet in the cart) is still listed."""
    if benefits is None:
        return []
    took: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for d in discounts:
        took[d.promotion] += d.amount
    if benefits.shipping is not None:
        took[benefits.shipping.promotion] += shipping_off
    return [replace(a, amount=quantize(took[a.promotion], currency)) for a in benefits.applied]


def spread(*, amount: Decimal, weights: dict[str, Decimal], currency: str) -> dict[str, Decimal]:
    """Share an order-wide discount over the lines in proportion to `weights` (each line's
    amount after its own discounts), in the currency's minor unit: each line gets its share
    rounded down and the kuruş left over go one each to the lines with the largest remainders
    (ties: the first). The shares add up to `amount` exactly (capped at the weights' sum), so a
    return refunds a line's share of what was paid."""
    total = sum(weights.values(), ZERO)
    if total <= 0 or amount <= 0:
        return {key: ZERO for key in weights}
    amount = min(quantize(amount, currency), total)
    unit = minor_unit(currency)
    exact = {key: amount * w / total for key, w in weights.items()}
    shares = {key: (v / unit).to_integral_value(ROUND_FLOOR) * unit for key, v in exact.items()}
    left = int((amount - sum(shares.values(), ZERO)) / unit)
    by_remainder = sorted(weights, key=lambda key: exact[key] - shares[key], reverse=True)
    for key in by_remainder[:left]:
        shares[key] += unit
    return shares


def shipping_cost(*, method, goods_total: Decimal) -> Decimal:
    """A shipping method's price for goods of this value (free over its threshold)."""
    if method is None:
        return ZERO
    if method.free_over is not None and goods_total >= method.free_over:
        return ZERO
    return method.price
