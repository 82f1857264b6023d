"""The product page renders the description's blocks: its text, the material and care details
and the size table, in the shopper's language, escaped like any text."""

from __future__ import annotations

import re

import pytest

from catalog.demo_descriptions import description

pytestmark = pytest.mark.django_db


def section(body: str) -> str:
    return re.search(r'<section class="description".*?</section>', body, re.S)[0]


def test_the_description_shows_its_details_and_size_table_in_each_language(client, shop):
    product = shop.products[0]
    sizes = ["s", "m", "l"]
    product.description_tr = description("Keten Midi Elbise", language="tr", sizes=sizes)
    product.description_en = description("Keten Midi Elbise", language="en", sizes=sizes)
    product.save(update_fields=["description_tr", "description_en"])

    turkish = section(client.get(f"/tr/p/{product.slug}/").content.decode())
    english = section(client.get(f"/en/p/{product.slug}/").content.decode())

    assert "<dt>Malzeme</dt><dd>%100 keten</dd>" in turkish
    assert "<caption>Beden tablosu (cm)</caption>" in turkish
    assert '<th scope="row">M</th><td>38</td><td>88–92</td>' in turkish  # noqa: RUF001
    assert turkish.count('<th scope="row">') == 3
    assert "<dt>Care</dt><dd>Wash at 30 °C on a gentle cycle." in english
    assert '<th scope="col">Bust</th>' in english


def test_a_description_is_text_never_html(client, shop):
    product = shop.products[0]
    product.description_tr = (
        "<script>alert(1)</script> Güzel.\n\nBeden | <b>Göğüs</b>\nS | 84\n\nA: <i>1</i>\nB: 2"
    )
    product.save(update_fields=["description_tr"])

    html = section(client.get(f"/tr/p/{product.slug}/").content.decode())

    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Güzel." in html
    assert '<th scope="col">&lt;b&gt;Göğüs&lt;/b&gt;</th>' in html
    assert "<dt>A</dt><dd>&lt;i&gt;1&lt;/i&gt;</dd>" in html


def test_a_product_without_a_description_has_no_section(client, shop):
    product = shop.products[0]
    product.description_tr = ""
    product.save(update_fields=["description_tr"])

    body = client.get(f"/tr/p/{product.slug}/").content.decode()

    assert 'data-testid="description"' not in body
