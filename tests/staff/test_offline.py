"""The offline till's server side: its price list, its service worker, and the endpoint that
records the sales a till kept while offline, once, whatever the network did."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from catalog.models import VariantChannelPrice
from inventory import selectors as inventory_selectors
from inventory.models import Stock, StockDiscrepancy, StockMovement
from orders.models import Order
from payments.models import Payment
from staff.models import TillSale
from tests import factories as f
from tests.queries import assert_num_queries
from tests.staff.support import build_retailer, staff_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def retailer():
    return build_retailer(products=2, variants=2, in_store=3)


def sale(retailer, *, quantity: int = 1, method: str = "cash", sale_id: str | None = None) -> dict:
    variant = retailer.variant(0, 0)
    price = VariantChannelPrice.objects.get(variant=variant, channel=retailer.kadikoy).price
    total = price * quantity
    sale_id = sale_id or str(uuid.uuid4())
    return {
        "id": sale_id,
        "store": retailer.kadikoy.code,
        "made_at": "2026-12-06T09:30:00.000Z",
        "currency": "TRY",
        "lines": [{"sku": variant.sku, "quantity": quantity, "unit_price": f"{price:.2f}"}],
        "total": f"{total:.2f}",
        "payments": [
            {
                "method": method,
                "amount": f"{total:.2f}",
                "reference": "SLIP-1" if method == "terminal" else "",
            }
        ],
    }


def post(client, payload: dict):
    return client.post(
        "/staff/offline/sales/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=payload["id"],
    )


def on_hand(retailer, product: int = 0, index: int = 0) -> int:
    return Stock.objects.get(
        variant=retailer.variant(product, index), location=retailer.kadikoy.store_location
    ).on_hand


def nothing_written() -> None:
    assert (TillSale.objects.count(), Order.objects.count(), Payment.objects.count()) == (0, 0, 0)
    assert not StockMovement.objects.filter(external_ref__startswith="till:").exists()
    assert not StockDiscrepancy.objects.exists()


# --- a sale recorded once ---------------------------------------------------------------------


def test_a_till_sale_becomes_one_collected_order_paid_in_cash(retailer):
    payload = sale(retailer, quantity=2)
    answer = post(staff_client(retailer.clerk), payload)

    assert answer.status_code == 201, answer.content
    body = answer.json()
    order = Order.objects.get()
    assert body == {
        "id": payload["id"],
        "order": order.number,
        "status": "recorded",
        "replayed": False,
        "price_changes": {},
    }
    assert (order.channel, order.status, order.customer) == (
        retailer.kadikoy,
        Order.Status.COLLECTED,
        None,
    )
    assert order.total == Decimal(payload["total"]) == Decimal("200.00")
    assert order.pickup_location == retailer.kadikoy.store_location
    assert order.placed_by == retailer.clerk
    assert list(order.fulfilments.values_list("status", flat=True)) == ["handed_over"]
    payment = Payment.objects.get()
    assert (payment.gateway, payment.amount, payment.order) == ("cash", Decimal("200.00"), order)
    till = TillSale.objects.get()
    assert (str(till.pk), till.order, till.store, till.staff) == (
        payload["id"],
        order,
        retailer.kadikoy,
        retailer.clerk,
    )
    assert on_hand(retailer) == 1  # 3 - 2, through the movements made outside Omni
    movement = StockMovement.objects.get(external_ref__startswith="till:")
    assert (movement.kind, movement.quantity) == ("sale", 2)
    assert not StockDiscrepancy.objects.exists()


def test_a_card_terminal_sale_keeps_its_slip_reference(retailer):
    answer = post(staff_client(retailer.clerk), sale(retailer, method="terminal"))
    assert answer.status_code == 201
    payment = Payment.objects.get()
    assert (payment.gateway, payment.provider_reference) == ("terminal", "SLIP-1")


def test_the_same_sale_sent_twice_is_one_order(retailer):
    client = staff_client(retailer.clerk)
    payload = sale(retailer)
    first = post(client, payload)
    again = post(client, payload)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "replayed": True}
    assert (Order.objects.count(), Payment.objects.count(), TillSale.objects.count()) == (1, 1, 1)
    assert on_hand(retailer) == 2


def test_another_sale_under_the_same_id_is_a_conflict_and_changes_nothing(retailer):
    client = staff_client(retailer.clerk)
    payload = sale(retailer)
    post(client, payload)
    before = (Order.objects.count(), Payment.objects.count(), on_hand(retailer))

    other = sale(retailer, quantity=2, sale_id=payload["id"])
    answer = post(client, other)

    assert answer.status_code == 409
    assert answer.json()["code"] == "till_sale_id_reused"
    assert set(answer.json()) == {"code", "message", "fields"}
    assert (Order.objects.count(), Payment.objects.count(), on_hand(retailer)) == before
    assert TillSale.objects.get().payload == payload


def test_a_sale_whose_stock_went_is_recorded_and_the_shortfall_raised(retailer):
    location = retailer.kadikoy.store_location
    payload = sale(retailer, quantity=5)  # the store holds 3
    answer = post(staff_client(retailer.clerk), payload)

    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "stock_short"
    order = Order.objects.get()
    assert (order.status, order.total) == (Order.Status.COLLECTED, Decimal("500.00"))
    assert on_hand(retailer) == 0
    movement = StockMovement.objects.get(external_ref__startswith="till:")
    assert (movement.kind, movement.quantity, movement.external_ref) == (
        "sale",
        3,
        f"till:{payload['id']}:{retailer.variant(0, 0).pk}",
    )
    discrepancy = StockDiscrepancy.objects.get()
    assert (discrepancy.location, discrepancy.variant, discrepancy.quantity_short) == (
        location,
        retailer.variant(0, 0),
        2,
    )
    assert discrepancy.reference == f"till:{payload['id']}"
    assert list(inventory_selectors.stock_discrepancies(location=location)) == [discrepancy]
    assert (
        list(inventory_selectors.stock_discrepancies(location=retailer.kizilay.store_location))
        == []
    )


def test_a_price_changed_since_the_till_took_its_list_is_recorded_at_the_till_price(retailer):
    payload = sale(retailer)
    VariantChannelPrice.objects.filter(
        variant=retailer.variant(0, 0), channel=retailer.kadikoy
    ).update(price=Decimal("120.00"))

    answer = post(staff_client(retailer.clerk), payload)

    assert answer.status_code == 201, answer.content
    assert answer.json()["price_changes"] == {retailer.variant(0, 0).sku: ["100.00", "120.00"]}
    order = Order.objects.get()
    assert order.total == Decimal("100.00") == Payment.objects.get().amount
    assert TillSale.objects.get().price_changes == answer.json()["price_changes"]


def test_an_item_taken_off_the_store_list_since_is_still_recorded(retailer):
    payload = sale(retailer)
    VariantChannelPrice.objects.filter(
        variant=retailer.variant(0, 0), channel=retailer.kadikoy
    ).delete()

    answer = post(staff_client(retailer.clerk), payload)

    assert answer.status_code == 201, answer.content
    assert Order.objects.get().total == Decimal("100.00")


def test_the_manager_sees_and_resolves_discrepancies_in_the_admin(retailer, client):
    post(staff_client(retailer.clerk), sale(retailer, quantity=4))
    discrepancy = StockDiscrepancy.objects.get()
    admin = f.UserFactory(role="merchant_staff", is_staff=True, is_superuser=True)
    client.force_login(admin)

    listed = client.get("/admin/inventory/stockdiscrepancy/")
    assert listed.status_code == 200 and discrepancy.reference in listed.content.decode()
    assert client.get("/admin/staff/tillsale/").status_code == 200
    client.post(
        "/admin/inventory/stockdiscrepancy/",
        {"action": "resolve", "_selected_action": [discrepancy.pk]},
    )

    discrepancy.refresh_from_db()
    assert discrepancy.resolved_by == admin and discrepancy.resolved_at is not None
    location = retailer.kadikoy.store_location
    assert list(inventory_selectors.stock_discrepancies(location=location)) == []


# --- bad input: refused field by field, nothing written ---------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["lines"][0].update(sku="NO-SUCH-SKU"), "lines.0.sku"),
        (lambda p: p.update(lines=[]), "lines"),
        (lambda p: p.update(total="999.00"), "total"),
        (lambda p: p["payments"][0].update(amount="50.00"), "payments"),
        (lambda p: p["lines"][0].update(quantity=0), "lines.0.quantity"),
        (lambda p: p["payments"][0].update(method="bitcoin"), "payments.0.method"),
        (lambda p: p.update(made_at="yesterday"), "made_at"),
    ],
)
def test_bad_input_is_refused_with_field_errors_and_nothing_written(
    retailer, change: Callable[[dict], Any], field: str
):
    payload = sale(retailer)
    change(payload)
    answer = post(staff_client(retailer.clerk), payload)

    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"code", "message", "fields"}
    assert field in body["fields"], body
    nothing_written()
    assert on_hand(retailer) == 3


def test_a_sale_for_a_store_the_clerk_does_not_work_at_is_refused(retailer):
    payload = sale(retailer)
    payload["store"] = retailer.kizilay.code
    answer = post(staff_client(retailer.clerk), payload)
    assert (answer.status_code, list(answer.json()["fields"])) == (400, ["store"])
    nothing_written()


def test_the_idempotency_key_must_be_the_sale_id(retailer):
    payload = sale(retailer)
    answer = staff_client(retailer.clerk).post(
        "/staff/offline/sales/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert answer.status_code == 400
    nothing_written()


# --- the price list, the page and the service worker ------------------------------------------


def test_the_price_list_is_lean_and_its_query_count_does_not_grow(retailer):
    client = staff_client(retailer.clerk)
    client.get("/staff/offline/catalog.json")  # the session, warmed
    with assert_num_queries(4) as few:  # session, user, stores, the price list
        small = client.get("/staff/offline/catalog.json").json()
    build_retailer_more(retailer)
    with assert_num_queries(len(few.captured_queries)):
        large = client.get("/staff/offline/catalog.json").json()

    assert (small["store"], small["currency"], small["fields"]) == (
        "store-kadikoy",
        "TRY",
        ["barcode", "sku", "name", "price"],
    )
    assert len(small["items"]) == 4 and len(large["items"]) == 24
    variant = retailer.variant(1, 0)
    assert [variant.barcode, variant.sku, "Keten Gömlek 1", "150.00"] in small["items"]


def build_retailer_more(retailer) -> None:
    for n in range(10):
        f.product(channels=[retailer.kadikoy], price="10.00", variants=2, name=f"Çorap {n}")


def test_the_till_page_and_the_service_worker(retailer):
    client = staff_client(retailer.clerk)
    page = client.get("/staff/offline/till/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Barcode or SKU" in html and "Complete sale" in html
    assert 'data-store="store-kadikoy"' in html

    worker = client.get("/staff/offline/sw.js")
    assert worker.status_code == 200
    assert worker["Service-Worker-Allowed"] == "/staff/"
    assert worker["Cache-Control"] == "no-cache"
    assert worker["Content-Type"].startswith("text/javascript")
    assert "/staff/offline/till/" in worker.content.decode()


def test_every_staff_page_loads_the_offline_queue(retailer):
    html = staff_client(retailer.clerk).get("/staff/").content.decode()
    assert "staff/offline.js" in html and 'data-sales="/staff/offline/sales/"' in html


# --- two sends at once ------------------------------------------------------------------------


def race(jobs: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            outcomes[i] = job()
        except BaseException as error:
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_the_same_sale_sent_twice_at_once_is_one_order():
    retailer = build_retailer(products=1, variants=1)
    payload = sale(retailer)
    clients = [staff_client(retailer.clerk) for _ in range(2)]

    outcomes = race([lambda c=c: post(c, payload) for c in clients])

    statuses = sorted(o.status_code for o in outcomes)
    assert statuses == [200, 201], outcomes
    assert len({o.json()["order"] for o in outcomes}) == 1
    assert (Order.objects.count(), Payment.objects.count(), TillSale.objects.count()) == (1, 1, 1)
    assert on_hand(retailer) == 2


def test_the_till_page_runs_the_same_queries_whatever_the_catalogue(retailer):
    client = staff_client(retailer.clerk)
    client.get("/staff/offline/till/")
    with assert_num_queries(3):  # session, user, stores: the price list comes from the browser
        client.get("/staff/offline/till/")
    build_retailer_more(retailer)
    with assert_num_queries(3):
        client.get("/staff/offline/till/")


def test_a_sale_sent_signed_out_is_not_taken_and_stays_with_the_till(retailer):
    answer = post(Client(HTTP_HOST="127.0.0.1"), sale(retailer))
    assert answer.status_code == 302  # the queue sends with redirect "manual": not a 2xx, kept
    nothing_written()


def test_another_store_s_clerk_cannot_send_a_sale_for_this_store(retailer):
    other = f.UserFactory(email="kizilay@example.com", role="store_staff")
    other.stores.set([retailer.kizilay])
    answer = post(staff_client(other), sale(retailer))
    assert (answer.status_code, list(answer.json()["fields"])) == (400, ["store"])
    nothing_written()
