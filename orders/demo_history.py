"""A year of history for the demo CRM profiles (customers.demo): orders on the web, in the app,
at the store counters and on Trendyol, some returned; carts in progress; and the timeline the
CRM would have recorded (orders placed and delivered, returns, product views and searches sent
by the web and the app, abandoned carts, store visits).

The orders are history, already delivered or collected before today: they are written in bulk
with their lines, events and returns, as an import of past orders would be, and take nothing
from today's stock (the ledger and stock_audit are untouched). Their totals are the lines'
prices on the channel, VAT included. Order numbers carry "G" (geçmiş, past) so they never meet
the numbers the order service gives. Runs once: a second run finds the history and adds none.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import VariantChannelPrice
from customers.demo import DemoPerson
from customers.models import TimelineEvent, TimelineKind
from inventory.models import StockLocation
from orders.models import Cart, CartLine, Order, OrderEvent, OrderLine, Return, ReturnLine
from sales_channels.models import Channel

SEED = 15
SOURCE = "demo"  # the timeline rows' source: unique (source, event_id) keeps them once
STORES = ("store-kadikoy", "store-kizilay", "store-alsancak")
# Where a person buys, by where they first came from: mostly there, sometimes elsewhere.
MIX = {
    "web": (("web", 6), ("app", 2), ("store-kadikoy", 1), ("trendyol", 1)),
    "app": (("app", 6), ("web", 2), ("store-kizilay", 1), ("trendyol", 1)),
    "trendyol": (("trendyol", 7), ("web", 2), ("app", 1)),
}
SEARCHES = ("keten elbise", "pamuklu tişört", "havlu", "nevresim takımı", "mum", "kazak", "jean")


@dataclass
class Catalogue:
    """Priced variants per channel: (variant id, sku, product name, slug, price, VAT rate)."""

    by_channel: dict[int, list[tuple[int, str, str, str, Decimal, Decimal]]]


def _catalogue() -> Catalogue:
    rows = VariantChannelPrice.objects.exclude(variant__sku__startswith="BENCH-").values_list(
        "channel_id",
        "variant_id",
        "variant__sku",
        "variant__product__name",
        "variant__product__slug",
        "price",
        "variant__product__tax_class__rate",
    )
    by_channel: dict[int, list] = {}
    for channel_id, *rest in rows.order_by("channel_id", "variant_id"):
        by_channel.setdefault(channel_id, []).append(tuple(rest))
    return Catalogue(by_channel=by_channel)


def seed(people: Sequence[DemoPerson], channels: dict[str, Channel]) -> dict[str, int]:
    """The demo profiles' history, written on the first run."""
    numbers = Order.objects.filter(number__startswith=_prefix())
    if not people or numbers.exists():
        return {"orders": numbers.count(), "events": 0}
    catalogue = _catalogue()
    web = channels["web"]
    fallback = catalogue.by_channel.get(web.pk, [])
    if not fallback:
        return {"orders": 0, "events": 0}
    stores = dict(StockLocation.objects.filter(code__in=STORES).values_list("code", "pk"))
    rng = random.Random(SEED)  # noqa: S311 (demo data, not a secret)
    now = timezone.now()
    history = _History(rng=rng, now=now, channels=channels, stores=stores, catalogue=catalogue)
    with transaction.atomic():
        for person in people:
            history.person(person)
        return history.write()


def _prefix() -> str:
    return f"{settings.OMNI_ORDER_PREFIX}G"


class _History:
    def __init__(self, *, rng, now, channels, stores, catalogue):
        self.rng, self.now, self.channels = rng, now, channels
        self.stores, self.catalogue = stores, catalogue
        self.orders: list[Order] = []
        self.lines: list[list[OrderLine]] = []
        self.returned: list[tuple[int, int, dt.datetime]] = []  # (order idx, line idx, when)
        self.timeline: list[TimelineEvent] = []
        self.carts: list[tuple[int, int, list[tuple], dt.datetime]] = []

    # --- one person -----------------------------------------------------------------------

    def person(self, person: DemoPerson) -> None:
        rng = self.rng
        home = person.first_channel
        mix = MIX.get(home) or ((home, 6), ("web", 2), ("app", 2))
        days = max((self.now - person.since).days, 1)
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5, 7))):
            channel = self.channels[_pick(rng, mix)]
            at = person.since + dt.timedelta(days=rng.uniform(0, days), hours=rng.uniform(0, 9))
            self.order(person, channel, min(at, self.now - dt.timedelta(hours=2)))
        if home in ("web", "app", "trendyol") or rng.random() < 0.4:
            self.behaviour(person, days)
        if home.startswith("store-"):
            for n in range(rng.randint(1, 4)):
                at = person.since + dt.timedelta(days=rng.uniform(0, days))
                self.event(person, TimelineKind.STORE_VISIT, self.channels[home], at, f"v{n}", {})
        if rng.random() < 0.12:
            channel = self.channels[rng.choice(("web", "app"))]
            items = self.pick_items(channel, rng.randint(1, 3))
            at = self.now - dt.timedelta(hours=rng.uniform(1, 72))
            lines = [(i[0], i[4], channel.currency) for i in items]
            self.carts.append((person.customer_id, channel.pk, lines, at))
            self.event(
                person, TimelineKind.CART_STARTED, channel, at, "cart", {"lines": len(items)}
            )

    def behaviour(self, person: DemoPerson, days: int) -> None:
        rng = self.rng
        channel = self.channels["app" if person.first_channel == "app" else "web"]
        for n in range(rng.randint(4, 30)):
            at = person.since + dt.timedelta(days=rng.uniform(0, days))
            if rng.random() < 0.25:
                data = {"q": rng.choice(SEARCHES)}
                self.event(person, TimelineKind.SEARCH, channel, at, f"s{n}", data)
            else:
                _id, sku, _name, slug, _p, _t = self.pick_items(channel, 1)[0]
                data = {"sku": sku, "product": slug}
                self.event(person, TimelineKind.PRODUCT_VIEWED, channel, at, f"p{n}", data)
        if rng.random() < 0.25:
            at = person.since + dt.timedelta(days=rng.uniform(0, days))
            self.event(person, TimelineKind.CART_ABANDONED, channel, at, "abandoned", {})

    def pick_items(self, channel: Channel, n: int) -> list:
        choices = (
            self.catalogue.by_channel.get(channel.pk)
            or self.catalogue.by_channel[self.channels["web"].pk]
        )
        return self.rng.sample(choices, min(n, len(choices)))

    # --- one order ------------------------------------------------------------------------

    def order(self, person: DemoPerson, channel: Channel, at: dt.datetime) -> None:
        rng = self.rng
        at_store = channel.code in STORES
        items = self.pick_items(channel, rng.choice((1, 1, 2, 2, 3)))
        lines = []
        for variant_id, sku, name, _slug, price, rate in items:
            quantity = rng.choice((1, 1, 1, 2))
            total = price * quantity
            tax = (total * rate / (100 + rate)).quantize(Decimal("0.01"))
            lines.append(
                OrderLine(
                    variant_id=variant_id,
                    sku=sku,
                    product_name=name,
                    quantity=quantity,
                    unit_price=price,
                    line_total=total,
                    tax_rate=rate,
                    tax_amount=tax,
                    quantity_shipped=quantity,
                )
            )
        subtotal = sum((line.line_total for line in lines), Decimal(0))
        shipping = Decimal(0) if at_store or subtotal >= 750 else Decimal("49.90")
        cancelled = rng.random() < 0.04
        status = Order.Status.COLLECTED if at_store else Order.Status.DELIVERED
        if cancelled:
            status = Order.Status.CANCELLED
            for line in lines:
                line.quantity_shipped = 0
        number = f"{_prefix()}{10001 + len(self.orders)}"
        self.orders.append(
            Order(
                number=number,
                channel=channel,
                origin_channel=channel,
                customer_id=person.customer_id,
                status=status,
                delivery=Order.Delivery.PICKUP if at_store else Order.Delivery.HOME,
                pickup_location_id=self.stores.get(channel.code) if at_store else None,
                shipping_address={} if at_store else {"city": person.city, "country": "TR"},
                currency=channel.currency,
                subtotal=subtotal,
                shipping_total=shipping,
                tax_total=sum((line.tax_amount for line in lines), Decimal(0)),
                total=subtotal + shipping,
                confirmed_at=None if cancelled else at,
                cancelled_at=at + dt.timedelta(hours=3) if cancelled else None,
                created_at=at,
            )
        )
        self.lines.append(lines)
        data = {"order": number, "total": str(subtotal + shipping), "currency": channel.currency}
        self.event(person, TimelineKind.ORDER_PLACED, channel, at, number, data)
        done_at = at + dt.timedelta(days=0 if at_store else rng.randint(1, 4))
        done_at = min(done_at, self.now - dt.timedelta(hours=1))
        data = {"order": number, "status": status, "previous": "confirmed"}
        self.event(person, TimelineKind.ORDER_STATUS, channel, done_at, f"{number}-done", data)
        if not cancelled and rng.random() < 0.1:
            when = min(done_at + dt.timedelta(days=rng.randint(2, 12)), self.now)
            self.returned.append((len(self.orders) - 1, 0, when))
            data = {"order": number, "amount": str(lines[0].unit_price), "currency": "TRY"}
            self.event(person, TimelineKind.RETURN, channel, when, f"{number}-return", data)

    def event(self, person, kind, channel, at, key, data) -> None:
        self.timeline.append(
            TimelineEvent(
                customer_id=person.customer_id,
                kind=kind,
                channel=channel,
                store_id=self.stores.get(channel.code),
                occurred_at=at,
                recorded_at=at,
                data=data,
                source=SOURCE,
                event_id=f"{person.customer_id}-{key}",
            )
        )

    # --- writing ---------------------------------------------------------------------------

    def write(self) -> dict[str, int]:
        orders = Order.objects.bulk_create(self.orders, batch_size=500)
        if not all(o.pk for o in orders):
            ids = dict(
                Order.objects.filter(number__startswith=_prefix()).values_list("number", "pk")
            )
            for order in orders:
                order.pk = ids[order.number]
        for order, lines in zip(orders, self.lines, strict=True):
            for line in lines:
                line.order_id = order.pk
        OrderLine.objects.bulk_create([x for lines in self.lines for x in lines], batch_size=1000)
        OrderEvent.objects.bulk_create(self._events(orders), batch_size=1000)
        self._returns(orders)
        self._carts()
        TimelineEvent.objects.bulk_create(self.timeline, batch_size=1000, ignore_conflicts=True)
        return {"orders": len(orders), "events": len(self.timeline)}

    def _events(self, orders: list[Order]) -> list[OrderEvent]:
        events = []
        for order in orders:
            events.append(
                OrderEvent(
                    order_id=order.pk,
                    kind="placed",
                    to_status=Order.Status.PENDING,
                    channel=order.channel,
                    created_at=order.created_at,
                )
            )
            events.append(
                OrderEvent(
                    order_id=order.pk,
                    kind="status_changed",
                    from_status=Order.Status.PENDING,
                    to_status=order.status,
                    channel=order.channel,
                    created_at=order.cancelled_at or order.created_at + dt.timedelta(days=2),
                )
            )
        return events

    def _returns(self, orders: list[Order]) -> None:
        returns, lines = [], []
        for order_index, line_index, when in self.returned:
            order, line = orders[order_index], self.lines[order_index][line_index]
            returns.append(
                Return(
                    order_id=order.pk,
                    channel=order.channel,
                    location_id=order.pickup_location_id,
                    status=Return.Status.REFUNDED,
                    received_at=when,
                    created_at=when,
                )
            )
            lines.append(line)
        made = Return.objects.bulk_create(returns)
        if made and not all(r.pk for r in made):
            made = list(Return.objects.filter(order_id__in=[r.order_id for r in returns]))
        ReturnLine.objects.bulk_create(
            ReturnLine(
                return_request_id=ret.pk,
                order_line_id=line.pk,
                quantity=1,
                reason=self.rng.choice(ReturnLine.Reason.values),
                condition=ReturnLine.Condition.RESELLABLE,
            )
            for ret, line in zip(made, lines, strict=True)
        )
        OrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(quantity_returned=1)

    def _carts(self) -> None:
        taken = set(
            Cart.objects.filter(
                customer_id__in=[c for c, *_ in self.carts], status=Cart.Status.ACTIVE
            ).values_list("customer_id", flat=True)
        )
        specs = [spec for spec in self.carts if spec[0] not in taken]
        carts = Cart.objects.bulk_create(
            Cart(customer_id=customer_id, origin_channel_id=channel_id, last_channel_id=channel_id)
            for customer_id, channel_id, _variants, _at in specs
        )
        if carts and not all(c.pk for c in carts):
            carts = list(
                Cart.objects.filter(
                    customer_id__in=[s[0] for s in specs], status=Cart.Status.ACTIVE
                ).order_by("customer_id")
            )
            specs = sorted(specs)
        CartLine.objects.bulk_create(
            CartLine(
                cart_id=cart.pk,
                variant_id=variant_id,
                quantity=1,
                seen_price=price,
                seen_currency=currency,
                seen_channel_id=spec[1],
            )
            for cart, spec in zip(carts, specs, strict=True)
            for variant_id, price, currency in spec[2]
        )


def _pick(rng: random.Random, pairs) -> str:
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights=weights)[0]
