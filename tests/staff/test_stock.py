"""The stock screen: a product found by name, SKU or barcode, its stock here, in the other
stores (with their distance) and in the warehouses; a transfer to this store requested from
another location; and the transfers under way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from inventory import services as inventory
from inventory.models import Stock, StockMovement, Transfer
from tests.queries import assert_num_queries
from tests.staff.support import build_retailer, staff_client

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def retailer():
    return build_retailer(products=1, variants=2)


def _text(answer) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.content.decode()))


def _rows(answer, sku: str) -> dict[str, tuple[str, int, int]]:
    """{location code: (distance text, on hand, free)} of the variant's other locations."""
    html = answer.content.decode()
    block = html[html.index(f'data-sku="{sku}"') :]
    block = block[: block.index("</table>")]
    rows = {}
    for code, cells in re.findall(r'data-location="([^"]+)">(.*?)</tr>', block, re.S):
        numbers = [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(
            r'<td class="num">(.*?)</td>', cells, re.S
        )]  # fmt: skip
        rows[code] = (numbers[0], int(numbers[1]), int(numbers[2]))
    return rows


def test_a_scanned_barcode_shows_stock_here_in_the_other_stores_and_the_warehouses(retailer):
    variant = retailer.variant(0, 0)
    # One unit of this store's three is in a cart; two of the DC's are on their way elsewhere.
    inventory.reservations_set(
        channel=retailer.kadikoy,
        reference="cart:abc",
        lines={variant.pk: 1},
        ttl=timedelta(minutes=30),
    )
    inventory.transfer_request(
        source=retailer.dc, destination=retailer.kizilay.store_location, lines={variant.pk: 2}
    )
    client = staff_client(retailer.clerk, retailer.kadikoy)

    answer = client.get("/staff/stock/", {"q": variant.barcode}, HTTP_ACCEPT_LANGUAGE="en")

    assert answer.status_code == 200
    text = _text(answer)
    assert "Keten Gömlek 0" in text
    assert "Here: 2 free (3 on hand, 0 allocated, 1 in carts)" in text
    assert _rows(answer, variant.sku) == {
        "kizilay": ("344 km", 1, 1),
        "dc-gebze": ("40 km", 20, 18),
    }
    # The scanned variant is marked; its sibling is listed too.
    scanned = f'class="variant scanned" data-testid="variant" data-sku="{variant.sku}"'
    assert scanned in answer.content.decode()
    assert retailer.variant(0, 1).sku in text
    assert f"/staff/pos/?add={variant.sku}" in answer.content.decode()


def test_a_product_is_found_by_name_and_by_sku(retailer):
    client = staff_client(retailer.clerk, retailer.kadikoy)
    by_name = _text(client.get("/staff/stock/", {"q": "keten gömlek"}))
    by_sku = _text(client.get("/staff/stock/", {"q": retailer.variant(0, 1).sku.lower()}))
    nothing = _text(
        client.get("/staff/stock/", {"q": "yok böyle", "x": 1}, HTTP_ACCEPT_LANGUAGE="en")
    )

    assert "Keten Gömlek 0" in by_name and "Keten Gömlek 0" in by_sku
    assert "Nothing found for “yok böyle”" in nothing


def test_a_transfer_to_this_store_is_requested_and_listed(retailer):
    variant = retailer.variant(0, 0)
    client = staff_client(retailer.clerk, retailer.kadikoy)

    answer = client.post(
        "/staff/stock/transfer/",
        {
            "q": variant.sku,
            "variant": variant.pk,
            "destination": "kadikoy",
            "source": "dc-gebze",
            "quantity": "2",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/stock/?q={variant.sku}"
    transfer = Transfer.objects.get()
    assert (transfer.source, transfer.destination, transfer.status, transfer.requested_by) == (
        retailer.dc,
        retailer.kadikoy.store_location,
        "requested",
        retailer.clerk,
    )
    assert list(transfer.lines.values_list("variant_id", "quantity")) == [(variant.pk, 2)]
    # The units are held at the DC from now.
    assert Stock.objects.get(variant=variant, location=retailer.dc).allocated == 2

    page = client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en")
    text = _text(page)
    assert f"Transfer {transfer.pk} requested: 2 from Gebze DC." in text
    assert f"Incoming · T{transfer.pk} Requested from Gebze DC" in text
    assert f"2 \u00d7 Keten Gömlek 0 {variant.sku}" in text
    assert _rows(page, variant.sku)["dc-gebze"] == ("40 km", 20, 18)


def _nothing_written(retailer) -> None:
    assert Transfer.objects.count() == 0
    assert not StockMovement.objects.filter(kind="allocation").exists()
    assert Stock.objects.filter(allocated__gt=0).count() == 0


def test_more_than_the_source_has_free_is_refused(retailer):
    variant = retailer.variant(0, 0)
    client = staff_client(retailer.clerk, retailer.kadikoy)

    answer = client.post(
        "/staff/stock/transfer/",
        {"q": "keten", "variant": variant.pk, "destination": "kadikoy", "source": "kizilay",
         "quantity": "2"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    assert answer.status_code == 400
    assert "Kızılay Mağaza has only 1 free." in _text(answer)
    _nothing_written(retailer)


@pytest.mark.parametrize("quantity", ["0", "-1", "iki", ""])
def test_a_quantity_that_is_not_a_whole_number_above_zero_is_refused(retailer, quantity):
    variant = retailer.variant(0, 0)
    answer = staff_client(retailer.clerk, retailer.kadikoy).post(
        "/staff/stock/transfer/",
        {"variant": variant.pk, "destination": "kadikoy", "source": "dc-gebze",
         "quantity": quantity},
    )  # fmt: skip
    assert answer.status_code == 400
    _nothing_written(retailer)


def test_a_transfer_to_another_store_than_ones_own_is_refused(retailer):
    variant = retailer.variant(0, 0)
    client = staff_client(retailer.clerk, retailer.kadikoy)

    answer = client.post(
        "/staff/stock/transfer/",
        {"variant": variant.pk, "destination": "kizilay", "source": "dc-gebze", "quantity": "1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert answer.status_code == 400
    assert "A transfer from this screen comes to this store only." in _text(answer)
    _nothing_written(retailer)


def test_an_unknown_source_or_this_store_as_the_source_is_refused(retailer):
    variant = retailer.variant(0, 0)
    client = staff_client(retailer.clerk, retailer.kadikoy)
    for source in ("nowhere", "kadikoy"):
        answer = client.post(
            "/staff/stock/transfer/",
            {"variant": variant.pk, "destination": "kadikoy", "source": source, "quantity": "1"},
        )
        assert answer.status_code == 400
    _nothing_written(retailer)


def test_only_this_stores_transfers_are_listed(retailer):
    variant = retailer.variant(0, 0)
    kizilay = retailer.kizilay.store_location
    inventory.transfer_request(source=retailer.dc, destination=kizilay, lines={variant.pk: 1})
    outgoing = inventory.transfer_request(
        source=retailer.kadikoy.store_location, destination=kizilay, lines={variant.pk: 1}
    )

    text = _text(staff_client(retailer.clerk, retailer.kadikoy).get(
        "/staff/stock/", HTTP_ACCEPT_LANGUAGE="en"
    ))  # fmt: skip

    assert f"Outgoing · T{outgoing.pk} Requested to Kızılay Mağaza" in text
    assert text.count("Incoming ·") == 0 and text.count("Outgoing ·") == 1


def test_the_stock_page_runs_a_fixed_number_of_queries():
    retailer = build_retailer(products=1, variants=1)
    client = staff_client(retailer.clerk, retailer.kadikoy)
    source = retailer.dc
    inventory.transfer_request(
        source=source, destination=retailer.kadikoy.store_location,
        lines={retailer.variant().pk: 1},
    )  # fmt: skip
    client.get("/staff/stock/", {"q": "Keten"})
    # session, user, stores; variants, locations, stock levels; transfers and their lines
    with assert_num_queries(9):
        assert client.get("/staff/stock/", {"q": "Keten"}).status_code == 200

    more = build_more_products(retailer, 4)
    for product in more:
        inventory.transfer_request(
            source=source, destination=retailer.kadikoy.store_location,
            lines={v.pk: 1 for v in product.variants.all()},
        )  # fmt: skip
    with assert_num_queries(9):
        answer = client.get("/staff/stock/", {"q": "Keten"})
    assert _text(answer).count("Keten Gömlek") >= 5


def build_more_products(retailer, count: int):
    from tests import factories as f

    made = []
    for n in range(count):
        product = f.product(channels=[retailer.kadikoy], variants=3, name=f"Keten Gömlek X{n}")
        ids = list(product.variants.values_list("id", flat=True))
        inventory.stock_receive_many(location=retailer.dc, lines=dict.fromkeys(ids, 5))
        made.append(product)
    return made
