"""Pay-by-link: a signed, expiring link to pay a cart or an order from the shopper's phone.

The link is its token: django.core.signing (salt LINK_SALT) over what it was made for — a cart
or an order, the channel, the amount and currency, when it expires, a random nonce (128 bits)
and, for a cart, the delivery the clerk chose (method, shipping method code, the id of one of
the customer's saved addresses or the pickup store's code; never an address or a name, since
a token is signed, not encrypted). Nothing is stored to make a link: it cannot be guessed or
altered without the secret key, and it carries its own expiry (OMNI_PAYMENT_LINK_HOURS).

"Paid once" follows from the order it pays: a link whose order owes nothing more is used.
A cart's link places the order through the one order service (order_place_once) with an
idempotency key derived from the link (scope "paylink:<cart>", key = the nonce), so a double
submit, or two phones paying at once, place one order; the payment itself goes through
payments.services.payment_start / payment_complete on the channel's online gateway.

Before any money moves the link must verify, not be expired, not be used, and the cart (priced
now, for the delivery of the link) or the order (what it still owes) must come to exactly the
amount and currency the link was made for; otherwise nothing is charged.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Address, Customer
from omni.errors import Conflict, NotFound, OmniError, ValidationError
from omni.messaging import MessageNotSent, message_provider
from omni.money import money_format
from omni.tasks import enqueue_after_commit
from orders.models import Cart, IdempotencyKey, Order, OrderLine
from orders.services import agreements, checkout
from orders.services.carts import LineInfo
from orders.services.lifecycle import order_event
from payments import selectors
from payments.gateways.base import Card, GatewayResult
from payments.models import Payment, PaymentLinkSend
from sales_channels.emails import email_message
from sales_channels.models import Channel

LINK_SALT = "omni.payments.link"
CART, ORDER = "cart", "order"


class LinkInvalid(OmniError):
    status_code = 400
    code = "link_invalid"
    default_message = "This payment link is not valid."


class LinkExpired(OmniError):
    status_code = 410
    code = "link_expired"
    default_message = "This payment link has expired."


class LinkUsed(OmniError):
    status_code = 410
    code = "link_used"
    default_message = "This payment link has already been used."


class LinkChanged(Conflict):
    code = "link_amount_changed"
    default_message = "The amount to pay changed since this link was made."


# --- the token ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkData:
    kind: str  # CART or ORDER
    target_id: int
    channel_id: int
    amount: Decimal
    currency: str
    expires_at: datetime
    nonce: str
    delivery: dict[str, Any] = field(default_factory=dict)  # a cart's: m, s, a, p

    def as_payload(self) -> dict[str, Any]:
        payload = {
            "k": self.kind,
            "i": self.target_id,
            "ch": self.channel_id,
            "a": str(self.amount),
            "c": self.currency,
            "e": int(self.expires_at.timestamp()),
            "n": self.nonce,
        }
        if self.delivery:
            payload["d"] = self.delivery
        return payload

    @property
    def fingerprint(self) -> str:
        return checkout.request_fingerprint(self.as_payload())

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at


def link_token(data: LinkData) -> str:
    return signing.dumps(data.as_payload(), salt=LINK_SALT, compress=True)


def link_read(token: str) -> LinkData:
    """What a token says, or LinkInvalid when it was not made by us (or was altered)."""
    try:
        payload = signing.loads(token, salt=LINK_SALT)
        return LinkData(
            kind=payload["k"] if payload["k"] in (CART, ORDER) else "",
            target_id=int(payload["i"]),
            channel_id=int(payload["ch"]),
            amount=Decimal(payload["a"]),
            currency=str(payload["c"]),
            expires_at=datetime.fromtimestamp(int(payload["e"]), tz=UTC),
            nonce=str(payload["n"]),
            delivery=dict(payload.get("d") or {}),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, ArithmeticError):
        raise LinkInvalid(_("This payment link is not valid. Ask for a new one.")) from None


def link_path(token: str) -> str:
    return reverse("payment-links:page", kwargs={"token": token})


@dataclass(frozen=True)
class PaymentLink:
    token: str
    data: LinkData

    @property
    def path(self) -> str:
        return link_path(self.token)

    @property
    def url(self) -> str:
        return settings.OMNI_PUBLIC_URL.rstrip("/") + self.path


def _expiry() -> datetime:
    return (timezone.now() + timedelta(hours=settings.OMNI_PAYMENT_LINK_HOURS)).replace(
        microsecond=0
    )


def _nonce() -> str:
    return secrets.token_urlsafe(16)


# --- which gateway --------------------------------------------------------------------------


def online_gateway_code(channel: Channel) -> str:
    """The first online gateway the channel offers (its card payments); none is a 400."""
    offered = selectors.channel_card_gateways(channel)
    if offered:
        return offered[0].gateway
    raise ValidationError.for_field(
        "channel",
        _("%(channel)s takes no online card payments, so it cannot send payment links.")
        % {"channel": channel.name},
        code="no_online_gateway",
    )


# --- making links ---------------------------------------------------------------------------


def link_create_for_order(
    *, order: Order, actor: User | None = None, sent_via: tuple[str, ...] = ()
) -> PaymentLink:
    """A link to pay what the order still owes, on the order's channel. Recorded in the order's
    history (who made it, for how much, until when; never the token)."""
    if order.status == Order.Status.CANCELLED:
        raise Conflict(
            _("Order %(number)s is cancelled and cannot be paid.") % {"number": order.number},
            code="order_cancelled",
        )
    due = selectors.order_amount_due(order=order)
    if due <= 0:
        raise Conflict(
            _("Order %(number)s owes nothing.") % {"number": order.number}, code="nothing_due"
        )
    online_gateway_code(order.channel)
    data = LinkData(
        kind=ORDER,
        target_id=order.pk,
        channel_id=order.channel_id,
        amount=due,
        currency=order.currency,
        expires_at=_expiry(),
        nonce=_nonce(),
    )
    with transaction.atomic():
        order_event(
            order,
            "payment_link_created",
            actor=actor,
            channel=order.channel,
            data={
                "amount": str(due),
                "currency": order.currency,
                "expires_at": data.expires_at.isoformat(),
                "link": data.nonce[:6],
                "sent_via": list(sent_via),
            },
        )
    return PaymentLink(link_token(data), data)


def _delivery_from_spec(
    *, channel: Channel, customer: Customer | None, spec: dict[str, Any]
) -> checkout.Delivery:
    address: dict[str, str] | None = None
    if spec.get("a"):
        found = (
            Address.objects.filter(pk=spec["a"], customer=customer).first() if customer else None
        )
        if found is None:
            raise ValidationError.for_field(
                "address_id",
                _("Choose one of the customer's saved addresses."),
                code="invalid_address",
            )
        address = {name: str(getattr(found, name) or "") for name in checkout.ADDRESS_FIELDS}
    return checkout.delivery_build(
        channel=channel,
        method=spec.get("m", ""),
        shipping_method=spec.get("s"),
        address=address,
        pickup_location=spec.get("p"),
        address_field="address_id",
    )


def link_create_for_cart(
    *,
    cart: Cart,
    channel: Channel,
    delivery: str,
    shipping_method: str = "",
    address_id: int | None = None,
    pickup_location: str = "",
) -> PaymentLink:
    """A link to pay a customer's cart on `channel` with this delivery, for the cart's total
    now (a cart with changes since its lines were added is refused: review it first)."""
    if cart.status != Cart.Status.ACTIVE:
        raise Conflict(_("This cart has already been ordered."), code="cart_closed")
    if cart.customer_id is None:
        raise ValidationError.for_field(
            "cart", _("Only a customer's cart can be paid by link."), code="guest_cart"
        )
    online_gateway_code(channel)
    spec = {
        k: v
        for k, v in {
            "m": delivery,
            "s": shipping_method,
            "a": address_id,
            "p": pickup_location,
        }.items()
        if v
    }
    prepared = checkout.checkout_prepare(
        cart=cart,
        channel=channel,
        delivery=_delivery_from_spec(channel=channel, customer=cart.customer, spec=spec),
        customer=cart.customer,
    )
    if prepared.changes:
        raise checkout.CartChanged(prepared.changes)
    data = LinkData(
        kind=CART,
        target_id=cart.pk,
        channel_id=channel.pk,
        amount=prepared.quote.total,
        currency=prepared.quote.currency,
        expires_at=_expiry(),
        nonce=_nonce(),
        delivery=spec,
    )
    return PaymentLink(link_token(data), data)


# --- opening a link -------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkLine:
    sku: str
    product_name: str
    variant_name: str
    quantity: int
    total: Decimal
    tax_rate: Decimal = Decimal("0")


@dataclass
class OpenLink:
    """A verified link with what it pays, as its page shows it."""

    token: str
    data: LinkData
    channel: Channel
    lines: list[LinkLine]
    order: Order | None = None
    cart: Cart | None = None
    delivery: checkout.Delivery | None = None
    paid: bool = False

    @property
    def amount(self) -> Decimal:
        return self.data.amount

    @property
    def currency(self) -> str:
        return self.data.currency


def _order_lines(order: Order) -> list[LinkLine]:
    return [
        LinkLine(ln.sku, ln.product_name, ln.variant_name, ln.quantity, ln.line_total, ln.tax_rate)
        for ln in OrderLine.objects.filter(order_id=order.pk).order_by("id")
    ]


def _cart_lines(info: list[LineInfo]) -> list[LinkLine]:
    return [
        LinkLine(
            i.sku,
            i.product_name,
            i.variant_name,
            i.quantity,
            (i.price if i.price is not None else i.seen_price) * i.quantity,
            i.tax_rate,
        )
        for i in info
    ]


def _link_order(data: LinkData) -> Order | None:
    """The order a link pays: its own, or the one its cart was placed as through this link."""
    if data.kind == ORDER:
        order = (
            Order.objects.select_related("channel", "customer").filter(pk=data.target_id).first()
        )
        if order is None:
            raise NotFound(_("The order of this link no longer exists."), code="order_not_found")
        return order
    order_id = (
        IdempotencyKey.objects.filter(
            scope=f"paylink:{data.target_id}", key=data.nonce, order__isnull=False
        )
        .values_list("order_id", flat=True)
        .first()
    )
    if order_id is None:
        return None
    return Order.objects.select_related("channel", "customer").get(pk=order_id)


def _check_order(data: LinkData, order: Order) -> bool:
    """True when the link's order is paid (the link is used); LinkChanged when it owes another
    amount than the link's; LinkUsed when it was cancelled."""
    if order.status == Order.Status.CANCELLED:
        raise LinkUsed(_("Order %(number)s was cancelled.") % {"number": order.number})
    due = selectors.order_amount_due(order=order)
    if due == 0:
        return True
    if due != data.amount or order.currency != data.currency:
        raise LinkChanged(
            _("Order %(number)s now owes %(due)s %(currency)s, not the amount of this link.")
            % {"number": order.number, "due": due, "currency": order.currency}
        )
    return False


def link_open(*, token: str, allow_expired: bool = False, allow_paid: bool = False) -> OpenLink:
    """Verify a link and load what it pays, in a fixed number of queries. Raises LinkInvalid
    (400), LinkExpired or LinkUsed (410), NotFound (404), LinkChanged (409)."""
    data = link_read(token)
    if data.expired and not allow_expired:
        raise LinkExpired(_("This payment link has expired. Ask for a new one."))
    channel = Channel.objects.filter(pk=data.channel_id).first()
    if channel is None:
        raise NotFound(_("Not found."), code="channel_not_found")
    order = _link_order(data)
    if order is not None:
        paid = _check_order(data, order)
        if paid and not allow_paid:
            raise LinkUsed(_("This payment link has already been used: the order is paid."))
        return OpenLink(token, data, channel, _order_lines(order), order=order, paid=paid)
    cart = Cart.objects.select_related("customer").filter(pk=data.target_id).first()
    if cart is None:
        raise NotFound(_("The cart of this link no longer exists."), code="cart_not_found")
    if cart.status != Cart.Status.ACTIVE:
        raise LinkUsed(_("This cart has already been ordered."))
    delivery = _delivery_from_spec(channel=channel, customer=cart.customer, spec=data.delivery)
    prepared = checkout.checkout_prepare(
        cart=cart, channel=channel, delivery=delivery, customer=cart.customer
    )
    if (
        prepared.changes
        or prepared.quote.total != data.amount
        or prepared.quote.currency != data.currency
    ):
        raise LinkChanged(
            _("The cart changed since this link was made (now %(total)s %(currency)s).")
            % {"total": prepared.quote.total, "currency": prepared.quote.currency}
        )
    return OpenLink(token, data, channel, _cart_lines(prepared.lines), cart=cart, delivery=delivery)


# --- paying ---------------------------------------------------------------------------------


def _place(link: OpenLink) -> Order:
    cart, data = link.cart, link.data
    customer = cart.customer

    def place(record: IdempotencyKey) -> Order:
        return checkout.order_place(
            cart=cart,
            channel=link.channel,
            delivery=link.delivery,
            customer=customer,
            idempotency=record,
            pay_later=False,  # the link is the payment, even on a store's pay-later channel
        )

    order = checkout.order_place_once(
        scope=f"paylink:{cart.pk}",
        key=data.nonce,
        fingerprint=data.fingerprint,
        place=place,
    )
    if order.total != data.amount or order.currency != data.currency:
        # the prices moved between the check and the placing: the order waits unpaid (and is
        # cancelled after OMNI_UNPAID_ORDER_MINUTES); nothing is charged
        raise LinkChanged()
    return order


def link_agreements(link: OpenLink, *, language: str) -> list[agreements.RenderedAgreement]:
    """The legal forms the link's page shows when it pays a distance sale (a web or app
    channel's), filled for its order, or for its cart as the order it will be placed as; none
    when not needed or already accepted."""
    order = link.order
    if order is not None:
        if not agreements.agreements_required(order) or agreements.agreements_accepted(order):
            return []
        return agreements.agreements_render(order)
    cart, delivery = link.cart, link.delivery
    if (
        cart is None
        or delivery is None
        or link.channel.kind not in agreements.DISTANCE_CHANNEL_KINDS
    ):
        return []
    customer = cart.customer
    goods = sum((line.total for line in link.lines), Decimal("0"))
    draft = Order(
        number="—",
        channel=link.channel,
        customer=customer,
        email=customer.email if customer else "",
        phone=customer.phone if customer else "",
        language=language,
        delivery=delivery.method,
        shipping_method=delivery.shipping_method,
        shipping_address=delivery.address,
        pickup_location=delivery.pickup_location,
        currency=link.data.currency,
        subtotal=goods,
        shipping_total=max(link.amount - goods, Decimal("0")),
        tax_total=sum(
            (line.total - line.total / (1 + line.tax_rate / 100) for line in link.lines),
            Decimal("0"),
        ),
        total=link.amount,
    )
    lines = [
        OrderLine(
            sku=line.sku,
            product_name=line.product_name,
            variant_name=line.variant_name,
            quantity=line.quantity,
            unit_price=line.total / line.quantity,
            line_total=line.total,
            tax_rate=line.tax_rate,
        )
        for line in link.lines
    ]
    return agreements.agreements_render(draft, lines=lines)


def link_pay(
    *, token: str, card: Card, return_url: str, accepted_ip: str | None = None
) -> tuple[Payment, GatewayResult]:
    """Pay a link with a card: place the cart's order (once) or take the order, check the
    amount again, keep the legal forms of a distance sale as accepted from `accepted_ip` (the
    shopper ticked them on the page; None: not accepted, and payment_start refuses), then
    start the payment on the channel's online gateway. Raises as link_open, and as
    payment_start (declines come back as the result, not as an error)."""
    from payments.services import payment_start

    link = link_open(token=token)
    order = link.order if link.order is not None else _place(link)
    if link.order is None and _check_order(link.data, order):
        raise LinkUsed(_("This payment link has already been used: the order is paid."))
    if accepted_ip is not None and agreements.agreements_required(order):
        agreements.agreements_accept(order=order, ip=accepted_ip)
    return payment_start(
        order=order,
        gateway_code=online_gateway_code(link.channel),
        amount=link.data.amount,
        card=card,
        return_url=return_url,
        channel=link.channel,
    )


def link_complete(*, token: str, params: dict[str, Any]) -> tuple[OpenLink, Payment | None]:
    """The shopper is back from 3-D Secure: finish the order's payment that waits for it (the
    result is asked of the provider). A link that expired meanwhile is still completed."""
    from payments.services import payment_complete

    link = link_open(token=token, allow_expired=True, allow_paid=True)
    if link.order is None:
        return link, None
    waiting = list(
        Payment.objects.select_related("channel", "order").filter(
            order=link.order, status=Payment.Status.ACTION_REQUIRED
        )
    )
    given = {str(v) for v in params.values()}
    payment = next((p for p in waiting if p.provider_reference in given), None) or (
        waiting[-1] if waiting else None
    )
    if payment is None:
        payment = Payment.objects.filter(order=link.order).order_by("-id").first()
        return link, payment
    return link, payment_complete(payment=payment, params=params)


# --- sending --------------------------------------------------------------------------------


def link_send(*, link: PaymentLink, via: str, to: str, language: str = "tr") -> None:
    """Send the link by "sms" or "email" after the commit (a Celery task), once per (link,
    via, recipient) however often the task runs. The send is recorded until it is settled, so
    the beat sends it if the task's message is lost (link_sends_again)."""
    if via not in SEND_VIA or not to:
        raise ValidationError.for_field(
            "send_by", _("Choose SMS or e-mail, with a recipient."), code="invalid"
        )
    PaymentLinkSend.objects.bulk_create(
        [
            PaymentLinkSend(
                key=_send_key(link.data, via, to),
                token=link.token,
                via=via,
                recipient=to,
                language=language,
                expires_at=link.data.expires_at,
            )
        ],
        ignore_conflicts=True,  # asked again before it was sent: one send
    )
    enqueue_after_commit(payment_link_send, link.token, via, to, language)


SEND_VIA = ("sms", "email")


def link_text(*, link: PaymentLink, language: str) -> str:
    """The link's SMS, in the shopper's language (its e-mail: _link_email)."""
    with translation.override(language):
        amount = money_format(link.data.amount, link.data.currency)
        until = timezone.localtime(link.data.expires_at).strftime("%d.%m.%Y %H:%M")
        return _("Pay %(amount)s securely here until %(until)s: %(url)s") % {
            "amount": amount,
            "until": until,
            "url": link.url,
        }


def _link_email(*, link: PaymentLink, to: str, language: str) -> EmailMultiAlternatives:
    """The link's e-mail (HTML and plain text, from the retailer): the amount, the button, and
    until when it works."""
    return email_message(
        to=[to],
        template="payments/email/payment_link",
        context={
            "link": link.data,
            "url": link.url,
            "until": timezone.localtime(link.data.expires_at),
        },
        language=language,
    )


def _send_key(data: LinkData, via: str, to: str) -> str:
    return hashlib.sha256(f"{data.nonce}:{via}:{to.strip().lower()}".encode()).hexdigest()


@shared_task(acks_late=True, autoretry_for=(MessageNotSent,), retry_backoff=True, max_retries=6)
def payment_link_send(token: str, via: str, to: str, language: str = "tr") -> bool:
    """Send a payment link once per (link, via, recipient): the send is claimed as an
    idempotency record (orders.IdempotencyKey, scope "paylink-send") before the provider is
    called and marked done after; a failure frees the claim and retries. False: nothing sent
    (already sent, being sent by another worker, or the link expired). The recorded send
    (PaymentLinkSend) is forgotten once settled: sent, sent before, or expired."""
    link = PaymentLink(token, link_read(token))
    key = _send_key(link.data, via, to)
    try:
        sent = _send_once(link, key, via=via, to=to, language=language)
    except Conflict:
        return False  # another worker is sending it, and settles it
    PaymentLinkSend.objects.filter(key=key).delete()
    return sent


def _send_once(link: PaymentLink, key: str, *, via: str, to: str, language: str) -> bool:
    if link.data.expired:
        return False
    record = checkout.idempotency_begin(scope="paylink-send", key=key, fingerprint=key)
    if record.state == IdempotencyKey.State.DONE:
        return False
    provider = message_provider()
    try:
        if via == "sms":
            provider.send_sms(to, link_text(link=link, language=language))
        else:
            provider.send_email(_link_email(link=link, to=to, language=language))
    except Exception as error:
        checkout.idempotency_forget(record=record)
        raise MessageNotSent(str(error)) from error
    IdempotencyKey.objects.filter(pk=record.pk).update(
        state=IdempotencyKey.State.DONE, response_status=200, updated_at=timezone.now()
    )
    return True


def link_sends_again(*, before: datetime) -> int:
    """The beat: send each link asked for before `before` and still not settled (its message
    was lost, or its task gave up), as the task does; one whose link expired, or no longer
    verifies (the secret key changed), is forgotten. Returns how many were sent; one that fails
    again waits for the next run."""
    sent = 0
    for send in PaymentLinkSend.objects.filter(created_at__lt=before).order_by("id")[:200]:
        if send.expires_at <= timezone.now():
            PaymentLinkSend.objects.filter(pk=send.pk).delete()
            continue
        try:
            sent += payment_link_send(send.token, send.via, send.recipient, send.language)
        except LinkInvalid:
            PaymentLinkSend.objects.filter(pk=send.pk).delete()
        except MessageNotSent:
            continue
    return sent
