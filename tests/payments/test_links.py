"""Pay-by-link: the staff API that makes and sends links, and the shopper's page that pays
them through iyzico (a fake iyzico on a local port) with its 3-D Secure step."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import User
from customers.models import Address
from omni.errors import Conflict
from omni.messaging import MemoryProvider
from orders.models import Cart, Order
from orders.services import carts, checkout
from payments import links
from payments.models import ChannelGateway, Payment, PaymentLinkSend
from tests import factories as f
from tests.orders.api_support import signed_in
from tests.payments import fake_iyzico as cards
from tests.payments.fake_iyzico import FakeIyzico
from tests.payments.support import card, place
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def iyzico():
    server = FakeIyzico().start()
    yield server
    server.stop()


@pytest.fixture
def web(iyzico):
    channel = f.ChannelFactory(code="web", kind="web")
    ChannelGateway.objects.create(channel=channel, gateway="iyzico", config=iyzico.config())
    return channel


@pytest.fixture(autouse=True)
def _no_sms():
    MemoryProvider.clear()


def order_link(order: Order) -> links.PaymentLink:
    return links.link_create_for_order(order=order)


def form(number: str = cards.APPROVE) -> dict:
    return {
        "holder": "Ayşe Kaya",
        "number": number,
        "exp_month": "12",
        "exp_year": "2030",
        "cvc": "123",
        "accept_agreements": "on",  # the legal forms of a web order, shown on the page
    }


def bank_posts(page: bytes) -> tuple[str, dict[str, str]]:
    """What the bank's self-submitting 3-D Secure form posts, and where."""
    html = page.decode()
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    return action, dict(re.findall(r'name="(\w+)" value="([^"]*)"', html))


def pay(client: Client, link: links.PaymentLink, number: str = cards.APPROVE):
    """Submit the card, go through the bank's page, come back: the final response."""
    response = client.post(link.path, form(number))
    if response.status_code != 200 or b'<form method="post" action=' not in response.content:
        return response
    action, fields = bank_posts(response.content)
    return client.post(action.removeprefix("http://testserver"), fields)


def money_moved(order: Order) -> bool:
    return Payment.objects.filter(order=order, amount_captured__gt=0).exists()


# --- the page -------------------------------------------------------------------------------


def test_the_page_shows_the_lines_and_the_amount(web):
    order = place(web, price="250.00", quantity=2)
    link = order_link(order)

    response = Client().get(link.path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "500,00\u00a0₺" in html  # as on the storefront
    assert "₺500.00" in Client().get(link.path + "?lang=en").content.decode()
    assert order.lines.get().sku in html
    assert 'name="number"' in html and 'autocomplete="cc-number"' in html


def test_the_page_speaks_english_when_asked(web):
    link = order_link(place(web))

    response = Client().get(link.path + "?lang=en")

    assert "Your payment" in response.content.decode()


def test_an_order_link_paid_through_3ds_confirms_the_order(web, iyzico):
    order = place(web, price="250.00", quantity=2)
    link = order_link(order)
    client = Client()

    first = client.post(link.path, form())
    # the bank's 3-D Secure page (iyzico's threeDSHtmlContent) comes back to our return page
    action, fields = bank_posts(first.content)
    assert action == f"http://testserver{link.path}return/"
    done = client.post(action.removeprefix("http://testserver"), fields)

    assert done.status_code == 302 and done["Location"].endswith(f"{link.path}done/")
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    payment = Payment.objects.get(order=order)
    assert (payment.gateway, payment.status, payment.amount_captured) == (
        "iyzico",
        Payment.Status.CAPTURED,
        Decimal("500.00"),
    )
    assert "Thank you" in client.get(done["Location"] + "?lang=en").content.decode()
    # the link is used now: its page says so and takes no more money
    again = client.post(link.path, form())
    assert again.status_code == 410
    assert Payment.objects.filter(order=order).count() == 1


def test_a_declined_card_shows_the_form_again_and_takes_nothing(web, iyzico):
    order = place(web)
    link = order_link(order)

    response = Client().post(link.path + "?lang=en", form(cards.INSUFFICIENT_FUNDS))

    assert response.status_code == 402
    assert "Kart limiti yetersiz" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert not money_moved(order)
    assert Payment.objects.get(order=order).status == Payment.Status.DECLINED


def test_a_failed_3ds_step_takes_nothing(web, iyzico):
    order = place(web)
    link = order_link(order)

    response = pay(Client(), link, cards.THREE_DS_FAILS)

    assert response.status_code == 402
    assert Payment.objects.get(order=order).status == Payment.Status.DECLINED
    assert [p for p, _ in iyzico.requests].count("/payment/3dsecure/auth") == 0
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_an_invalid_card_form_is_a_400_with_field_errors(web):
    link = order_link(place(web))

    response = Client().post(link.path, {**form(), "exp_month": "13", "number": "12"})

    assert response.status_code == 400
    assert response.content.decode().count('class="errorlist"') >= 2
    assert not Payment.objects.exists()


# --- links that cannot be paid --------------------------------------------------------------


def test_an_expired_link_is_gone_and_takes_nothing(web):
    order = place(web)
    link = order_link(order)
    expired = links.PaymentLink(
        links.link_token(
            links.LinkData(
                **{**link.data.__dict__, "expires_at": timezone.now() - timedelta(seconds=1)}
            )
        ),
        link.data,
    )

    for response in (Client().get(expired.path), Client().post(expired.path, form())):
        assert response.status_code == 410
        assert "expired" in response.content.decode() or "süresi" in response.content.decode()
    assert not Payment.objects.exists()


def test_links_expire_after_the_configured_hours(web, settings):
    settings.OMNI_PAYMENT_LINK_HOURS = 2
    link = order_link(place(web))

    assert (
        timedelta(hours=1, minutes=59) < link.data.expires_at - timezone.now() <= timedelta(hours=2)
    )


@pytest.mark.parametrize("how", ["a_character", "amount_resigned_elsewhere", "garbage"])
def test_a_tampered_link_is_refused_and_takes_nothing(web, how):
    order = place(web)
    link = order_link(order)
    if how == "a_character":
        token = link.token[:-3] + ("AAA" if not link.token.endswith("AAA") else "BBB")
    elif how == "amount_resigned_elsewhere":
        payload = {**link.data.as_payload(), "a": "1.00"}
        token = signing.dumps(payload, salt="another-salt", compress=True)
    else:
        token = "not-a-link"

    response = Client().post(links.link_path(token), form())

    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_an_order_that_owes_another_amount_refuses_the_link(web):
    order = place(web)
    link = order_link(order)
    Order.objects.filter(pk=order.pk).update(total=order.total + 1)

    response = Client().post(link.path, form())

    assert response.status_code == 409
    assert not Payment.objects.exists()


def test_a_link_of_a_cancelled_order_is_gone(web):
    order = place(web)
    link = order_link(order)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)

    assert Client().get(link.path).status_code == 410


# --- cart links -----------------------------------------------------------------------------


def cart_with_items(channel, *, lines: int = 1, customer=None) -> Cart:
    customer = customer or f.CustomerFactory()
    f.ShippingMethodFactory(channel=channel, price=Decimal("0.00"))
    cart = carts.cart_for_customer(customer=customer, channel=channel)
    for _ in range(lines):
        variant = f.product(channels=[channel], price="100.00").variants.get()
        f.stocked(channel, variant, quantity=20)
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=1)
    return cart


def saved_address(customer) -> Address:
    return Address.objects.create(
        customer=customer,
        full_name="Ayşe Kaya",
        phone="+905551112233",
        line1="Moda Caddesi No:12",
        district="Kadıköy",
        city="İstanbul",
    )


def cart_link(channel, cart) -> links.PaymentLink:
    return links.link_create_for_cart(
        cart=cart,
        channel=channel,
        delivery="home",
        shipping_method="standart",
        address_id=saved_address(cart.customer).pk,
    )


def test_a_cart_link_places_the_order_and_pays_it(web, iyzico):
    cart = cart_with_items(web, lines=2)
    link = cart_link(web, cart)

    response = pay(Client(), link)

    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.cart_id, order.total, order.status) == (
        cart.pk,
        Decimal("200.00"),
        Order.Status.CONFIRMED,
    )
    assert order.shipping_address["line1"] == "Moda Caddesi No:12"
    assert Client().get(link.path).status_code == 410


def test_a_cart_link_of_the_web_shows_the_legal_forms_and_pays_only_once_accepted(web, iyzico):
    cart = cart_with_items(web)
    link = cart_link(web, cart)
    client = Client()

    page = client.get(link.path).content.decode()
    unticked = client.post(link.path, {**form(), "accept_agreements": ""})

    assert "Mesafeli Satış Sözleşmesi" in page and "Moda Caddesi No:12" in page
    assert unticked.status_code == 400
    assert not Order.objects.exists()  # nothing placed, nothing charged
    assert pay(client, link).status_code == 302
    order = Order.objects.get()
    assert sorted(order.agreements.values_list("kind", flat=True)) == [
        "distance_sales",
        "pre_information",
    ]
    assert order.number in order.agreements.get(kind="distance_sales").html


def test_a_cart_that_changed_refuses_its_link(web):
    cart = cart_with_items(web)
    link = cart_link(web, cart)
    variant = f.product(channels=[web], price="5.00").variants.get()
    f.stocked(web, variant)
    carts.cart_add(cart=cart, channel=web, variant_id=variant.pk, quantity=1)

    response = Client().post(link.path, form())

    assert response.status_code == 409
    assert not Order.objects.exists()


def test_a_cart_link_paid_twice_places_the_order_once(web, iyzico):
    link = cart_link(web, cart_with_items(web))
    client = Client()

    pay(client, link)
    second = client.post(link.path, form())

    assert second.status_code == 410
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cart_link_paid_twice_at_once_places_one_order(web, iyzico):
    link = cart_link(web, cart_with_items(web))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt():
        try:
            barrier.wait()
            _payment, result = links.link_pay(
                token=link.token,
                card=card(cards.APPROVE),
                return_url="https://x.test/r/",
                accepted_ip="127.0.0.1",
            )
            outcomes.append(result.status)
        except Conflict as error:
            outcomes.append(error.code)
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Order.objects.count() == 1
    assert "action_required" in outcomes
    assert set(outcomes) <= {"action_required", "request_in_flight"}, outcomes


# --- the staff API --------------------------------------------------------------------------


@pytest.fixture
def call_centre():
    return signed_in(f.merchant("orders.add_order"))


def test_staff_make_an_order_link_with_a_qr_code(web, call_centre):
    order = place(web)
    _user, client = call_centre

    response = client.post("/api/v1/staff/payment-links/", {"order": order.number}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["url"].startswith("http://testserver/pay/")
    assert (body["kind"], body["amount"], body["currency"]) == ("order", "100.00", "TRY")
    assert body["qr_svg"].startswith("data:image/svg+xml;charset=utf-8,%3Csvg")
    assert links.link_read(body["token"]).target_id == order.pk
    assert order.events.filter(kind="payment_link_created").count() == 1


def test_staff_make_a_cart_link_and_send_it_by_sms_and_email(
    web, call_centre, django_capture_on_commit_callbacks
):
    cart = cart_with_items(web)
    address = saved_address(cart.customer)
    _user, client = call_centre

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/staff/payment-links/?channel=web",
            {
                "customer": cart.customer_id,
                "delivery": "home",
                "shipping_method": "standart",
                "address_id": address.pk,
                "send_by": ["sms", "email"],
            },
            format="json",
        )

    assert response.status_code == 201, response.json()
    url = response.json()["url"]
    assert [
        (m.to, url.removeprefix("http://testserver") in m.text) for m in MemoryProvider.sent
    ] == [(cart.customer.phone, True)]
    assert [m.to for m in mail.outbox] == [[cart.customer.email]]
    assert mail.outbox[0].subject == "Ödeme bağlantınız"  # in the customer's language


def test_a_cart_link_for_a_customer_without_a_cart_starts_none(web, call_centre):
    customer = f.CustomerFactory()
    _user, client = call_centre

    response = client.post(
        "/api/v1/staff/payment-links/?channel=web",
        {"customer": customer.pk, "delivery": "home", "shipping_method": "standart"},
        format="json",
    )

    assert response.status_code == 400
    assert not Cart.objects.exists()
    assert response.json()["code"] == "empty_cart"


def test_sending_a_link_twice_sends_it_once(web):
    link = order_link(place(web))

    assert links.payment_link_send(link.token, "sms", "+905551112233") is True
    assert links.payment_link_send(link.token, "sms", "+905551112233") is False
    assert links.payment_link_send(link.token, "sms", "+905559998877") is True
    assert [m.to for m in MemoryProvider.sent] == ["+905551112233", "+905559998877"]


def test_a_sent_link_leaves_no_send_waiting(web, django_capture_on_commit_callbacks):
    link = order_link(place(web))

    with django_capture_on_commit_callbacks(execute=True):
        links.link_send(link=link, via="sms", to="+905551112233")

    assert [m.to for m in MemoryProvider.sent] == ["+905551112233"]
    assert not PaymentLinkSend.objects.exists()


def test_a_lost_link_message_is_sent_by_the_sweep(web, django_capture_on_commit_callbacks, caplog):
    from unittest import mock

    from kombu.exceptions import OperationalError

    from payments.tasks import link_sends_pending

    link = order_link(place(web))
    with (
        mock.patch.object(links.payment_link_send, "delay", side_effect=OperationalError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        links.link_send(link=link, via="sms", to="+905551112233", language="en")

    assert MemoryProvider.sent == []
    assert "payment_link_send not queued" in caplog.text
    assert link_sends_pending() == 0  # asked for just now: its task may still be on its way
    PaymentLinkSend.objects.update(created_at=timezone.now() - timedelta(minutes=6))

    assert link_sends_pending() == 1

    assert [m.to for m in MemoryProvider.sent] == ["+905551112233"]
    assert "Pay ₺100.00" in MemoryProvider.sent[0].text  # in the language asked for
    assert not PaymentLinkSend.objects.exists()
    assert link_sends_pending() == 0
    assert len(MemoryProvider.sent) == 1


def test_the_sweep_forgets_a_send_whose_link_expired(web):
    from payments.tasks import link_sends_pending

    link = order_link(place(web))
    links.link_send(link=link, via="sms", to="+905551112233")  # its message never runs here
    PaymentLinkSend.objects.update(
        created_at=timezone.now() - timedelta(minutes=6),
        expires_at=timezone.now() - timedelta(seconds=1),
    )

    assert link_sends_pending() == 0

    assert MemoryProvider.sent == []
    assert not PaymentLinkSend.objects.exists()


def test_customers_may_not_make_links(web):
    order = place(web)
    _shopper, client = signed_in(f.UserFactory())

    response = client.post("/api/v1/staff/payment-links/", {"order": order.number}, format="json")

    assert response.status_code == 403
    assert not order.events.filter(kind="payment_link_created").exists()
    assert Client().post("/api/v1/staff/payment-links/").status_code in (401, 403)


def test_store_staff_do_not_see_other_stores_orders(web, call_centre):
    order = place(web)
    kadikoy = f.ChannelFactory(code="store-kadikoy", kind="store", pay_later=True)
    clerk = f.UserFactory(role=User.Role.STORE_STAFF)
    clerk.stores.set([kadikoy])
    _user, client = signed_in(clerk)

    response = client.post("/api/v1/staff/payment-links/", {"order": order.number}, format="json")

    assert response.status_code == 404
    assert not order.events.filter(kind="payment_link_created").exists()
    # The same request from staff who may act on web orders makes the link.
    _merchant, merchant = call_centre
    made = merchant.post("/api/v1/staff/payment-links/", {"order": order.number}, format="json")
    assert made.status_code == 201, made.json()


def test_a_channel_without_online_payments_cannot_make_links(call_centre):
    store = f.ChannelFactory(code="store-x", kind="store")
    order = place(store)
    _user, client = call_centre

    response = client.post("/api/v1/staff/payment-links/", {"order": order.number}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "no_online_gateway"


def test_bad_input_names_the_field(call_centre):
    _user, client = call_centre

    response = client.post("/api/v1/staff/payment-links/", {}, format="json")

    assert response.status_code == 400
    assert "order" in response.json()["fields"]


def test_the_staff_endpoint_is_in_the_openapi_schema(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert "/api/v1/staff/payment-links/" in response.json()["paths"]


# --- queries --------------------------------------------------------------------------------


def order_from_cart(channel, cart) -> Order:
    address = saved_address(cart.customer)
    delivery = checkout.delivery_build(
        channel=channel,
        method="home",
        shipping_method="standart",
        address={n: str(getattr(address, n) or "") for n in checkout.ADDRESS_FIELDS},
    )
    return checkout.order_place(
        cart=cart, channel=channel, delivery=delivery, customer=cart.customer
    )


# A web order's page fills its legal forms: whether they are accepted, the order and its lines
# as the forms name them, and the retailer (4 more); a cart's from what the page read (1 more).
@pytest.mark.parametrize(("kind", "queries"), [("order", 8), ("cart", 8)])
def test_the_page_runs_the_same_queries_for_one_line_or_many(web, kind, queries):
    for lines in (1, 6):
        cart = cart_with_items(web, lines=lines)
        link = cart_link(web, cart) if kind == "cart" else order_link(order_from_cart(web, cart))
        client = Client()
        with assert_num_queries(queries):
            assert client.get(link.path).status_code == 200
