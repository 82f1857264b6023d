"""Writes of the storefront's own, and its glue to payments.

- Sign-in, sign-up and password reset are throttled by accounts.throttle, as every way in is.
- `payment_begin` / `payment_finish` are the one hook between the checkout and payments
  (`payments.services.payment_start` / `payment_complete`), never called inside a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from omni.errors import OmniError
from orders.models import Order

# --- payments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentStep:
    """What the payment step does next: `paid` (show the confirmation), `redirect` (3-D Secure:
    send the shopper to `redirect_url` or show `html`), `declined` (say `message`, try again),
    or `unavailable` (no online payment on the channel: the order waits for its payment)."""

    status: str
    redirect_url: str = ""
    html: str = ""
    message: str = ""


def online_gateways(*, channel) -> list[tuple[str, str]]:
    """(code, label) of the card gateways the channel offers, in its order."""
    from payments import selectors as payment_selectors
    from payments.gateways.base import GATEWAYS

    return [
        (cg.gateway, str(GATEWAYS[cg.gateway].label))
        for cg in payment_selectors.channel_card_gateways(channel)
    ]


def _step(result: Any) -> PaymentStep:
    status = str(getattr(result, "status", "") or "")
    if status == "action_required":
        return PaymentStep(
            "redirect",
            redirect_url=getattr(result, "redirect_url", "") or "",
            html=getattr(result, "html", "") or "",
        )
    if status in ("captured", "authorised", "pending"):
        return PaymentStep("paid")
    message = getattr(result, "error_message", "") or ""
    return PaymentStep("declined", message=message or _("The payment was declined."))


def payment_begin(
    *,
    order: Order,
    gateway_code: str,
    card: Any = None,
    return_url: str = "",
    actor: Any = None,
    instalments: int = 1,
) -> PaymentStep:
    """Start paying a placed order (payments.services.payment_start), outside any transaction:
    it talks to the provider. A refusal (the bank, a gateway not offered, the provider down)
    comes back as `declined` with the message to show."""
    from payments import services as payments

    try:
        _payment, result = payments.payment_start(
            order=order,
            gateway_code=gateway_code,
            card=card,
            return_url=return_url,
            actor=actor if actor is not None and getattr(actor, "pk", None) else None,
            instalments=instalments,
        )
    except OmniError as error:
        return PaymentStep("declined", message=_first(error))
    return _step(result)


def payment_finish(*, order: Order, params: dict[str, Any]) -> PaymentStep:
    """The shopper is back from 3-D Secure: complete the order's payment that waits for it
    (payments ask the provider for the result; nothing the browser sends is trusted)."""
    from payments import services as payments
    from payments.models import Payment

    waiting = Payment.objects.filter(order=order, status="action_required").order_by("-pk").first()
    if waiting is None:
        return PaymentStep("paid" if order.status != Order.Status.PENDING else "declined")
    try:
        payment = payments.payment_complete(payment=waiting, params=params)
    except OmniError as error:
        return PaymentStep("declined", message=_first(error))
    return _step(payment)


def _first(error: OmniError) -> str:
    for messages in (error.fields or {}).values():
        if messages:
            return str(messages[0])
    return str(error.message)
