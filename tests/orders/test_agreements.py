"""The legal forms of a distance sale (orders.services.agreements): filled with the order's
seller, buyer, items, prices, delivery and right of withdrawal; kept once as accepted; required
by payment_start for web and app orders only; read and accepted by the app through the API."""

from __future__ import annotations

import hashlib

import pytest

from customers.services import customer_for_user
from omni.errors import Conflict, ValidationError
from orders.models import Order, OrderAgreement, OrderEvent
from orders.services import agreements, lifecycle
from payments import services as payments
from payments.models import Payment
from sales_channels.demo import seed_retailer
from sales_channels.models import Retailer
from tests import factories as f
from tests.orders.api_support import signed_in
from tests.payments import support
from tests.payments.support import provider  # noqa: F401 (a fixture)
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def retailer():
    return seed_retailer()


def _web_order(customer=None, *, price: str = "1049.90", language: str = "tr", kind="web"):
    order = support.place(
        support.web_channel(kind=kind, code=kind), customer, price=price, accept=False
    )
    if language != order.language:
        Order.objects.filter(pk=order.pk).update(language=language)
        order.refresh_from_db()
    return order


def test_the_forms_are_filled_with_seller_buyer_items_prices_delivery_and_withdrawal():
    order = _web_order()
    line = order.lines.get()

    pre, contract = agreements.agreements_render(order)

    assert (pre.kind, contract.kind) == ("pre_information", "distance_sales")
    for form in (pre, contract):
        text = form.body
        assert "Moda Ev Tekstil ve Ev Ürünleri Ticaret A.Ş." in text  # the seller
        assert "MERSIS No: 0612345678900015" in text and "modaev@hs01.kep.tr" in text
        assert "Ayşe Kaya" in text and "Moda Caddesi No:12" in text  # the buyer
        assert line.product_name in text and line.sku in text  # the item
        assert "1.049,90\u00a0₺" in text  # its price, as the site writes it
        assert "Adrese teslim" in text  # the delivery
        assert "<strong>14 gün</strong>" in text  # the right of withdrawal
        assert order.number in text
        assert form.document.startswith("<!DOCTYPE html>") and form.body in form.document
        assert form.sha256 == hashlib.sha256(form.document.encode()).hexdigest()
    assert pre.title == "Ön bilgilendirme formu" and "Cayma hakkı" in pre.body
    assert "Mesafeli Satış Sözleşmesi" in contract.body


def test_an_english_order_gets_the_english_forms_with_the_channel_s_window():
    order = _web_order(language="en")
    order.channel.return_window_days = 30
    order.channel.save(update_fields=["return_window_days"])

    pre, contract = agreements.agreements_render(order)

    assert pre.language == "en" and "Right of withdrawal" in pre.body
    assert "<strong>30 days</strong>" in contract.body and "₺1,049.90" in contract.body
    assert '<html lang="en">' in contract.document


def test_accepting_keeps_the_texts_once_as_accepted():
    order = _web_order()
    shown = agreements.agreements_render(order)

    kept = agreements.agreements_accept(order=order, ip="203.0.113.9")
    Retailer.objects.filter(pk=1).update(legal_name="Başka Şirket A.Ş.")  # the seller changes
    again = agreements.agreements_accept(order=order, ip="198.51.100.1")

    assert [(a.kind, a.html, a.sha256, a.version, a.language, a.accepted_ip) for a in kept] == [
        (r.kind, r.document, r.sha256, "2026.1", "tr", "203.0.113.9") for r in shown
    ]
    assert [(a.pk, a.html, a.accepted_at) for a in again] == [
        (a.pk, a.html, a.accepted_at) for a in kept
    ]
    assert OrderAgreement.objects.filter(order=order).count() == 2
    assert OrderEvent.objects.filter(order=order, kind="agreements_accepted").count() == 1


def test_a_web_order_is_not_paid_before_its_forms_are_accepted(provider):  # noqa: F811
    order = _web_order()

    with pytest.raises(ValidationError) as refused:
        payments.payment_start(order=order, gateway_code="test", card=support.card())

    assert refused.value.code == "agreements_required"
    assert list(refused.value.fields) == ["agreements"]
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    agreements.agreements_accept(order=order, ip="127.0.0.1")
    payment, _result = payments.payment_start(order=order, gateway_code="test", card=support.card())
    assert payment.status == "captured"


def test_an_app_order_needs_them_and_a_store_sale_none():
    app_order = _web_order(kind="app")
    store_order = support.place(support.store_channel(), price="100.00")

    assert agreements.agreements_required(app_order) is True
    assert agreements.agreements_required(store_order) is False
    with pytest.raises(ValidationError) as refused:
        agreements.agreements_accept(order=store_order, ip="127.0.0.1")
    assert refused.value.code == "agreements_not_required"
    assert not OrderAgreement.objects.exists()


def test_forms_read_otherwise_than_shown_or_of_a_cancelled_order_are_not_accepted():
    order = _web_order()
    shown = {r.kind: r.sha256 for r in agreements.agreements_render(order)}

    with pytest.raises(ValidationError) as changed:
        agreements.agreements_accept(order=order, ip="", sha256={**shown, "distance_sales": "0"})
    lifecycle.order_cancel(order=order)
    with pytest.raises(Conflict):
        agreements.agreements_accept(order=order, ip="", sha256=shown)

    assert list(changed.value.fields) == ["sha256"]
    assert not OrderAgreement.objects.exists()


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def shopper():
    user, client = signed_in()
    return customer_for_user(user=user), client


def test_the_app_reads_accepts_then_pays(provider, shopper):  # noqa: F811
    customer, client = shopper
    order = _web_order(customer)
    url = f"/api/v1/orders/{order.number}/agreements/"
    pay = f"/api/v1/orders/{order.number}/payments/"
    card = {"gateway": "test", "card": support.card_json()}

    read = client.get(url).json()
    early = client.post(pay, card, format="json")
    unticked = client.post(url, {"accept": False}, format="json")
    accepted = client.post(
        url, {"accept": True, "sha256": {f["kind"]: f["sha256"] for f in read["forms"]}},
        format="json",
    )  # fmt: skip
    paid = client.post(pay, card, format="json")

    assert (read["needed"], read["accepted"]) == (True, False)
    assert [(f["kind"], f["language"], f["accepted_at"]) for f in read["forms"]] == [
        ("pre_information", "tr", None),
        ("distance_sales", "tr", None),
    ]
    assert "Moda Ev Tekstil" in read["forms"][1]["html"]
    assert early.status_code == 400
    assert early.json()["code"] == "agreements_required"
    assert list(early.json()["fields"]) == ["agreements"]
    assert unticked.status_code == 400 and list(unticked.json()["fields"]) == ["accept"]
    assert accepted.status_code == 201, accepted.json()
    body = accepted.json()
    assert body["accepted"] is True
    assert [f["sha256"] for f in body["forms"]] == [f["sha256"] for f in read["forms"]]
    assert all(f["accepted_at"] for f in body["forms"])
    assert paid.status_code == 201 and paid.json()["status"] == "captured"


def test_another_customers_forms_are_not_found(shopper):
    _customer, client = shopper
    order = _web_order(f.CustomerFactory())

    assert client.get(f"/api/v1/orders/{order.number}/agreements/").status_code == 404
    answer = client.post(f"/api/v1/orders/{order.number}/agreements/", {"accept": True})
    assert answer.status_code == 404
    assert not OrderAgreement.objects.exists()


@pytest.mark.parametrize("lines", [1, 5])
def test_reading_the_forms_runs_a_fixed_number_of_queries(shopper, lines):
    customer, client = shopper
    channel = support.web_channel()
    order = support.place(channel, customer, quantity=1, accept=False)
    for n in range(lines - 1):  # more lines on the same order
        extra = order.lines.get(pk=order.lines.first().pk)
        extra.pk = None
        extra.sku = f"{extra.sku}-{n}"
        extra.save()
    url = f"/api/v1/orders/{order.number}/agreements/"

    # the user (token), the order, whether accepted, the order again with its lines (2), the
    # retailer (kept by the process outside the tests)
    with assert_num_queries(7):
        assert len(client.get(url).json()["forms"]) == 2
