"""Metrics per customer: what their orders add up to, an RFM score and a lifetime value.

Customers sits below orders and never reads orders' tables. Orders registers, in its
AppConfig.ready(), a reader (metrics_set_readers) that answers, in one set-based query, the
orders of a list of customers grouped by (customer, currency, channel, store, exchange or not).
This module folds those groups into one CustomerMetrics row per customer. The same function
(metrics_rows) serves both paths:

- incremental: orders' outbox events mark customers pending and queue one task per customer
  (customers.metrics_sync); the task recomputes that customer, scoring RFM against the last
  stored thresholds;
- full: metrics_recompute_all (the `crm_recompute` command, nightly on the beat) recomputes every
  customer in batches, then stores new RFM thresholds (the population's quintiles) and scores
  every buyer against them.

Definitions (README, "Customer metrics"): an order counts unless cancelled; an exchange order
(placed by a return) adds its amount but is not a purchase of its own; a return takes its
refund off once refunded. Amounts are in the currency most of the customer's orders are in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.locks import customer_metrics_lock
from customers.models import Customer, CustomerMetrics, RfmSegment, RfmThresholds
from customers.timeline import OrderOwner
from omni.money import quantize

ZERO = Decimal(0)
DAY = Decimal(86400)
QUINTILES = (Decimal("0.2"), Decimal("0.4"), Decimal("0.6"), Decimal("0.8"))
BATCH = 1000


@dataclass(frozen=True, slots=True)
class OrderGroup:
    """A customer's orders of one currency, channel, store and kind (exchange or not), as the
    app that owns orders adds them up. `refunded` is what their refunded returns gave back."""

    customer_id: int
    currency: str
    channel: str  # the channel's code
    store_id: int | None  # the store (StockLocation id) of a counter sale or pickup
    exchange: bool
    orders: int
    gross: Decimal
    refunded: Decimal
    first_at: dt.datetime
    last_at: dt.datetime


OrderGroupsReader = Callable[[Sequence[int]], list[OrderGroup]]
OrderOwnersReader = Callable[[Iterable[str]], dict[str, OrderOwner]]
_order_groups: OrderGroupsReader | None = None
_order_owners: OrderOwnersReader | None = None


def metrics_set_readers(
    *, groups: OrderGroupsReader | None, owners: OrderOwnersReader | None
) -> None:
    """Orders' AppConfig.ready(): what the customers' orders add up to, and whose an order is."""
    global _order_groups, _order_owners
    _order_groups, _order_owners = groups, owners


def order_owners(numbers: Iterable[str]) -> dict[str, OrderOwner]:
    return _order_owners(numbers) if _order_owners is not None else {}


# --- folding orders' groups ---------------------------------------------------------------------


@dataclass(slots=True)
class _Totals:
    currency: str
    orders: int = 0
    gross: Decimal = ZERO
    refunded: Decimal = ZERO
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    channels: dict[str, int] = field(default_factory=dict)
    stores: dict[int, tuple[int, dt.datetime]] = field(default_factory=dict)

    def add(self, group: OrderGroup) -> None:
        self.gross += group.gross
        self.refunded += group.refunded
        if group.exchange:
            return
        self.orders += group.orders
        self.first_at = min(filter(None, (self.first_at, group.first_at)))
        self.last_at = max(filter(None, (self.last_at, group.last_at)))
        self.channels[group.channel] = self.channels.get(group.channel, 0) + group.orders
        if group.store_id is not None:
            count, latest = self.stores.get(group.store_id, (0, group.last_at))
            self.stores[group.store_id] = (count + group.orders, max(latest, group.last_at))

    def favourite_store(self) -> int | None:
        """The store of most orders; a tie goes to the one bought at last, then the lower id."""
        if not self.stores:
            return None
        return min(self.stores.items(), key=lambda kv: (-kv[1][0], -kv[1][1].timestamp(), kv[0]))[0]


def _fold(groups: Iterable[OrderGroup]) -> dict[int, _Totals]:
    """Each customer's totals in the currency of most of their orders (then the larger gross,
    then the currency code): amounts of different currencies are never added."""
    by_currency: dict[int, dict[str, _Totals]] = defaultdict(dict)
    for group in groups:
        totals = by_currency[group.customer_id].setdefault(group.currency, _Totals(group.currency))
        totals.add(group)
    return {
        customer_id: max(options.values(), key=lambda t: (t.orders, t.gross, t.currency))
        for customer_id, options in by_currency.items()
    }


# --- RFM ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Quintile cut points (four each, ascending) and the stored row they came from."""

    version: int
    recency_days: tuple[int, ...]
    frequency: tuple[int, ...]
    monetary: tuple[Decimal, ...]


def thresholds_current() -> Thresholds | None:
    row = RfmThresholds.objects.order_by("-id").first()
    if row is None:
        return None
    return Thresholds(
        version=row.pk,
        recency_days=tuple(int(v) for v in row.recency_days),
        frequency=tuple(int(v) for v in row.frequency),
        monetary=tuple(Decimal(v) for v in row.monetary),
    )


def _cuts(values: list) -> list:
    """The 20th, 40th, 60th and 80th percentiles (the nearest rank, as percentile_disc)."""
    values.sort()
    n = len(values)
    return [
        values[max(int((q * n).to_integral_value(rounding="ROUND_CEILING")) - 1, 0)]
        for q in QUINTILES
    ]


def recency_days(last_at: dt.datetime, now: dt.datetime) -> int:
    return max((now - last_at).days, 0)


def rfm_scores(
    *, days: int, orders: int, revenue: Decimal, thresholds: Thresholds
) -> tuple[int, int, int]:
    """1 to 5 each, 5 the best: recent, frequent, high-spending. A value above k of the four
    cut points scores k + 1 (recency the other way round: fewer days is better)."""
    r = 5 - sum(days > cut for cut in thresholds.recency_days)
    f = 1 + sum(orders > cut for cut in thresholds.frequency)
    m = 1 + sum(revenue > cut for cut in thresholds.monetary)
    return r, f, m


def rfm_segment(r: int, f: int, m: int) -> str:
    """The segment of an RFM score, by recency and frequency (monetary tells the big spenders
    about to leave apart):

    recency 4-5: frequency 4-5 champions, 2-3 potential loyalist, 1 new;
    recency 3:   frequency 4-5 loyal, 3 needs attention, 1-2 promising;
    recency 1-2: frequency and monetary 4-5 cannot lose, frequency 3-5 at risk,
                 else hibernating (recency 2) or lost (recency 1).
    """
    if r >= 4:
        if f >= 4:
            return RfmSegment.CHAMPIONS
        return RfmSegment.POTENTIAL_LOYALIST if f >= 2 else RfmSegment.NEW
    if r == 3:
        if f >= 4:
            return RfmSegment.LOYAL
        return RfmSegment.NEED_ATTENTION if f == 3 else RfmSegment.PROMISING
    if f >= 4 and m >= 4:
        return RfmSegment.CANNOT_LOSE
    if f >= 3:
        return RfmSegment.AT_RISK
    return RfmSegment.HIBERNATING if r == 2 else RfmSegment.LOST


def _rfm_apply(row: CustomerMetrics, now: dt.datetime, thresholds: Thresholds | None) -> None:
    if thresholds is None or not row.orders_count or row.last_purchase_at is None:
        row.rfm_recency = row.rfm_frequency = row.rfm_monetary = None
        row.rfm_score, row.rfm_segment = "", RfmSegment.NONE
        row.thresholds_version = thresholds.version if thresholds else None
        return
    r, f, m = rfm_scores(
        days=recency_days(row.last_purchase_at, now),
        orders=row.orders_count,
        revenue=row.revenue_net,
        thresholds=thresholds,
    )
    row.rfm_recency, row.rfm_frequency, row.rfm_monetary = r, f, m
    row.rfm_score, row.rfm_segment = f"{r}{f}{m}", rfm_segment(r, f, m)
    row.thresholds_version = thresholds.version


# --- lifetime value -----------------------------------------------------------------------------

HORIZON_DAYS = Decimal(365)
# A one-time buyer is assumed to buy once a year; nobody faster than once a week.
ONE_TIME_INTERVAL_DAYS = Decimal(365)
MIN_INTERVAL_DAYS = Decimal(7)


def clv_predicted(
    *, orders: int, average_order_value: Decimal, interval_days: Decimal | None, days: int
) -> Decimal:
    """What the customer is expected to spend in the next 12 months (README, "Customer
    metrics"): purchases expected at their own pace (365 / mean days between orders; one a year
    for a one-time buyer) x the average order value x the chance they are still a customer,
    1 while the time since their last order is within their usual interval, then falling by a
    factor e with each further interval: exp(1 - recency / interval)."""
    if orders == 0 or average_order_value <= 0:
        return ZERO
    interval = max(interval_days or ONE_TIME_INTERVAL_DAYS, MIN_INTERVAL_DAYS)
    purchases = HORIZON_DAYS / interval
    alive = min(Decimal(1), (1 - Decimal(days) / interval).exp())
    return average_order_value * purchases * alive


# --- building rows ------------------------------------------------------------------------------


def _row(customer_id: int, totals: _Totals | None, now: dt.datetime) -> CustomerMetrics:
    row = CustomerMetrics(customer_id=customer_id, computed_at=now)
    if totals is None:
        return row
    currency = totals.currency
    net = quantize(totals.gross - totals.refunded, currency)
    row.currency, row.orders_count = currency, totals.orders
    row.revenue_net, row.returns_amount = net, quantize(totals.refunded, currency)
    row.clv_historic = net
    row.first_purchase_at, row.last_purchase_at = totals.first_at, totals.last_at
    row.channel_mix = dict(sorted(totals.channels.items()))
    row.favourite_store = totals.favourite_store()
    if not totals.orders or totals.first_at is None or totals.last_at is None:
        return row
    row.average_order_value = quantize(net / totals.orders, currency)
    if totals.orders > 1:
        span = Decimal((totals.last_at - totals.first_at).total_seconds()).quantize(Decimal(1))
        row.purchase_frequency_days = (span / DAY / (totals.orders - 1)).quantize(Decimal("0.01"))
    row.clv_predicted = quantize(
        clv_predicted(
            orders=totals.orders,
            average_order_value=row.average_order_value,
            interval_days=row.purchase_frequency_days,
            days=recency_days(totals.last_at, now),
        ),
        currency,
    )
    return row


def metrics_rows(
    *, customer_ids: Sequence[int], now: dt.datetime, thresholds: Thresholds | None
) -> list[CustomerMetrics]:
    """The metrics of these customers as of `now` (unsaved rows), from one query of orders'."""
    if _order_groups is None:
        raise RuntimeError("orders has not registered its reader (metrics_set_readers)")
    totals = _fold(_order_groups(list(customer_ids)))
    rows = [_row(pk, totals.get(pk), now) for pk in customer_ids]
    for row in rows:
        _rfm_apply(row, now, thresholds)
    return rows


_FIELDS = [f.name for f in CustomerMetrics._meta.concrete_fields if f.name != "customer"]


def _save(rows: list[CustomerMetrics], now: dt.datetime) -> int:
    """Upsert the rows, under the rows' locks, except those a later recompute wrote already."""
    with transaction.atomic():
        held = customer_metrics_lock(customer_ids=[row.customer_id for row in rows])
        fresh = [row for row in rows if held.get(row.customer_id, now) <= now]
        CustomerMetrics.objects.bulk_create(
            fresh, update_conflicts=True, unique_fields=["customer"], update_fields=_FIELDS
        )
    return len(fresh)


def metrics_recompute(*, customer_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """The incremental path: recompute these customers now, RFM against the stored thresholds
    (none yet: no RFM score until the first full run). Customers gone since are skipped.
    Returns how many rows were written."""
    now = now or timezone.now()
    ids = sorted(Customer.objects.filter(pk__in=set(customer_ids)).values_list("pk", flat=True))
    if not ids:
        return 0
    return _save(metrics_rows(customer_ids=ids, now=now, thresholds=thresholds_current()), now)


@dataclass(frozen=True, slots=True)
class RecomputeResult:
    customers: int
    buyers: int
    thresholds: Thresholds | None


def metrics_recompute_all(
    *, batch_size: int = BATCH, now: dt.datetime | None = None, refresh_thresholds: bool = True
) -> RecomputeResult:
    """The full path: every customer in batches of `batch_size` (by id), then, with
    `refresh_thresholds`, new RFM thresholds from every buyer's row and every buyer scored
    against them. Safe to run twice, and beside the incremental path."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or timezone.now()
    thresholds = thresholds_current()
    done, last = 0, 0
    while True:
        ids = list(
            Customer.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        _save(metrics_rows(customer_ids=ids, now=now, thresholds=thresholds), now)
        done, last = done + len(ids), ids[-1]
    buyers = CustomerMetrics.objects.filter(orders_count__gt=0)
    count = buyers.count()
    if refresh_thresholds and count:
        thresholds = _thresholds_store(now)
        _rescore(thresholds, now, batch_size)
    return RecomputeResult(customers=done, buyers=count, thresholds=thresholds)


def _thresholds_store(now: dt.datetime) -> Thresholds:
    values = list(
        CustomerMetrics.objects.filter(
            orders_count__gt=0, last_purchase_at__isnull=False
        ).values_list("last_purchase_at", "orders_count", "revenue_net")
    )
    row = RfmThresholds.objects.create(
        recency_days=_cuts([recency_days(last, now) for last, _o, _m in values if last]),
        frequency=_cuts([orders for _l, orders, _m in values]),
        monetary=[str(v) for v in _cuts([m for _l, _o, m in values])],
        customers=len(values),
        computed_at=now,
    )
    current = thresholds_current()
    assert current is not None and current.version == row.pk
    return current


_RFM_FIELDS = [
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "rfm_score",
    "rfm_segment",
    "thresholds_version",
]


def _rescore(thresholds: Thresholds, now: dt.datetime, batch_size: int) -> None:
    """Every buyer's RFM against the new thresholds, from the stored values, by batch."""
    last = 0
    while True:
        rows = list(
            CustomerMetrics.objects.filter(orders_count__gt=0, customer_id__gt=last)
            .order_by("customer_id")
            .only("customer_id", "orders_count", "revenue_net", "last_purchase_at")[:batch_size]
        )
        if not rows:
            return
        for row in rows:
            _rfm_apply(row, now, thresholds)
        CustomerMetrics.objects.bulk_update(rows, _RFM_FIELDS)
        last = rows[-1].customer_id


# --- reads --------------------------------------------------------------------------------------


def customer_metrics_of(*, customer: Customer) -> CustomerMetrics | None:
    """The customer's metrics, or None before they were first computed; no query when the
    customer was read with select_related("metrics")."""
    try:
        return customer.metrics
    except CustomerMetrics.DoesNotExist:
        return None
