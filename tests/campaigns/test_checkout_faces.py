"""A promotion used up while the shopper checks out, on the faces that place orders: the
storefront's checkout form says so beside the cart priced again (409), nothing placed; a
pay-by-link shows it on its error page. (The API's answer: test_cart_code_api.py.)"""

import re

import pytest
from django.test import Client
from django.utils import translation

from campaigns.models import Code
from orders.models import Cart, Order
from orders.services import carts
from payments.models import ChannelGateway, Payment
from tests import factories as f
from tests.campaigns.redeem_world import code, promotion
from tests.payments.fake_iyzico import FakeIyzico
from tests.payments.test_links import cart_link, cart_with_items, form
from tests.storefront.support import build_shop

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Ayşe Kaya",
    "address_phone": "+905551112233",
    "line1": "Moda Caddesi No:12",
    "district": "Kadıköy",
    "city": "İstanbul",
    "postal_code": "34710",
}


def test_the_storefront_checkout_shows_a_used_up_code_as_a_form_error(client):
    shop = build_shop()
    spring = promotion(channels=[shop.web], requires_code=True, label="Bahar")
    code(spring, "BAHAR10", usage_limit=1)
    variant = shop.variant(shop.products[0])
    client.post("/tr/cart/add/", {"sku": variant.sku, "quantity": 2})
    cart = Cart.objects.get()
    carts.cart_codes_set(cart=cart, channel=shop.web, codes=["BAHAR10"])
    page = client.get("/tr/checkout/").content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)[1]
    Code.objects.filter(code="BAHAR10").update(times_used=1)  # taken by another order meanwhile

    with translation.override("en"):
        response = client.post(
            "/en/checkout/",
            {
                "idempotency_key": key,
                **ADDRESS,
                "email": "misafir@example.com",
                "delivery": "home",
                "shipping_method": "standart",
            },
        )

    assert response.status_code == 409
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "The code BAHAR10 (Bahar) can no longer be used" in body
    assert not Order.objects.exists()
    assert Cart.objects.get(pk=cart.pk).codes == []
    # the form sent again as shown (a new key) places the order at the new price
    again = re.search(r'name="idempotency_key" value="([^"]+)"', body)[1]
    assert again != key
    placed = client.post(
        "/tr/checkout/",
        {
            "idempotency_key": again,
            **ADDRESS,
            "email": "misafir@example.com",
            "delivery": "home",
            "shipping_method": "standart",
        },
    )
    order = Order.objects.get()
    assert placed.headers["Location"] == f"/tr/checkout/{order.number}/pay/"
    assert order.discount_total == 0


@pytest.fixture
def iyzico():
    server = FakeIyzico().start()
    yield server
    server.stop()


def test_a_cart_link_whose_code_was_used_up_places_nothing_and_takes_nothing(iyzico):
    web = f.ChannelFactory(code="web", kind="web")
    ChannelGateway.objects.create(channel=web, gateway="iyzico", config=iyzico.config())
    spring = promotion(channels=[web], requires_code=True, label="Bahar")
    code(spring, "BAHAR10", usage_limit=1)
    cart = cart_with_items(web)
    carts.cart_codes_set(cart=cart, channel=web, codes=["BAHAR10"])
    link = cart_link(web, cart)
    Code.objects.filter(code="BAHAR10").update(times_used=1)

    response = Client().post(link.path, form())

    assert response.status_code == 409
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
