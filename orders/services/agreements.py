"""The legal forms of a distance sale (Mesafeli Sözleşmeler Yönetmeliği): the pre-information
form (ön bilgilendirme formu) and the distance sales contract (mesafeli satış sözleşmesi).

- `agreements_required(order)` is the one rule for which orders need them: those sold at a
  distance, on the web and app channels. payments.services.payment_start refuses to start a
  payment for such an order until both are accepted, so every face obeys it.
- `agreements_render(order)` fills both forms with the order's seller (the retailer), buyer,
  items, prices, delivery and right of withdrawal, in the order's language, from the templates
  under templates/orders/legal/<language>/ (whole documents, so a lawyer edits one file).
- `agreements_accept(order=, ip=)` keeps both as accepted (OrderAgreement: the text, its
  SHA-256, when and from where), once: accepting again returns the first acceptance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from omni.errors import Conflict, ValidationError
from omni.money import money_format
from orders.locks import order_lock
from orders.models import Order, OrderAgreement, OrderLine
from orders.services.lifecycle import order_event
from sales_channels.models import Channel
from sales_channels.selectors import retailer_get

# The forms' wording: a new wording gets a new version, so what each shopper accepted is known.
AGREEMENTS_VERSION = "2026.1"
DISTANCE_CHANNEL_KINDS = frozenset({Channel.Kind.WEB, Channel.Kind.APP})
KINDS = (OrderAgreement.Kind.PRE_INFORMATION, OrderAgreement.Kind.DISTANCE_SALES)
LANGUAGES = ("tr", "en")


@dataclass(frozen=True)
class RenderedAgreement:
    """One form filled for an order: `body` is what a page shows, `document` the same text as
    a whole HTML page (what is kept and sent by e-mail), `sha256` the document's."""

    kind: str
    title: str
    version: str
    language: str
    body: str
    document: str
    sha256: str


def agreements_required(order: Order) -> bool:
    """A distance sale: an order of a web or app channel. Sales in a store, and a
    marketplace's own orders (the marketplace has the shopper accept its forms), need none."""
    return order.channel.kind in DISTANCE_CHANNEL_KINDS


def agreements_accepted(order: Order) -> bool:
    """Both forms of the order are accepted (one query)."""
    return OrderAgreement.objects.filter(order_id=order.pk).count() >= len(KINDS)


def agreements_list(order: Order) -> list[OrderAgreement]:
    """The order's accepted forms, as kept (pre-information first)."""
    return sorted(
        OrderAgreement.objects.filter(order_id=order.pk), key=lambda a: KINDS.index(a.kind)
    )


def agreements_require_accepted(order: Order) -> None:
    """payment_start's check: a distance sale is paid only after its forms are accepted.
    Raises ValidationError on the field "agreements" (the API's field-level 400). An order no
    longer awaiting payment is left to payments' own refusals."""
    if (
        order.status == Order.Status.PENDING
        and agreements_required(order)
        and not agreements_accepted(order)
    ):
        raise ValidationError.for_field(
            "agreements",
            _(
                "Read and accept the pre-information form and the distance sales contract "
                "before paying."
            ),
            code="agreements_required",
        )


def _language(order: Order) -> str:
    language = (order.language or "tr")[:2]
    return language if language in LANGUAGES else "tr"


def _buyer(order: Order) -> dict:
    """The buyer as the order names them; the customer is read only for what it lacks."""
    address = order.billing_address or order.shipping_address or {}
    name = address.get("full_name", "")
    phone = order.phone or address.get("phone", "")
    email = order.email
    if (not name or not phone or not email) and order.customer_id:
        customer = order.customer
        assert customer is not None
        name = name or f"{customer.first_name} {customer.last_name}".strip()
        phone = phone or customer.phone
        email = email or customer.email
    lines = [
        address.get("line1", ""),
        address.get("line2", ""),
        " ".join(p for p in (address.get("postal_code"), address.get("district")) if p),
        address.get("city", ""),
    ]
    return {
        "name": name or email,
        "address": ", ".join(line for line in lines if line),
        "phone": phone,
        "email": email,
    }


def _context(order: Order, language: str, lines: list[OrderLine]) -> dict:
    """What both forms say, read once: the order with its lines, method and store."""

    def money(amount: Decimal) -> str:
        return money_format(amount, order.currency, language)

    rows = [
        {
            "name": line.product_name,
            "variant": line.variant_name,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": money(line.unit_price),
            "discount": money(line.discount) if line.discount else "",
            "total": money(line.line_total),
            "tax_rate": f"{line.tax_rate.normalize():f}",
        }
        for line in lines
    ]
    method = order.shipping_method
    store = order.pickup_location
    shipping = order.shipping_address or {}
    return {
        "order": order,
        "seller": retailer_get(),
        "buyer": _buyer(order),
        "lines": rows,
        "subtotal": money(order.subtotal),
        "discount_total": money(order.discount_total) if order.discount_total else "",
        "shipping_total": money(order.shipping_total),
        "tax_total": money(order.tax_total),
        "total": money(order.total),
        "pickup": order.delivery == Order.Delivery.PICKUP,
        "method": method,
        "store": store,
        "shipping_address": ", ".join(
            p
            for p in (
                shipping.get("full_name"),
                shipping.get("line1"),
                shipping.get("line2"),
                shipping.get("district"),
                shipping.get("city"),
                shipping.get("postal_code"),
            )
            if p
        ),
        "withdrawal_days": order.channel.return_window_days,
        "date": timezone.localtime(order.created_at or timezone.now()),
        "version": AGREEMENTS_VERSION,
    }


def agreements_render(
    order: Order, *, lines: list[OrderLine] | None = None
) -> list[RenderedAgreement]:
    """Both forms filled for `order` in its language (templates/orders/legal/<language>/).
    `lines` fill an order not placed yet (unsaved, as a payment link's cart would be)."""
    if lines is None and "lines" not in getattr(order, "_prefetched_objects_cache", {}):
        order = (
            Order.objects.select_related(
                "channel", "customer", "shipping_method", "pickup_location"
            )
            .prefetch_related("lines")
            .get(pk=order.pk)
        )
    language = _language(order)
    with translation.override(language):
        context = _context(order, language, list(order.lines.all()) if lines is None else lines)
        rendered = []
        for kind in KINDS:
            title = str(OrderAgreement.Kind(kind).label)
            body = render_to_string(f"orders/legal/{language}/{kind}.html", context).strip()
            document = render_to_string(
                "orders/legal/document.html",
                {"title": title, "body": body, "language": language, "order": order},
            ).strip()
            rendered.append(
                RenderedAgreement(
                    kind=kind,
                    title=title,
                    version=AGREEMENTS_VERSION,
                    language=language,
                    body=body,
                    document=document,
                    sha256=hashlib.sha256(document.encode()).hexdigest(),
                )
            )
    return rendered


def agreements_accept(
    *, order: Order, ip: str = "", sha256: dict[str, str] | None = None
) -> list[OrderAgreement]:
    """Keep both forms of a distance sale as accepted now from `ip`. Idempotent: forms already
    accepted are returned as they were. `sha256` (kind -> hash, optional) names the texts the
    shopper read: when the forms now read otherwise it is a 400 (field "sha256"), read again.
    Refused (409) for an order no longer awaiting payment; a 400 for one that needs none."""
    if not agreements_required(order):
        raise ValidationError.for_field(
            "agreements",
            _("Order %(number)s is not a distance sale: it has no forms to accept.")
            % {"number": order.number},
            code="agreements_not_required",
        )
    existing = agreements_list(order)
    if len(existing) >= len(KINDS):
        return existing
    rendered = agreements_render(order)
    if sha256:
        changed = [r.kind for r in rendered if r.kind in sha256 and sha256[r.kind] != r.sha256]
        if changed:
            raise ValidationError.for_field(
                "sha256",
                _("The forms changed since you read them. Read them again."),
                code="agreements_changed",
            )
    with transaction.atomic():  # under the order's lock: two acceptances come one by one
        locked = order_lock(order)
        if locked.status != Order.Status.PENDING:
            raise Conflict(
                _("Order %(number)s is %(status)s: its forms can no longer be accepted.")
                % {"number": order.number, "status": locked.get_status_display().lower()},
                code="order_not_pending",
            )
        have = set(OrderAgreement.objects.filter(order_id=order.pk).values_list("kind", flat=True))
        now = timezone.now()
        OrderAgreement.objects.bulk_create(
            [
                OrderAgreement(
                    order=locked,
                    kind=r.kind,
                    version=r.version,
                    language=r.language,
                    html=r.document,
                    sha256=r.sha256,
                    accepted_at=now,
                    accepted_ip=ip or None,
                )
                for r in rendered
                if r.kind not in have
            ]
        )
        if len(have) < len(KINDS):
            order_event(locked, "agreements_accepted", data={"version": AGREEMENTS_VERSION})
    return agreements_list(order)
