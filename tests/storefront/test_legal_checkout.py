"""The legal checkout on the web: the payment step shows the pre-information form and the
distance sales contract and pays only once they are ticked (kept as accepted); the
confirmation says delivery, payment, the pickup code and what happens next; an order waiting
for payment is paid or cancelled from the account."""

from __future__ import annotations

import pytest

from orders.models import Order, OrderAgreement
from orders.services import agreements
from payments.models import ChannelGateway, Payment
from sales_channels.demo import seed_retailer
from tests.payments.support import APPROVE, provider  # noqa: F401 (a fixture)
from tests.storefront.test_payment import card
from tests.storefront.test_shopping import (
    ADDRESS,
    _order_for,
    add,
    checkout_form,
    customer_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def retailer():
    return seed_retailer()


def placed(client, shop, **delivery) -> Order:
    ChannelGateway.objects.get_or_create(channel=shop.web, gateway="test")
    add(client, shop.variant(shop.products[0]))
    delivery = delivery or {"delivery": "home", "shipping_method": "standart"}
    data = {**checkout_form(client), **ADDRESS, "email": "kart@example.com", **delivery}
    assert client.post("/tr/checkout/", data).status_code == 302
    return Order.objects.get()


def test_the_payment_step_shows_both_forms_and_pays_only_once_they_are_accepted(
    client,
    shop,
    provider,  # noqa: F811
):
    order = placed(client, shop)
    url = f"/tr/checkout/{order.number}/pay/"

    page = client.get(url).content.decode()
    refused = client.post(url, {**card(APPROVE), "accept_agreements": ""})
    paid = client.post(url, card(APPROVE))

    assert 'data-testid="legal-pre_information"' in page
    assert "Mesafeli Satış Sözleşmesi" in page and "Moda Ev Tekstil" in page
    assert 'id="accept-agreements-card"' in page and 'id="accept-agreements-gift-card"' in page
    assert refused.status_code == 400
    assert 'id="accept-agreements-card-error"' in refused.content.decode()
    assert paid.headers["Location"] == f"/tr/checkout/{order.number}/done/"
    kept = agreements.agreements_list(order)
    assert [(a.kind, str(a.accepted_ip)) for a in kept] == [
        ("pre_information", "127.0.0.1"),
        ("distance_sales", "127.0.0.1"),
    ]
    assert Payment.objects.get().status == "captured"  # one payment: the refused post made none


def test_a_gift_card_is_refused_before_the_forms_are_accepted(client, shop):
    order = placed(client, shop)

    response = client.post(
        f"/tr/checkout/{order.number}/pay/gift-card/",
        {"gift_card_code": "OMNI-AAAA-BBBB-CCCC", "gift_card_pin": "1234"},
    )

    assert response.status_code == 400
    assert "mesafeli satış sözleşmesini okuyup onaylayın" in response.content.decode()
    assert not OrderAgreement.objects.exists() and not Payment.objects.exists()


def test_the_confirmation_says_delivery_payment_and_what_happens_next(
    client,
    shop,
    provider,  # noqa: F811
):
    order = placed(client, shop)
    client.post(f"/tr/checkout/{order.number}/pay/", card(APPROVE))

    page = client.get(f"/tr/checkout/{order.number}/done/").content.decode()

    assert "Siparişiniz için teşekkür ederiz" in page
    assert "Standart Kargo" in page and "Moda Caddesi No:12" in page  # the delivery
    assert "Kart ···· 4242" in page  # the payment
    assert "Bundan sonra ne olacak" in page and "takip numarasını" in page
    assert "kart@example.com" in page


def test_a_pickup_order_names_its_store_and_shows_its_code_once_ready(shop):
    _user, client = customer_client()
    order = placed(client, shop, delivery="pickup", pickup_location=shop.store.code)

    waiting = client.get(f"/tr/checkout/{order.number}/done/").content.decode()
    Order.objects.filter(pk=order.pk).update(status="ready_for_pickup", pickup_code="K7Q2M9")
    ready = client.get(f"/tr/checkout/{order.number}/done/").content.decode()

    assert f"{shop.store.name} mağazasından teslim al" in waiting
    assert "Siparişiniz ödeme bekliyor" in waiting and 'data-testid="pay-now"' in waiting
    assert 'data-testid="pickup-code"' not in waiting
    assert '<span class="pickup-code" data-testid="pickup-code">K7Q2M9</span>' in ready
    assert "Teslim alma kodunu kasada gösterin" in ready


def test_an_order_waiting_for_payment_is_paid_or_cancelled_from_the_account(shop):
    user, client = customer_client()
    order = _order_for(user, shop)
    url = f"/tr/account/orders/{order.number}/"

    page = client.get(url).content.decode()
    cancelled = client.post(f"/tr/account/orders/{order.number}/cancel/")

    assert f'href="/tr/checkout/{order.number}/pay/"' in page
    assert 'data-testid="cancel-order"' in page
    assert cancelled.headers["Location"] == url
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    after = client.get(url).content.decode()
    assert "iptal edildi" in after and 'data-testid="pending-actions"' not in after


def test_a_confirmed_order_is_not_cancelled_from_the_account(shop):
    user, client = customer_client()
    order = _order_for(user, shop)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CONFIRMED)

    client.post(f"/tr/account/orders/{order.number}/cancel/")

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert (
        'data-testid="pending-actions"'
        not in client.get(f"/tr/account/orders/{order.number}/").content.decode()
    )


def test_the_accepted_forms_are_read_again_from_the_account_and_only_by_their_owner(shop):
    user, client = customer_client()
    order = _order_for(user, shop)
    kept = agreements.agreements_accept(order=order, ip="127.0.0.1")
    _other, stranger = customer_client()
    url = f"/tr/account/orders/{order.number}/forms/distance_sales/"

    page = client.get(f"/tr/account/orders/{order.number}/").content.decode()
    form = client.get(url)

    assert 'data-testid="accepted-forms"' in page and url in page
    assert form.status_code == 200 and form.content.decode() == kept[1].html
    assert stranger.get(url).status_code == 404
    assert client.get(f"/tr/account/orders/{order.number}/forms/other/").status_code == 404
