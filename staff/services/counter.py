"""Writes of the counter sale (POS), each through the domain services the staff API calls:
adding a scanned item to the till's cart, opening the sale for a customer (their one cart, with
the till's lines merged in), placing the order once per sale id, taking each payment, handing
the goods over once the order is paid, and sending the receipt.

How a sale becomes an order: the first payment places it (orders.services.checkout.
order_place_answered, idempotent by the sale id the till made, scope `till:<store pk>`), with
`handed_over=False`: the order is confirmed at once (a store channel is paid later) and the goods
stay allocated to it. Each payment is recorded against what the order still owes; when nothing
is owed any more, orders.services.fulfilment.order_hand_over consumes the stock and the order
is collected. So a sale paid in part (the rest by a payment link the customer has not paid yet)
never shows goods as handed over that were not paid for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer
from customers.selectors import message_allowed
from inventory.models import StockLocation
from omni.errors import ValidationError
from omni.messaging import message_provider
from orders import pricing
from orders.models import Cart, CartLine, Order
from orders.services import carts, checkout
from orders.services.fulfilment import order_hand_over
from orders.services.lifecycle import order_cancel
from payments import links
from payments import selectors as payment_selectors
from payments.services.start import payment_record_offline, payment_start
from sales_channels.emails import email_send
from sales_channels.models import Channel
from staff.selectors import pos as pos_selectors

CASH = "cash"
TERMINAL = "terminal"
STORE_CREDIT = "store_credit"
LOYALTY = "loyalty"
LINK = "link"
METHODS = (CASH, TERMINAL, STORE_CREDIT, LOYALTY, LINK)
NEEDS_CUSTOMER = (STORE_CREDIT, LOYALTY)


def sale_scan(
    *, code: str, store: Channel, cart: Cart | None, customer: Customer | None, quantity: int = 1
) -> CartLine:
    """One unit (or `quantity`) of what the scanned barcode or typed SKU names, at the store
    channel's price, into the sale's cart (a new anonymous cart for a till that has none; the
    customer's one cart for a customer). An unknown code writes nothing."""
    variant_id = pos_selectors.variant_for_code(code)
    if variant_id is None:
        raise ValidationError.for_field(
            "code",
            _("No item has the barcode or SKU %(code)s.") % {"code": code.strip()[:64]},
            code="unknown_code",
        )
    if cart is None and customer is not None:
        return carts.cart_add(
            customer=customer, channel=store, variant_id=variant_id, quantity=quantity
        )
    return carts.cart_add(cart=cart, channel=store, variant_id=variant_id, quantity=quantity)


def sale_for_customer(*, customer: Customer, store: Channel, till_cart: Cart | None) -> Cart:
    """The customer's one cart on the store channel (the one they started in the app or on the
    web), with the till's anonymous lines merged in (carts.cart_merge's rule)."""
    if till_cart is not None and till_cart.customer_id is None:
        return carts.cart_merge(anonymous=till_cart, customer=customer, channel=store)
    return carts.cart_for_customer(customer=customer, channel=store)


@dataclass(frozen=True)
class HomeDelivery:
    """Endless aisle: the sale shipped to the customer's home from wherever routing says."""

    shipping_method: str
    address: dict[str, str]


def sale_delivery(
    *, store: Channel, location: StockLocation | None, home: HomeDelivery | None
) -> checkout.Delivery:
    if home is not None:
        return checkout.delivery_build(
            channel=store,
            method="home",
            shipping_method=home.shipping_method,
            address=home.address,
        )
    if location is None:
        raise ValidationError.for_field(
            "delivery", _("This store has no stock location to sell from."), code="no_location"
        )
    return checkout.Delivery(method="pickup", pickup_location=location)


def sale_due_before_placing(
    *,
    store: Channel,
    location: StockLocation | None,
    cart: Cart,
    customer: Customer | None,
    home: HomeDelivery | None,
) -> pricing.Quote:
    """The sale priced as it will be placed: at the counter, or with the shipping of a home
    delivery (checkout's quote, which changes nothing)."""
    delivery = sale_delivery(store=store, location=location, home=home)
    prepared = checkout.checkout_prepare(
        cart=cart, channel=store, delivery=delivery, customer=customer
    )
    return prepared.quote


def home_delivery_check(*, store: Channel, customer: Customer | None, home: HomeDelivery) -> None:
    """Endless aisle: a known customer, and a shipping method and address the store channel
    takes (checkout.delivery_build's field errors)."""
    if customer is None:
        raise ValidationError.for_field(
            "delivery", _("Home delivery needs the sale's customer."), code="no_customer"
        )
    checkout.delivery_build(
        channel=store,
        method="home",
        shipping_method=home.shipping_method,
        address=home.address,
    )


def home_methods(store: Channel) -> list:
    """The store channel's home delivery methods (endless aisle)."""
    return [m for m in checkout.shipping_methods_active(store) if m.kind == "home"]


def sale_place(
    *,
    sale_id: str,
    store: Channel,
    location: StockLocation | None,
    cart: Cart,
    customer: Customer | None,
    actor: User,
    home: HomeDelivery | None = None,
    language: str | None = None,
) -> Order:
    """Place the sale's order once per sale id (a second press, a resend, another tab: the same
    order). The order is not handed over yet: payment_take does that once it is paid."""
    delivery = sale_delivery(store=store, location=location, home=home)

    def place(record):
        return checkout.order_place(
            cart=cart,
            channel=store,
            delivery=delivery,
            customer=customer,
            actor=actor,
            idempotency=record,
            respond=_answer,
            handed_over=False,
            language=language,
        )

    answer = checkout.order_place_answered(
        scope=f"till:{store.pk}",
        key=sale_id,
        fingerprint=checkout.request_fingerprint(
            {"store": store.code, "cart": str(cart.token), "home": bool(home)}
        ),
        place=place,
        respond=_answer,
    )
    number = answer.body["number"] if isinstance(answer.body, dict) else ""
    return pos_selectors.store_order(store=store, number=number)


def _answer(order) -> dict:
    placed = getattr(order, "order", order)
    return {"number": placed.number}


@dataclass(frozen=True)
class Taken:
    """A payment taken at the counter: what it recorded, the change to hand back (cash), and
    what the order still owes afterwards."""

    method: str
    amount: Decimal
    change: Decimal
    due: Decimal
    link_url: str = ""


def payment_take(
    *,
    order: Order,
    store: Channel,
    actor: User,
    method: str,
    amount: Decimal,
    received: Decimal | None = None,
    reference: str = "",
    key: str = "",
    link_url: Callable[[str], str] | None = None,
) -> Taken:
    """Take one payment of the sale (a split is several): cash (`received` at least `amount`;
    the change is the difference), the card terminal (its slip `reference`), store credit or
    loyalty points (a known customer's), or a payment link for what is still due. Amounts above
    what is due are refused by payments; nothing is written then. When the order owes nothing
    any more, the goods are handed over."""
    due = pos_selectors.order_due(order=order)
    if method not in METHODS:
        raise ValidationError.for_field("method", _("Choose a payment method."), code="invalid")
    if method == LINK:
        link = links.link_create_for_order(order=order, actor=actor)
        url = link_url(link.path) if link_url else link.path
        return Taken(method, due, Decimal("0.00"), due, link_url=url)
    if amount > due:
        raise ValidationError.for_field(
            "amount",
            _("Only %(due)s %(currency)s is still due.") % {"due": due, "currency": order.currency},
            code="above_due",
        )
    change = Decimal("0.00")
    if method == CASH:
        if received is None or received < amount:
            raise ValidationError.for_field(
                "received",
                _("Cash received (%(received)s) is less than the amount to pay (%(amount)s).")
                % {"received": received if received is not None else "0", "amount": amount},
                code="not_enough_cash",
            )
        change = received - amount
        # The till's key for this payment: a double press records it once.
        payment_record_offline(
            order=order,
            gateway_code=CASH,
            amount=amount,
            actor=actor,
            channel=store,
            reference=f"till:{key}" if key else "",
        )
    elif method == TERMINAL:
        if not reference.strip():
            raise ValidationError.for_field(
                "reference", _("Enter the card slip's reference."), code="required"
            )
        payment_record_offline(
            order=order,
            gateway_code=TERMINAL,
            amount=amount,
            actor=actor,
            channel=store,
            reference=reference,
        )
    else:
        if order.customer_id is None:
            raise ValidationError.for_field(
                "method",
                _("Store credit and loyalty points need the sale's customer."),
                code="no_customer",
            )
        payment_start(order=order, gateway_code=method, amount=amount, actor=actor, channel=store)
    left = sale_finish_if_paid(order=order, store=store, actor=actor)
    return Taken(method, amount, change, left)


def sale_finish_if_paid(*, order: Order, store: Channel, actor: User) -> Decimal:
    """Hand the goods over when the order owes nothing (and is a sale at this counter); returns
    what is still due."""
    due = pos_selectors.order_due(order=order)
    if due > 0:
        return due
    order.refresh_from_db(fields=["status"])
    counter = order.pickup_location_id is not None and order.delivery == Order.Delivery.PICKUP
    if counter and order.status == Order.Status.CONFIRMED:
        order_hand_over(order=order, actor=actor, channel=store)
    return due


def sale_cancel(*, order: Order, store: Channel, actor: User) -> Order:
    """Call off a sale placed but not paid at all (the customer walked away, the link was not
    paid): the order is cancelled and its stock released. A sale with money taken is finished
    or returned through the returns screen, never cancelled here."""
    if payment_selectors.order_amount_covered(order=order) > 0:
        raise ValidationError.for_field(
            "order",
            _("Money was taken for this sale: finish it, or refund it through Returns."),
            code="paid_in_part",
        )
    return order_cancel(
        order=order,
        actor=actor,
        channel=store,
        reason=_("Cancelled at the counter"),
        only_from=(Order.Status.PENDING, Order.Status.CONFIRMED),
    )


# --- the receipt, sent ----------------------------------------------------------------------


def receipt_send(*, order: Order, via: str, to: str, receipt: dict) -> None:
    """Send the receipt by "email" or "sms" after the commit, in the order's language: the
    e-mail as the shop's (sales_channels.emails: HTML and plain text, from the retailer), the
    SMS as the receipt's text. `receipt` is what the receipt page shows (its lines, payments,
    taxes, change). A receipt is a transactional message: to the customer's own address it
    needs no commercial consent (customers.selectors.message_allowed(commercial=False)); an
    address the customer gives at the counter is sent to because they asked."""
    to = (to or "").strip()
    if via not in ("email", "sms") or not to:
        raise ValidationError.for_field(
            "to", _("Enter an e-mail address or a phone number."), code="required"
        )
    customer = order.customer
    own = customer is not None and to in (customer.email, customer.phone)
    if own and customer is not None:
        allowed = message_allowed(customer=customer, channel=via, commercial=False)
        if not allowed.allowed:
            raise ValidationError.for_field(
                "to", _("This customer cannot be sent messages this way."), code="not_allowed"
            )
    language = order.language or "tr"
    if via == "email":
        transaction.on_commit(
            lambda: email_send(
                to=[to], template="staff/email/receipt", context=receipt, language=language
            ),
            robust=True,
        )
    else:

        def sms() -> None:
            with translation.override(language):
                text = render_to_string("staff/pos/receipt.txt", receipt).strip()
            message_provider().send_sms(to, text)

        transaction.on_commit(sms, robust=True)
