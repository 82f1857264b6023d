"""The one pricing function: what a cart costs on a channel, used by the cart, checkout, the
order, the staff screens and every channel alike.

Prices are entered with VAT included (Turkey's KDV). A line costs unit price x quantity, less
its discount; shipping is added; the VAT inside each amount is worked out per rate as
gross x rate / (100 + rate). Amounts stay exact through the calculation and are rounded once,
at the edge, to the currency's minor unit.

Promotions (a later issue) plug in through OMNI_DISCOUNT_PROVIDER: a function given the channel,
the customer and the lines that returns a discount per line. Every channel prices through here,
so a promotion means the same wherever the shopper is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from omni.money import quantize

ZERO = Decimal(0)


@dataclass(frozen=True)
class LineInput:
    key: str  # what the caller knows the line by (a variant id, a line id)
    sku: str
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal  # percent, e.g. Decimal("20")


@dataclass(frozen=True)
class Discount:
    key: str  # the LineInput.key it applies to
    amount: Decimal  # off the line's gross, tax included
    label: str = ""


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
                {"line": d.key, "amount": str(d.amount), "label": d.label} for d in self.discounts
            ],
        }


DiscountProvider = Callable[..., Sequence[Discount]]


def no_discounts(*, channel, customer, lines: Sequence[LineInput]) -> list[Discount]:
    return []


@cache
def _provider(path: str) -> DiscountProvider:
    return import_string(path)


def discounts_for(*, channel, customer, lines: Sequence[LineInput]) -> list[Discount]:
    """The promotions hook: whatever OMNI_DISCOUNT_PROVIDER grants, capped at each line's gross."""
    granted = _provider(settings.OMNI_DISCOUNT_PROVIDER)(
        channel=channel, customer=customer, lines=lines
    )
    gross = {line.key: line.unit_price * line.quantity for line in lines}
    return [
        Discount(d.key, min(max(d.amount, ZERO), gross[d.key]), d.label)
        for d in granted
        if d.key in gross and d.amount > 0
    ]


def _tax_in(gross: Decimal, rate: Decimal) -> Decimal:
    return gross * rate / (Decimal(100) + rate) if rate else ZERO


def price(
    *,
    currency: str,
    lines: Sequence[LineInput],
    shipping: Decimal = ZERO,
    shipping_tax_rate: Decimal = Decimal(20),
    discounts: Sequence[Discount] = (),
) -> Quote:
    """Price lines (and shipping) in one currency. Pure: no database."""
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
    )


def shipping_cost(*, method, goods_total: Decimal) -> Decimal:
    """A shipping method's price for goods of this value (free over its threshold)."""
    if method is None:
        return ZERO
    if method.free_over is not None and goods_total >= method.free_over:
        return ZERO
    return method.price
