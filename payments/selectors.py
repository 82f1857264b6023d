"""Reads for payments: what a channel offers, what an order still owes, payments and store
credit as shown by the API and the admin. Each runs a fixed number of queries."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

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
