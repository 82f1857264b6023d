"""Receiving the sales a till made while the server was unreachable.

The till (static/staff/offline.js) made each sale's id (crypto.randomUUID()) and kept the sale
in the browser before it showed it as done; it sends it, with that id as its idempotency key,
until the server answers 2xx. Here a sale is recorded once:

- Replays: the TillSale row is the key. The same id with the same payload returns the first
  result; another payload under that id is a Conflict (409) and nothing is written. Two sends
  at once: the second INSERT waits on the first's primary key and, once it commits, finds it.
- The order goes through the one placement service (orders.services.checkout.order_place) on
  the store's channel: an anonymous cart with the till's lines, collected at the store's own
  location and handed over at once, with no customer.
- Prices: the till sold at its local price list and the customer paid that; the order is
  recorded at the till's prices (order_place's as_sold: no price change refuses it, and no
  promotion applies twice), so the money taken matches the order. A price that differs from
  the channel's price now is kept with the sale (TillSale.price_changes) for the manager.
- Stock: the goods left the store already, so the order is placed without allocation
  (allocate=False) and the stock leaves through inventory's movements made outside Omni (kind
  sale, reference "till:<sale id>"), as much as the store still has; what it lacked is a
  StockDiscrepancy for the manager. The sale is recorded even when the stock had gone.
- Payments: each cash or card-terminal payment through payments.services.payment_record_offline
  (the terminal's slip as its reference).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import User
from inventory import services as inventory
from inventory.models import StockLocation
from omni.errors import Conflict, ValidationError
from omni.money import quantize
from orders.models import Order
from orders.services.carts import MAX_LINE_QUANTITY, cart_create_as_sold
from orders.services.checkout import Delivery, order_place
from payments import services as payments
from sales_channels.models import Channel
from staff.models import TillSale
from staff.selectors.offline import till_variants

METHODS = ("cash", "terminal")
MAX_LINES = 200


@dataclass(frozen=True)
class SaleLine:
    variant_id: int
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class SalePayment:
    method: str
    amount: Decimal
    reference: str


@dataclass(frozen=True)
class TillSaleInput:
    """A till's sale, checked: what till_sale_record records."""

    sale_id: uuid.UUID
    made_at: datetime
    lines: list[SaleLine]
    payments: list[SalePayment]
    total: Decimal
    price_changes: dict[str, list[str]]  # {sku: [till's price, channel's price now]}


@dataclass(frozen=True)
class TillSaleResult:
    sale: TillSale
    order: Order
    replayed: bool


# --- checking what the till sent ------------------------------------------------------------


def _amount(value: object, currency: str, field: str, errors: dict) -> Decimal | None:
    try:
        amount = Decimal(str(value)) if isinstance(value, (str, int)) else None
    except InvalidOperation:
        amount = None
    if (
        amount is None
        or not amount.is_finite()
        or amount < 0
        or quantize(amount, currency) != amount
    ):
        errors[field] = [
            _("Enter an amount in %(currency)s, to the cent.") % {"currency": currency}
        ]
        return None
    return amount


def till_sale_clean(*, sale_id: object, payload: object, store: Channel) -> TillSaleInput:
    """The till's JSON checked field by field against the store's price list: a
    ValidationError naming every bad field (nothing is written)."""
    errors: dict[str, list[str]] = {}
    try:
        sale_uuid = uuid.UUID(str(sale_id))
    except ValueError:
        raise ValidationError.for_field(
            "id", _("The sale id must be a UUID the till made."), code="invalid"
        ) from None
    if not isinstance(payload, dict):
        raise ValidationError(_("Send the sale as a JSON object."), code="invalid")
    currency = store.currency
    if payload.get("currency", currency) != currency:
        errors["currency"] = [_("This store sells in %(c)s.") % {"c": currency}]
    made_at = parse_datetime(str(payload.get("made_at") or ""))
    if made_at is None or timezone.is_naive(made_at):
        errors["made_at"] = [_("When the sale was made, with its time zone.")]
    raw_lines = payload.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        errors["lines"] = [_("A sale needs at least one line.")]
        raw_lines = []
    elif len(raw_lines) > MAX_LINES:
        errors["lines"] = [_("At most %(n)d lines.") % {"n": MAX_LINES}]
        raw_lines = []
    skus = {str(line.get("sku", "")) for line in raw_lines if isinstance(line, dict)}
    known = till_variants(store=store, skus=skus) if skus else {}
    lines: dict[int, SaleLine] = {}
    price_changes: dict[str, list[str]] = {}
    for n, line in enumerate(raw_lines):
        if not isinstance(line, dict):
            errors[f"lines.{n}"] = [_("A line is an object with sku, quantity and unit_price.")]
            continue
        sku = str(line.get("sku", ""))
        found = known.get(sku)
        if found is None:
            errors[f"lines.{n}.sku"] = [_("Unknown SKU: %(sku)s.") % {"sku": sku or "—"}]
            continue
        quantity = line.get("quantity")
        if (
            not isinstance(quantity, int)
            or isinstance(quantity, bool)
            or not (1 <= quantity <= MAX_LINE_QUANTITY)
        ):
            errors[f"lines.{n}.quantity"] = [
                _("Enter a quantity from 1 to %(max)d.") % {"max": MAX_LINE_QUANTITY}
            ]
            continue
        variant_id, price_now = found
        price = _amount(line.get("unit_price"), currency, f"lines.{n}.unit_price", errors)
        if price is None:
            continue
        if variant_id in lines:  # the same item scanned on two lines: one line
            if lines[variant_id].unit_price != price:
                errors[f"lines.{n}.unit_price"] = [
                    _("%(sku)s is on the sale twice at two prices.") % {"sku": sku}
                ]
                continue
            quantity += lines[variant_id].quantity
        lines[variant_id] = SaleLine(variant_id, sku, quantity, price)
        if price != price_now:
            price_changes[sku] = [str(price), str(price_now or "")]
    goods = sum((line.unit_price * line.quantity for line in lines.values()), Decimal(0))
    total = _amount(payload.get("total"), currency, "total", errors)
    lines_bad = any(k == "lines" or k.startswith("lines.") for k in errors)
    if total is not None and not lines_bad and total != goods:
        errors["total"] = [
            _("The total %(total)s does not match the lines (%(goods)s).")
            % {"total": total, "goods": goods}
        ]
    raw_payments = payload.get("payments")
    sale_payments: list[SalePayment] = []
    if not isinstance(raw_payments, list) or not raw_payments:
        errors["payments"] = [_("A sale needs its payment (cash or card terminal).")]
        raw_payments = []
    for n, pay in enumerate(raw_payments):
        if not isinstance(pay, dict) or pay.get("method") not in METHODS:
            errors[f"payments.{n}.method"] = [_("Cash or card terminal.")]
            continue
        amount = _amount(pay.get("amount"), currency, f"payments.{n}.amount", errors)
        reference = str(pay.get("reference") or "").strip()[:100]
        if pay["method"] == "terminal" and not reference:
            errors[f"payments.{n}.reference"] = [_("Enter the card terminal's slip reference.")]
            continue
        if amount is not None:
            if amount <= 0:
                errors[f"payments.{n}.amount"] = [_("Enter an amount above zero.")]
                continue
            sale_payments.append(SalePayment(pay["method"], amount, reference))
    paid = sum((p.amount for p in sale_payments), Decimal(0))
    if total is not None and sale_payments and "payments" not in errors and paid != total:
        errors["payments"] = [
            _("The payments (%(paid)s) do not add up to the total (%(total)s).")
            % {"paid": paid, "total": total}
        ]
    if errors:
        raise ValidationError(
            _("The sale could not be recorded; correct the fields shown."),
            code="invalid",
            fields=errors,
        )
    assert made_at is not None and total is not None
    return TillSaleInput(
        sale_id=sale_uuid,
        made_at=made_at,
        lines=list(lines.values()),
        payments=sale_payments,
        total=total,
        price_changes=price_changes,
    )


def _fingerprint(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- recording ------------------------------------------------------------------------------


def _replayed(sale: TillSale, fingerprint: str) -> TillSaleResult:
    if sale.fingerprint != fingerprint:
        raise Conflict(
            _("Another sale was already recorded under id %(id)s.") % {"id": sale.pk},
            code="till_sale_id_reused",
        )
    assert sale.order is not None
    return TillSaleResult(sale=sale, order=sale.order, replayed=True)


def _existing(sale_id: uuid.UUID) -> TillSale | None:
    return TillSale.objects.select_related("order").filter(pk=sale_id).first()


def till_sale_record(
    *,
    sale_id: object,
    payload: object,
    store: Channel,
    location: StockLocation,
    actor: User,
) -> TillSaleResult:
    """Record a till's offline sale at `store` once (see the module's doc): the order placed at
    the till's prices and handed over, its payments, its stock out of the store (a shortfall
    raised as a discrepancy). A replay of the same sale returns the first result; another
    payload under the same id is a Conflict and changes nothing."""
    sale = till_sale_clean(sale_id=sale_id, payload=payload, store=store)
    assert isinstance(payload, dict)
    fingerprint = _fingerprint(payload)
    found = _existing(sale.sale_id)
    if found is not None:
        return _replayed(found, fingerprint)
    try:
        with transaction.atomic():
            return _record(sale, payload, fingerprint, store, location, actor)
    except IntegrityError:
        # Sent twice at once: this INSERT waited for the other's and found its id taken.
        found = _existing(sale.sale_id)
        if found is None:
            raise
        return _replayed(found, fingerprint)


def _record(
    sale: TillSaleInput,
    payload: dict,
    fingerprint: str,
    store: Channel,
    location: StockLocation,
    actor: User,
) -> TillSaleResult:
    row = TillSale.objects.create(
        id=sale.sale_id,
        store=store,
        staff=actor,
        made_at=sale.made_at,
        payload=payload,
        fingerprint=fingerprint,
        status=TillSale.Status.RECORDED,
        total=sale.total,
        price_changes=sale.price_changes,
    )
    cart = cart_create_as_sold(
        channel=store,
        lines=[(line.variant_id, line.quantity, line.unit_price) for line in sale.lines],
    )
    order = order_place(
        cart=cart,
        channel=store,
        delivery=Delivery(method=Order.Delivery.PICKUP, pickup_location=location),
        actor=actor,
        handed_over=True,
        as_sold=True,
        allocate=False,
    )
    handed = inventory.handed_over_record(
        location=location,
        lines={line.variant_id: line.quantity for line in sale.lines},
        reference=f"till:{sale.sale_id}",
        channel=store,
        actor=actor,
    )
    for pay in sale.payments:
        payments.payment_record_offline(
            order=order,
            gateway_code=pay.method,
            amount=pay.amount,
            actor=actor,
            channel=store,
            reference=pay.reference,
        )
    row.order = order
    update = ["order"]
    if handed.short:
        row.status = TillSale.Status.STOCK_SHORT
        update.append("status")
    row.save(update_fields=update)
    return TillSaleResult(sale=row, order=order, replayed=False)
