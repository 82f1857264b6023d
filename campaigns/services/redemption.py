"""What a placed order used of its promotions and codes, claimed race-safely inside the
placement, and given back when the order is cancelled or wholly returned and refunded.

The race rule: every use and every share of a budget is claimed with one conditional UPDATE
(`times_used < usage_limit`, `spent + amount <= budget`), never read and written back, so
PostgreSQL re-checks the condition on the row a concurrent claim has just changed: a code with
10 uses left gives exactly 10 orders its discount, however many are placed at once. A claim
that fails raises PromotionUnavailable: the placement rolls back, nothing is placed, and the
used-up code leaves the cart (in a transaction of its own, after the rollback) so the cart the
shopper reviews is priced as it can now be placed.

Per-customer limits (a promotion's and a code's) count the customer's unreleased redemptions
under a lock on the customer's claims (campaigns.locks), taken after the promotion and code
rows: two orders of one customer at once count each other.

Locks, in this order: promotion rows by id, code rows by id, the customer's claims. A release
takes the order's redemption rows first, then promotions and codes by id.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.locks import customer_claims_lock, redemptions_unreleased_lock
from campaigns.models import Code, Promotion, Redemption
from customers.models import Customer
from omni.errors import Conflict
from orders.models import Cart, Order, OrderLine, Return, ReturnLine
from orders.pricing import Quote
from orders.services.carts import cart_codes_set
from orders.services.placement import PlacementRefused
from sales_channels.models import Channel

ZERO = Decimal(0)


class PromotionUnavailable(PlacementRefused):
    """A promotion or code the order's quote used can no longer be had (its uses, its budget or
    the customer's uses are gone, or it was paused meanwhile). Nothing is placed; a code leaves
    the cart (cart_repair) and the cart is priced again without it."""

    code = "promotion_unavailable"

    def __init__(self, *, label: str, code: str = "", customer_limit: bool = False) -> None:
        self.label, self.promotion_code = label, code
        names = {"code": code, "promotion": label}
        if code and customer_limit:
            message = _(
                "You have already used the code %(code)s as often as it allows: it was removed "
                "from your cart. Review the new total and place the order again."
            )
        elif code:
            message = _(
                "The code %(code)s (%(promotion)s) can no longer be used: it was removed from "
                "your cart. Review the new total and place the order again."
            )
        else:
            message = _(
                "The promotion %(promotion)s is no longer available: your cart was priced again "
                "without it. Review the new total and place the order again."
            )
        message = message % names
        super().__init__(message, fields={"code" if code else "promotion": [message]})

    def cart_repair(self, *, cart: Cart, channel: Channel) -> None:
        """The used-up code leaves the cart (re-read: the caller's copy may be stale)."""
        if not self.promotion_code:
            return
        codes = Cart.objects.filter(pk=cart.pk, status=Cart.Status.ACTIVE).values_list(
            "codes", flat=True
        )
        current = next(iter(codes), None)
        if current is None or self.promotion_code not in current:
            return
        kept = [c for c in current if c != self.promotion_code]
        try:
            cart_codes_set(cart=cart, channel=channel, codes=kept)
        except Conflict:  # ordered or merged meanwhile: nothing left to repair
            return
        cart.codes = kept


@dataclass(frozen=True)
class Claim:
    """One promotion the quote applied: what it took off, through which code."""

    promotion_id: int
    label: str
    amount: Decimal
    code: str = ""


def quote_claims(quote: Quote) -> list[Claim]:
    """The promotions of the quote that took something off (a gift not yet in the cart took
    nothing and uses nothing), one per promotion, in promotion id order."""
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    first: dict[int, tuple[str, str]] = {}
    for applied in quote.promotions:
        if not applied.promotion.isdigit() or applied.amount <= 0:
            continue
        pk = int(applied.promotion)
        amounts[pk] += applied.amount
        first.setdefault(pk, (applied.label, applied.code))
    return [Claim(pk, first[pk][0], amounts[pk], first[pk][1]) for pk in sorted(amounts)]


# --- claiming, inside order_place -----------------------------------------------------------


def on_order_placing(*, order: Order, quote: Quote, customer: Customer | None, channel: Channel):
    """orders.hooks.order_placing: claim what the quote used, inside the placement."""
    claims = quote_claims(quote)
    if claims:
        redemptions_claim(
            order=order, claims=claims, customer=customer, channel=channel, currency=quote.currency
        )
    if quote.rejected_codes:
        _refuse_used_up(quote.rejected_codes, claimed={c.code for c in claims}, customer=customer)


def redemptions_claim(
    *,
    order: Order,
    claims: Sequence[Claim],
    customer: Customer | None,
    channel: Channel,
    currency: str,
) -> list[Redemption]:
    """Claim a use (and the amount, against a budget) of each promotion and code, and record a
    Redemption of each for the order; PromotionUnavailable if one cannot be had. Runs inside
    the caller's transaction (order_place's): a refusal rolls everything back.

    Only a promotion with a total limit or a budget, and a code with a total limit, is counted
    on its row (as Saleor counts a voucher only when it has a limit): an automatic promotion
    without one, which may apply to every checkout, never makes checkouts wait for each other
    on its row. Its uses are its redemptions (redemption_totals); promotion_counters_recount
    brings the row up to date when a limit or budget is set on it.

    Queries: one read of the codes (when there are any) and one of the promotions' limits, one
    UPDATE per limited promotion and code, the customer's lock and count when a per-customer
    limit applies, one INSERT."""
    assert connection.in_atomic_block, "redemptions_claim() must run inside a transaction"
    wanted = [c.code for c in claims if c.code]
    if not wanted:
        recorded = _redemptions_record_unlimited(
            order=order, claims=claims, customer=customer, channel=channel, currency=currency
        )
        if recorded is not None:
            return recorded
    codes = (
        {
            c.code: c
            for c in Code.objects.filter(code__in=wanted).only(
                "pk", "code", "promotion", "usage_limit", "per_customer_limit"
            )
        }
        if wanted
        else {}
    )
    rules = {
        pk: (usage_limit, budget, per_customer)
        for pk, usage_limit, budget, per_customer in Promotion.objects.filter(
            pk__in=[c.promotion_id for c in claims]
        ).values_list("pk", "usage_limit", "budget", "per_customer_limit")
    }
    for claim in claims:  # in promotion id order (quote_claims)
        if claim.promotion_id not in rules:
            raise PromotionUnavailable(label=claim.label, code=claim.code)
        usage_limit, budget, _per_customer = rules[claim.promotion_id]
        if usage_limit is not None or budget is not None:
            _promotion_claim(claim)
    code_of: dict[int, Code] = {}
    for claim in claims:
        found = codes.get(claim.code) if claim.code else None
        if claim.code and (found is None or found.promotion_id != claim.promotion_id):
            raise PromotionUnavailable(label=claim.label, code=claim.code)
        if found is not None:
            code_of[claim.promotion_id] = found
    for claim in sorted(
        (c for c in claims if c.promotion_id in code_of),
        key=lambda c: code_of[c.promotion_id].pk,
    ):
        if code_of[claim.promotion_id].usage_limit is not None:
            _code_claim(code_of[claim.promotion_id], claim)
    limits = {pk: rule[2] for pk, rule in rules.items() if rule[2] is not None}
    code_limits = {
        code.pk: code.per_customer_limit
        for code in code_of.values()
        if code.per_customer_limit is not None
    }
    if customer is not None and (limits or code_limits):
        _customer_limits_check(customer, claims, limits, code_limits, code_of)
    return Redemption.objects.bulk_create(
        Redemption(
            promotion_id=claim.promotion_id,
            code=code_of.get(claim.promotion_id),
            order=order,
            customer=customer,
            channel=channel,
            amount=claim.amount,
            currency=currency,
        )
        for claim in claims
    )


def _redemptions_record_unlimited(
    *,
    order: Order,
    claims: Sequence[Claim],
    customer: Customer | None,
    channel: Channel,
    currency: str,
) -> list[Redemption] | None:
    """The common placement in one statement: when no claim has a code and every promotion
    exists without a total limit or a budget (nothing to count on its row) and, for a known
    customer, without a per-customer limit (nothing to count under their lock), the
    redemptions are written by the same statement that checks it. None (nothing written):
    the claims need the full path (redemptions_claim's reads, UPDATEs and locks)."""
    if connection.vendor != "postgresql" or not claims:
        return None
    now = timezone.now()
    redemption, promotion = Redemption._meta.db_table, Promotion._meta.db_table
    sql = (
        "WITH c AS (SELECT * FROM unnest(%s::bigint[], %s::numeric[]) AS c(promotion_id, amount)), "  # noqa: S608 (names from the models; values are parameters)
        f"ok AS (SELECT count(*) = %s AS ok FROM {promotion} p JOIN c ON c.promotion_id = p.id "
        "WHERE p.usage_limit IS NULL AND p.budget IS NULL "
        "AND (p.per_customer_limit IS NULL OR %s)) "
        f"INSERT INTO {redemption} (promotion_id, code_id, order_id, customer_id, channel_id, "
        "amount, currency, created_at, released_at) "
        "SELECT c.promotion_id, NULL, %s, %s, %s, c.amount, %s, %s, NULL FROM c "
        "WHERE (SELECT ok FROM ok) ORDER BY c.promotion_id RETURNING id, promotion_id"
    )
    params: list[Any] = [
        [c.promotion_id for c in claims],
        [c.amount for c in claims],
        len(claims),
        customer is None,
        order.pk,
        customer.pk if customer is not None else None,
        channel.pk,
        currency,
        now,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    ids = dict((promotion_id, pk) for pk, promotion_id in rows)
    recorded = [
        Redemption(
            pk=ids[claim.promotion_id],
            promotion_id=claim.promotion_id,
            code=None,
            order=order,
            customer=customer,
            channel=channel,
            amount=claim.amount,
            currency=currency,
            created_at=now,
        )
        for claim in claims
    ]
    for row in recorded:  # as read from the database: saved
        row._state.adding, row._state.db = False, connection.alias
    return recorded


def _promotion_claim(claim: Claim) -> None:
    """One use and the amount of the promotion, if it still has them."""
    claimed = (
        Promotion.objects.filter(pk=claim.promotion_id, is_active=True)
        .filter(Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")))
        .filter(Q(budget__isnull=True) | Q(budget__gte=F("spent") + claim.amount))
        .update(times_used=F("times_used") + 1, spent=F("spent") + claim.amount)
    )
    if not claimed:
        raise PromotionUnavailable(label=claim.label, code=claim.code)


def _code_claim(code: Code, claim: Claim) -> None:
    """One use of the code, if it still has one."""
    claimed = (
        Code.objects.filter(pk=code.pk, is_active=True)
        .filter(Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")))
        .update(times_used=F("times_used") + 1)
    )
    if not claimed:
        raise PromotionUnavailable(label=claim.label, code=claim.code)


def _customer_limits_check(
    customer: Customer,
    claims: Sequence[Claim],
    limits: dict[int, int],
    code_limits: dict[int, int],
    code_of: dict[int, Code],
) -> None:
    """Under the customer's claims lock: one use more of each limited promotion and code must
    stay within the customer's limit, counted over their unreleased redemptions."""
    customer_claims_lock(customer_id=customer.pk)
    used = customer_uses(
        customer_id=customer.pk, promotion_ids=list(limits), code_ids=list(code_limits)
    )
    for claim in claims:
        code = code_of.get(claim.promotion_id)
        if (
            claim.promotion_id in limits
            and used.promotions[claim.promotion_id] >= limits[claim.promotion_id]
        ):
            raise PromotionUnavailable(label=claim.label, code=claim.code, customer_limit=True)
        if (
            code is not None
            and code.pk in code_limits
            and used.codes[code.pk] >= code_limits[code.pk]
        ):
            raise PromotionUnavailable(label=claim.label, code=claim.code, customer_limit=True)


@dataclass(frozen=True)
class CustomerUses:
    promotions: Counter[int]
    codes: Counter[int]


def customer_uses(
    *, customer_id: int, promotion_ids: Iterable[int] = (), code_ids: Iterable[int] = ()
) -> CustomerUses:
    """How often the customer has used these promotions and codes: their unreleased
    redemptions (a cancelled or wholly refunded order's do not count). One query."""
    promotion_ids, code_ids = list(promotion_ids), list(code_ids)
    promotions: Counter[int] = Counter()
    codes: Counter[int] = Counter()
    if not (promotion_ids or code_ids):
        return CustomerUses(promotions, codes)
    rows = Redemption.objects.filter(customer_id=customer_id, released_at__isnull=True).filter(
        Q(promotion_id__in=promotion_ids) | Q(code_id__in=code_ids)
    )
    for promotion_id, code_id in rows.values_list("promotion_id", "code_id"):
        promotions[promotion_id] += 1
        if code_id is not None:
            codes[code_id] += 1
    return CustomerUses(promotions, codes)


def _refuse_used_up(
    rejected: dict[str, str], *, claimed: set[str], customer: Customer | None
) -> None:
    """A code on the cart that the quote turned down because it is used up (its uses, its
    promotion's uses or budget gone, say by the order placed a moment before, or the
    customer's own uses) is refused as a claim that failed, never placed silently at the
    higher price. Queries only when the quote turned a code down."""
    candidates = [code for code in rejected if code not in claimed]
    if not candidates:
        return
    for code in Code.objects.select_related("promotion").filter(code__in=candidates):
        promotion = code.promotion
        if (
            (code.usage_limit is not None and code.times_used >= code.usage_limit)
            or (promotion.usage_limit is not None and promotion.times_used >= promotion.usage_limit)
            or (promotion.budget is not None and promotion.spent >= promotion.budget)
        ):
            raise PromotionUnavailable(label=promotion.label, code=code.code)
        if customer is not None and customer_used_up(code=code, customer_id=customer.pk):
            raise PromotionUnavailable(label=promotion.label, code=code.code, customer_limit=True)


def customer_used_up(*, code: Code, customer_id: int) -> bool:
    """Has the customer used the code, or its promotion, as often as they may (their
    unreleased redemptions)? No query when neither has a per-customer limit."""
    promotion = code.promotion
    if code.per_customer_limit is None and promotion.per_customer_limit is None:
        return False
    used = customer_uses(
        customer_id=customer_id,
        promotion_ids=[promotion.pk] if promotion.per_customer_limit is not None else [],
        code_ids=[code.pk] if code.per_customer_limit is not None else [],
    )
    return (
        promotion.per_customer_limit is not None
        and used.promotions[promotion.pk] >= promotion.per_customer_limit
    ) or (code.per_customer_limit is not None and used.codes[code.pk] >= code.per_customer_limit)


# --- giving uses back -----------------------------------------------------------------------


def redemptions_release(*, order_id: int) -> int:
    """Give back what the order used: its redemptions are marked released and each promotion
    and code gets its use (and the amount, its budget) back, with conditional UPDATEs.
    Idempotent: only redemptions not yet released are released, so twice is once, also at
    once. Returns how many were released."""
    with transaction.atomic():
        released = _redemptions_mark_released(order_id)
        back: dict[int, tuple[int, Decimal]] = {}
        code_back: Counter[int] = Counter()
        for promotion_id, code_id, amount in released:
            uses, spent = back.get(promotion_id, (0, ZERO))
            back[promotion_id] = (uses + 1, spent + amount)
            if code_id is not None:
                code_back[code_id] += 1
        for promotion_id in sorted(back):  # only rows that count (see redemptions_claim)
            uses, spent = back[promotion_id]
            Promotion.objects.filter(
                Q(usage_limit__isnull=False) | Q(budget__isnull=False), pk=promotion_id
            ).update(
                times_used=Greatest(F("times_used") - uses, Value(0)),
                spent=Greatest(F("spent") - spent, Value(ZERO)),
            )
        for code_id in sorted(code_back):
            Code.objects.filter(pk=code_id, usage_limit__isnull=False).update(
                times_used=Greatest(F("times_used") - code_back[code_id], Value(0))
            )
    return len(released)


def _redemptions_mark_released(order_id: int) -> list[tuple[int, int | None, Decimal]]:
    """Mark the order's unreleased redemptions released, under their lock, and return
    (promotion, code, amount) of each: a second release, even at once, finds none."""
    locked = redemptions_unreleased_lock(order_id=order_id)
    if locked:
        Redemption.objects.filter(pk__in=[pk for pk, *_rest in locked]).update(
            released_at=timezone.now()
        )
    return [(promotion, code, amount) for _pk, promotion, code, amount in locked]


def on_order_cancelled(*, order: Order) -> None:
    """orders.hooks.order_cancelled: a cancelled order gives its uses back."""
    redemptions_release(order_id=order.pk)


def on_refund_due(*, return_request: Return) -> None:
    """orders.hooks.refund_due: once every unit of every line of the order has come back in
    refunded returns (none exchanged), the order gives its uses back. A refund of money alone
    (the goods kept) does not: the goods were bought with the discount."""
    if order_wholly_refunded(order_id=return_request.order_id):
        redemptions_release(order_id=return_request.order_id)


def order_wholly_refunded(*, order_id: int) -> bool:
    """Has every unit of every line of the order come back in refunded returns, none of them
    exchanged? Two queries."""
    back: Counter[int] = Counter()
    rows = ReturnLine.objects.filter(
        return_request__order_id=order_id,
        return_request__status=Return.Status.REFUNDED,
        exchange_variant__isnull=True,
    ).values_list("order_line_id", "quantity")
    for line_id, quantity in rows:
        back[line_id] += quantity
    lines = OrderLine.objects.filter(order_id=order_id).values_list("pk", "quantity")
    return all(back[pk] >= quantity for pk, quantity in lines) and bool(back)


# --- what a promotion has used --------------------------------------------------------------


def redemption_totals(*, promotion_ids: Iterable[int]) -> dict[int, tuple[int, Decimal]]:
    """{promotion id: (uses, amount taken off)} from the unreleased redemptions: the truth for
    every promotion, counted on its row or not. One query."""
    rows = (
        Redemption.objects.filter(promotion_id__in=list(promotion_ids), released_at__isnull=True)
        .values("promotion_id")
        .annotate(uses=Count("pk"), amount=Sum("amount"))
        .values_list("promotion_id", "uses", "amount")
    )
    return {pk: (uses, amount or ZERO) for pk, uses, amount in rows}


def promotion_counters_recount(*, promotion_id: int) -> None:
    """Set the promotion's times_used and spent, and its codes' times_used, from its unreleased
    redemptions: to call when a total limit or a budget is set on a promotion (or a code) that
    ran without one, whose row was not counting. One UPDATE each, from subqueries."""
    live = Redemption.objects.filter(promotion_id=promotion_id, released_at__isnull=True)
    with transaction.atomic():
        Promotion.objects.filter(pk=promotion_id).update(
            times_used=Coalesce(
                Subquery(live.values("promotion_id").annotate(n=Count("pk")).values("n")[:1]),
                Value(0),
            ),
            spent=Coalesce(
                Subquery(live.values("promotion_id").annotate(s=Sum("amount")).values("s")[:1]),
                Value(ZERO),
            ),
        )
        Code.objects.filter(promotion_id=promotion_id).update(
            times_used=Coalesce(
                Subquery(
                    Redemption.objects.filter(code_id=OuterRef("pk"), released_at__isnull=True)
                    .values("code_id")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                Value(0),
            )
        )
