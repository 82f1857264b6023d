"""What the order confirmation e-mail tells beyond the order row: its lines, the delivery
(method and days, the address, or the store and pickup code), the link to follow it, and the
legal forms the shopper accepted (orders.OrderAgreement) as attachments, each the text exactly
as accepted."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.text import slugify

from orders.models import Order, OrderAgreement
from sales_channels.emails import Attachment


def order_confirmation_told(order: Order) -> dict:
    """The confirmation e-mail's context: the lines, the shipping method, the channel (its
    return window), the accepted legal forms and the link to the order. Works for an order
    just confirmed and for one re-read later."""
    return {
        "lines": list(order.lines.all()),
        "shipping_method": order.shipping_method if order.shipping_method_id else None,
        "return_days": order.channel.return_window_days,
        # The pre-information form first: the shopper read it first.
        "agreements": sorted(
            order.agreements.all(), key=lambda a: a.kind != OrderAgreement.Kind.PRE_INFORMATION
        ),
        "order_url": _order_url(order),
    }


def _order_url(order: Order) -> str:
    """The order's page in the shopper's account (only an order with an account has one)."""
    if order.customer_id is None or order.customer is None or order.customer.user_id is None:
        return ""
    try:
        with translation.override(order.language or "tr"):
            path = reverse("storefront:order", kwargs={"number": order.number})
    except NoReverseMatch:  # a deployment without the storefront
        return ""
    return settings.OMNI_PUBLIC_URL.rstrip("/") + path


def order_agreement_attachments(order: Order, agreements: list[OrderAgreement]) -> list[Attachment]:
    """Each accepted legal form as an .html file named after it in its language; none for an
    order without any (a store sale, a marketplace order)."""
    return [_attachment(order, agreement) for agreement in agreements]


def _attachment(order: Order, agreement: OrderAgreement) -> Attachment:
    with translation.override(agreement.language or order.language or "tr"):
        title = str(OrderAgreement.Kind(agreement.kind).label)
        name = f"{slugify(title.replace('ı', 'i'))}-{order.number}.html"
    html = agreement.html
    if "<html" not in html[:500].lower():
        # The form is kept as the fragment shown on the pay page: a document around it names
        # its character set, so a mail client or browser opening the file shows ç, ğ, ş right.
        html = (
            f'<!doctype html>\n<html lang="{escape(agreement.language)}">\n<head>'
            f'<meta charset="utf-8"><title>{escape(title)} {escape(order.number)}</title>'
            f"</head>\n<body>\n{html}\n</body>\n</html>\n"
        )
    return Attachment(filename=name, content=html, mimetype="text/html")
