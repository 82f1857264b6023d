"""The promotions engine behind the one pricing function (OMNI_DISCOUNT_PROVIDER): what a cart
earns on a channel, for a customer, with the codes on it.

It reads what it needs in at most two queries, whatever the number of promotions or lines:
the live promotions with the ids of all their conditions (and the cart's codes) in one (a
short fingerprint row while what this process holds is current: promotions_load); in a second,
only when a live promotion needs them, the lines' variant facts (product, brand, category path,
attribute values) and the customer's (a previous order, segments, loyalty tier, unreleased
redemptions). With nothing live it is one query. Everything else is plain Python over those
rows (decide, which the property tests drive without a database).

The rules (the README's "The engine" says the same):
- A promotion applies when it is live (active, in its window, on the channel, its budget and
  uses not spent), its code is on the cart if it needs one, the customer qualifies (first order,
  segment, loyalty tier, per-customer uses) and the cart does (some line matches the goods
  conditions, the subtotal of the whole cart before discounts reaches `min_subtotal`, the
  matching units reach `min_quantity`).
- Stacking: the combinable promotions apply one after another, higher priority first (then the
  older one), each on what is left of each line after those before it; an exclusive promotion
  applies alone, on the full prices. The shopper gets the better of the best exclusive one and
  all the combinable ones together; on a tie the side with the higher priority wins, and on a
  full tie the combinable ones. Shipping promotions are apart: the best one (largest percent,
  then priority) applies, whatever the goods' promotions.
- Units: "buy X get Y" and "N for the price of M" discount the cheapest matching units (of
  every X+Y units, Y; each discounted unit is paired with X units that cost at least as much);
  "any N for P" bundles the most expensive matching units first (the largest saving for the
  shopper), a bundle only where it lowers the price; ties between equal prices go by line order.
- Money: every amount is in the currency's minor unit; a discount on the order (and a budget
  cap, and a bundle's saving) is shared over its lines with orders.pricing.spread (floor to the
  kuruş, the kuruş left over to the largest remainders), so the shares add up exactly and a
  return refunds a line's share.
- A guest (no customer) does not qualify for a first-order, segment or loyalty-tier promotion
  (nothing proves who they are), and is not held to per-customer limits, which count the uses
  of known customers.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import F, ManyToManyField, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _

from campaigns.models import Code, Promotion, Redemption
from catalog.models import Category, Product, ProductVariant
from customers.models import LoyaltyAccount, SegmentMembership
from omni.money import minor_unit
from orders.models import Order
from orders.pricing import Applied, Benefits, Discount, Gift, LineInput, ShippingDiscount, spread

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@cache
def _unit(currency: str) -> Decimal:
    return minor_unit(currency)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """omni.money.quantize (half up to the minor unit), with the unit looked up once: a quote
    with many promotions rounds a thousand amounts."""
    return amount.quantize(_unit(currency), rounding=ROUND_HALF_UP)


Kind = Promotion.Kind


# --- what the engine reads ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VariantFacts:
    product_id: int
    brand_id: int | None
    category_path: str
    attribute_values: frozenset[int]


@dataclass(frozen=True, slots=True)
class CodeRow:
    id: int
    code: str
    is_active: bool
    usage_limit: int | None
    times_used: int
    per_customer_limit: int | None


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    has_ordered: bool = False
    segments: frozenset[int] = frozenset()
    tier: int | None = None
    uses: Counter = field(default_factory=Counter)  # promotion id -> unreleased redemptions
    code_uses: Counter = field(default_factory=Counter)  # code id -> unreleased redemptions


@dataclass(slots=True)
class Rule:
    """A live promotion (or one behind a code on the cart), with the ids of its conditions."""

    pk: int
    kind: str
    target: str = Promotion.Target.LINES
    value: Decimal = ZERO
    config: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)  # language -> label
    min_subtotal: Decimal | None = None
    min_quantity: int | None = None
    first_order_only: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    exclusive: bool = False
    priority: int = 0
    requires_code: bool = False
    is_active: bool = True
    budget: Decimal | None = None
    spent: Decimal = ZERO
    usage_limit: int | None = None
    times_used: int = 0
    per_customer_limit: int | None = None
    channels: frozenset[int] = frozenset()
    products: frozenset[int] = frozenset()
    variants: frozenset[int] = frozenset()
    category_paths: tuple[str, ...] = ()
    brands: frozenset[int] = frozenset()
    attribute_values: frozenset[int] = frozenset()
    segments: frozenset[int] = frozenset()
    tiers: frozenset[int] = frozenset()
    codes: tuple[CodeRow, ...] = ()

    @property
    def key(self) -> str:
        return str(self.pk)

    looks_at_goods: bool = field(init=False)
    looks_at_customer: bool = field(init=False)  # read for every rule of every quote: once

    def __post_init__(self) -> None:
        self.looks_at_goods = bool(
            self.products
            or self.variants
            or self.category_paths
            or self.brands
            or self.attribute_values
        )
        self.looks_at_customer = bool(
            self.first_order_only
            or self.segments
            or self.tiers
            or self.per_customer_limit
            or any(c.per_customer_limit for c in self.codes)
        )

    @property
    def label(self) -> str:
        """In the active language (as modeltranslation reads it)."""
        return _label(self.labels)

    @property
    def budget_left(self) -> Decimal | None:
        return None if self.budget is None else max(self.budget - self.spent, ZERO)

    def matches(self, variant_id: int, facts: VariantFacts | None) -> bool:
        if not self.looks_at_goods:
            return True
        if facts is None:
            return False
        if self.variants and variant_id not in self.variants:
            return False
        if self.products and facts.product_id not in self.products:
            return False
        if self.brands and facts.brand_id not in self.brands:
            return False
        if self.attribute_values and not (self.attribute_values & facts.attribute_values):
            return False
        return not self.category_paths or facts.category_path.startswith(self.category_paths)


class Rules(list["Rule"]):
    """Rules in the order they apply, with an index by what their goods conditions name (built
    once per list, which a process keeps while the promotions do not change): a quote looks at
    the rules that may match one of its lines, not at every live promotion."""

    _index: tuple[list[int], dict[tuple[str, object], list[int]], set[int]] | None = None
    # _entries of these rules by (channel, codes, language), with the span of time between
    # two promotions' window edges in which it holds: (since, until, entries, why).
    _checked: dict[tuple, tuple[datetime | None, datetime | None, list, dict[str, str]]] | None = (
        None
    )

    _about: tuple[tuple[list[int], list[int]] | None] | None = None

    def about_customer(self) -> tuple[list[int], list[int]] | None:
        """The ids of the promotions and codes with a per-customer limit, when some rule looks
        at the customer (else None): what the customer's facts must cover. Worked out once."""
        if self._about is None:
            about = [rule for rule in self if rule.looks_at_customer]
            self._about = (
                (
                    [r.pk for r in about if r.per_customer_limit is not None],
                    [c.id for r in about for c in r.codes if c.per_customer_limit is not None],
                )
                if about
                else None,
            )
        return self._about[0]

    def may_match(self, lines: list[tuple[Line, VariantFacts | None]]) -> set[int]:
        """The ids of the rules without goods conditions or naming something of `lines`."""
        if self._index is None:
            self._index = self._build()
        anywhere, named, lengths = self._index
        found = set(anywhere)
        for line, facts in lines:
            keys: list[tuple[str, object]] = [("v", line.variant_id)]
            if facts is not None:
                keys += [("p", facts.product_id), ("b", facts.brand_id)]
                keys += [("a", value) for value in facts.attribute_values]
                keys += [("c", facts.category_path[:n]) for n in lengths]
            for key in keys:
                found.update(named.get(key, ()))
        return found

    def _build(self) -> tuple[list[int], dict[tuple[str, object], list[int]], set[int]]:
        anywhere: list[int] = []
        named: dict[tuple[str, object], list[int]] = {}
        lengths: set[int] = set()
        for rule in self:
            if not rule.looks_at_goods:
                anywhere.append(rule.pk)
                continue
            keys: list[tuple[str, object]] = [("v", v) for v in rule.variants]
            keys += [("p", p) for p in rule.products] + [("b", b) for b in rule.brands]
            keys += [("a", a) for a in rule.attribute_values]
            keys += [("c", path) for path in rule.category_paths]
            lengths.update(len(path) for path in rule.category_paths)
            for key in keys:
                named.setdefault(key, []).append(rule.pk)
        return anywhere, named, lengths


# --- the queries ------------------------------------------------------------------------------


def _m2m(name: str) -> tuple[str, str]:
    """The through table of Promotion.<name> and the column of its other side."""
    m2m = Promotion._meta.get_field(name)
    assert isinstance(m2m, ManyToManyField)
    return m2m.m2m_db_table(), m2m.m2m_reverse_name()


CONDITIONS = (
    "channels",
    "products",
    "variants",
    "brands",
    "attribute_values",
    "segments",
    "loyalty_tiers",
)


@cache
def _promotions_sql(with_codes: bool, with_customer: bool = False) -> str:
    """One statement: a fingerprint of every promotion's state (and of the cart's codes), and,
    unless it is the one this process holds (%(known)s), the promotions that may apply on the
    channel (automatic, active, not ended, budget and uses not spent, on the channel; the
    window's start is checked per quote) and those behind the cart's codes whatever their
    state; each with its terms and the ids of its conditions as one JSON text, except for
    the promotions this process already holds at that version (updated_at). Table and column
    names come from the models; values are parameters (hence the noqa: S608)."""
    p = Promotion._meta.db_table
    languages = [code for code, _name in settings.LANGUAGES]
    # The ids of every condition, as [name, id] pairs per promotion, from one grouped scan of
    # the through tables joined by hash (not a subquery per promotion and condition: planned
    # per row, those made PostgreSQL's estimate cross jit_above_cost, and JIT compiling cost
    # more than the query).
    arms = []
    for name in CONDITIONS:
        table, column = _m2m(name)
        arms.append(f"SELECT t.promotion_id, '{name}' AS k, t.{column}::text AS v FROM {table} t")  # noqa: S608
    table, column = _m2m("categories")
    arms.append(
        f"SELECT t.promotion_id, 'categories', c.path FROM {table} t "  # noqa: S608
        f"JOIN {Category._meta.db_table} c ON c.id = t.{column}"
    )
    conditions = (
        "LEFT JOIN (SELECT u.promotion_id, json_agg(json_build_array(u.k, u.v)) AS conds "  # noqa: S608
        f"FROM ({' UNION ALL '.join(arms)}) u GROUP BY u.promotion_id) x "
        "ON x.promotion_id = p.id"
    )
    labels = ", ".join(f"'{lang}', p.label_{lang}" for lang in languages)
    terms = (
        "json_build_array(p.kind, p.target, p.value::text, p.config, p.min_subtotal::text, "
        "p.min_quantity, p.first_order_only, p.stacking, p.priority, p.requires_code, "
        f"p.per_customer_limit, json_build_object({labels}), x.conds)::text"
    )
    channels, channel_column = _m2m("channels")
    code = Code._meta.db_table
    codes = "kc.codes::text" if with_codes else "NULL"
    if with_codes:
        conditions += (
            " LEFT JOIN (SELECT k.promotion_id, json_agg(json_build_array(k.id, k.code, "  # noqa: S608
            "k.is_active, k.usage_limit, k.times_used, k.per_customer_limit) ORDER BY k.id) "
            f"AS codes FROM {code} k WHERE k.code = ANY(%(codes)s) GROUP BY k.promotion_id) kc "
            "ON kc.promotion_id = p.id"
        )
    coded = (
        f" OR p.id IN (SELECT k.promotion_id FROM {code} k WHERE k.code = ANY(%(codes)s))"  # noqa: S608
        if with_codes
        else ""
    )
    codes_state = (
        f"|| coalesce((SELECT string_agg(concat_ws(':', k.id, k.is_active, k.usage_limit, "  # noqa: S608
        "CASE WHEN k.usage_limit IS NOT NULL THEN k.times_used END), ',' ORDER BY k.id) "
        f"FROM {code} k WHERE k.code = ANY(%(codes)s)), '')"
        if with_codes
        else ""
    )
    # Uses and spending count only where they are limited: a redemption of a promotion without
    # a budget or a limit leaves what this process holds current.
    fingerprint = (
        "SELECT md5(coalesce(string_agg(concat_ws(':', p.id, p.updated_at, p.is_active, "  # noqa: S608
        "p.starts_at, p.ends_at, p.budget, CASE WHEN p.budget IS NOT NULL THEN p.spent END, "
        "p.usage_limit, CASE WHEN p.usage_limit IS NOT NULL THEN p.times_used END), ',' "
        f"ORDER BY p.id), '') {codes_state}) AS v FROM {p} p"
    )
    # with_customer: the customer's facts (_customer_sql) ride along in the first columns.
    # (Its code ids are %(code_ids)s here: %(codes)s are the cart's codes.)
    customer_sql = _customer_sql().replace("%(codes)s", "%(code_ids)s")
    customer = f", cf AS ({customer_sql})" if with_customer else ""
    return (
        f"WITH f AS MATERIALIZED ({fingerprint}){customer} "  # noqa: S608
        f"SELECT f.v, {'cf.*' if with_customer else ''}{', ' if with_customer else ''}r.* "
        f"FROM f {'CROSS JOIN cf ' if with_customer else ''}LEFT JOIN ("
        "SELECT p.id, p.updated_at::text, p.is_active, p.starts_at, p.ends_at, p.budget, "
        f"p.spent, p.usage_limit, p.times_used, {codes}, "
        "CASE WHEN p.id::text || '@' || p.updated_at::text IN "
        f"(SELECT unnest(string_to_array(%(held)s, ','))) THEN NULL ELSE {terms} END "
        # An uncorrelated subquery of the fingerprint: PostgreSQL computes it once (an
        # InitPlan) and makes the comparison a one-time filter, so nothing of this is read
        # while the fingerprint is the one this process holds. (f.v of an outer row was a join
        # filter: every row was read and built, then dropped.)
        f"FROM {p} p {conditions} WHERE (SELECT f.v FROM f) <> %(known)s AND ((p.is_active "
        "AND NOT p.requires_code "
        "AND (p.ends_at IS NULL OR p.ends_at > %(now)s) "
        "AND (p.budget IS NULL OR p.spent < p.budget) "
        "AND (p.usage_limit IS NULL OR p.times_used < p.usage_limit) "
        f"AND (NOT EXISTS (SELECT 1 FROM {channels} t WHERE t.promotion_id = p.id) "
        f"OR EXISTS (SELECT 1 FROM {channels} t WHERE t.promotion_id = p.id "
        f"AND t.{channel_column} = %(channel)s))){coded})"
        ") r ON true"
    )


def _label(values: dict[str, str]) -> str:
    """The label as modeltranslation reads it: the active language's, else the first
    fallback language's that is not empty."""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    for code in (language, *settings.MODELTRANSLATION_FALLBACK_LANGUAGES):
        if values.get(code):
            return values[code]
    return ""


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _terms(text: str) -> tuple[dict, dict]:
    """A promotion's terms from their JSON (the query's last column), as Rule's fields, and
    its label in each language."""
    (kind, target, value, config, min_subtotal, min_quantity, first_order_only, stacking) = (
        terms := json.loads(text)
    )[:8]
    (priority, requires_code, per_customer_limit, labels, pairs) = terms[8:13]
    ids: dict[str, list] = {name: [] for name in (*CONDITIONS, "categories")}
    for name, target_id in pairs or ():
        ids[name].append(target_id if name == "categories" else int(target_id))
    return {
        "kind": kind,
        "target": target,
        "value": Decimal(value),
        "config": config or {},
        "min_subtotal": _decimal(min_subtotal),
        "min_quantity": min_quantity,
        "first_order_only": first_order_only,
        "exclusive": stacking == Promotion.Stacking.EXCLUSIVE,
        "priority": priority,
        "requires_code": requires_code,
        "per_customer_limit": per_customer_limit,
        "channels": frozenset(ids["channels"]),
        "products": frozenset(ids["products"]),
        "variants": frozenset(ids["variants"]),
        "brands": frozenset(ids["brands"]),
        "attribute_values": frozenset(ids["attribute_values"]),
        "segments": frozenset(ids["segments"]),
        "tiers": frozenset(ids["loyalty_tiers"]),
        "category_paths": tuple(sorted(ids["categories"])),
    }, labels


# What this process holds, for OMNI_CHANNEL_CACHE_SECONDS (0 in the tests: nothing is held):
# - the rules of each (channel, codes) with the fingerprint of the promotions' state they were
#   read at: while the fingerprint is the same (no promotion saved, spent, used, paused, no
#   code used), a quote reuses them and the query returns one short row;
# - the terms of each promotion by its version (updated_at): a promotion read again (another
#   one changed) costs its state only.
# promotions_changed() (and a save, delete or change of conditions in this process) forgets
# both; a change of the conditions alone made in another process is seen within the TTL.
_rules: dict[tuple[int, tuple[str, ...]], tuple[str, Rules, float]] = {}
_held: dict[int, tuple[str, tuple[dict, dict], float]] = {}
# (the oldest entry's clock, "pk@version,...") of _held while it is unchanged: sent with every
# quote, it was rebuilt from ~200 entries each time.
_held_view: list[tuple[float, str] | None] = [None]


def _held_now(
    clock: float, ttl: float
) -> tuple[dict[int, tuple[str, tuple[dict, dict], float]], str]:
    """The terms held (none older than the TTL) and their "pk@version" list."""
    view = _held_view[0]
    if view is not None and clock - view[0] < ttl:
        return _held, view[1]
    for pk in [pk for pk, entry in _held.items() if clock - entry[2] >= ttl]:
        del _held[pk]
    oldest = min((entry[2] for entry in _held.values()), default=clock)
    view = _held_view[0] = (oldest, ",".join(f"{pk}@{entry[0]}" for pk, entry in _held.items()))
    return _held, view[1]


def promotions_changed(**_signal) -> None:
    """Forget the promotions this process holds (safe anywhere, inside a transaction too: the
    next quote reads them again). Other processes see a change of a promotion's fields at once
    (its updated_at) and a change of its conditions alone within OMNI_CHANNEL_CACHE_SECONDS."""
    _rules.clear()
    _held.clear()
    _held_view[0] = None


def promotions_load(*, channel, codes: Sequence[str] = (), now: datetime | None = None) -> Rules:
    """The promotions that may apply on the channel (automatic ones; their window is checked
    by the caller) and every promotion behind one of `codes` whatever its state (to say why a
    code does not apply): one query."""
    return _promotions_read(channel=channel, codes=codes, now=now, customer=None)[0]


def _promotions_read(
    *, channel, codes: Sequence[str], now: datetime | None, customer
) -> tuple[Rules, CustomerFacts | None]:
    """promotions_load, and the customer's facts in the same query when the rules this
    process holds look at customers (they are the rules while the fingerprint holds): the
    facts cover every held promotion and code with a per-customer limit. None when not read,
    or read for rules that changed since (the caller then asks customer_facts)."""
    now = now or timezone.now()
    if connection.vendor != "postgresql":
        return _portable_rules(channel=channel, codes=codes, now=now), None
    ttl = settings.OMNI_CHANNEL_CACHE_SECONDS
    clock = time.monotonic()
    key = (channel.pk, tuple(codes))
    kept = _rules.get(key) if ttl else None
    if kept is not None and clock - kept[2] >= ttl:
        kept = None
    held, held_text = _held_now(clock, ttl) if ttl else ({}, "")
    about = kept[1].about_customer() if kept is not None and customer is not None else None
    params = {
        "now": now,
        "channel": channel.pk,
        "codes": list(codes),
        "held": held_text,
        "known": kept[0] if kept is not None else "",
    }
    if about:
        params["c"] = customer.pk
        params["promotions"], params["code_ids"] = about
    with connection.cursor() as cursor:
        cursor.execute(_promotions_sql(bool(codes), bool(about)), params)
        rows = cursor.fetchall()
    fingerprint = rows[0][0]
    known = None
    if about:
        has_ordered, segments, tier, uses, code_uses = rows[0][1:6]
        known = CustomerFacts(
            has_ordered, frozenset(segments), tier, Counter(uses), Counter(code_uses)
        )
        rows = [(row[0], *row[6:]) for row in rows]
    if kept is not None and fingerprint == kept[0]:
        return kept[1], known
    found = []
    for row in rows:
        if row[1] is None:  # nothing matched
            continue
        pk, version, is_active, starts_at, ends_at, budget, spent = row[1:8]
        usage_limit, times_used, code_rows, text = row[8:12]
        terms = held[pk][1] if text is None else _terms(text)
        if ttl and text is not None:
            _held[pk] = (version, terms, clock)
            _held_view[0] = None
        found.append(
            Rule(
                pk=pk,
                **terms[0],
                labels=terms[1],
                is_active=is_active,
                starts_at=starts_at,
                ends_at=ends_at,
                budget=budget,
                spent=spent,
                usage_limit=usage_limit,
                times_used=times_used,
                codes=tuple(CodeRow(*c) for c in json.loads(code_rows)) if code_rows else (),
            )
        )
    rules = Rules(sorted(found, key=_apply_order))
    if ttl:
        if len(_rules) > 1000:  # carts with many different codes: start again
            _rules.clear()
        _rules[key] = (fingerprint, rules, clock)
    return rules, None


@cache
def _variants_sql() -> str:
    v, p, c = ProductVariant._meta.db_table, Product._meta.db_table, Category._meta.db_table
    m2m = ProductVariant._meta.get_field("attribute_values")
    assert isinstance(m2m, ManyToManyField)
    through = m2m.m2m_db_table()
    return (
        f"SELECT v.id, v.product_id, p.brand_id, c.path, ARRAY(SELECT t.{m2m.m2m_reverse_name()} "  # noqa: S608 (names from the models; values are parameters)
        f"FROM {through} t WHERE t.{m2m.m2m_column_name()} = v.id) AS attribute_values "
        f"FROM {v} v JOIN {p} p ON p.id = v.product_id JOIN {c} c ON c.id = p.category_id "
        "WHERE v.id = ANY(%(variants)s)"
    )


def variant_facts(variant_ids: Iterable[int]) -> dict[int, VariantFacts]:
    """What the goods conditions look at, for each variant: one query."""
    if connection.vendor != "postgresql":
        return _portable_variant_facts(variant_ids)
    with connection.cursor() as cursor:
        cursor.execute(_variants_sql(), {"variants": list(variant_ids)})
        rows = cursor.fetchall()
    return {
        pk: VariantFacts(product, brand, path, frozenset(values))
        for pk, product, brand, path, values in rows
    }


@cache
def _customer_sql() -> str:
    order, redemption = Order._meta.db_table, Redemption._meta.db_table
    cancelled = Order.Status.CANCELLED.value
    return (
        f"SELECT EXISTS (SELECT 1 FROM {order} o WHERE o.customer_id = %(c)s "  # noqa: S608 (names from the models; values are parameters)
        f"AND o.status <> '{cancelled}') AS has_ordered, "
        f"ARRAY(SELECT s.segment_id FROM {SegmentMembership._meta.db_table} s "
        "WHERE s.customer_id = %(c)s) AS segments, "
        f"(SELECT a.tier_id FROM {LoyaltyAccount._meta.db_table} a WHERE a.customer_id = %(c)s) "
        "AS tier, "
        f"ARRAY(SELECT r.promotion_id FROM {redemption} r WHERE r.customer_id = %(c)s "
        "AND r.released_at IS NULL AND r.promotion_id = ANY(%(promotions)s)) AS uses, "
        f"ARRAY(SELECT r.code_id FROM {redemption} r WHERE r.customer_id = %(c)s "
        "AND r.released_at IS NULL AND r.code_id = ANY(%(codes)s)) AS code_uses"
    )


@cache
def _facts_sql() -> str:
    """The customer's facts and the variants' in one statement (one row per variant, the
    customer's repeated; one row of the customer's when no variant is found)."""
    return (
        f"SELECT cf.*, vf.* FROM ({_customer_sql()}) cf "  # noqa: S608
        f"LEFT JOIN LATERAL ({_variants_sql()}) vf ON true"
    )


def facts_load(
    *, variant_ids: Iterable[int], customer, promotions: Iterable[int], codes: Iterable[int]
) -> tuple[dict[int, VariantFacts], CustomerFacts]:
    """variant_facts and customer_facts in one query, when a quote needs both."""
    if connection.vendor != "postgresql":
        return _portable_variant_facts(variant_ids), _portable_customer_facts(
            customer=customer, promotions=promotions, codes=codes
        )
    params = {
        "variants": list(variant_ids),
        "c": customer.pk,
        "promotions": list(promotions),
        "codes": list(codes),
    }
    with connection.cursor() as cursor:
        cursor.execute(_facts_sql(), params)
        rows = cursor.fetchall()
    has_ordered, segments, tier, uses, code_uses = rows[0][:5]
    known = CustomerFacts(has_ordered, frozenset(segments), tier, Counter(uses), Counter(code_uses))
    facts = {
        row[5]: VariantFacts(row[6], row[7], row[8], frozenset(row[9]))
        for row in rows
        if row[5] is not None
    }
    return facts, known


def customer_facts(*, customer, promotions: Iterable[int], codes: Iterable[int]) -> CustomerFacts:
    """What the customer conditions look at: one query."""
    if connection.vendor != "postgresql":
        return _portable_customer_facts(customer=customer, promotions=promotions, codes=codes)
    with connection.cursor() as cursor:
        cursor.execute(
            _customer_sql(),
            {"c": customer.pk, "promotions": list(promotions), "codes": list(codes)},
        )
        has_ordered, segments, tier, uses, code_uses = cursor.fetchone()
    return CustomerFacts(has_ordered, frozenset(segments), tier, Counter(uses), Counter(code_uses))


# --- why a promotion does not apply ---------------------------------------------------------


def _money(amount: Decimal, currency: str) -> str:
    """120,00 ₺ in Turkish, ₺120.00 in English (as the storefront shows money)."""
    symbol = {"TRY": "₺", "EUR": "€", "USD": "$"}.get(currency, currency)
    text = f"{quantize(amount, currency):,.2f}"
    if (get_language() or "tr").startswith("tr"):
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return f"{text}\u00a0{symbol}"
    return f"{symbol}{text}"


def _refusal(rule: Rule, code: CodeRow | None, *, channel, now: datetime) -> str | None:
    """Why a promotion (through `code`) is not live, or None."""
    if not rule.is_active or (code is not None and not code.is_active):
        return _("This code is not valid.")
    if rule.starts_at and rule.starts_at > now:
        return _("This code is not valid yet.")
    if rule.ends_at and rule.ends_at <= now:
        return _("This code has expired.")
    if (
        (rule.usage_limit is not None and rule.times_used >= rule.usage_limit)
        or (rule.budget is not None and rule.spent >= rule.budget)
        or (
            (code is not None and code.usage_limit is not None)
            and code.times_used >= code.usage_limit
        )
    ):
        return _("This code has been used up.")
    if rule.channels and channel.pk not in rule.channels:
        return _("This code is not valid here.")
    return None


def _customer_refusal(
    rule: Rule, code: CodeRow | None, customer, facts: CustomerFacts, *, explain: bool
) -> str | None:
    """Why the customer does not qualify, or None (said only when `explain`: for a code)."""
    reason = _customer_rule(rule, code, customer, facts)
    if reason is None:
        return None
    return _(reason) if explain else ""


def _customer_rule(rule: Rule, code: CodeRow | None, customer, facts: CustomerFacts) -> str | None:
    if rule.first_order_only:
        if customer is None:
            return gettext_noop("Sign in to use this offer: it is for a first order only.")
        if facts.has_ordered:
            return gettext_noop("This offer is for a first order only.")
    if rule.segments and (customer is None or not rule.segments & facts.segments):
        return gettext_noop("This offer is not available to you.")
    if rule.tiers and (customer is None or facts.tier not in rule.tiers):
        return gettext_noop("This offer is not available to you.")
    if customer is not None:
        if rule.per_customer_limit is not None and facts.uses[rule.pk] >= rule.per_customer_limit:
            return gettext_noop("You have already used this offer.")
        if (
            code is not None
            and code.per_customer_limit is not None
            and facts.code_uses[code.id] >= code.per_customer_limit
        ):
            return gettext_noop("You have already used this code.")
    return None


# --- the lines --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    key: str
    variant_id: int
    quantity: int
    unit_price: Decimal
    gross: Decimal
    order: int  # its place in the cart: ties go by it


def _lines(lines: Sequence[LineInput]) -> list[Line]:
    result, seen = [], set()
    for i, line in enumerate(lines):
        if line.quantity <= 0 or line.key in seen:
            continue
        seen.add(line.key)
        try:
            variant_id = int(line.key)
        except ValueError:
            variant_id = 0
        result.append(
            Line(
                line.key,
                variant_id,
                line.quantity,
                line.unit_price,
                line.unit_price * line.quantity,
                i,
            )
        )
    return result


@dataclass(slots=True)
class Candidate:
    """A promotion that qualifies for this cart, with the code it came through."""

    rule: Rule
    code: str
    matching: list[Line]
    gift_line: Line | None = None
    gift_quantity: int = 0


def _cart_refusal(
    rule: Rule,
    lines: list[tuple[Line, VariantFacts | None]],
    subtotal: Decimal,
    currency: str,
    *,
    explain: bool,
) -> tuple[str | None, Candidate | None]:
    """Whether the cart meets the promotion's goods and cart conditions; why not (said only
    when `explain`: for a code)."""
    if rule.looks_at_goods:
        matching = [line for line, facts in lines if rule.matches(line.variant_id, facts)]
    else:
        matching = [line for line, _facts in lines]
    gift_line, gift_quantity = None, 0
    if rule.kind == Kind.GIFT:
        gift_variant = str(rule.config.get("variant", ""))
        gift_quantity = max(int(rule.config.get("quantity", 1) or 1), 1)
        gift_line = next((line for line, _facts in lines if line.key == gift_variant), None)
        if gift_line is not None:
            # The gift itself neither reaches the threshold nor counts among the goods bought.
            free = min(gift_quantity, gift_line.quantity)
            subtotal -= gift_line.unit_price * free
            if gift_line.quantity == free:
                matching = [line for line in matching if line is not gift_line]
    if not matching:
        return _("This code does not apply to the items in your cart.") if explain else "", None
    units = sum(line.quantity for line in matching)
    if gift_line is not None and gift_line in matching:
        units -= min(gift_quantity, gift_line.quantity)
    if rule.min_subtotal is not None and subtotal < rule.min_subtotal:
        if not explain:
            return "", None
        short = _money(rule.min_subtotal - subtotal, currency)
        return _("Add %(amount)s more to use this code.") % {"amount": short}, None
    if rule.min_quantity is not None and units < rule.min_quantity:
        if not explain:
            return "", None
        short_units = rule.min_quantity - units
        return ngettext(
            "Add %(count)d more item to use this code.",
            "Add %(count)d more items to use this code.",
            short_units,
        ) % {"count": short_units}, None
    return None, Candidate(rule, "", matching, gift_line, gift_quantity)


# --- what a promotion takes off ---------------------------------------------------------------


def _percent_off(
    rule: Rule, percent: Decimal, matching: list[Line], left: dict[str, Decimal], currency: str
) -> dict[str, Decimal]:
    percent = min(max(percent, ZERO), HUNDRED)
    if rule.target == Promotion.Target.ORDER:
        weights = {line.key: left[line.key] for line in matching}
        amount = quantize(sum(weights.values(), ZERO) * percent / HUNDRED, currency)
        return spread(amount=amount, weights=weights, currency=currency)
    return {line.key: quantize(left[line.key] * percent / HUNDRED, currency) for line in matching}


def _cheapest_units_off(
    matching: list[Line],
    left: dict[str, Decimal],
    group: int,
    free: int,
    percent: Decimal,
    currency: str,
) -> dict[str, Decimal]:
    """Of every `group` matching units, the `free` cheapest overall are `percent` off."""
    if group <= 0 or free <= 0:
        return {}
    units = sorted(
        ((left[line.key] / line.quantity, line.order, line) for line in matching),
        key=lambda u: (u[0], u[1]),
    )
    total_units = sum(line.quantity for line in matching)
    count = total_units // group * min(free, group)
    off: dict[str, Decimal] = {}
    percent = min(max(percent, ZERO), HUNDRED)
    for unit_value, _order, line in units:
        if count <= 0:
            break
        n = min(count, line.quantity)
        count -= n
        off[line.key] = quantize(unit_value * n * percent / HUNDRED, currency)
    return off


def _bundles_off(
    matching: list[Line], left: dict[str, Decimal], size: int, price: Decimal, currency: str
) -> dict[str, Decimal]:
    """Any `size` matching units for `price`, as many times as they fit, the most expensive
    units first; a bundle only where it costs less than its units."""
    if size <= 0:
        return {}
    units: list[tuple[Decimal, str]] = []
    for line in sorted(matching, key=lambda x: (-(left[x.key] / x.quantity), x.order)):
        units += [(left[line.key] / line.quantity, line.key)] * line.quantity
    off: dict[str, Decimal] = {}
    for start in range(0, len(units) - size + 1, size):
        bundle = units[start : start + size]
        weights: dict[str, Decimal] = {}
        for value, key in bundle:
            weights[key] = weights.get(key, ZERO) + value
        saving = sum(weights.values(), ZERO) - price
        if saving <= 0:
            continue
        # Each line's share of the saving, in whole kuruş that add up to it.
        for key, share in spread(amount=saving, weights=weights, currency=currency).items():
            off[key] = off.get(key, ZERO) + share
    return off


def _tier_percent(rule: Rule, matching: list[Line]) -> Decimal:
    goods = sum((line.gross for line in matching), ZERO)
    reached = ZERO
    best_from = None
    for tier in rule.config.get("tiers", []):
        start, percent = Decimal(str(tier["from"])), Decimal(str(tier["percent"]))
        if goods >= start and (best_from is None or start > best_from):
            best_from, reached = start, percent
    return reached


def _takes(candidate: Candidate, left: dict[str, Decimal], currency: str) -> dict[str, Decimal]:
    """What the promotion takes off each line, from what is `left` of it."""
    rule, matching, cfg = candidate.rule, candidate.matching, candidate.rule.config
    kind = rule.kind
    if kind == Kind.PERCENT:
        off = _percent_off(rule, rule.value, matching, left, currency)
    elif kind == Kind.TIERED:
        off = _percent_off(rule, _tier_percent(rule, matching), matching, left, currency)
    elif kind == Kind.AMOUNT:
        if rule.target == Promotion.Target.ORDER:
            weights = {line.key: left[line.key] for line in matching}
            off = spread(amount=rule.value, weights=weights, currency=currency)
        else:
            off = {line.key: rule.value * line.quantity for line in matching}
    elif kind == Kind.FIXED_PRICE:
        off = {line.key: left[line.key] - rule.value * line.quantity for line in matching}
    elif kind == Kind.BUY_X_GET_Y:
        buy, get = int(cfg.get("buy", 1)), int(cfg.get("get", 1))
        percent = Decimal(str(cfg.get("percent", 100)))
        off = _cheapest_units_off(matching, left, buy + get, get, percent, currency)
    elif kind == Kind.BUNDLE:
        size = int(cfg.get("quantity", 0))
        if cfg.get("price") not in (None, ""):
            off = _bundles_off(matching, left, size, Decimal(str(cfg["price"])), currency)
        else:
            pay = int(cfg.get("pay", size))
            off = _cheapest_units_off(matching, left, size, size - pay, HUNDRED, currency)
    elif kind == Kind.GIFT and candidate.gift_line is not None:
        line = candidate.gift_line
        n = min(candidate.gift_quantity, line.quantity)
        off = {line.key: quantize(left[line.key] / line.quantity * n, currency)}
    else:
        off = {}
    taken = {}
    for key, amount in off.items():
        amount = min(quantize(amount, currency), left[key])
        if amount > 0:
            taken[key] = amount
    budget_left = rule.budget_left
    if budget_left is not None and sum(taken.values(), ZERO) > budget_left:
        # Capped at what is left of the budget, shared as an order discount is.
        taken = {
            key: amount
            for key, amount in spread(amount=budget_left, weights=taken, currency=currency).items()
            if amount > 0
        }
    return taken


@dataclass
class Outcome:
    """What a set of promotions, applied in turn, gives the cart."""

    discounts: list[tuple[Candidate, str, Decimal]] = field(default_factory=list)
    applied: list[Candidate] = field(default_factory=list)
    gifts: list[Gift] = field(default_factory=list)
    total: Decimal = ZERO
    priority: int | None = None


def _apply(candidates: list[Candidate], lines: list[Line], currency: str) -> Outcome:
    left = {line.key: line.gross for line in lines}
    outcome = Outcome()
    for candidate in candidates:
        rule = candidate.rule
        taken = _takes(candidate, left, currency)
        offered = rule.kind == Kind.GIFT and candidate.gift_line is None
        if not taken and not offered:
            continue
        for key, amount in taken.items():
            left[key] -= amount
            outcome.discounts.append((candidate, key, amount))
            outcome.total += amount
        if rule.kind == Kind.GIFT:
            outcome.gifts.append(
                Gift(
                    variant_id=int(rule.config.get("variant", 0)),
                    quantity=candidate.gift_quantity,
                    label=rule.label,
                    promotion=rule.key,
                    in_cart=not offered,
                )
            )
        outcome.applied.append(candidate)
        if outcome.priority is None or rule.priority > outcome.priority:
            outcome.priority = rule.priority
    return outcome


def _better(a: Outcome, b: Outcome) -> bool:
    """Whether `a` (an exclusive promotion alone) beats `b` (the combinable ones)."""
    if a.total != b.total:
        return a.total > b.total
    if not a.applied:
        return False
    return b.priority is None or (a.priority or 0) > b.priority


# --- the provider -----------------------------------------------------------------------------


def _apply_order(rule: Rule) -> tuple[int, int]:
    return (-rule.priority, rule.pk)


def _entries(
    rules: list[Rule], codes: Sequence[str], *, channel, now: datetime
) -> tuple[list[tuple[Rule, CodeRow | None]], dict[str, str]]:
    """Each live rule with the code it comes through (an automatic one needs none; one behind
    codes takes the first of its codes on the cart that is usable), and why each other code on
    the cart is refused."""
    why: dict[str, str] = {}
    entries: list[tuple[Rule, CodeRow | None]] = []
    known: set[str] = set()
    for rule in rules:  # in the order they apply in (decide sorts them)
        if rule.codes:
            known.update(row.code for row in rule.codes)
        if not rule.requires_code:
            # Automatic: a code of it on the cart is credited when it applies.
            reason = _refusal(rule, None, channel=channel, now=now)
            if reason is None:
                entries.append((rule, rule.codes[0] if rule.codes else None))
            for row in rule.codes:
                why[row.code] = reason or ""
            continue
        for row in rule.codes:
            reason = _refusal(rule, row, channel=channel, now=now)
            if reason is None:
                entries.append((rule, row))
                break
            why[row.code] = reason
    for code in codes:
        if code not in known:
            why[code] = _("This code is not valid.")
    return entries, why


def _entries_held(
    rules: Rules, codes: Sequence[str], *, channel, now: datetime
) -> tuple[list[tuple[Rule, CodeRow | None]], dict[str, str]]:
    """_entries, worked out once per list of rules a process holds (their state does not
    change while held) and kept until the next start or end of a promotion's window: between
    two such edges every rule is live or not alike (checking ~200 rules' state was a quarter
    of a quote's Python)."""
    key = (channel.pk, tuple(codes), get_language())
    if rules._checked is None:
        rules._checked = {}
    held = rules._checked.get(key)
    if (
        held is not None
        and (held[0] is None or held[0] <= now)
        and (held[1] is None or now < held[1])
    ):
        return list(held[2]), dict(held[3])
    entries, why = _entries(rules, codes, channel=channel, now=now)
    edges = [t for rule in rules for t in (rule.starts_at, rule.ends_at) if t is not None]
    since = max((t for t in edges if t <= now), default=None)
    until = min((t for t in edges if t > now), default=None)
    rules._checked[key] = (since, until, entries, why)
    return list(entries), dict(why)


def _given_facts(lines: Sequence[LineInput]) -> dict[int, VariantFacts] | None:
    """The goods facts the caller gave with every line (LineInput.product_id and the rest, as
    the cart's lines statement reads them), by variant id; None when a line has none."""
    facts: dict[int, VariantFacts] = {}
    for line in lines:
        if line.quantity <= 0:
            continue
        if line.product_id is None:
            return None
        try:
            variant_id = int(line.key)
        except ValueError:
            continue  # not a variant: nothing to match (as the query would find nothing)
        if line.category_path is not None:
            facts[variant_id] = VariantFacts(
                line.product_id, line.brand_id, line.category_path, line.attribute_values
            )
    return facts


def _codes_normalised(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys("".join(str(c).split()).upper() for c in codes if str(c).strip()))


def benefits(
    *, channel, customer, lines: Sequence[LineInput], codes: Sequence[str] = ()
) -> Benefits:
    """What the lines earn (orders.pricing's discount provider): loads what the rules need
    (at most two queries) and decides."""
    codes = _codes_normalised(codes)
    cart = _lines(lines)
    if not cart:
        return Benefits(
            rejected_codes={code: _("Add items to the cart to use this code.") for code in codes}
        )
    now = timezone.now()
    rules, read = _promotions_read(channel=channel, codes=codes, now=now, customer=customer)
    entries, _why = _entries_held(rules, codes, channel=channel, now=now)
    facts: dict[int, VariantFacts] = {}
    known = CustomerFacts()
    given = _given_facts(lines)
    goods = given is None and any(rule.looks_at_goods for rule, _code in entries)
    about_customer = [(rule, code) for rule, code in entries if rule.looks_at_customer]
    if given is not None:
        # The caller read the goods facts (the cart's lines statement): only the rules that may
        # match a line (and those behind a code, to say why) can need the customer's.
        facts = given
        may_match = rules.may_match([(line, facts.get(line.variant_id)) for line in cart])
        about_customer = [
            (rule, code)
            for rule, code in about_customer
            if rule.requires_code or rule.pk in may_match
        ]
    who = {
        "promotions": [rule.pk for rule, _code in about_customer],
        "codes": [code.id for _rule, code in about_customer if code is not None],
    }
    if read is not None:
        known = read  # came with the promotions (every held rule's per-customer uses)
        about_customer = []
    if goods and customer is not None and about_customer:
        facts, known = facts_load(
            variant_ids=[line.variant_id for line in cart], customer=customer, **who
        )
    elif goods:
        facts = variant_facts(line.variant_id for line in cart)
    elif customer is not None and about_customer:
        known = customer_facts(customer=customer, **who)
    return decide(
        rules=rules,
        lines=lines,
        codes=codes,
        channel=channel,
        customer=customer,
        variants=facts,
        known=known,
        now=now,
        checked=(entries, _why),
    )


def decide(
    *,
    rules: list[Rule],
    lines: Sequence[LineInput],
    codes: Sequence[str],
    channel,
    customer,
    variants: dict[int, VariantFacts],
    known: CustomerFacts,
    now: datetime,
    checked: tuple[list[tuple[Rule, CodeRow | None]], dict[str, str]] | None = None,
) -> Benefits:
    """The engine without the database: what `rules` grant the lines, given the facts about
    the variants and the customer."""
    codes = _codes_normalised(codes)
    result = Benefits()
    cart = _lines(lines)
    if not isinstance(rules, Rules):
        rules = Rules(sorted(rules, key=_apply_order))
    currency = channel.currency
    # `checked`: _entries of these sorted rules, when the caller has them already.
    entries, why = checked or _entries(rules, codes, channel=channel, now=now)
    with_facts = [(line, variants.get(line.variant_id)) for line in cart]
    subtotal = sum((line.gross for line in cart), ZERO)
    candidates: list[Candidate] = []
    may_match = rules.may_match(with_facts)
    for rule, code in entries:
        if not rule.requires_code and rule.pk not in may_match:
            continue  # names no line's goods (a rule behind a code is looked at: to say why)
        reason = _customer_refusal(rule, code, customer, known, explain=rule.requires_code)
        if reason is None:
            reason, candidate = _cart_refusal(
                rule, with_facts, subtotal, currency, explain=rule.requires_code
            )
            if candidate is not None:
                candidate.code = code.code if code is not None else ""
                candidates.append(candidate)
                continue
        if code is not None and rule.requires_code:
            why[code.code] = reason or _("This code does not apply to this cart.")

    goods = [c for c in candidates if c.rule.kind != Kind.SHIPPING]
    shipping = [c for c in candidates if c.rule.kind == Kind.SHIPPING]
    best = _apply([c for c in goods if not c.rule.exclusive], cart, currency)
    alone = [_apply([c], cart, currency) for c in goods if c.rule.exclusive]
    if alone:
        exclusive = max(
            alone,
            key=lambda o: (o.total, o.priority or 0, -o.applied[0].rule.pk if o.applied else 0),
        )
        if _better(exclusive, best):
            best = exclusive

    label = {c.rule.pk: c.rule.label for c in best.applied}
    for candidate, key, amount in best.discounts:
        rule = candidate.rule
        result.discounts.append(Discount(key, amount, label[rule.pk], rule.key, candidate.code))
    result.applied = [Applied(c.rule.key, label[c.rule.pk], code=c.code) for c in best.applied]
    result.gifts = best.gifts
    shipping = [c for c in shipping if c.rule.value > 0]
    if shipping:
        ship = max(
            shipping, key=lambda c: (min(c.rule.value, HUNDRED), c.rule.priority, -c.rule.pk)
        )
        result.shipping = ShippingDiscount(
            min(ship.rule.value, HUNDRED), ship.rule.label, ship.rule.key, ship.code
        )
        result.applied.append(Applied(ship.rule.key, ship.rule.label, code=ship.code))

    used = {a.code for a in result.applied if a.code}
    for candidate in candidates:
        if candidate.code and candidate.code not in used:
            gives = candidate.rule.kind == Kind.SHIPPING or bool(
                _apply([candidate], cart, currency).applied
            )
            why.setdefault(
                candidate.code,
                _("A better offer already applies to this cart.")
                if gives
                else _("This code does not apply to this cart."),
            )
    result.rejected_codes = {
        code: why.get(code) or _("This code does not apply to this cart.")
        for code in codes
        if code not in used
    }
    return result


# --- the embedded SQLite default ------------------------------------------------------------
# The statements above are PostgreSQL's (json_agg, LATERAL, ARRAY, = ANY). On SQLite, the
# `make run` demo's database, the same rules and facts are read through the ORM in a few more
# queries; the decisions are the same code. tests/campaigns/test_sqlite_engine.py runs a quote
# on SQLite against the same expectations.


def _portable_rules(*, channel, codes: Sequence[str], now: datetime) -> Rules:
    live = (
        Q(is_active=True, requires_code=False)
        & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        & (Q(budget__isnull=True) | Q(spent__lt=F("budget")))
        & (Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")))
        & (Q(channels__isnull=True) | Q(channels=channel.pk))
    )
    if codes:
        live |= Q(codes__code__in=list(codes))
    languages = [code for code, _name in settings.LANGUAGES]
    promotions = list(Promotion.objects.filter(live).distinct())
    pks = [p.pk for p in promotions]
    ids: dict[int, dict[str, list]] = {
        pk: {n: [] for n in (*CONDITIONS, "categories")} for pk in pks
    }
    for name in (*CONDITIONS, "categories"):
        through = getattr(Promotion, name).through
        column = "category__path" if name == "categories" else _m2m(name)[1]
        for pk, target in through.objects.filter(promotion_id__in=pks).values_list(
            "promotion_id", column
        ):
            ids[pk][name].append(target)
    code_rows: dict[int, list[CodeRow]] = {}
    if codes:
        for row in (
            Code.objects.filter(code__in=list(codes))
            .order_by("id")
            .values_list(
                "promotion_id",
                "id",
                "code",
                "is_active",
                "usage_limit",
                "times_used",
                "per_customer_limit",
            )
        ):
            code_rows.setdefault(row[0], []).append(CodeRow(*row[1:]))
    rules = [
        Rule(
            pk=p.pk,
            kind=p.kind,
            target=p.target,
            value=p.value,
            config=p.config or {},
            labels={lang: getattr(p, f"label_{lang}") or "" for lang in languages},
            min_subtotal=p.min_subtotal,
            min_quantity=p.min_quantity,
            first_order_only=p.first_order_only,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            exclusive=p.stacking == Promotion.Stacking.EXCLUSIVE,
            priority=p.priority,
            requires_code=p.requires_code,
            is_active=p.is_active,
            budget=p.budget,
            spent=p.spent,
            usage_limit=p.usage_limit,
            times_used=p.times_used,
            per_customer_limit=p.per_customer_limit,
            channels=frozenset(ids[p.pk]["channels"]),
            products=frozenset(ids[p.pk]["products"]),
            variants=frozenset(ids[p.pk]["variants"]),
            category_paths=tuple(sorted(ids[p.pk]["categories"])),
            brands=frozenset(ids[p.pk]["brands"]),
            attribute_values=frozenset(ids[p.pk]["attribute_values"]),
            segments=frozenset(ids[p.pk]["segments"]),
            tiers=frozenset(ids[p.pk]["loyalty_tiers"]),
            codes=tuple(code_rows.get(p.pk, ())),
        )
        for p in promotions
    ]
    return Rules(sorted(rules, key=_apply_order))


def _portable_variant_facts(variant_ids: Iterable[int]) -> dict[int, VariantFacts]:
    ids = list(variant_ids)
    values: dict[int, set[int]] = {pk: set() for pk in ids}
    through = ProductVariant.attribute_values.through
    for variant, value in through.objects.filter(productvariant_id__in=ids).values_list(
        "productvariant_id", "attributevalue_id"
    ):
        values[variant].add(value)
    return {
        pk: VariantFacts(product, brand, path, frozenset(values[pk]))
        for pk, product, brand, path in ProductVariant.objects.filter(pk__in=ids).values_list(
            "pk", "product_id", "product__brand_id", "product__category__path"
        )
    }


def _portable_customer_facts(
    *, customer, promotions: Iterable[int], codes: Iterable[int]
) -> CustomerFacts:
    unreleased = Redemption.objects.filter(customer_id=customer.pk, released_at__isnull=True)
    return CustomerFacts(
        has_ordered=Order.objects.filter(customer_id=customer.pk)
        .exclude(status=Order.Status.CANCELLED)
        .exists(),
        segments=frozenset(
            SegmentMembership.objects.filter(customer_id=customer.pk).values_list(
                "segment_id", flat=True
            )
        ),
        tier=LoyaltyAccount.objects.filter(customer_id=customer.pk)
        .values_list("tier_id", flat=True)
        .first(),
        uses=Counter(
            unreleased.filter(promotion_id__in=list(promotions)).values_list(
                "promotion_id", flat=True
            )
        ),
        code_uses=Counter(
            unreleased.filter(code_id__in=list(codes)).values_list("code_id", flat=True)
        ),
    )
