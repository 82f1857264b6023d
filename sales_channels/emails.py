"""E-mails to shoppers, in the retailer's name and looking like the shop.

Every customer e-mail (order notifications, payment links, gift cards, verification codes,
counter receipts, password resets) is made here from three templates named after it:
`<name>_subject.txt`, `<name>.txt` (the plain-text part) and `<name>.html` (the HTML
alternative, extending templates/email/base.html: the shop's name at the top, the retailer's
details at the foot, inline CSS because mail clients ignore style sheets). Both parts are
rendered in the shopper's language with `retailer` (sales_channels.selectors.retailer_get()),
`shop_name` and `shop_url` in the context, so an amount ({% load money %}) and a date read as
on the site.

The sender is the retailer's `email_from` ("Moda Ev <siparis@modaev.com.tr>"), or
DEFAULT_FROM_EMAIL before the retailer is set up. Sending stays with the callers: a Celery task
or an on_commit hook, never inside a transaction that may roll back (the notification and gift
card tasks claim their row in the transaction that sends, so each goes once)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from sales_channels.models import Retailer
from sales_channels.selectors import retailer_get

_SPACES = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str | bytes
    mimetype: str = "text/html"


def email_sender(retailer: Retailer | None = None) -> str:
    """Who shoppers' e-mails come from: the retailer's configured address, or
    DEFAULT_FROM_EMAIL."""
    return (retailer or retailer_get()).email_from.strip() or settings.DEFAULT_FROM_EMAIL


def email_context(*, language: str) -> dict:
    """What every e-mail template is given: the retailer, the shop's name and address."""
    retailer = retailer_get()
    return {
        "retailer": retailer,
        "shop_name": retailer.trade_name or retailer.legal_name,
        "shop_url": settings.OMNI_PUBLIC_URL.rstrip("/"),
        "language": language,
    }


def email_message(
    *,
    to: Sequence[str],
    template: str,
    context: dict,
    language: str,
    attachments: Iterable[Attachment] = (),
) -> EmailMultiAlternatives:
    """The e-mail `template` (a path without its ending, e.g. "orders/email/order_confirmed")
    rendered for `to` in `language`: subject, plain text, and HTML as its alternative."""
    context = {**email_context(language=language), **context}
    with translation.override(language):
        # One line (a header), its no-break spaces kept: "1.298,99 ₺" never splits.
        subject = _SPACES.sub(" ", render_to_string(f"{template}_subject.txt", context)).strip()
        context["subject"] = subject
        text = render_to_string(f"{template}.txt", context).strip() + "\n"
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=email_sender(context["retailer"]),
        to=list(to),
    )
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def email_send(
    *,
    to: Sequence[str],
    template: str,
    context: dict,
    language: str,
    attachments: Iterable[Attachment] = (),
) -> None:
    """Render and send at once (callers are tasks or on_commit hooks)."""
    email_message(
        to=to, template=template, context=context, language=language, attachments=attachments
    ).send()
