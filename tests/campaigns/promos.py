"""Promotions for the engine's tests: made directly (the admin services are another helper's),
priced through the one pricing function."""

from __future__ import annotations

from decimal import Decimal

from campaigns.models import Code, Promotion
from orders import pricing
from tests import factories as f


def promo(*, code: str | None = None, **fields) -> Promotion:
    """A promotion with its conditions (lists for the many-to-many ones) and, given `code`, a
    code that unlocks it."""
    many = {
        name: fields.pop(name)
        for name in (
            "channels",
            "products",
            "variants",
            "categories",
            "brands",
            "attribute_values",
            "segments",
            "loyalty_tiers",
        )
        if name in fields
    }
    fields.setdefault("name", fields.get("label_tr", "promo"))
    fields.setdefault("label_tr", fields["name"])
    fields.setdefault("kind", Promotion.Kind.PERCENT)
    if code:
        fields["requires_code"] = True
    promotion = Promotion.objects.create(**fields)
    for name, values in many.items():
        getattr(promotion, name).set(values)
    if code:
        Code.objects.create(promotion=promotion, code=code)
    return promotion


def variant(channel, price: str = "100.00", **kwargs):
    return f.product(channels=[channel], price=price, **kwargs).variants.get()


def quote(channel, items, *, customer=None, codes=(), shipping: str = "0") -> pricing.Quote:
    """Price (variant, quantity) pairs at their channel price with the engine's benefits."""
    from catalog.models import VariantChannelPrice

    prices = dict(
        VariantChannelPrice.objects.filter(
            channel=channel, variant__in=[v for v, _q in items]
        ).values_list("variant_id", "price")
    )
    lines = [pricing.LineInput(str(v.pk), v.sku, q, prices[v.pk], Decimal(20)) for v, q in items]
    benefits = pricing.benefits_for(channel=channel, customer=customer, lines=lines, codes=codes)
    return pricing.price(
        currency=channel.currency, lines=lines, shipping=Decimal(shipping), benefits=benefits
    )


def off(q: pricing.Quote) -> dict[str, Decimal]:
    """Each line's discount, by variant id."""
    return {int(line.key): line.discount for line in q.lines}
