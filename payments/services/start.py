"""Starting a payment (online, or store credit), finishing it after 3-D Secure, and staff
recording money taken at the counter."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from omni.errors import ValidationError
from orders.locks import order_lock
from orders.models import Order, OrderLine
from orders.services.agreements import agreements_require_accepted
from orders.services.lifecycle import order_event
from payments import selectors
from payments.gateways.base import (
    Buyer,
    Card,
    GatewayError,
    GatewayResult,
    InstalmentOption,
    Item,
    PaymentRequest,
    Status,
)
from payments.gateways.gift_card import CODE as GIFT_CARD
from payments.gateways.loyalty import CODE as LOYALTY
from payments.gateways.store_credit import CODE as STORE_CREDIT
from payments.locks import payments_lock
from payments.models import Payment, PaymentTransaction
from payments.services.answers import _apply, _record
from payments.services.core import (
    _KIND,
    GatewayUnavailable,
    _gateway,
    _ref,
    _require_amount,
    _require_payable,
    _txn,
    payment_transition,
)
from payments.services.gift_cards import _gift_card_pay
from payments.services.instalments import instalment_choice
from payments.services.loyalty import _loyalty_pay
from payments.services.store_credit import _store_credit_pay
from sales_channels.models import Channel

LEDGERS = (STORE_CREDIT, LOYALTY, GIFT_CARD)


def _buyer(order: Order) -> Buyer:
    address = order.billing_address or order.shipping_address or {}
    customer = order.customer
    full = (address.get("full_name") or "").split()
    first = (customer.first_name if customer else "") or (full[0] if full else "-")
    last = (customer.last_name if customer else "") or (
        " ".join(full[1:]) if len(full) > 1 else "-"
    )
    return Buyer(
        id=str(order.customer_id or order.number),
        name=first,
        surname=last,
        email=order.email or (customer.email if customer else ""),
        phone=order.phone,
        city=address.get("city", ""),
        country=address.get("country", "TR"),
        address=" ".join(p for p in (address.get("line1"), address.get("district")) if p),
    )


def _items(order: Order) -> tuple[Item, ...]:
    return tuple(
        Item(id=ln.sku, name=ln.product_name, category="", price=ln.line_total)
        for ln in OrderLine.objects.filter(order_id=order.pk).order_by("id")
    )


def return_url_for(payment: Payment) -> str:
    return settings.OMNI_PUBLIC_URL.rstrip("/") + reverse(
        "payments:return", kwargs={"reference": payment.reference}
    )


# --- starting and completing a payment ------------------------------------------------------


def payment_start(
    *,
    order: Order,
    gateway_code: str,
    amount: Decimal | None = None,
    card: Card | None = None,
    return_url: str = "",
    actor: User | None = None,
    channel: Channel | None = None,
    gift_card_code: str = "",
    gift_card_pin: str = "",
    instalments: int = 1,
) -> tuple[Payment, GatewayResult]:
    """Start an online payment for `order` with a gateway `channel` offers (default: the
    order's channel), for `amount` (default: what is still due; more than that is refused).

    Returns the payment and the gateway's answer: captured or authorised (the order is
    confirmed when covered), action_required (send the shopper to `redirect_url` or show
    `html`; they come back to `return_url`, default our /payments/return/<reference>/, and
    payment_complete finishes it), pending (a webhook brings the result), declined or failed.
    Earlier attempts of the order still waiting (3-D Secure never finished) are abandoned.
    "store_credit" pays from the customer's balance at once, on any channel; "loyalty" from
    their points (customers.loyalty), likewise; "gift_card" from the card with
    `gift_card_code` and `gift_card_pin` (payments.services.gift_cards), likewise.
    `instalments` above 1 splits a card payment: the count is checked with the provider for
    the card's BIN and this amount (payments.services.instalments), and the payment records it
    with the total the shopper pays, the provider's charge for them included.
    Raises ValidationError (field "gateway", "amount", "instalments"), Conflict (cancelled order),
    GatewayUnavailable (the provider cannot be reached; the payment is marked failed).
    A distance sale (orders.services.agreements) is refused (field "agreements") until the
    shopper accepted its legal forms."""
    agreements_require_accepted(order)
    channel = channel or order.channel
    gateway = selectors.gateway_for(channel, gateway_code)
    if instalments != 1 and (card is None or not gateway.online or gateway_code in LEDGERS):
        raise ValidationError.for_field(
            "instalments", _("Only a card payment can be split."), code="invalid_instalments"
        )
    if gateway_code == STORE_CREDIT:
        return _store_credit_pay(order=order, amount=amount, actor=actor, channel=channel)
    if gateway_code == LOYALTY:
        return _loyalty_pay(order=order, amount=amount, actor=actor, channel=channel)
    if gateway_code == GIFT_CARD:
        return _gift_card_pay(
            order=order,
            amount=amount,
            actor=actor,
            channel=channel,
            code=gift_card_code,
            pin=gift_card_pin,
        )
    if not gateway.online:
        raise ValidationError.for_field(
            "gateway",
            _("%(gateway)s payments are recorded by staff at the counter.")
            % {"gateway": gateway.label},
            code="gateway_offline",
        )
    choice = None
    if instalments != 1 and card is not None:
        # Checked outside the transaction (it asks the provider), for an amount fixed here:
        # _payment_open checks it against what is due under the order's lock.
        amount = selectors.order_amount_due(order=order) if amount is None else amount
        choice = instalment_choice(
            gateway=gateway,
            card_number=card.number,
            amount=Decimal(str(amount)),
            currency=order.currency,
            count=instalments,
        )
    order, payment = _payment_open(
        order=order,
        channel=channel,
        gateway_code=gateway_code,
        amount=amount,
        card=card,
        return_url=return_url,
        actor=actor,
        choice=choice,
    )
    request = PaymentRequest(
        reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
        order_number=order.number,
        buyer=_buyer(order),
        items=_items(order),
        return_url=payment.return_url,
        card=card,
        instalments=payment.instalments,
        instalment_total=payment.instalment_total,
    )
    try:
        result = gateway.authorise(request)
    except GatewayError as error:
        failed = GatewayResult(
            status=Status.FAILED, error_code="gateway_unavailable", error_message=str(error)
        )
        _record(payment, failed)
        raise GatewayUnavailable() from None
    payment, _outcome = _record(payment, result)
    return payment, result


def _payment_open(
    *,
    order: Order,
    channel: Channel,
    gateway_code: str,
    amount: Decimal | None,
    card: Card | None,
    return_url: str,
    actor: User | None,
    choice: InstalmentOption | None = None,
) -> tuple[Order, Payment]:
    """payment_start's transaction: under the order's lock, the amount checked against what is
    due, the order's waiting attempts abandoned, the new payment and its pending authorisation
    row written. Returns the locked order and the payment."""
    with transaction.atomic():
        order = order_lock(order)
        _require_payable(order)
        due = selectors.order_amount_due(order=order)
        amount = _require_amount(order=order, amount=due if amount is None else amount, due=due)
        for stale in payments_lock(order_id=order.pk, statuses=selectors.IN_FLIGHT):
            payment_transition(
                stale, Payment.Status.CANCELLED, order=order, actor=actor, message=_("Abandoned")
            )
        payment = Payment(
            order=order,
            channel=channel,
            gateway=gateway_code,
            kind=Payment.Kind.CARD,
            amount=amount,
            currency=order.currency,
            card_last4=card.last4 if card else "",
            created_by=actor if actor and actor.pk else None,
        )
        if choice is not None and choice.count > 1:
            payment.instalments, payment.instalment_total = choice.count, choice.total
        payment.return_url = (return_url or return_url_for(payment))[:500]
        payment.save()
        _txn(payment, PaymentTransaction.Kind.AUTHORISE, amount, f"{payment.reference}:authorise")
        order_event(
            order,
            "payment_started",
            actor=actor,
            channel=channel,
            data={
                "payment": payment.reference,
                "gateway": gateway_code,
                "amount": str(amount),
                **(
                    {"instalments": payment.instalments, "total": str(payment.instalment_total)}
                    if payment.instalments > 1
                    else {}
                ),
            },
        )
    return order, payment


def payment_complete(*, payment: Payment, params: dict[str, Any]) -> Payment:
    """Finish a payment after the shopper came back from 3-D Secure. `params` are what the
    browser brought; the result is asked of the provider, never taken from them. A payment no
    longer waiting (a webhook was faster) is returned as it is."""
    if payment.status != Payment.Status.ACTION_REQUIRED:
        return payment
    try:
        result = _gateway(payment).complete(_ref(payment), dict(params))
    except GatewayError:
        raise GatewayUnavailable() from None
    payment, _outcome = _record(payment, result)
    return payment


# --- offline payments -----------------------------------------------------------------------


def payment_record_offline(
    *,
    order: Order,
    gateway_code: str,
    amount: Decimal,
    actor: User | None,
    channel: Channel,
    reference: str = "",
) -> Payment:
    """Staff record money taken at the counter: cash, or the store's own card terminal
    (`reference`: its slip number). Recording the same reference again returns the first
    payment. The order is confirmed when covered."""
    gateway = selectors.gateway_for(channel, gateway_code)
    if gateway.online or gateway_code in (STORE_CREDIT, LOYALTY, GIFT_CARD):
        raise ValidationError.for_field(
            "gateway",
            _("Only cash and card-terminal payments are recorded by staff."),
            code="gateway_online",
        )
    reference = (reference or "").strip()[:100]
    if reference:
        existing = Payment.objects.filter(
            order=order, gateway=gateway_code, provider_reference=reference
        ).first()
        if existing is not None:
            return existing
    with transaction.atomic():
        order = order_lock(order)
        _require_payable(order)
        due = selectors.order_amount_due(order=order)
        amount = _require_amount(order=order, amount=amount, due=due)
        payment = Payment.objects.create(
            order=order,
            channel=channel,
            gateway=gateway_code,
            kind=_KIND.get(gateway_code, Payment.Kind.CARD),
            amount=amount,
            currency=order.currency,
            provider_reference=reference,
            created_by=actor if actor and actor.pk else None,
        )
        result = gateway.authorise(  # offline: nothing leaves Omni
            PaymentRequest(
                reference=payment.reference,
                amount=amount,
                currency=order.currency,
                order_number=order.number,
                buyer=_buyer(order),
            )
        )
        _apply(order, payment, result)
    return payment
