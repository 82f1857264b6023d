"""The staff counter prices a sale with the one pricing function: an automatic promotion of the
store's channel applies on its own, and a code (the store-opening code) works at the till
through the staff API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from campaigns.models import Code, Promotion
from orders.models import Cart, Order
from tests import factories as f
from tests.orders.api_support import money
from tests.orders.test_staff_api import clerk, customer, in_store, kadikoy, staff_url  # noqa: F401

pytestmark = pytest.mark.django_db


def store_promotion(channel, **fields) -> Promotion:
    fields.setdefault("kind", Promotion.Kind.PERCENT)
    made = Promotion.objects.create(name=fields.get("label_tr", "x"), **fields)
    if channel is not None:
        made.channels.set([channel])
    return made


def test_a_counter_sale_gets_the_stores_automatic_promotion_and_the_opening_code(
    kadikoy,  # noqa: F811
    clerk,  # noqa: F811
    customer,  # noqa: F811
):
    variant = f.product(channels=[kadikoy], price="150.00").variants.get()
    in_store(kadikoy, variant, quantity=3)
    store_promotion(kadikoy, label_tr="Mağaza indirimi", value=Decimal("10"))
    store_promotion(f.ChannelFactory(code="web"), label_tr="Web indirimi", value=Decimal("50"))
    opening = store_promotion(
        None, label_tr="Açılış indirimi", value=Decimal("10"), requires_code=True
    )
    Code.objects.create(promotion=opening, code="ACILIS")
    _staff, client = clerk
    target, _ = customer
    client.post(staff_url(target, "cart/lines/"), {"sku": variant.sku})

    cart = client.get(staff_url(target, "cart/")).json()
    assert (cart["discount_total"], cart["total"]) == (money("15.00"), money("135.00"))

    answer = client.post(staff_url(target, "cart/codes/"), {"code": " acilis "})

    assert answer.status_code == 200, answer.json()
    assert answer.json()["codes"] == ["ACILIS"]
    # Combinable promotions apply in turn, each on what is left: 15.00, then 10 % of 135.00.
    assert (answer.json()["discount_total"], answer.json()["total"]) == (
        money("28.50"),
        money("121.50"),
    )
    placed = client.post(
        staff_url(target, "orders/"),
        {"delivery": "pickup", "handed_over": True},
        HTTP_IDEMPOTENCY_KEY="till-acilis",
    )
    assert placed.status_code == 201, placed.json()
    assert placed.json()["total"] == money("121.50")
    order = Order.objects.get()
    assert order.channel == kadikoy
    assert sorted(p["label"] for p in order.pricing["promotions"]) == [
        "Açılış indirimi",
        "Mağaza indirimi",
    ]


def test_a_refused_code_at_the_till_is_a_field_error_and_the_cart_is_unchanged(
    kadikoy,  # noqa: F811
    clerk,  # noqa: F811
    customer,  # noqa: F811
):
    variant = f.product(channels=[kadikoy], price="150.00").variants.get()
    in_store(kadikoy, variant)
    web_only = store_promotion(
        f.ChannelFactory(code="web"), value=Decimal("10"), requires_code=True
    )
    Code.objects.create(promotion=web_only, code="WEB10")
    _staff, client = clerk
    target, _ = customer
    client.post(staff_url(target, "cart/lines/"), {"sku": variant.sku})

    for code, reason in (
        ("YOK", "promotion_code_invalid"),
        ("web10", "promotion_code_wrong_channel"),
    ):
        answer = client.post(staff_url(target, "cart/codes/"), {"code": code})
        assert answer.status_code == 400
        assert answer.json()["fields"]["code"], answer.json()
        assert reason in str(answer.json()), answer.json()
    assert Cart.objects.get().codes == []
    # a code taken off at the till
    opening = store_promotion(None, value=Decimal("10"), requires_code=True)
    Code.objects.create(promotion=opening, code="ACILIS")
    assert client.post(staff_url(target, "cart/codes/"), {"code": "ACILIS"}).json()["codes"] == [
        "ACILIS"
    ]
    taken_off = client.delete(staff_url(target, "cart/codes/acilis/"))
    assert (taken_off.status_code, taken_off.json()["codes"]) == (200, [])
    assert taken_off.json()["total"] == money("150.00")
