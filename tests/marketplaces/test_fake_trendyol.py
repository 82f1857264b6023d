"""The fake Trendyol refuses what the real API refuses: a body missing a required field, a field
of the wrong type, or one the documentation does not name (a misspelling) is a 400 in Trendyol's
error shape and changes nothing. The connector's own tests (test_trendyol_push.py,
test_trendyol_orders.py) run the real client against this fake, so every body it sends has the
documented shape."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from marketplaces.fake_trendyol import REQUEST_SHAPES
from tests.marketplaces.support import client

SELLER = "123456"
PUSH = f"inventory/sellers/{SELLER}/products/price-and-inventory"


def refused(api, method: str, path: str, body) -> list[dict]:
    """Send `body` as it is (the client's own methods build valid ones) and expect a 400."""
    token = base64.b64encode(f"{api.api_key}:{api.api_secret}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 (the local fake)
        f"{api.base_url}/{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Basic {token}",
            "User-Agent": f"{api.seller_id} - SelfIntegration",
            "Content-Type": "application/json",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert error.value.code == 400
    return json.loads(error.value.read())["errors"]


@pytest.fixture
def api(endpoint):
    return client(endpoint)


@pytest.fixture
def product(fake):
    fake.add_product("8690000000017", quantity=3, sale_price="90.00", list_price="120.00")
    return fake.products["8690000000017"]


def test_a_misspelled_price_field_is_refused_and_changes_nothing(fake, api, product):
    body = {"items": [{"barcode": "8690000000017", "salesPrice": 80.0, "listPrice": 120.0}]}

    errors = refused(api, "POST", PUSH, body)

    assert {e["key"] for e in errors} == {"items[0].salesPrice"}
    assert errors[0]["message"] == "salesPrice alanı tanınmıyor"
    assert product == {"quantity": 3, "salePrice": Decimal("90.00"), "listPrice": Decimal("120.00")}
    assert fake.batches == {}


@pytest.mark.parametrize(
    ("item", "key"),
    [
        ({"quantity": 5}, "items[0].barcode"),  # no barcode
        ({"barcode": "8690000000017"}, "items[0]"),  # nothing to update
        ({"barcode": "8690000000017", "quantity": "5"}, "items[0].quantity"),
        ({"barcode": "8690000000017", "quantity": 5.5}, "items[0].quantity"),
        ({"barcode": "8690000000017", "quantity": True}, "items[0].quantity"),
        ({"barcode": 8690000000017, "quantity": 5}, "items[0].barcode"),
        ({"barcode": "8690000000017", "salePrice": "80", "listPrice": 120}, "items[0].salePrice"),
        ({"barcode": "8690000000017", "quantitiy": 5}, "items[0].quantitiy"),
    ],
)
def test_an_item_missing_a_field_or_of_the_wrong_type_is_refused(fake, api, product, item, key):
    errors = refused(api, "POST", PUSH, {"items": [item]})

    assert key in {e["key"] for e in errors}
    assert all(set(e) == {"key", "message", "errorCode"} for e in errors)
    assert product["quantity"] == 3 and fake.batches == {}


def test_a_misspelled_top_level_field_is_refused(fake, api, product):
    errors = refused(api, "POST", PUSH, {"item": [{"barcode": "8690000000017", "quantity": 1}]})

    assert {e["key"] for e in errors} == {"item", "items"}


def test_stock_alone_and_price_alone_are_accepted_as_documented(fake, api, product):
    stock = api.price_and_inventory([{"barcode": "8690000000017", "quantity": 4}])
    price = api.price_and_inventory(
        [{"barcode": "8690000000017", "salePrice": Decimal("85.00"), "listPrice": 120}]
    )

    assert stock and price
    assert product == {"quantity": 4, "salePrice": Decimal("85.00"), "listPrice": Decimal("120")}


@pytest.mark.parametrize(
    ("action", "body", "key"),
    [
        (
            "",
            {"lines": [{"lineID": 1, "quantity": 1}], "params": {}, "status": "Picking"},
            "lineID",
        ),
        ("", {"lines": [{"lineId": 1, "quantity": 1}], "params": {}, "statu": "Picking"}, "statu"),
        ("", {"lines": [{"lineId": 1, "quantity": "1"}], "status": "Picking"}, "quantity"),
        (
            "",
            {
                "lines": [{"lineId": 1, "quantity": 1}],
                "params": {"invoiceNo": "X"},
                "status": "Invoiced",
            },
            "invoiceNo",
        ),
        ("/update-tracking-number", {"trackingNo": "7280027504111"}, "trackingNo"),
        ("/items/unsupplied", {"lines": [{"lineId": 1, "quantity": 1}]}, "reasonId"),
    ],
)
def test_a_package_update_with_a_misspelled_or_missing_field_is_refused(
    fake, api, action, body, key
):
    package = fake.add_package([{"barcode": "8690000000017", "quantity": 1}])
    line_id = package["lines"][0]["id"]
    for line in body.get("lines", []):
        line["lineId" if "lineId" in line else "lineID"] = line_id
    path = f"order/sellers/{SELLER}/shipment-packages/{package['id']}{action}"

    errors = refused(api, "PUT", path, body)

    assert any(e["key"].endswith(key) for e in errors)
    assert (package["status"], package["history"]) == ("Created", [])


def test_every_documented_shape_names_its_required_fields():
    """The shapes the fake checks against are the documented ones (developers.trendyol.com)."""
    required = {
        name: {field for field, (_types, needed) in shape.items() if needed}
        for name, shape in REQUEST_SHAPES.items()
    }
    assert required == {
        "price_and_inventory": {"items"},
        "price_and_inventory_item": {"barcode"},
        "package_update": {"lines", "status"},
        "package_line": {"lineId", "quantity"},
        "tracking_update": {"trackingNumber"},
        "unsupplied": {"lines", "reasonId"},
    }
