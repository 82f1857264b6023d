"""The counter sale (POS): scanning, lines, the customer, payment and its splits, the receipt."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from inventory.models import Stock
from omni.money import money_format
from orders.models import Cart, Order
from payments.models import ChannelGateway, Payment
from tests.queries import assert_num_queries
from tests.staff.support import build_retailer, staff_client

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def retailer():
    return build_retailer(products=3, variants=2)


@pytest.fixture
def till(retailer):
    return staff_client(retailer.clerk, retailer.kadikoy)


def _scan(client, code, **extra):
    return client.post("/staff/pos/scan/", {"code": code}, **HX, **extra)


def _pay(client, **data):
    client.get("/staff/pos/pay/")
    return client.post("/staff/pos/pay/take/", data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_scanned_barcode_puts_the_line_on_the_sale_at_the_store_price(retailer, till):
    variant = retailer.variant(0, 0)
    answer = _scan(till, variant.barcode)
    html = answer.content.decode()
    assert answer.status_code == 200
    assert html.count('data-testid="sale-line"') == 1
    assert variant.sku in html
    assert "100,00" in html or "100.00" in html
    cart = Cart.objects.get()
    assert (cart.customer_id, cart.last_channel) == (None, retailer.kadikoy)
    assert cart.lines.get().quantity == 1

    _scan(till, variant.sku)  # the SKU typed: one more of the same
    assert cart.lines.get().quantity == 2


def test_each_line_shows_the_stock_here_and_in_the_other_stores(retailer, till):
    html = _scan(till, retailer.variant(0, 0).barcode).content.decode()
    assert "Here: <strong>3</strong>" in html
    assert "Kızılay Mağaza: 1" in html


def test_an_unknown_barcode_is_refused_and_nothing_is_added(retailer, till):
    answer = _scan(till, "0000000000000")
    assert answer.status_code == 400
    assert "No item has the barcode or SKU 0000000000000." in answer.content.decode()
    assert not Cart.objects.exists()


def test_quantity_change_and_remove(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    line = Cart.objects.get().lines.get()
    till.post(f"/staff/pos/lines/{line.pk}/", {"quantity": "3"}, **HX)
    line.refresh_from_db()
    assert line.quantity == 3
    answer = till.post(f"/staff/pos/lines/{line.pk}/remove/", **HX)
    assert answer.status_code == 200
    assert not Cart.objects.get().lines.exists()


def test_another_tills_line_is_not_found(retailer, till):
    other = staff_client(retailer.manager, retailer.kadikoy)
    _scan(other, retailer.variant(0, 0).barcode)
    line = Cart.objects.get().lines.get()
    _scan(till, retailer.variant(1, 0).barcode)
    answer = till.post(f"/staff/pos/lines/{line.pk}/remove/", **HX)
    assert answer.status_code == 404
    assert Cart.objects.filter(lines__pk=line.pk).exists()


def test_search_by_name_or_sku_lists_items_with_their_price(retailer, till):
    answer = till.get("/staff/pos/search/", {"q": "Gömlek 1"}, HTTP_ACCEPT_LANGUAGE="en")
    html = answer.content.decode()
    assert retailer.variant(1, 0).sku in html and retailer.variant(1, 1).sku in html
    assert retailer.variant(0, 0).sku not in html


def test_a_customer_found_by_phone_takes_the_sale_into_their_one_cart(retailer, till):
    from orders.services import carts

    carts.cart_add(customer=retailer.customer, channel=retailer.app, sku=retailer.variant(2, 0).sku)
    _scan(till, retailer.variant(0, 0).barcode)
    found = till.get("/staff/pos/customers/", {"q": "0555 111 22 33"}).content.decode()
    assert "Ayşe" in found

    answer = till.post("/staff/pos/customer/", {"customer": retailer.customer.pk}, **HX)

    assert answer.status_code == 200
    cart = Cart.objects.get(customer=retailer.customer, status=Cart.Status.ACTIVE)
    assert sorted(line.variant_id for line in cart.lines.all()) == sorted(
        [retailer.variant(0, 0).pk, retailer.variant(2, 0).pk]
    )
    assert answer.content.decode().count('data-testid="sale-line"') == 2


def test_customer_and_add_links_open_the_sale_and_redirect(retailer, till):
    answer = till.get(f"/staff/pos/?customer={retailer.customer.pk}")
    assert (answer.status_code, answer["Location"]) == (302, "/staff/pos/")
    answer = till.get(f"/staff/pos/?add={retailer.variant(1, 1).sku}")
    assert (answer.status_code, answer["Location"]) == (302, "/staff/pos/")
    cart = Cart.objects.get(customer=retailer.customer)
    assert cart.lines.get().variant_id == retailer.variant(1, 1).pk


def test_a_cash_sale_with_change_is_handed_over_and_has_a_receipt(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    answer = _pay(till, method="cash", amount="100.00", received="150.00", key="k1")
    order = Order.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/pos/receipt/{order.number}/"
    assert (order.channel, order.status, order.placed_by) == (
        retailer.kadikoy,
        Order.Status.COLLECTED,
        retailer.clerk,
    )
    assert Payment.objects.get().amount == Decimal("100.00")
    stock = Stock.objects.get(variant=retailer.variant(0, 0), location__code="kadikoy")
    assert (stock.on_hand, stock.allocated) == (2, 0)

    receipt = till.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert order.number in receipt
    assert 'data-testid="receipt-change">₺50.00<' in receipt
    assert 'data-testid="receipt-received">₺150.00<' in receipt
    assert "data:image/svg+xml;base64," in receipt
    # The till starts a new sale.
    page = till.get("/staff/pos/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Scan an item to start the sale." in page


def test_a_sale_is_placed_once_per_sale_id(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    page = till.get("/staff/pos/pay/?method=terminal").content.decode()
    sale = page.split('name="sale" value="')[1].split('"')[0]
    till.post(
        "/staff/pos/pay/take/",
        {"method": "terminal", "amount": "40.00", "reference": "S1", "sale": sale},
    )
    till.post(
        "/staff/pos/pay/take/",
        {"method": "terminal", "amount": "60.00", "reference": "S2", "sale": sale},
    )
    order = Order.objects.get()
    assert order.status == Order.Status.COLLECTED
    assert sorted(p.provider_reference for p in order.payments.all()) == ["S1", "S2"]


def test_cash_received_below_the_amount_is_refused_and_nothing_is_written(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    answer = _pay(till, method="cash", amount="100.00", received="80.00")
    assert answer.status_code == 400
    assert "Cash received (80.00) is less than the amount to pay (100.00)." in (
        answer.content.decode()
    )
    assert not Order.objects.exists() and not Payment.objects.exists()


def test_an_amount_above_what_is_due_is_refused_and_nothing_is_written(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    answer = _pay(till, method="terminal", amount="120.00", reference="S9")
    assert answer.status_code == 400
    assert "Only 100.00 TRY is still due." in answer.content.decode()
    assert not Order.objects.exists() and not Payment.objects.exists()


def test_pay_by_link_without_a_card_gateway_is_refused(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    answer = _pay(till, method="link")
    assert answer.status_code == 400
    assert "takes no online card payments" in answer.content.decode()
    assert not Order.objects.exists()


def test_a_split_of_cash_and_a_payment_link_shows_what_is_still_due(retailer, till):
    ChannelGateway.objects.create(channel=retailer.kadikoy, gateway="test")
    _scan(till, retailer.variant(0, 0).barcode)
    _pay(till, method="cash", amount="30.00", received="30.00")
    page = till.get("/staff/pos/pay/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Still due" in page and "70.00" in page
    answer = till.post("/staff/pos/pay/take/", {"method": "link"})
    assert answer.status_code == 302
    page = till.get("/staff/pos/pay/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="payment-link"' in page and "/pay/" in page
    assert Order.objects.get().status == Order.Status.CONFIRMED  # not handed over unpaid


def test_store_credit_needs_the_sales_customer(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    answer = _pay(till, method="store_credit", amount="10.00")
    assert answer.status_code == 400
    assert not Order.objects.exists()


def test_another_stores_receipt_is_not_found(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    _pay(till, method="cash", amount="100.00", received="100.00")
    order = Order.objects.get()
    elsewhere = staff_client(retailer.manager, retailer.kizilay)
    assert elsewhere.get(f"/staff/pos/receipt/{order.number}/").status_code == 404
    assert till.get(f"/staff/pos/receipt/{order.number}/").status_code == 200


def test_the_receipt_is_sent_by_email_after_commit(
    retailer, till, django_capture_on_commit_callbacks
):
    till.get(f"/staff/pos/?customer={retailer.customer.pk}")
    _scan(till, retailer.variant(0, 0).barcode)
    _pay(till, method="cash", amount="100.00", received="100.00")
    order = Order.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer = till.post(
            f"/staff/pos/receipt/{order.number}/send/", {"via": "email", "to": "ayse@example.com"}
        )
    assert answer.status_code == 302
    assert [m.to for m in mail.outbox] == [["ayse@example.com"]]
    assert order.number in mail.outbox[0].body
    html = mail.outbox[0].alternatives[0][0]  # the shop's e-mail: HTML and plain text
    assert order.number in html and money_format(Decimal("100"), "TRY", order.language) in html


def test_the_camera_is_allowed_under_staff_only(retailer, till):
    staff = till.get("/staff/pos/")["Permissions-Policy"]
    assert "camera=(self)" in staff and "microphone=()" in staff
    other = till.get("/")["Permissions-Policy"]
    assert "camera=()" in other


def test_the_pos_page_and_the_scan_take_the_same_queries_for_one_line_and_five(retailer, till):
    codes = [retailer.variant(p, v).barcode for p in range(3) for v in range(2)]
    _scan(till, codes[0])
    with assert_num_queries(PAGE_QUERIES):
        till.get("/staff/pos/")
    with assert_num_queries(SCAN_QUERIES):
        _scan(till, codes[1])
    for code in codes[2:5]:
        _scan(till, code)
    with assert_num_queries(PAGE_QUERIES):
        till.get("/staff/pos/")
    with assert_num_queries(SCAN_QUERIES):
        _scan(till, codes[5])


PAGE_QUERIES = 9
SCAN_QUERIES = 18


def test_endless_aisle_ships_the_sale_home_from_where_routing_says(retailer, till):
    from inventory.models import Allocation
    from tests import factories as f

    f.ShippingMethodFactory(channel=retailer.kadikoy, code="standart", name_en="Standard")
    f.sells_from(retailer.kadikoy, retailer.kadikoy.store_location, retailer.dc)
    variant = retailer.variant(0, 0)
    Stock.objects.filter(variant=variant, location__code="kadikoy").update(on_hand=0)
    till.get(f"/staff/pos/?customer={retailer.customer.pk}")
    till.get(f"/staff/pos/?add={variant.sku}")

    chosen = till.post(
        "/staff/pos/pay/delivery/",
        {"deliver": "home", "shipping_method": "standart", **f.ADDRESS},
    )
    assert chosen.status_code == 302
    page = till.get("/staff/pos/pay/?method=terminal", HTTP_ACCEPT_LANGUAGE="en")
    due = page.context["due"]
    answer = till.post(
        "/staff/pos/pay/take/", {"method": "terminal", "amount": str(due), "reference": "AISLE"}
    )

    order = Order.objects.get()
    assert answer.status_code == 302
    assert (order.delivery, order.customer, order.status) == (
        "home",
        retailer.customer,
        Order.Status.CONFIRMED,
    )
    assert Allocation.objects.get(reference=order.reference).location == retailer.dc


def test_home_delivery_without_an_address_is_refused(retailer, till):
    from tests import factories as f

    f.ShippingMethodFactory(channel=retailer.kadikoy, code="standart", name_en="Standard")
    till.get(f"/staff/pos/?customer={retailer.customer.pk}")
    till.get(f"/staff/pos/?add={retailer.variant(0, 0).sku}")
    answer = till.post(
        "/staff/pos/pay/delivery/", {"deliver": "home", "shipping_method": "standart"}
    )
    assert answer.status_code == 400
    session = till.session[f"pos:{retailer.kadikoy.code}"]
    assert session["home"] == {}


def test_a_split_of_store_credit_and_the_card_terminal(retailer, till):
    from payments.models import StoreCreditAccount

    StoreCreditAccount.objects.create(
        customer=retailer.customer, currency="TRY", balance=Decimal("30.00")
    )
    till.get(f"/staff/pos/?customer={retailer.customer.pk}")
    _scan(till, retailer.variant(0, 0).barcode)
    credit = _pay(till, method="store_credit", amount="30.00")
    assert credit.status_code == 302 and credit["Location"] == "/staff/pos/pay/"
    page = till.get("/staff/pos/pay/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["due"] == Decimal("70.00")
    card = _pay(till, method="terminal", amount="70.00", reference="SLIP-7")
    order = Order.objects.get()
    assert card["Location"] == f"/staff/pos/receipt/{order.number}/"
    assert order.status == Order.Status.COLLECTED
    assert sorted(p.gateway for p in order.payments.all()) == ["store_credit", "terminal"]
    assert StoreCreditAccount.objects.get(customer=retailer.customer).balance == 0


def test_the_receipt_is_sent_by_sms_to_the_number_given(
    retailer, till, settings, django_capture_on_commit_callbacks
):
    from omni.messaging import MemoryProvider

    settings.OMNI_SMS_PROVIDER = "memory"
    MemoryProvider.clear()
    _scan(till, retailer.variant(0, 0).barcode)
    _pay(till, method="cash", amount="100.00", received="100.00")
    order = Order.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        till.post(f"/staff/pos/receipt/{order.number}/send/", {"via": "sms", "to": "+905559998877"})
    assert [(s.to, order.number in s.text) for s in MemoryProvider.sent] == [
        ("+905559998877", True)
    ]


def test_a_receipt_without_an_address_is_refused(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    _pay(till, method="cash", amount="100.00", received="100.00")
    order = Order.objects.get()
    answer = till.post(f"/staff/pos/receipt/{order.number}/send/", {"via": "email", "to": ""})
    assert answer.status_code == 400
    assert not mail.outbox


def test_the_policy_rewrite_allows_only_the_camera():
    from staff.middleware import staff_camera_allowed

    assert staff_camera_allowed("autoplay=(), camera=(), microphone=()") == (
        "autoplay=(), camera=(self), microphone=()"
    )
    assert staff_camera_allowed("autoplay=()") == "autoplay=(), camera=(self)"


def test_a_placed_sale_with_nothing_paid_can_be_cancelled(retailer, till):
    ChannelGateway.objects.create(channel=retailer.kadikoy, gateway="test")
    _scan(till, retailer.variant(0, 0).barcode)
    _pay(till, method="link")
    order = Order.objects.get()
    answer = till.post("/staff/pos/pay/cancel/")
    assert answer["Location"] == "/staff/pos/"
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    stock = Stock.objects.get(variant=retailer.variant(0, 0), location__code="kadikoy")
    assert (stock.on_hand, stock.allocated) == (3, 0)


def test_a_sale_with_money_taken_is_not_cancelled(retailer, till):
    _scan(till, retailer.variant(0, 0).barcode)
    _pay(till, method="cash", amount="40.00", received="40.00")
    answer = till.post("/staff/pos/pay/cancel/", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert Order.objects.get().status == Order.Status.CONFIRMED


def test_cash_without_an_amount_pays_all_that_is_due(retailer, till):
    _scan(till, retailer.variant(1, 0).barcode)
    answer = till.post("/staff/pos/pay/take/", {"method": "cash", "received": "200"})
    order = Order.objects.get()
    assert answer["Location"] == f"/staff/pos/receipt/{order.number}/"
    assert order.payments.get().amount == Decimal("150.00")
    assert order.status == Order.Status.COLLECTED


def test_the_customer_lookup_takes_the_same_queries_for_one_match_and_many(retailer, till):
    from tests import factories as f

    with assert_num_queries(LOOKUP_QUERIES):
        answer = till.get("/staff/pos/customers/", {"q": "ayse@"})
    assert answer.content.decode().count('name="customer"') == 1
    for n in range(5):
        f.CustomerFactory(email=f"ayse{n}@example.com")
    with assert_num_queries(LOOKUP_QUERIES):
        answer = till.get("/staff/pos/customers/", {"q": "ayse"})
    assert answer.content.decode().count('name="customer"') == 6


def test_the_payment_step_takes_the_same_queries_for_one_line_and_five(retailer, till):
    codes = [retailer.variant(p, v).barcode for p in range(3) for v in range(2)]
    _scan(till, codes[0])
    till.get("/staff/pos/pay/")
    with assert_num_queries(PAY_QUERIES):
        till.get("/staff/pos/pay/?method=cash")
    for code in codes[1:5]:
        _scan(till, code)
    with assert_num_queries(PAY_QUERIES):
        till.get("/staff/pos/pay/?method=cash")


LOOKUP_QUERIES = 4
PAY_QUERIES = 9
