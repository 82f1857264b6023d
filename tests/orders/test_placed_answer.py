"""The answer to a place-order request is built from the rows order_place wrote (a PlacedOrder,
read from nothing), and is the order exactly as it reads back from the database."""

import pytest

from tests import factories as f
from tests.orders.api_support import item, signed_in, url

pytestmark = pytest.mark.django_db


def test_the_answer_from_the_rows_written_is_the_order_as_it_reads_back():
    web = f.ChannelFactory(code="web", kind="web")
    f.ShippingMethodFactory(channel=web)
    _user, client = signed_in()
    for variant, quantity in ((item(web, price="250.00"), 2), (item(web, price="40.00"), 1)):
        added = client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": quantity})
        assert added.status_code == 201, added.json()
    body = {"delivery": "home", "shipping_method": "standart", "shipping_address": f.ADDRESS}

    placed = client.post(url("orders/"), body, HTTP_IDEMPOTENCY_KEY="k-1")

    assert placed.status_code == 201, placed.json()
    answer = placed.json()
    assert len(answer["lines"]) == 2 and answer["fulfilments"] and len(answer["events"]) == 2
    assert client.get(url(f"orders/{answer['number']}/")).json() == answer
