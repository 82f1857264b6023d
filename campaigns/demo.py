"""The demo retailer's promotions (seed_demo's step, omni.seeding): a few running on every
channel, so the storefront, the app, the store counter, the feeds and Trendyol show them.

- "2. ürüne %50 indirim" on dresses (buy 1, get 1 at 50 % off);
- "750 TL üzeri kargo bedava" (free shipping from a 750 TL subtotal);
- the store-opening code ACILIS: 10 % off, on every channel;
- 20 % off blouses and shirts, automatic and unconditional: it shows as a badge, and as the
  sale price in the feeds and on Trendyol (campaigns.channel_prices).

The two conditional ones run on our own channels, not on the marketplace: Trendyol cannot be
told of them (its buyers pay its price), so they must not price the packages imported from it
either. A code cannot be entered on Trendyol, so ACILIS may name every channel.

Made once, found again by name on the next run: running it twice gives the same data.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from campaigns.channel_prices import channel_sale_prices_refresh
from campaigns.models import Code, Promotion
from catalog.models import Category, ProductVariant
from omni.seeding import DemoRun
from sales_channels.models import Channel

SEED_AFTER = ("catalog", "sales_channels")

OPENING_CODE = "ACILIS"

# name (the merchant's own, the key of a rerun), labels, fields, category slugs, code, whether
# on our own channels only (not the marketplaces)
PROMOTIONS: tuple[tuple[str, str, str, dict, tuple[str, ...], str, bool], ...] = (
    (
        "Demo: elbisede 2. ürüne %50",
        "2. ürüne %50 indirim",
        "50% off the 2nd item",
        {
            "kind": Promotion.Kind.BUY_X_GET_Y,
            "config": {"buy": 1, "get": 1, "percent": 50},
        },
        ("kadin-elbise",),
        "",
        True,
    ),
    (
        "Demo: 750 TL üzeri kargo bedava",
        "750 TL üzeri kargo bedava",
        "Free shipping over 750 TL",
        {
            "kind": Promotion.Kind.SHIPPING,
            "target": Promotion.Target.ORDER,
            "value": Decimal("100"),
            "min_subtotal": Decimal("750"),
        },
        (),
        "",
        True,
    ),
    (
        "Demo: mağaza açılış kodu ACILIS",
        "Açılış indirimi %10",
        "Opening offer 10% off",
        {"kind": Promotion.Kind.PERCENT, "value": Decimal("10"), "requires_code": True},
        (),
        OPENING_CODE,
        False,
    ),
    (
        "Demo: bluz ve gömlekte %20",
        "Bluz ve gömleklerde %20 indirim",
        "20% off blouses and shirts",
        {"kind": Promotion.Kind.PERCENT, "value": Decimal("20")},
        ("kadin-bluz",),
        "",
        False,
    ),
)


def seed() -> dict[str, int]:
    """The demo promotions (and the opening code); returns how many there are and are new."""
    created = 0
    with transaction.atomic():
        categories = {c.slug: c for c in Category.objects.all()}
        own = list(Channel.objects.exclude(kind=Channel.Kind.MARKETPLACE))
        for name, label_tr, label_en, fields, slugs, code, own_only in PROMOTIONS:
            promotion, new = Promotion.objects.get_or_create(
                name=name, defaults={"label_tr": label_tr, "label_en": label_en, **fields}
            )
            if not new:
                continue
            created += 1
            promotion.categories.set([categories[s] for s in slugs if s in categories])
            if own_only:
                promotion.channels.set(own)
            if code:
                Code.objects.get_or_create(code=code, defaults={"promotion": promotion})
    return {"promotions": len(PROMOTIONS), "created": created}


def sale_prices_seed(channels) -> int:
    """The channels' sale prices under the demo's automatic promotions, as the relay consumer
    would work them out (seed_demo runs no relay); a second run changes nothing."""
    variant_ids = list(ProductVariant.objects.values_list("pk", flat=True))
    return sum(
        channel_sale_prices_refresh(channel=channel, variant_ids=variant_ids)
        for channel in channels
    )


def seed_demo(run: DemoRun) -> None:
    """seed_demo's step (omni.seeding)."""
    made = seed()
    on_sale = sale_prices_seed(run.made["channels"].values())
    run.write(
        f"Promotions: {made['promotions']} ({made['created']} new), code {OPENING_CODE}; "
        f"{on_sale} channel sale prices set."
    )
