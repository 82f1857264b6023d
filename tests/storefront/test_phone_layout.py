"""What the phone layout rests on in the HTML itself (tests/e2e/test_phone_journeys.py drives
it at 390 x 844): the filters in a closed <details> whose button counts the filters on, and
the bar's "Add to cart" being the add form's own button."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_filters_wait_closed_behind_a_button_that_counts_them(client, shop):
    body = client.get("/tr/c/kadin/").content.decode()
    details = re.search(r"<details class=\"filters\"[^>]*>", body)[0]
    assert " open" not in details  # closed: the products come first
    assert re.search(r'data-testid="filters-button">Filtrele ve sırala</summary>', body)

    body = client.get(
        f"/tr/c/kadin/?attr=renk:siyah,kirmizi&in_stock=1&store={shop.store.code}"
        "&price_max=500&ordering=price"  # the order is not a filter
    ).content.decode()
    button = re.search(r'data-testid="filters-button">(.*?)</summary>', body, re.S)[1]
    assert '<span class="badge" aria-hidden="true">5</span>' in button
    assert "(5 filtre seçili)" in button


def test_the_bars_button_is_the_add_forms_own(client, shop):
    product = shop.products[1]  # on sale: 110,00 instead of 210,00
    body = client.get(f"/tr/p/{product.slug}/").content.decode()
    form = re.search(
        r'<form method="post" action="/tr/cart/add/" class="add">.*?</form>', body, re.S
    )[0]
    bar = re.search(r'<div class="buybar" data-testid="buybar">(.*?)</div>', form, re.S)[1]
    assert "110,00\u00a0₺" in bar and '<button type="submit">Sepete ekle</button>' in bar
    assert 'data-price="110,00\u00a0₺"' in form  # each option's price, for product.js
