"""Reads for payments: what a channel offers, what an order still owes, payments and store
credit as shown by the API and the admin. Each runs a fixed number of queries."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer
from omni.errors import ValidationError
from orders.models import Order, Return
from payments.gateways.base import GATEWAYS, Gateway, gateway_class
from payments.gateways.gift_card import CODE as GIFT_CARD
from payments.gateways.loyalty import CODE as LOYALTY
from payments.gateways.store_credit import CODE as STORE_CREDIT
from payments.models import (
    ChannelGateway,
    GiftCard,
    GiftCardEntry,
    GiftCardProduct,
    Payment,
    PaymentTransaction,
    Refund,
    StoreCreditAccount,
    StoreCreditEntry,
    TillCount,
)
from sales_channels.models import Channel

logger = logging.getLogger(__name__)
PaymentStatus = Payment.Status
ZERO = Decimal(0)

# Payments whose money is the merchant's (or held for them): they cover the order.
COVERING = (
    PaymentStatus.AUTHORISED,
    PaymentStatus.CAPTURED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
)
# Means of payment kept in Omni's own ledgers, offered on every channel without configuration.
LEDGER_GATEWAYS = (STORE_CREDIT, LOYALTY, GIFT_CARD)
# Payments still waiting for the shopper or the provider.
IN_FLIGHT = (PaymentStatus.PENDING, PaymentStatus.ACTION_REQUIRED)


# --- work a lost message left undone (payments.tasks.releases_process_pending) ----------------


def orders_release_due(*, before: Any, limit: int = 200) -> list[int]:
    """Orders cancelled before `before` whose payments still hold money (authorised, or
    captured and not all refunded) and that have no refund in flight (refunds_process_pending
    owns those)."""
    holding = Payment.objects.filter(order=OuterRef("pk")).filter(
        Q(status=PaymentStatus.AUTHORISED)
        | Q(
            status__in=(PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED),
            amount_captured__gt=F("amount_refunded"),
        )
    )
    in_flight = Refund.objects.filter(order=OuterRef("pk"), status=Refund.Status.PENDING)
    return list(
        Order.objects.filter(status=Order.Status.CANCELLED, cancelled_at__lt=before)
        .filter(Exists(holding), ~Exists(in_flight))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def returns_refund_due(*, before: Any, limit: int = 200) -> list[int]:
    """Returns refunded before `before`, with an amount, on an order paid through Omni, that
    have no refund yet."""
    paid = Payment.objects.filter(order=OuterRef("order_id"), amount_captured__gt=0)
    made = Refund.objects.filter(return_request=OuterRef("pk"))
    return list(
        Return.objects.filter(
            status=Return.Status.REFUNDED, refund_amount__gt=0, updated_at__lt=before
        )
        .filter(Exists(paid), ~Exists(made))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- gateways -------------------------------------------------------------------------------


def gateway_defaults(code: str) -> dict[str, Any]:
    """A gateway's configuration before any channel's own: built-in defaults from the
    environment, then settings.OMNI_PAYMENT_GATEWAYS[code]."""
    base: dict[str, Any] = {}
    if code == "test":
        base = {
            "url": settings.OMNI_TEST_GATEWAY_URL,
            "api_key": settings.OMNI_TEST_GATEWAY_API_KEY,
            "webhook_secret": settings.OMNI_TEST_GATEWAY_SECRET,
            "notify_url": settings.OMNI_PUBLIC_URL.rstrip("/") + "/payments/webhooks/test/",
        }
    return {**base, **settings.OMNI_PAYMENT_GATEWAYS.get(code, {})}


TEST_GATEWAY = "test"


class GatewayRefused(ValidationError):
    """A gateway this deployment must not use: the test gateway where it is not allowed, or
    one whose secrets production refuses (missing, short or published)."""

    code = "gateway_refused"


def gateway_allowed(code: str) -> bool:
    """The test gateway only where settings.OMNI_ALLOW_TEST_GATEWAY says so; any other."""
    return code in GATEWAYS and (code != TEST_GATEWAY or settings.OMNI_ALLOW_TEST_GATEWAY)


def gateway_build(code: str, config: dict[str, Any]) -> Gateway:
    """The one place a gateway is made from its configuration. Refuses (GatewayRefused, and an
    error in the log) a gateway that is not allowed, and, where
    settings.OMNI_REFUSE_WEAK_GATEWAY_SECRETS is on (production), one whose secrets are
    missing, short or published: a weak secret never signs a request or verifies a webhook."""
    cls = gateway_class(code)
    if not gateway_allowed(code):
        logger.error("payment gateway %r refused: OMNI_ALLOW_TEST_GATEWAY is off", code)
        raise GatewayRefused.for_field(
            "gateway", _("This payment method is not available."), code="gateway_refused"
        )
    if settings.OMNI_REFUSE_WEAK_GATEWAY_SECRETS:
        weak = cls.weak_secrets(config)
        if weak:
            logger.error(
                "payment gateway %r refused: %s",
                code,
                "; ".join(f"{name} {why}" for name, why in sorted(weak.items())),
            )
            raise GatewayRefused.for_field(
                "gateway", _("This payment method is not available."), code="gateway_refused"
            )
    return cls(config)


def weak_gateway_configs() -> list[tuple[str, dict[str, str]]]:
    """Active channel gateways (and the defaults behind them) whose secrets production refuses,
    as ("<channel>:<gateway>", {field: why}); the test gateway where it is not allowed is
    listed too. For the deploy check and the admin."""
    found = []
    for cg in ChannelGateway.objects.filter(is_active=True).select_related("channel"):
        if cg.gateway not in GATEWAYS:
            continue
        label = f"{cg.channel.code}:{cg.gateway}"
        if not gateway_allowed(cg.gateway):
            found.append((label, {"gateway": "is the test gateway, and it is not allowed"}))
            continue
        weak = GATEWAYS[cg.gateway].weak_secrets(
            {**gateway_defaults(cg.gateway), **(cg.config or {})}
        )
        if weak:
            found.append((label, weak))
    return found


def channel_gateways(channel: Channel) -> list[ChannelGateway]:
    """The gateways a channel offers, in its order (one query); the test gateway only where it
    is allowed. Store credit is offered on every channel to a customer who has some, without
    being configured."""
    return [
        cg
        for cg in ChannelGateway.objects.filter(channel=channel, is_active=True).order_by(
            "sort_order", "gateway"
        )
        if gateway_allowed(cg.gateway)
    ]


def channel_card_gateways(channel: Channel) -> list[ChannelGateway]:
    """The online gateways a channel offers for card payments (no store credit), in its
    order: what a shopper paying on the web or by link chooses from."""
    return [
        cg
        for cg in channel_gateways(channel)
        if cg.gateway not in LEDGER_GATEWAYS and GATEWAYS[cg.gateway].online
    ]


def gateway_for(channel: Channel, code: str) -> Gateway:
    """A configured instance of gateway `code` as `channel` offers it; a gateway the channel
    does not offer is a field error on "gateway" (GatewayRefused: one this deployment must not
    use, see gateway_build). Store credit, loyalty points and gift cards are offered
    everywhere."""
    if code in LEDGER_GATEWAYS:
        return gateway_build(code, gateway_defaults(code))
    found = ChannelGateway.objects.filter(channel=channel, gateway=code, is_active=True).first()
    if found is None or code not in GATEWAYS:
        raise ValidationError.for_field(
            "gateway",
            _("%(channel)s does not take payments by %(gateway)s.")
            % {"channel": channel.name, "gateway": code},
            code="gateway_not_offered",
        )
    return gateway_build(code, {**gateway_defaults(code), **(found.config or {})})


def gateway_for_webhooks(code: str) -> Gateway:
    """The gateway that verifies notifications, with its default configuration (the secret is
    the merchant's, not a channel's)."""
    if code not in GATEWAYS:
        raise ValidationError.for_field(
            "gateway", _("Unknown payment gateway."), code="unknown_gateway"
        )
    return gateway_build(code, gateway_defaults(code))


# --- what an order owes ---------------------------------------------------------------------


def order_amount_covered(*, order: Order) -> Decimal:
    """What the order's payments cover: authorised (captured or not) and not voided. Refunds
    (returns, goodwill) do not make an order owe again."""
    return (
        Payment.objects.filter(order_id=order.pk, status__in=COVERING).aggregate(
            s=Sum("amount_authorised")
        )["s"]
        or ZERO
    )


def order_payments_told(*, order: Order) -> list[dict[str, str]]:
    """How the order was paid, as the confirmation e-mail tells it (orders cannot read
    payments, so this rides in the notification's context): one entry per covering payment,
    its method named in the order's language, the card's last four digits and the instalments
    where there are any. JSON-ready: amounts are strings."""
    told = []
    with translation.override(order.language or "tr"):
        for payment in Payment.objects.filter(order_id=order.pk, status__in=COVERING).order_by(
            "pk"
        ):
            entry = {
                "method": str(payment.get_kind_display()),
                "amount": str(payment.amount_authorised or payment.amount),
                "currency": payment.currency,
            }
            if payment.card_last4:
                entry["card"] = f"•••• {payment.card_last4}"
            instalments = getattr(payment, "installments", None) or (payment.data or {}).get(
                "installments"
            )
            if instalments and int(instalments) > 1:
                entry["instalments"] = str(int(instalments))
            told.append(entry)
    return told


def order_amount_due(*, order: Order) -> Decimal:
    """What is still to pay for the order (never below zero; nothing for a cancelled one).
    Payments still in flight (3-D Secure, a result to come) do not count: a new attempt
    abandons them."""
    if order.status == Order.Status.CANCELLED:
        return ZERO
    return max(order.total - order_amount_covered(order=order), ZERO)


# --- payments -------------------------------------------------------------------------------


def payments_query() -> QuerySet[Payment]:
    """Payments with their order, channel and ledger: two queries whatever their number."""
    return Payment.objects.select_related("order", "channel").prefetch_related(
        Prefetch("transactions", queryset=PaymentTransaction.objects.order_by("created_at", "id"))
    )


def payments_for_order(*, order: Order) -> QuerySet[Payment]:
    return payments_query().filter(order_id=order.pk).order_by("created_at", "id")


def payment_get_for_customer(*, customer: Customer | None, reference: str) -> Payment | None:
    """The customer's own payment with this reference; anyone else's is None (a 404)."""
    if customer is None:
        return None
    return payments_query().filter(reference=reference, order__customer=customer).first()


# --- store credit ---------------------------------------------------------------------------


def store_credit_balance(*, customer: Customer) -> tuple[Decimal, str]:
    account = StoreCreditAccount.objects.filter(customer=customer).first()
    return (account.balance, account.currency) if account else (ZERO, "TRY")


def store_credit_entries(*, customer: Customer, limit: int = 50) -> list[StoreCreditEntry]:
    return list(
        StoreCreditEntry.objects.filter(account__customer=customer)
        .select_related("channel", "account")
        .order_by("-created_at", "-id")[:limit]
    )


# --- gift cards -----------------------------------------------------------------------------


def order_gift_card_payable(*, order: Order) -> Decimal:
    """What gift cards may still pay of the order: its total less its gift-card lines (a gift
    card never buys another) and less what gift cards already cover. Two queries."""
    gift_lines = (
        order.lines.filter(
            variant__in=GiftCardProduct.objects.filter(is_active=True).values("variant_id")
        ).aggregate(s=Sum("line_total"))["s"]
        or ZERO
    )
    by_cards = (
        Payment.objects.filter(order_id=order.pk, gateway=GIFT_CARD, status__in=COVERING).aggregate(
            s=Sum("amount_authorised")
        )["s"]
        or ZERO
    )
    return max(order.total - gift_lines - by_cards, ZERO)


def order_gift_card_paid(*, order: Order) -> Decimal:
    """What gift cards cover of the order (one query)."""
    return order_gift_card_totals(order=order)[1]


def order_gift_card_totals(*, order: Order) -> tuple[Decimal, Decimal]:
    """What is still due on the order, and what gift cards cover of it, in one query (the
    payment step shows both)."""
    covering = Payment.objects.filter(order_id=order.pk, status__in=COVERING)
    sums = covering.aggregate(
        covered=Sum("amount_authorised"),
        by_cards=Sum("amount_authorised", filter=Q(gateway=GIFT_CARD)),
    )
    covered, by_cards = sums["covered"] or ZERO, sums["by_cards"] or ZERO
    due = ZERO if order.status == Order.Status.CANCELLED else max(order.total - covered, ZERO)
    return due, by_cards


def gift_cards_of_customer(*, customer: Customer) -> QuerySet[GiftCard]:
    """The cards a customer holds or bought, newest first (one query)."""
    return GiftCard.objects.filter(Q(holder=customer) | Q(buyer=customer)).order_by(
        "-created_at", "-id"
    )


def gift_cards_query(
    *,
    status: str = "",
    source: str = "",
    holder: int | None = None,
    code: str = "",
) -> QuerySet[GiftCard]:
    """Gift cards for staff, filtered (a code's last characters match its end), with who holds
    them and who issued them: one query whatever their number."""
    cards = GiftCard.objects.select_related("holder", "issued_by").order_by("-created_at", "-id")
    if status:
        cards = cards.filter(status=status)
    if source:
        cards = cards.filter(source=source)
    if holder:
        cards = cards.filter(holder_id=holder)
    if code:
        cards = cards.filter(code__endswith=code)
    return cards


def gift_card_entries(*, card: GiftCard, limit: int = 50) -> list[GiftCardEntry]:
    return list(
        GiftCardEntry.objects.filter(card=card)
        .select_related("channel")
        .order_by("-created_at", "-id")[:limit]
    )


# --- a store's tills at the end of a business day (the staff end-of-day report) ---------------

# A refund handed back in cash at the counter (Refund.Destination.CASH, added by the staff
# returns screen): the string, so this reads the same before and after that choice exists.
CASH = "cash"


def business_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The aware start and end of a business day in the merchant's time zone (settings
    TIME_ZONE, Europe/Istanbul): [start, end)."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def _store_refunds(*, channel: Channel, day: date) -> QuerySet[Refund]:
    """Refunds given at the store that day: made at its till (Refund.channel, which the staff
    returns screen records); or, for one that does not say where it was made, of a return
    handed in at the store's location (or asked for on its channel without a location), or,
    without a return, of the store's own sale. A failed refund handed nothing back."""
    start, end = business_day_bounds(day)
    location_id = getattr(getattr(channel, "store_location", None), "pk", None)
    at_store = Q(return_request__isnull=True, order__channel=channel) | Q(
        return_request__location__isnull=True, return_request__channel=channel
    )
    if location_id is not None:
        at_store |= Q(return_request__location_id=location_id)
    return (
        Refund.objects.filter(Q(channel=channel) | Q(channel__isnull=True) & at_store)
        .filter(created_at__gte=start, created_at__lt=end)
        .exclude(status=Refund.Status.FAILED)
        .order_by()
    )


@dataclass
class TillTotals:
    """One staff member's till (or the store's, summed) for a business day."""

    staff_id: int | None
    # {payment kind: [count, amount]} of the payments taken; {destination: [count, amount]}
    sales: dict[str, list] = field(default_factory=dict)
    refunds: dict[str, list] = field(default_factory=dict)
    cash_in: Decimal = ZERO
    cash_out: Decimal = ZERO  # refunds handed back in cash
    count: Any = None  # the TillCount in force, None before a count
    corrections: int = 0  # earlier counts it replaced

    @property
    def sales_count(self) -> int:
        return sum(count for count, _amount in self.sales.values())

    @property
    def sales_total(self) -> Decimal:
        return sum((amount for _count, amount in self.sales.values()), ZERO)

    @property
    def refunds_count(self) -> int:
        return sum(count for count, _amount in self.refunds.values())

    @property
    def refunds_total(self) -> Decimal:
        return sum((amount for _count, amount in self.refunds.values()), ZERO)

    @property
    def cash_expected(self) -> Decimal:
        return self.cash_in - self.cash_out

    @property
    def cash_counted(self) -> Decimal | None:
        return None if self.count is None else self.count.counted

    @property
    def cash_difference(self) -> Decimal | None:
        """Counted less expected now (a sale after the count shows here, not on the count)."""
        return None if self.count is None else self.count.counted - self.cash_expected

    def add(self, other: TillTotals) -> None:
        for mine, theirs in ((self.sales, other.sales), (self.refunds, other.refunds)):
            for key, (count, amount) in theirs.items():
                row = mine.setdefault(key, [0, ZERO])
                row[0] += count
                row[1] += amount
        self.cash_in += other.cash_in
        self.cash_out += other.cash_out


def till_totals(*, channel: Channel, day: date) -> dict[int | None, TillTotals]:
    """{staff member's id: their till} at a store on a business day, four queries whatever the
    number of payments, refunds and staff:

    - sales: the payments taken on the store's channel that day (authorised or captured, even
      if refunded since: a refund is shown as a refund), by the staff member who recorded them
      or, for one the customer paid themselves (pay-by-link), who placed the order; the amount
      is what was authorised (for the counter's cash and terminal, what was taken);
    - refunds: given at the store that day (see _store_refunds), by who gave them, by
      destination;
    - cash out: the parts of refunds handed back in cash (not those that went back to points
      or a gift card), and the parts of refunds to the original payment that went back to a
      cash payment;
    - the count in force of each staff member, and how many earlier counts it replaced.
    A staff member with none of these is absent; payments of no known staff member are under
    None."""
    start, end = business_day_bounds(day)
    tills: dict[int | None, TillTotals] = {}

    def till(staff_id: int | None) -> TillTotals:
        return tills.setdefault(staff_id, TillTotals(staff_id))

    sales = (
        Payment.objects.filter(
            channel=channel, status__in=COVERING, created_at__gte=start, created_at__lt=end
        )
        .annotate(staff=Coalesce("created_by_id", "order__placed_by_id"))
        .order_by()
        .values_list("staff", "kind")
        .annotate(count=Count("id"), amount=Sum("amount_authorised"))
    )
    for staff_id, kind, count, amount in sales:
        totals = till(staff_id)
        totals.sales[kind] = [count, amount]
        if kind == Payment.Kind.CASH:
            totals.cash_in += amount
    refunds = _store_refunds(channel=channel, day=day)
    for staff_id, destination, count, amount in (
        refunds.values_list("created_by_id", "destination")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by()
    ):
        till(staff_id).refunds[destination] = [count, amount]
    # Cash out of the till: the parts of a refund "in cash" (points and gift cards still go
    # back where they came from), and the parts of a refund to the original payment that went
    # back to a cash payment.
    handed_back = (
        PaymentTransaction.objects.filter(refund__in=refunds, kind=PaymentTransaction.Kind.REFUND)
        .filter(
            Q(refund__destination=CASH) & ~Q(payment__gateway__in=(LOYALTY, GIFT_CARD))
            | Q(refund__destination=Refund.Destination.ORIGINAL, payment__kind=Payment.Kind.CASH)
        )
        .exclude(status=PaymentTransaction.Status.FAILED)
        .order_by()
        .values_list("refund__created_by_id")
        .annotate(amount=Sum("amount"))
    )
    for staff_id, amount in handed_back:
        till(staff_id).cash_out += amount
    for count in TillCount.objects.filter(channel=channel, business_date=day).order_by(
        "staff_id", "-created_at", "-id"
    ):
        totals = till(count.staff_id)
        if totals.count is None:
            totals.count = count
        else:
            totals.corrections += 1
    return tills


def till_cash_expected(*, channel: Channel, staff: User | None, day: date) -> Decimal:
    """The cash a staff member's till should hold at the end of a business day: cash taken
    less cash handed back (see till_totals)."""
    totals = till_totals(channel=channel, day=day).get(staff.pk if staff else None)
    return totals.cash_expected if totals else ZERO
