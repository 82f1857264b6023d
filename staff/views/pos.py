"""Counter sale (POS): the sale on the counter. Scan (a keyboard-wedge scanner types the
barcode into the focused "Barcode or SKU" field and presses Enter; the tablet's camera fills
the same field), search by name or SKU, change quantities, and open the sale for a customer.
Each change answers the sale fragment (htmx) or, without JavaScript, the page.

Taking payment and the receipt are in pos_payment.py; what the till remembers in pos_state.py.
`/staff/pos/?customer=<pk>` opens the sale for a customer and `?add=<sku>` adds one unit (other
screens link here), then redirect to /staff/pos/.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from customers.models import Customer
from omni.errors import NotFound, OmniError
from orders.models import Cart, CartLine
from staff.access import StaffRequest, staff_view
from staff.selectors import pos as pos_selectors
from staff.services import counter
from staff.views import pos_payment
from staff.views.pos_state import Till


def _is_htmx(request: StaffRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _context(request: StaffRequest, till: Till, cart: Cart | None = None, **extra) -> dict:
    customer = till.get_customer()
    if cart is None:
        cart = till.get_cart(request, customer)
    sale = pos_selectors.sale_read(
        store=request.store, location=request.location, cart=cart, customer=customer
    )
    return {"sale": sale, "till": till, **extra}


def _sale_response(
    request: StaffRequest,
    till: Till,
    *,
    status: int = 200,
    error: str = "",
    notice: str = "",
    cart: Cart | None = None,
) -> HttpResponse:
    """The sale fragment for htmx (`cart`: the sale's cart when the view holds it already);
    the page otherwise (an error as a message)."""
    till.save(request)
    if _is_htmx(request):
        context = _context(request, till, cart, error=error, notice=notice)
        return render(request, "staff/pos/_sale.html", context, status=status)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return HttpResponseRedirect(reverse("staff:pos"))


def _message(error: OmniError) -> str:
    fields = getattr(error, "fields", None) or {}
    for messages_ in fields.values():
        if messages_:
            return str(messages_[0])
    return str(error.message if hasattr(error, "message") else error)


@staff_view
@require_GET
def index(request: StaffRequest) -> HttpResponse:
    till = Till.load(request)
    if till.order:  # an order being paid: the payment step
        return HttpResponseRedirect(reverse("staff:pos-pay"))
    acted = False
    if "customer" in request.GET:
        acted = True
        _open_for_customer(request, till, request.GET["customer"])
    if "add" in request.GET:
        acted = True
        _add(request, till, request.GET["add"])
    if acted:
        till.save(request)
        return HttpResponseRedirect(reverse("staff:pos"))
    till.save(request)
    return render(request, "staff/pos/index.html", _context(request, till))


def _open_for_customer(request: StaffRequest, till: Till, value: str) -> Customer | None:
    try:
        customer = pos_selectors.customer_for_store(pk=int(value))
    except (ValueError, NotFound):
        messages.error(request, _("Customer not found."))
        return None
    till_cart = till.get_cart(request, None) if till.customer is None else None
    counter.sale_for_customer(customer=customer, store=request.store, till_cart=till_cart)
    till.customer, till.cart = customer.pk, ""
    return customer


def _scan_onto(request: StaffRequest, till: Till, code: str) -> tuple[CartLine | None, str]:
    """One unit of the item `code` names onto the sale: the line, or why not."""
    customer = till.get_customer()
    try:
        line = counter.sale_scan(
            code=code,
            store=request.store,
            cart=till.get_cart(request, customer),
            customer=customer,
        )
    except OmniError as error:
        return None, _message(error)
    if customer is None:
        till.cart = str(line.cart.token)
    return line, ""


def _being_paid(request: StaffRequest, till: Till) -> HttpResponse:
    """The sale's order is placed and being paid: its lines and customer no longer change."""
    return _sale_response(
        request, till, status=409, error=_("Finish taking payment for this sale first.")
    )


def _add(request: StaffRequest, till: Till, code: str) -> bool:
    line, error = _scan_onto(request, till, code)
    if line is None:
        messages.error(request, error)
    return line is not None


@staff_view
@require_POST
def scan(request: StaffRequest) -> HttpResponse:
    """POST code=<barcode or SKU>: one unit onto the sale; answers the sale fragment."""
    till = Till.load(request)
    if till.order:
        return _being_paid(request, till)
    code = request.POST.get("code", "").strip()
    if not code:
        return _sale_response(request, till, status=400, error=_("Scan or type a barcode or SKU."))
    line, error = _scan_onto(request, till, code)
    if line is None:
        return _sale_response(request, till, status=400, error=error)
    return _sale_response(request, till, cart=line.cart)


@staff_view
@require_POST
def line_quantity(request: StaffRequest, line_id: int) -> HttpResponse:
    """POST quantity=<n> (0 removes the line)."""
    till = Till.load(request)
    customer = till.get_customer()
    cart = till.get_cart(request, customer)
    try:
        quantity = int(request.POST.get("quantity", ""))
        if quantity < 0:
            raise ValueError
    except ValueError:
        return _sale_response(request, till, status=400, error=_("Enter a quantity."))
    if cart is None or till.order:
        return _sale_response(request, till, status=404, error=_("Cart line not found."))
    try:
        counter.carts.cart_set_quantity(
            cart=cart, channel=request.store, line_id=line_id, quantity=quantity
        )
    except OmniError as error:
        return _sale_response(request, till, status=400, error=_message(error))
    return _sale_response(request, till)


@staff_view
@require_POST
def line_remove(request: StaffRequest, line_id: int) -> HttpResponse:
    till = Till.load(request)
    customer = till.get_customer()
    cart = till.get_cart(request, customer)
    if cart is None or till.order:
        return _sale_response(request, till, status=404, error=_("Cart line not found."))
    try:
        counter.carts.cart_remove(cart=cart, channel=request.store, line_id=line_id)
    except OmniError as error:
        return _sale_response(request, till, status=404, error=_message(error))
    return _sale_response(request, till)


@staff_view
@require_POST
def promo_code(request: StaffRequest) -> HttpResponse:
    """A promotion code on the sale's cart (campaigns checks it); the pricing shows it."""
    from campaigns.services.codes import cart_code_apply

    till = Till.load(request)
    customer = till.get_customer()
    cart = till.get_cart(request, customer)
    if cart is None:
        return _sale_response(request, till, status=400, error=_("Add an item first."))
    try:
        cart_code_apply(
            cart=cart, code=request.POST.get("promo", ""), channel=request.store, customer=customer
        )
    except OmniError as error:
        return _sale_response(request, till, status=400, error=_message(error))
    return _sale_response(request, till)


@staff_view
@require_GET
def search(request: StaffRequest) -> HttpResponse:
    """The typeahead: items whose name or SKU holds q, each one a button that adds it."""
    found = pos_selectors.product_search(q=request.GET.get("q", ""), store=request.store)
    return render(request, "staff/pos/_search.html", {"found": found, "q": request.GET.get("q")})


@staff_view
@require_GET
def customer_search(request: StaffRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    try:
        found = pos_selectors.customers_find(q=q)
        error = ""
    except OmniError as e:
        found, error = [], _message(e)
    return render(
        request,
        "staff/pos/_customers.html",
        {"customers": found, "error": error, "q": q},
        status=400 if error and q else 200,
    )


@staff_view
@require_POST
def customer_choose(request: StaffRequest) -> HttpResponse:
    """The sale becomes the customer's: their one cart, the till's lines merged in."""
    till = Till.load(request)
    if till.order:
        return _being_paid(request, till)
    customer = _open_for_customer(request, till, request.POST.get("customer", ""))
    if customer is None:
        return _sale_response(request, till, status=404, error=_("Customer not found."))
    return _sale_response(request, till)


@staff_view
@require_POST
def customer_clear(request: StaffRequest) -> HttpResponse:
    """The sale is anonymous again (the customer's cart stays theirs): a new, empty sale."""
    till = Till.load(request)
    if till.order:
        return _being_paid(request, till)
    till.reset(request)
    return _sale_response(request, Till.load(request))


@staff_view
@require_POST
def new_sale(request: StaffRequest) -> HttpResponse:
    Till.load(request).reset(request)
    return HttpResponseRedirect(reverse("staff:pos"))


urlpatterns = [
    path("", index, name="pos"),
    path("scan/", scan, name="pos-scan"),
    path("search/", search, name="pos-search"),
    path("lines/<int:line_id>/", line_quantity, name="pos-line"),
    path("lines/<int:line_id>/remove/", line_remove, name="pos-line-remove"),
    path("code/", promo_code, name="pos-code"),
    path("customers/", customer_search, name="pos-customers"),
    path("customer/", customer_choose, name="pos-customer"),
    path("customer/clear/", customer_clear, name="pos-customer-clear"),
    path("new/", new_sale, name="pos-new"),
    *pos_payment.urlpatterns,
]
