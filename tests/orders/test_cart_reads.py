"""What the cart shows of its lines, read in one statement: names in the shopper's language
(English falling back to Turkish), the variant's attribute values in their order, and the
shipping methods kept per process."""

from decimal import Decimal

import pytest
from django.utils import translation

from orders.models import ShippingMethod
from orders.services import carts, checkout
from tests import factories as f
from tests.orders.api_support import url, visitor
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web", cart_reservation_minutes=0)


def _shirt(web):
    colour = f.AttributeFactory(code="renk", sort_order=1)
    size = f.AttributeFactory(code="beden", sort_order=2)
    red = f.AttributeValueFactory(attribute=colour, slug="kirmizi", name_tr="Kırmızı")
    red.name_en = "Red"
    red.save()
    medium = f.AttributeValueFactory(attribute=size, slug="m", name_tr="Orta")  # no English
    product = f.product(channels=[web], name="Gömlek", attributes=[[medium, red]])
    variant = product.variants.get()
    f.stocked(web, variant)
    return variant


@pytest.mark.parametrize(
    ("language", "product_name", "variant_name"),
    [("tr", "Gömlek", "Kırmızı / Orta"), ("en", "Gömlek", "Red / Orta")],
)
def test_cart_lines_are_named_in_the_shoppers_language_with_turkish_to_fall_back_on(
    web, language, product_name, variant_name
):
    variant = _shirt(web)
    token = visitor().post(url("cart/", "web")).json()["token"]
    client = visitor(token)
    client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": 1})

    line = client.get(url("cart/"), HTTP_ACCEPT_LANGUAGE=language).json()["lines"][0]

    assert (line["product_name"], line["variant_name"]) == (product_name, variant_name)


def test_lines_info_reads_every_line_in_one_query(web):
    cart = carts.cart_create_anonymous(channel=web)
    variants = [_shirt(web)] + [
        f.product(channels=[web], price="10.00").variants.get() for _ in range(4)
    ]
    f.stocked(web, *variants[1:])
    for variant in variants:
        carts.cart_add(cart=cart, channel=web, variant_id=variant.pk)

    with assert_num_queries(1), translation.override("tr"):
        info = carts.lines_info(cart=cart, channel=web)

    assert [i.sku for i in info] == [v.sku for v in variants]
    assert info[0].variant_name == "Kırmızı / Orta"
    assert info[1].price == Decimal("10.00") and info[1].sellable


def test_shipping_methods_are_kept_for_a_while_and_forgotten_when_saved_here(web, settings):
    settings.OMNI_CHANNEL_CACHE_SECONDS = 60
    checkout.shipping_methods_cache_clear()
    method = f.ShippingMethodFactory(channel=web)
    checkout.shipping_methods_active(web)
    with assert_num_queries(0):
        kept = checkout.shipping_methods_active(web)
    kept[0].price = Decimal("1.00")  # each caller has its own copy
    assert checkout.shipping_methods_active(web)[0].price == method.price

    ShippingMethod.objects.filter(pk=method.pk).update(price=Decimal("9.90"))  # elsewhere
    assert checkout.shipping_methods_active(web)[0].price == method.price
    method.is_active = False
    method.save()  # saved in this process: forgotten at once
    assert checkout.shipping_methods_active(web) == []
    checkout.shipping_methods_cache_clear()
