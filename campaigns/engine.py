"""The promotions engine behind the one pricing function (OMNI_DISCOUNT_PROVIDER): what a cart
earns on a channel, for a customer, with the codes on it.

It reads the live promotions and the facts it needs about the lines in a fixed number of
queries, whatever the number of promotions or lines, and decides in plain Python.

FOUNDATION: percent and amount off matching lines, conditions on channels, products, variants,
categories (subtree), brands and the window, and codes. The other kinds, conditions and the
stacking rules are to be added here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Code, Promotion
from catalog.models import ProductVariant
from omni.money import quantize
from orders.pricing import Applied, Benefits, Discount, LineInput

ZERO = Decimal(0)


@dataclass(frozen=True)
class VariantFacts:
    product_id: int
    brand_id: int | None
    category_path: str


@dataclass(frozen=True)
class Live:
    """A promotion loaded with the ids of its conditions."""

    promotion: Promotion
    channels: frozenset[int]
    products: frozenset[int]
    variants: frozenset[int]
    category_paths: tuple[str, ...]
    brands: frozenset[int]

    def matches(self, variant_id: int, facts: VariantFacts) -> bool:
        if self.variants and variant_id not in self.variants:
            return False
        if self.products and facts.product_id not in self.products:
            return False
        if self.brands and facts.brand_id not in self.brands:
            return False
        return not self.category_paths or facts.category_path.startswith(self.category_paths)


def live_promotions(*, channel, codes: Sequence[str] = (), now=None) -> list[Live]:
    """The promotions that may apply on the channel now: the automatic ones and those behind
    one of `codes`."""
    now = now or timezone.now()
    window = (Q(starts_at__isnull=True) | Q(starts_at__lte=now)) & (
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    channel_ok = Q(channels__isnull=True) | Q(channels=channel)
    coded = Q(requires_code=False)
    if codes:
        coded |= Q(codes__code__in=list(codes), codes__is_active=True)
    promotions = (
        Promotion.objects.filter(window, channel_ok, coded, is_active=True)
        .distinct()
        .prefetch_related("channels", "products", "variants", "categories", "brands")
    )
    return [
        Live(
            promotion=p,
            channels=frozenset(c.pk for c in p.channels.all()),
            products=frozenset(x.pk for x in p.products.all()),
            variants=frozenset(x.pk for x in p.variants.all()),
            category_paths=tuple(c.path for c in p.categories.all()),
            brands=frozenset(x.pk for x in p.brands.all()),
        )
        for p in promotions
    ]


def variant_facts(variant_ids: Sequence[int]) -> dict[int, VariantFacts]:
    rows = ProductVariant.objects.filter(pk__in=variant_ids).values_list(
        "pk", "product_id", "product__brand_id", "product__category__path"
    )
    return {pk: VariantFacts(product, brand, path) for pk, product, brand, path in rows}


def benefits(
    *, channel, customer, lines: Sequence[LineInput], codes: Sequence[str] = ()
) -> Benefits:
    """What the lines earn (orders.pricing's discount provider)."""
    codes = tuple(c.strip().upper() for c in codes if c.strip())
    result = Benefits()
    if not lines:
        return result
    live = live_promotions(channel=channel, codes=codes)
    if not live:
        result.rejected_codes = {
            code: _("This code does not apply to this cart.") for code in codes
        }
        return result
    facts = variant_facts([int(line.key) for line in lines])
    code_of = (
        dict(
            Code.objects.filter(code__in=codes, is_active=True).values_list("promotion_id", "code")
        )
        if codes
        else {}
    )
    used_codes = set()
    for entry in live:
        promotion = entry.promotion
        code = code_of.get(promotion.pk, "") if promotion.requires_code else ""
        took = ZERO
        for line in lines:
            line_facts = facts.get(int(line.key))
            if line_facts is None or not entry.matches(int(line.key), line_facts):
                continue
            gross = line.unit_price * line.quantity
            if promotion.kind == Promotion.Kind.PERCENT:
                amount = quantize(gross * promotion.value / 100, channel.currency)
            elif promotion.kind == Promotion.Kind.AMOUNT:
                amount = min(promotion.value * line.quantity, gross)
            else:
                continue
            if amount > 0:
                result.discounts.append(
                    Discount(line.key, amount, promotion.label, str(promotion.pk), code)
                )
                took += amount
        if took > 0:
            result.applied.append(Applied(str(promotion.pk), promotion.label, code=code))
            used_codes.add(code)
    for code in codes:
        if code not in used_codes:
            result.rejected_codes[code] = _("This code does not apply to this cart.")
    return result
