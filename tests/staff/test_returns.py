"""The returns screen, through its pages: an order of any channel found by number, scanned
receipt or customer and taken back at this store (lines, reasons, restock or write off, the
refund to the card, store credit or cash, an exchange in the same flow); bad input refused with
nothing written; another store's return is a 404; the pages' query counts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Stock
from omni.models import OutboxEvent
from orders.models import Order, OrderEvent, Return
from orders.services import returns as order_returns
from payments import services as payments
from payments.models import ChannelGateway, Payment, Refund
from tests.payments.support import provider  # noqa: F401 (a fixture)
from tests.queries import assert_num_queries
from tests.staff.returns_support import delivered_web_order, priced
from tests.staff.support import build_retailer, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(provider):  # noqa: F811
    return build_retailer()


def english(user, store):
    """A staff session reading the pages in English (the messages asserted are English)."""
    client = staff_client(user, store)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def page(order):
    return f"/staff/returns/orders/{order.number}/"


def on_hand(variant, location):
    return Stock.objects.get(variant=variant, location=location).on_hand


def form(order, *rows, destination="original", action="complete", difference_by="cash"):
    """(order line, units, reason[, condition[, exchange variant]]) rows as the page posts."""
    data = {
        "action": action,
        "destination": destination,
        "difference_by": difference_by,
        "token": uuid.uuid4().hex,
    }
    for line in order.lines.all():
        data[f"quantity-{line.pk}"] = "0"
    for line, units, reason, *rest in rows:
        data[f"quantity-{line.pk}"] = str(units)
        data[f"reason-{line.pk}"] = reason
        data[f"condition-{line.pk}"] = rest[0] if rest else "resellable"
        data[f"exchange-{line.pk}"] = str(rest[1].pk) if len(rest) > 1 else ""
    return data


def snapshot(order, shop):
    """What a refused return must leave as it was."""
    return (
        Return.objects.count(),
        Refund.objects.count(),
        Order.objects.count(),
        Payment.objects.count(),
        OutboxEvent.objects.count(),
        list(Stock.objects.order_by("pk").values_list("on_hand", "allocated")),
        list(order.lines.order_by("pk").values_list("quantity_returned", flat=True)),
    )


# --- finding the order ----------------------------------------------------------------------


def test_a_typed_or_scanned_order_number_opens_the_order(shop):
    order = delivered_web_order(shop)
    client = english(shop.clerk, shop.kadikoy)

    typed = client.get("/staff/returns/", {"q": order.number})
    scanned = client.get("/staff/returns/", {"q": f" {order.number.lower()}\n"})

    assert typed.status_code == scanned.status_code == 302
    assert typed["Location"] == scanned["Location"] == page(order)
    shown = client.get(page(order))
    assert shown.status_code == 200
    assert order.number in shown.text and "Keten Gömlek 0" in shown.text


def test_the_customer_is_found_by_phone_with_their_orders(shop):
    order = delivered_web_order(shop)
    client = english(shop.clerk, shop.kadikoy)

    found = client.get("/staff/returns/", {"q": "0555 111 22 33"})

    assert found.status_code == 200
    assert "Ayşe" in found.text and page(order) in found.text


def test_an_unknown_order_number_is_a_clear_error(shop):
    client = english(shop.clerk, shop.kadikoy)

    found = client.get("/staff/returns/", {"q": "ME99999999"})

    assert found.status_code == 404
    assert "No order with the number ME99999999" in found.text
    assert client.get("/staff/returns/orders/ME99999999/").status_code == 404


# --- taking it back -------------------------------------------------------------------------


def test_a_web_order_is_taken_back_here_and_refunded_to_the_card(
    shop,
    provider,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    order = delivered_web_order(shop)
    line = order.lines.get()
    here = shop.kadikoy.store_location
    before = on_hand(line.variant, here)
    client = english(shop.clerk, shop.kadikoy)

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(page(order), form(order, (line, 1, "size")))

    assert done.status_code == 302
    made = Return.objects.get(order=order)
    assert done["Location"] == f"/staff/returns/{made.pk}/"
    assert (made.status, made.channel, made.location) == ("refunded", shop.kadikoy, here)
    assert made.refund_amount == line.line_total
    assert on_hand(line.variant, here) == before + 1
    refund = Refund.objects.get(return_request=made)
    assert (refund.destination, refund.amount, refund.status) == (
        "original",
        line.line_total,
        "succeeded",
    )
    assert len(provider.state.refunds) == 1
    shown = client.get(done["Location"])
    assert shown.status_code == 200 and "Original payment method" in shown.text


def test_a_damaged_line_is_written_off_and_refunded_in_cash(
    shop,
    provider,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    order = delivered_web_order(shop)
    line = order.lines.get()
    here = shop.kadikoy.store_location
    before = on_hand(line.variant, here)
    client = english(shop.clerk, shop.kadikoy)

    with django_capture_on_commit_callbacks(execute=True):  # the refund task finds it done
        done = client.post(
            page(order), form(order, (line, 1, "damaged", "damaged"), destination="cash")
        )

    assert done.status_code == 302
    made = Return.objects.get(order=order)
    assert on_hand(line.variant, here) == before  # written off, not restocked
    refund = Refund.objects.get(return_request=made)
    assert (refund.destination, refund.status, refund.channel) == (
        "cash",
        "succeeded",
        shop.kadikoy,
    )
    payment = Payment.objects.get(order=order)
    assert payment.amount_refunded == refund.amount
    assert len(provider.state.refunds) == 0  # nothing sent to the card


def test_the_same_form_completed_twice_takes_the_goods_back_once(shop):
    order = delivered_web_order(shop, {shop.variant(0, 0): 2})
    line = order.lines.get()
    client = english(shop.clerk, shop.kadikoy)
    posted = form(order, (line, 1, "size"), destination="store_credit")

    first = client.post(page(order), posted)
    again = client.post(page(order), posted)  # a double click

    made = Return.objects.get(order=order)
    assert first["Location"] == again["Location"] == f"/staff/returns/{made.pk}/"
    assert Refund.objects.count() == 1


def test_a_refund_as_store_credit(shop):
    order = delivered_web_order(shop)
    line = order.lines.get()
    client = english(shop.clerk, shop.kadikoy)

    client.post(page(order), form(order, (line, 1, "changed_mind"), destination="store_credit"))

    refund = Refund.objects.get(order=order)
    assert (refund.destination, refund.status) == ("store_credit", "succeeded")


def test_an_exchange_for_another_size_places_the_exchange_order(shop):
    order = delivered_web_order(shop)
    line = order.lines.get()
    other = shop.variant(0, 1)
    client = english(shop.clerk, shop.kadikoy)

    review = client.post(
        page(order), form(order, (line, 1, "size", "resellable", other), action="review")
    )

    assert review.status_code == 200
    assert 'data-testid="exchange-even"' in review.text
    assert not Return.objects.exists()  # the review wrote nothing

    done = client.post(page(order), form(order, (line, 1, "size", "resellable", other)))

    made = Return.objects.get(order=order)
    exchange = made.exchange_order
    assert done.status_code == 302 and exchange is not None
    assert (made.status, made.refund_amount, exchange.total) == ("refunded", 0, 0)
    assert list(exchange.lines.values_list("variant_id", "quantity")) == [(other.pk, 1)]
    assert not Refund.objects.exists()
    # The new size was on the shelf here: the customer leaves with it, in the same flow.
    assert exchange.status == Order.Status.COLLECTED
    here = Stock.objects.get(variant=other, location=shop.kadikoy.store_location)
    assert (here.on_hand, here.allocated) == (2, 0)


def test_a_dearer_exchange_takes_the_difference_at_the_till(shop):
    order = delivered_web_order(shop)
    line = order.lines.get()
    other = shop.variant(0, 1)
    priced(other, shop.web, "130.00")
    client = english(shop.clerk, shop.kadikoy)

    review = client.post(
        page(order), form(order, (line, 1, "size", "resellable", other), action="review")
    )
    assert 'data-testid="exchange-owed"' in review.text and "₺30.00" in review.text

    client.post(page(order), form(order, (line, 1, "size", "resellable", other)))

    exchange = Return.objects.get(order=order).exchange_order
    assert exchange.total == Decimal("30.00")
    taken = Payment.objects.get(order=exchange)
    assert (taken.gateway, taken.amount_captured, taken.channel) == (
        "cash",
        Decimal("30.00"),
        shop.kadikoy,
    )
    exchange.refresh_from_db()
    assert exchange.status == Order.Status.COLLECTED  # paid, and handed over at once


# --- bad input: refused on the page, nothing written ----------------------------------------


def test_more_than_was_bought_is_refused(shop):
    order = delivered_web_order(shop)
    line = order.lines.get()
    client = english(shop.clerk, shop.kadikoy)
    before = snapshot(order, shop)

    refused = client.post(page(order), form(order, (line, 2, "size")))

    assert refused.status_code == 400
    assert "At most 1 of" in refused.text
    assert snapshot(order, shop) == before


def test_more_than_is_left_after_an_earlier_return_is_refused(shop):
    order = delivered_web_order(shop, {shop.variant(0, 0): 2})
    line = order.lines.get()
    client = english(shop.clerk, shop.kadikoy)
    client.post(page(order), form(order, (line, 1, "size"), destination="store_credit"))
    before = snapshot(order, shop)

    refused = client.post(page(order), form(order, (line, 2, "size")))

    assert refused.status_code == 400
    assert "At most 1 of" in refused.text
    assert snapshot(order, shop) == before


def test_a_refund_above_what_was_paid_is_refused(shop):
    order = delivered_web_order(shop)
    line = order.lines.get()
    payments.refund_create(
        order=order,
        amount=order.total - Decimal("10.00"),
        reason="goodwill",
        to="store_credit",
        idempotency_key="goodwill-1",
    )
    client = english(shop.clerk, shop.kadikoy)
    before = snapshot(order, shop)

    refused = client.post(page(order), form(order, (line, 1, "size"), destination="cash"))

    assert refused.status_code == 400
    assert "At most 10.00 TRY of order" in refused.text
    assert snapshot(order, shop) == before


def test_cash_is_refused_where_the_store_takes_none(shop):
    order = delivered_web_order(shop)
    line = order.lines.get()
    ChannelGateway.objects.filter(channel=shop.kadikoy, gateway="cash").update(is_active=False)
    client = english(shop.clerk, shop.kadikoy)
    before = snapshot(order, shop)

    refused = client.post(page(order), form(order, (line, 1, "size"), destination="cash"))

    assert refused.status_code == 400
    assert "does not take cash" in refused.text
    assert snapshot(order, shop) == before


def test_an_order_outside_its_return_window_is_refused(shop):
    order = delivered_web_order(shop)
    line = order.lines.get()
    OrderEvent.objects.filter(order=order).update(created_at=timezone.now() - timedelta(days=60))
    client = english(shop.clerk, shop.kadikoy)
    before = snapshot(order, shop)

    refused = client.post(page(order), form(order, (line, 1, "size")))

    assert refused.status_code == 400
    assert "return window of 14 days" in refused.text or "return window" in refused.text
    assert snapshot(order, shop) == before


def test_a_line_of_another_order_is_refused(shop):
    order = delivered_web_order(shop)
    other = delivered_web_order(shop, {shop.variant(1, 0): 1})
    client = english(shop.clerk, shop.kadikoy)
    before = snapshot(order, shop)

    refused = client.post(page(order), form(order, (other.lines.get(), 1, "size")))

    assert refused.status_code == 400
    assert f"This line is not part of order {order.number}" in refused.text
    assert snapshot(order, shop) == before


def test_no_line_chosen_is_refused(shop):
    order = delivered_web_order(shop)
    client = english(shop.clerk, shop.kadikoy)

    refused = client.post(page(order), form(order))

    assert refused.status_code == 400
    assert "Choose at least one line" in refused.text
    assert not Return.objects.exists()


# --- scope ----------------------------------------------------------------------------------


def test_another_stores_return_is_not_found(shop):
    order = delivered_web_order(shop, {shop.variant(0, 0): 2})
    line = order.lines.get()
    at_kizilay = english(shop.manager, shop.kizilay)
    at_kizilay.post(page(order), form(order, (line, 1, "size"), destination="store_credit"))
    made = Return.objects.get(order=order)
    assert made.location == shop.kizilay.store_location

    assert english(shop.clerk, shop.kadikoy).get(f"/staff/returns/{made.pk}/").status_code == 404
    assert english(shop.manager, shop.kadikoy).get(f"/staff/returns/{made.pk}/").status_code == 404
    assert at_kizilay.get(f"/staff/returns/{made.pk}/").status_code == 200
    listed = english(shop.clerk, shop.kadikoy).get("/staff/returns/")
    assert f"/staff/returns/{made.pk}/" not in listed.text


def test_a_return_requested_online_is_received_here(shop):
    order = delivered_web_order(shop)
    line = order.lines.get()
    asked = order_returns.return_request(
        order=order,
        channel=shop.web,
        lines=[{"order_line_id": line.pk, "quantity": 1, "reason": "size"}],
    )
    client = english(shop.clerk, shop.kadikoy)
    shown = client.get(f"/staff/returns/{asked.pk}/")
    assert shown.status_code == 200 and "Receive here and refund" in shown.text

    done = client.post(
        f"/staff/returns/{asked.pk}/",
        {f"condition-{asked.lines.get().pk}": "resellable", "destination": "store_credit"},
    )

    assert done.status_code == 302
    asked.refresh_from_db()
    assert (asked.status, asked.location) == ("refunded", shop.kadikoy.store_location)
    assert Refund.objects.get(return_request=asked).destination == "store_credit"


# --- query counts ---------------------------------------------------------------------------


def _find_page_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/staff/returns/").status_code == 200
    return len(captured.captured_queries)


def test_the_find_page_runs_the_same_queries_with_one_or_many_returns(shop):
    client = english(shop.clerk, shop.kadikoy)
    first = delivered_web_order(shop)
    client.post(
        page(first), form(first, (first.lines.get(), 1, "size"), destination="store_credit")
    )
    one = _find_page_queries(client)
    for _n in range(3):
        order = delivered_web_order(shop)
        client.post(
            page(order), form(order, (order.lines.get(), 1, "size"), destination="store_credit")
        )

    with assert_num_queries(one):
        assert client.get("/staff/returns/").status_code == 200


def test_the_order_page_runs_the_same_queries_with_one_or_many_lines(shop):
    client = english(shop.clerk, shop.kadikoy)
    one = delivered_web_order(shop)
    many = delivered_web_order(
        shop,
        {
            shop.variant(0, 0): 1,
            shop.variant(0, 1): 2,
            shop.variant(1, 0): 1,
            shop.variant(1, 1): 1,
        },
    )
    client.get(page(one))  # the session and the store warmed up

    with assert_num_queries(12) as counted:
        assert client.get(page(one)).status_code == 200
    with assert_num_queries(len(counted.captured_queries)):
        assert client.get(page(many)).status_code == 200


def test_the_customer_search_runs_the_same_queries_with_one_or_many_customers(shop):
    from tests import factories as f

    client = english(shop.clerk, shop.kadikoy)
    delivered_web_order(shop)
    client.get("/staff/returns/")  # the session and the store warmed up
    with assert_num_queries(9) as counted:
        assert "Ayşe" in client.get("/staff/returns/", {"q": "Kaya"}).text
    for _n in range(3):
        f.CustomerFactory(phone="")

    with assert_num_queries(len(counted.captured_queries)):
        answer = client.get("/staff/returns/", {"q": "Kaya"})
    assert answer.text.count("musteri") == 3
