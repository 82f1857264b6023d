"""Counter sale (POS): taking payment and the receipt.

The payment step shows what is due and one form per method (cash with change, the card
terminal with its slip reference, store credit, loyalty points, a payment link as a QR code).
The first payment places the order (once per sale id); a split is several payments, with what
is still due shown after each. A payment link's QR code is polled with htmx until it is paid.
The receipt is printable on 80 mm paper and can be sent by e-mail or SMS.
"""

from __future__ import annotations

import base64
import io
import re
import uuid
from decimal import Decimal, InvalidOperation

import barcode
import segno
from barcode.writer import SVGWriter
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from omni.errors import NotFound, OmniError, ValidationError
from orders.models import Order
from payments import links
from payments.models import Payment
from staff.access import StaffRequest, staff_view
from staff.selectors import pos as pos_selectors
from staff.services import counter
from staff.views.pos_state import Till

METHOD_LABELS = {
    counter.CASH: gettext_lazy("Cash"),
    counter.TERMINAL: gettext_lazy("Card terminal"),
    counter.STORE_CREDIT: gettext_lazy("Store credit"),
    counter.LOYALTY: gettext_lazy("Loyalty points"),
    counter.LINK: gettext_lazy("Pay by link"),
}


def _message(error: OmniError) -> str:
    for found in (error.fields or {}).values():
        if found:
            return str(found[0])
    return error.message


def _amount(value: str, field: str) -> Decimal:
    try:
        amount = Decimal((value or "").strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationError.for_field(field, _("Enter an amount."), code="invalid") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError.for_field(
            field, _("Enter a positive amount, to the cent."), code="invalid"
        )
    return amount


def _pay_context(request: StaffRequest, till: Till, **extra) -> dict:
    order = till.get_order(request)
    customer = till.get_customer()
    if order is not None:
        due = pos_selectors.order_due(order=order)
        payments = pos_selectors.order_payments(order=order)
        total, currency = order.total, order.currency
        sale = None
    else:
        cart = till.get_cart(request, customer)
        sale = pos_selectors.sale_read(
            store=request.store, location=request.location, cart=cart, customer=customer
        )
        due, payments, total, currency = sale.total, [], sale.total, sale.currency
        home = _home(till)
        if home is not None and cart is not None and sale.can_pay:
            try:
                quote = counter.sale_due_before_placing(
                    store=request.store, location=request.location, cart=cart,
                    customer=customer, home=home,
                )  # fmt: skip
                due = total = quote.total
                extra.setdefault("shipping", quote.shipping)
            except OmniError as error:  # the address or method no longer holds
                till.home = {}
                extra.setdefault("error", _message(error))
    method = request.GET.get("method") or extra.pop("method", "")
    link_qr = ""
    if till.link and order is not None and due > 0:
        link_qr = segno.make(till.link, error="m").svg_data_uri(scale=5, border=2)
    return {
        "till": till,
        "order": order,
        "sale": sale,
        "customer": customer,
        "due": due,
        "total": total,
        "currency": currency,
        "payments": payments,
        "method": method if method in counter.METHODS else "",
        "methods": METHOD_LABELS,
        "key": uuid.uuid4().hex,
        "link_qr": link_qr,
        "change": Decimal(till.change) if till.change else None,
        "home": till.home,
        "shipping": None,  # a home delivery's, when chosen
        "home_methods": counter.home_methods(request.store) if order is None and customer else [],
        "address": _address_initial(till, customer),
        **extra,
    }


def _home(till: Till) -> counter.HomeDelivery | None:
    if not till.home:
        return None
    return counter.HomeDelivery(
        shipping_method=till.home.get("shipping_method", ""),
        address=dict(till.home.get("address") or {}),
    )


ADDRESS_FIELDS = ("full_name", "phone", "line1", "district", "city", "postal_code")


def _address_initial(till: Till, customer) -> dict:
    if till.home:
        return dict(till.home.get("address") or {})
    if customer is None:
        return {}
    saved = customer.addresses.first()
    if saved is not None:
        return {name: getattr(saved, name) for name in ADDRESS_FIELDS}
    name = f"{customer.first_name} {customer.last_name}".strip()
    return {"full_name": name, "phone": customer.phone}


@staff_view
@require_GET
def pay(request: StaffRequest) -> HttpResponse:
    """The payment step (GET ?method=cash|terminal|store_credit|loyalty|link)."""
    till = Till.load(request)
    context = _pay_context(request, till)
    if context["order"] is None and (context["sale"] is None or not context["sale"].can_pay):
        messages.error(request, _("Add an item first."))
        return HttpResponseRedirect(reverse("staff:pos"))
    till.save(request)
    return render(request, "staff/pos/pay.html", context)


@staff_view
@require_GET
def pay_due(request: StaffRequest) -> HttpResponse:
    """What the order still owes (polled while a payment link is shown)."""
    till = Till.load(request)
    return render(request, "staff/pos/_due.html", _pay_context(request, till))


def _check_before_placing(
    request: StaffRequest, till: Till, *, method: str, amount: Decimal, received, reference: str
) -> None:
    """What payment_take would refuse, checked before the order is placed, so a refused first
    payment writes nothing (no order either)."""
    if method not in counter.METHODS:
        raise ValidationError.for_field("method", _("Choose a payment method."), code="invalid")
    if method == counter.LINK:
        links.online_gateway_code(request.store)
        return
    customer = till.get_customer()
    context = _pay_context(request, till)
    sale = context["sale"]
    if sale is None or not sale.can_pay:
        raise ValidationError.for_field("cart", _("Add an item first."), code="empty_cart")
    if context.get("error"):
        raise ValidationError.for_field("delivery", context["error"], code="invalid")
    if amount > context["due"]:
        raise ValidationError.for_field(
            "amount",
            _("Only %(due)s %(currency)s is still due.")
            % {"due": context["due"], "currency": sale.currency},
            code="above_due",
        )
    if method == counter.CASH and (received is None or received < amount):
        raise ValidationError.for_field(
            "received",
            _("Cash received (%(received)s) is less than the amount to pay (%(amount)s).")
            % {"received": received if received is not None else "0", "amount": amount},
            code="not_enough_cash",
        )
    if method == counter.TERMINAL and not reference.strip():
        raise ValidationError.for_field(
            "reference", _("Enter the card slip's reference."), code="required"
        )
    if method in counter.NEEDS_CUSTOMER and customer is None:
        raise ValidationError.for_field(
            "method",
            _("Store credit and loyalty points need the sale's customer."),
            code="no_customer",
        )


@staff_view
@require_POST
def pay_take(request: StaffRequest) -> HttpResponse:
    """POST method, amount, received (cash), reference (terminal), sale (the sale id), key
    (this payment's). Places the order with the first payment; the receipt once all is paid."""
    till = Till.load(request)
    data = request.POST
    method = data.get("method", "")
    try:
        received = _amount(data["received"], "received") if data.get("received") else None
        if method == counter.LINK:
            amount = Decimal(0)
        elif data.get("amount"):
            amount = _amount(data["amount"], "amount")
        else:  # all that is due
            amount = _pay_context(request, till)["due"]
        sale_id = data.get("sale") or till.sale
        uuid.UUID(sale_id)
        order = till.get_order(request)
        if order is None:
            _check_before_placing(
                request, till, method=method, amount=amount, received=received,
                reference=data.get("reference", ""),
            )  # fmt: skip
            customer = till.get_customer()
            cart = till.get_cart(request, customer)
            if cart is None:
                raise ValidationError.for_field("cart", _("Add an item first."), code="empty")
            order = counter.sale_place(
                sale_id=sale_id, store=request.store, location=request.location, cart=cart,
                customer=customer, actor=request.user, home=_home(till),
                language=getattr(request, "LANGUAGE_CODE", None),
            )  # fmt: skip
            till.order = order.number
            till.save(request)
        taken = counter.payment_take(
            order=order, store=request.store, actor=request.user, method=method, amount=amount,
            received=received, reference=data.get("reference", ""), key=data.get("key", ""),
            link_url=request.build_absolute_uri,
        )  # fmt: skip
    except (OmniError, ValueError) as error:
        message = _message(error) if isinstance(error, OmniError) else _("Start the sale again.")
        context = _pay_context(request, till, error=message, method=method)
        return render(request, "staff/pos/pay.html", context, status=400)
    if taken.method == counter.LINK:
        till.link = taken.link_url
    if taken.method == counter.CASH:
        till.change = str(taken.change)
    till.save(request)
    if taken.due <= 0:
        return _finish(request, till, order)
    label = METHOD_LABELS.get(taken.method, taken.method)
    if taken.method != counter.LINK:
        messages.success(
            request,
            _("%(method)s: %(amount)s taken.") % {"method": label, "amount": taken.amount},
        )
    return HttpResponseRedirect(reverse("staff:pos-pay"))


def _finish(request: StaffRequest, till: Till, order: Order) -> HttpResponse:
    """The sale is paid: the goods are handed over; the till starts a new sale; the receipt."""
    counter.sale_finish_if_paid(order=order, store=request.store, actor=request.user)
    change = till.change
    till.reset(request)
    request.session[f"pos-change:{order.number}"] = change
    url = reverse("staff:pos-receipt", kwargs={"number": order.number})
    if request.headers.get("HX-Request") == "true":
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


@staff_view
@require_POST
def pay_complete(request: StaffRequest) -> HttpResponse:
    """After a payment link was paid: hand over and show the receipt."""
    till = Till.load(request)
    order = till.get_order(request)
    if order is None:
        return HttpResponseRedirect(reverse("staff:pos"))
    if pos_selectors.order_due(order=order) > 0:
        context = _pay_context(request, till, error=_("The sale is not paid in full yet."))
        return render(request, "staff/pos/pay.html", context, status=400)
    return _finish(request, till, order)


@staff_view
@require_POST
def pay_cancel(request: StaffRequest) -> HttpResponse:
    """Call off the sale: before it is placed, back to the sale; once placed and not paid at
    all, the order is cancelled and the till starts a new sale."""
    till = Till.load(request)
    order = till.get_order(request)
    if order is None:
        return HttpResponseRedirect(reverse("staff:pos"))
    try:
        counter.sale_cancel(order=order, store=request.store, actor=request.user)
    except OmniError as error:
        context = _pay_context(request, till, error=_message(error))
        return render(request, "staff/pos/pay.html", context, status=400)
    till.reset(request)
    messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
    return HttpResponseRedirect(reverse("staff:pos"))


@staff_view
@require_POST
def pay_delivery(request: StaffRequest) -> HttpResponse:
    """Endless aisle: POST deliver=home with shipping_method and the address ships the sale to
    the customer's home from wherever routing says; deliver=counter sells it here again."""
    till = Till.load(request)
    if till.order:
        return HttpResponseRedirect(reverse("staff:pos-pay"))
    if request.POST.get("deliver") != "home":
        till.home = {}
        till.save(request)
        return HttpResponseRedirect(reverse("staff:pos-pay"))
    address = {name: request.POST.get(name, "").strip() for name in ADDRESS_FIELDS}
    address["country"] = "TR"
    home = counter.HomeDelivery(
        shipping_method=request.POST.get("shipping_method", ""), address=address
    )
    try:
        counter.home_delivery_check(store=request.store, customer=till.get_customer(), home=home)
    except OmniError as error:
        context = _pay_context(request, till, error=_message(error), address=address)
        return render(request, "staff/pos/pay.html", context, status=400)
    till.home = {"shipping_method": home.shipping_method, "address": address}
    till.save(request)
    return HttpResponseRedirect(reverse("staff:pos-pay"))


# --- the receipt ----------------------------------------------------------------------------


def order_barcode_svg(number: str) -> str:
    """The order number as a Code 128 barcode (the returns screen scans it): an SVG data URI
    for an <img> (an image's own styles are not the page's, so the CSP allows them)."""
    out = io.BytesIO()
    barcode.get("code128", number, writer=SVGWriter()).write(
        out, options={"module_height": 12.0, "module_width": 0.25, "font_size": 8, "quiet_zone": 2}
    )
    # Chromium applies the page's Content-Security-Policy to a data: SVG image, which forbids
    # style attributes: the writer's styles become presentation attributes.
    svg = _STYLE.sub(_as_attributes, out.getvalue().decode())
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


_STYLE = re.compile(r'style="([^"]*)"')


def _as_attributes(match: re.Match) -> str:
    pairs = (item.split(":", 1) for item in match.group(1).split(";") if ":" in item)
    return " ".join(f'{key.strip()}="{value.strip()}"' for key, value in pairs)


def _receipt_context(request: StaffRequest, number: str) -> dict:
    try:
        order = pos_selectors.store_order_with_lines(store=request.store, number=number)
    except NotFound:
        raise Http404 from None
    payments = pos_selectors.order_payments(order=order)
    change = request.session.get(f"pos-change:{order.number}") or ""
    taxes = sorted((order.pricing or {}).get("tax_by_rate", {}).items())
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "payments": payments,
        "paid": sum((p.amount for p in payments if p.status in _PAID), Decimal(0)),
        "change": Decimal(change) if change else None,
        # What the customer handed over in cash, as a receipt shows it beside the change.
        "received": (
            sum((p.amount for p in payments if p.gateway == "cash"), Decimal(0)) + Decimal(change)
            if change
            else None
        ),
        "taxes": [(rate, Decimal(amount)) for rate, amount in taxes],
        "discounts": (order.pricing or {}).get("discounts", []),
        "location": order.pickup_location or request.location,
        "barcode_svg": order_barcode_svg(order.number),
        "methods": METHOD_LABELS,
    }


_PAID = (Payment.Status.AUTHORISED, Payment.Status.CAPTURED, Payment.Status.PARTIALLY_REFUNDED)


@staff_view
@require_GET
def receipt(request: StaffRequest, number: str) -> HttpResponse:
    return render(request, "staff/pos/receipt.html", _receipt_context(request, number))


@staff_view
@require_POST
def receipt_send(request: StaffRequest, number: str) -> HttpResponse:
    """POST via=email|sms, to=<address or phone>: send the receipt after the commit."""
    context = _receipt_context(request, number)
    order = context["order"]
    via, to = request.POST.get("via", ""), request.POST.get("to", "")
    receipt = {key: value for key, value in context.items() if key != "barcode_svg"}
    try:
        counter.receipt_send(order=order, via=via, to=to, receipt=receipt)
    except OmniError as error:
        context.update(send_error=_message(error), send_to=to, send_via=via)
        return render(request, "staff/pos/receipt.html", context, status=400)
    messages.success(request, _("The receipt is on its way to %(to)s.") % {"to": to})
    return HttpResponseRedirect(reverse("staff:pos-receipt", kwargs={"number": order.number}))


urlpatterns = [
    path("pay/", pay, name="pos-pay"),
    path("pay/take/", pay_take, name="pos-pay-take"),
    path("pay/due/", pay_due, name="pos-pay-due"),
    path("pay/complete/", pay_complete, name="pos-pay-complete"),
    path("pay/delivery/", pay_delivery, name="pos-pay-delivery"),
    path("pay/cancel/", pay_cancel, name="pos-pay-cancel"),
    path("receipt/<str:number>/", receipt, name="pos-receipt"),
    path("receipt/<str:number>/send/", receipt_send, name="pos-receipt-send"),
]
