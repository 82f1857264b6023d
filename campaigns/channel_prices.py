"""Channel sale prices: what the automatic promotions that are certain to apply sell a variant
at on a channel, kept on catalog's price rows (catalog.services.sale_prices_set) so that the
feeds, the webhooks and the marketplaces, which sit below campaigns and cannot ask it, see the
sale price as they see a price.

"Certain to apply" is the badges' rule: an automatic promotion (no code) on lines, of a kind
that is a unit price (percent off, amount off, a fixed price), with no condition on the cart
(minimum subtotal or quantity above one), on the customer (segment, loyalty tier, first order)
or on its uses (budget, total or per-customer limit: the price would outlive them). Anything
else (baskets, codes, segments, buy X get Y, bundles, tiers, shipping, gifts) needs a cart and
is granted by the engine at checkout only; a channel is not told of it.

Stacking follows the engine: the combinable promotions apply in turn (higher priority first),
each on what is left of the price; an exclusive one applies alone on the full price; the
shopper gets the lower price; the discount never exceeds the price. The pricing function stays the authority: a cart never pays more than the
sale price shown here, and may pay less (a code, a basket promotion).

It is kept up to date by the relay consumer `channel_prices_consume`: every promotion change
(campaigns.promotion.changed, recorded with the change) and every price change (the sale price
is worked out again from the new price), and by the beat's `promotion_windows_sweep`, which
records a promotion change when a promotion's window opens or closes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from campaigns.models import Promotion, PromotionWindowSweep
from catalog.models import ProductVariant, VariantChannelPrice
from catalog.services import CAUSE_SALE, TOPIC_PRICE_CHANGED, SalePrice, sale_prices_set
from omni.money import quantize
from omni.outbox import Event, outbox_record_many
from sales_channels.models import Channel

TOPIC_PROMOTION_CHANGED = "campaigns.promotion.changed"
CONSUMED_TOPICS = frozenset({TOPIC_PROMOTION_CHANGED, TOPIC_PRICE_CHANGED})
UNIT_PRICE_KINDS = (Promotion.Kind.PERCENT, Promotion.Kind.AMOUNT, Promotion.Kind.FIXED_PRICE)
CHUNK = 500
ZERO = Decimal(0)
# The first sweep looks back this far (a new database, or the mark lost).
FIRST_SWEEP_LOOKBACK = timedelta(days=1)


class ChannelSale(NamedTuple):
    price: Decimal  # the channel's price
    sale_price: Decimal  # what the certain promotions sell it at
    promotion: Promotion  # the one that takes the most off
    window: tuple[datetime | None, datetime | None]  # when that price holds (None: open)


@dataclass(frozen=True)
class _Certain:
    promotion: Promotion
    channels: frozenset[int]
    products: frozenset[int]
    variants: frozenset[int]
    category_paths: tuple[str, ...]
    brands: frozenset[int]
    attribute_values: frozenset[int]

    def matches(self, variant_id: int, facts: tuple[int, int | None, str, frozenset[int]]) -> bool:
        product_id, brand_id, path, values = facts
        return (
            (not self.variants or variant_id in self.variants)
            and (not self.products or product_id in self.products)
            and (not self.brands or brand_id in self.brands)
            and (not self.category_paths or path.startswith(self.category_paths))
            and (not self.attribute_values or bool(values & self.attribute_values))
        )

    def discount(self, price: Decimal, currency: str) -> Decimal:
        promotion = self.promotion
        if promotion.kind == Promotion.Kind.PERCENT:
            return quantize(price * min(promotion.value, Decimal(100)) / 100, currency)
        if promotion.kind == Promotion.Kind.AMOUNT:
            return min(promotion.value, price)
        return max(price - promotion.value, ZERO)  # a fixed price


def _live_window(now: datetime) -> Q:
    return (Q(starts_at__isnull=True) | Q(starts_at__lte=now)) & (
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )


def _through(field: str):
    return getattr(Promotion, field).through.objects


def certain_promotions(*, channel: Channel, now: datetime | None = None) -> QuerySet[Promotion]:
    """The automatic line promotions on the channel now that ask nothing of the customer or of
    the rest of the cart, in the engine's order (priority, then age)."""
    now = now or timezone.now()
    mine = {"promotion_id": OuterRef("pk")}
    return Promotion.objects.filter(
        _live_window(now)
        & (
            ~Exists(_through("channels").filter(**mine))
            | Exists(_through("channels").filter(**mine, channel_id=channel.pk))
        )
        & ~Exists(_through("segments").filter(**mine))
        & ~Exists(_through("loyalty_tiers").filter(**mine))
        & (Q(min_quantity__isnull=True) | Q(min_quantity__lte=1))
        & (Q(kind=Promotion.Kind.PERCENT) | Q(currency=channel.currency)),
        is_active=True,
        requires_code=False,
        target=Promotion.Target.LINES,
        kind__in=UNIT_PRICE_KINDS,
        min_subtotal__isnull=True,
        first_order_only=False,
        budget__isnull=True,
        usage_limit__isnull=True,
        per_customer_limit__isnull=True,
    ).order_by("-priority", "id")


def _certain_promotions(*, channel: Channel, now: datetime) -> list[_Certain]:
    """The promotions certain to apply on the channel now (certain_promotions), with the ids of
    their line conditions; a fixed number of queries."""
    promotions = certain_promotions(channel=channel, now=now).prefetch_related(
        "channels", "products", "variants", "categories", "brands", "attribute_values"
    )
    return [
        _Certain(
            promotion=p,
            channels=frozenset(c.pk for c in p.channels.all()),
            products=frozenset(x.pk for x in p.products.all()),
            variants=frozenset(x.pk for x in p.variants.all()),
            category_paths=tuple(c.path for c in p.categories.all()),
            brands=frozenset(x.pk for x in p.brands.all()),
            attribute_values=frozenset(x.pk for x in p.attribute_values.all()),
        )
        for p in promotions
    ]


def _variant_facts(
    variant_ids: Sequence[int], *, with_values: bool
) -> dict[int, tuple[int, int | None, str, frozenset[int]]]:
    rows = ProductVariant.objects.filter(pk__in=variant_ids).values_list(
        "pk", "product_id", "product__brand_id", "product__category__path"
    )
    values: dict[int, set[int]] = defaultdict(set)
    if with_values:
        through = ProductVariant.attribute_values.through
        for vid, value_id in through.objects.filter(productvariant_id__in=variant_ids).values_list(
            "productvariant_id", "attributevalue_id"
        ):
            values[vid].add(value_id)
    return {
        pk: (product, brand, path or "", frozenset(values.get(pk, ())))
        for pk, product, brand, path in rows
    }


def _best(
    matching: list[_Certain], price: Decimal, currency: str
) -> tuple[Decimal, list[_Certain]]:
    """The discount the shopper gets and the promotions that give it, as the engine stacks
    them: the combinable ones in turn (higher priority first, then the older), each on what is
    left of the price; an exclusive one alone on the full price; the exclusive one wins when it
    takes more, or as much with a higher priority."""
    left, taken = price, []
    for c in sorted(matching, key=lambda c: (-c.promotion.priority, c.promotion.pk)):
        if c.promotion.stacking == Promotion.Stacking.EXCLUSIVE:
            continue
        off = min(c.discount(left, currency), left)
        if off > 0:
            left -= off
            taken.append(c)
    best: tuple[Decimal, list[_Certain]] = (price - left, taken)
    top = max((c.promotion.priority for c in taken), default=None)
    for c in matching:
        if c.promotion.stacking != Promotion.Stacking.EXCLUSIVE:
            continue
        off = min(c.discount(price, currency), price)
        if off > best[0] or (
            off == best[0] and off > 0 and (top is None or c.promotion.priority > top)
        ):
            best, top = (off, [c]), c.promotion.priority
    return best


def sale_prices(
    *, channel: Channel, variant_ids: Iterable[int], now: datetime | None = None
) -> dict[int, ChannelSale]:
    """{variant id: its sale} for the variants priced on the channel that an automatic,
    unconditional promotion reduces now; the others are left out. A fixed number of queries,
    whatever the number of variants or promotions."""
    now = now or timezone.now()
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    certain = [
        c
        for c in _certain_promotions(channel=channel, now=now)
        if not c.channels or channel.pk in c.channels
    ]
    if not certain:
        return {}
    prices = dict(
        VariantChannelPrice.objects.filter(channel=channel, variant_id__in=ids).values_list(
            "variant_id", "price"
        )
    )
    facts = _variant_facts(list(prices), with_values=any(c.attribute_values for c in certain))
    result: dict[int, ChannelSale] = {}
    for vid, price in prices.items():
        variant_facts = facts.get(vid)
        if variant_facts is None:
            continue
        matching = [c for c in certain if c.matches(vid, variant_facts)]
        if not matching:
            continue
        discount, applied = _best(matching, price, channel.currency)
        if discount <= 0:
            continue
        main = max(applied, key=lambda c: (c.discount(price, channel.currency), -c.promotion.pk))
        starts = [c.promotion.starts_at for c in applied if c.promotion.starts_at]
        ends = [c.promotion.ends_at for c in applied if c.promotion.ends_at]
        result[vid] = ChannelSale(
            price=price,
            sale_price=price - discount,
            promotion=main.promotion,
            window=(max(starts) if starts else None, min(ends) if ends else None),
        )
    return result


def channel_sale_prices_refresh(
    *, channel: Channel, variant_ids: Iterable[int], now: datetime | None = None
) -> int:
    """Work the sale prices of these variants on the channel out again and keep those that
    changed (each with its price event), `CHUNK` variants a transaction. Idempotent: a second
    run changes nothing. Returns how many changed."""
    now = now or timezone.now()
    ids = sorted(set(variant_ids))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        sales = sale_prices(channel=channel, variant_ids=chunk, now=now)
        # Only rows with a sale now or before are locked and compared: a price change on a
        # channel with no promotion touches nothing here.
        held = VariantChannelPrice.objects.filter(
            channel=channel, variant_id__in=chunk, sale_price__isnull=False
        ).values_list("variant_id", flat=True)
        concerned = sorted(set(sales) | set(held))
        if not concerned:
            continue
        changed += sale_prices_set(
            channel=channel,
            sales={
                vid: (
                    SalePrice(
                        price=sales[vid].sale_price,
                        starts_at=sales[vid].window[0],
                        ends_at=sales[vid].window[1],
                        promotion_id=sales[vid].promotion.pk,
                    )
                    if vid in sales
                    else None
                )
                for vid in concerned
            },
            now=now,
        )
    return changed


def _promotion_variants(*, promotion: Promotion | None, channel: Channel) -> set[int]:
    """The variants a change of `promotion` may re-price on the channel: those it matches now
    and every one on sale there (its conditions or stacking may have changed, or it is gone)."""
    on_sale = set(
        VariantChannelPrice.objects.filter(channel=channel, sale_price__isnull=False).values_list(
            "variant_id", flat=True
        )
    )
    if promotion is None:
        return on_sale
    priced = VariantChannelPrice.objects.filter(channel=channel)
    if promotion.variants.exists():
        priced = priced.filter(variant__in=promotion.variants.all())
    if promotion.products.exists():
        priced = priced.filter(variant__product__in=promotion.products.all())
    if promotion.brands.exists():
        priced = priced.filter(variant__product__brand__in=promotion.brands.all())
    paths = list(promotion.categories.values_list("path", flat=True))
    if paths:
        subtree = Q()
        for path in paths:
            subtree |= Q(variant__product__category__path__startswith=path)
        priced = priced.filter(subtree)
    if promotion.attribute_values.exists():
        priced = priced.filter(variant__attribute_values__in=promotion.attribute_values.all())
    return on_sale | set(priced.values_list("variant_id", flat=True).distinct())


def _channels_of(*, promotion: Promotion | None, named: Any, channel_id: int | None) -> list:
    """The channels a promotion change concerns: the event's own channel, else those the event
    names together with those the promotion names now; every active channel when either is
    "all" (or names none)."""
    if channel_id is not None:
        return list(Channel.objects.filter(pk=channel_id))
    current = set(promotion.channels.values_list("pk", flat=True)) if promotion else set()
    everywhere = named == "all" or (promotion is not None and not current)
    if everywhere or not isinstance(named, list):
        return list(Channel.objects.filter(is_active=True).order_by("pk"))
    ids = current | {int(pk) for pk in named}
    return list(Channel.objects.filter(pk__in=ids).order_by("pk"))


def channel_prices_consume(events: list[tuple]) -> None:
    """The relay consumer (registered in campaigns' AppConfig.ready()): a promotion changed, so
    the sale prices of the variants it concerns on the channels it concerns are worked out
    again; a price changed, so that variant's on that channel is. Only what really changes is
    written and recorded, so handing it the same events twice is the same as once. It raises on
    failure, and the relay retries it (sales_channels.consumers)."""
    promotions: dict[int, list[tuple[Any, int | None]]] = defaultdict(list)
    priced: dict[int, set[int]] = defaultdict(set)
    for _id, topic, _key, _version, channel_id, payload_text, _created in events:
        payload = json.loads(payload_text) if isinstance(payload_text, str) else payload_text
        if topic == TOPIC_PROMOTION_CHANGED and payload.get("promotion") is not None:
            promotions[int(payload["promotion"])].append((payload.get("channels"), channel_id))
        elif (
            topic == TOPIC_PRICE_CHANGED
            and channel_id is not None
            # A sale price of ours was already worked out; a removed price has none.
            and payload.get("cause") != CAUSE_SALE
            and payload.get("price") is not None
        ):
            priced[channel_id].add(int(payload["variant_id"]))
    now = timezone.now()
    found = Promotion.objects.in_bulk(list(promotions))
    todo: dict[int, set[int]] = defaultdict(set)
    channels: dict[int, Channel] = {}
    for promotion_id, mentions in promotions.items():
        promotion = found.get(promotion_id)
        for named, channel_id in mentions:
            for channel in _channels_of(promotion=promotion, named=named, channel_id=channel_id):
                channels[channel.pk] = channel
                todo[channel.pk] |= _promotion_variants(promotion=promotion, channel=channel)
    for channel in Channel.objects.filter(pk__in=[pk for pk in priced if pk not in channels]):
        channels[channel.pk] = channel
    for channel_id, variant_ids in priced.items():
        todo[channel_id] |= variant_ids
    for channel_id in sorted(todo):
        if channel_id in channels:
            channel_sale_prices_refresh(
                channel=channels[channel_id], variant_ids=todo[channel_id], now=now
            )


def promotion_changed_event(*, promotion: Promotion, reason: str) -> Event:
    """The event of a change of a promotion that may alter channels' prices (promo-admin's
    shape: its id, its channels or "all", whether it is active, its window)."""
    channel_ids = sorted(c.pk for c in promotion.channels.all())
    return Event(
        topic=TOPIC_PROMOTION_CHANGED,
        key=f"promotion:{promotion.pk}",
        payload={
            "promotion": promotion.pk,
            "channels": channel_ids or "all",
            "active": promotion.is_active,
            "starts_at": promotion.starts_at,
            "ends_at": promotion.ends_at,
            "reason": reason,
        },
    )


def promotion_windows_sweep(*, now: datetime | None = None) -> int:
    """Record a promotion change for each promotion whose window opened or closed since the last
    sweep, so the relay consumer re-prices the channels at its edges (the beat runs it each
    minute). The sweep's mark is moved on by a conditional UPDATE (from where this sweep read
    it) in the same transaction as the events: of two sweeps at once one claims the stretch and
    the other records nothing, and a run repeated finds nothing new. Returns how many it
    recorded."""
    now = now or timezone.now()
    with transaction.atomic():
        mark, _created = PromotionWindowSweep.objects.get_or_create(
            name=PromotionWindowSweep.WINDOWS,
            defaults={"swept_until": now - FIRST_SWEEP_LOOKBACK},
        )
        since = mark.swept_until
        if since >= now:
            return 0
        claimed = PromotionWindowSweep.objects.filter(pk=mark.pk, swept_until=since).update(
            swept_until=now
        )
        if not claimed:
            return 0  # another sweep took this stretch
        edges = (
            Promotion.objects.filter(
                Q(starts_at__gt=since, starts_at__lte=now) | Q(ends_at__gt=since, ends_at__lte=now),
                requires_code=False,
                kind__in=UNIT_PRICE_KINDS,
            )
            .prefetch_related("channels")
            .order_by("pk")
        )
        events = [promotion_changed_event(promotion=p, reason="window") for p in edges]
        outbox_record_many(events)
    return len(events)
