"""The storefront's search page and the header's suggestions as the shopper types: Turkish
folded (catalog.search), a fixed number of queries."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.queries import assert_num_queries
from tests.storefront.test_pages import more_products

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirts(shop):
    for name in ("Keten Gömlek", "Oduncu Gömlek", "İçlik Atlet"):
        f.product(channels=[shop.web], name=name, in_category=shop.dresses, price="499.90")
    return shop


@pytest.mark.parametrize("typed", ["gomlek", "Gomlek", "GÖMLEK", "gömlek"])
def test_search_page_finds_without_turkish_letters(client, shirts, typed):
    body = client.get("/tr/search/", {"q": typed}).content.decode()
    assert "Keten Gömlek" in body and "Oduncu Gömlek" in body
    assert "İçlik Atlet" not in body and "Keten Elbise" not in body


def test_suggestions_as_the_shopper_types(client, shirts):
    response = client.get("/tr/search/suggest/", {"q": "icl"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="search-suggestions"' in body
    assert "İçlik Atlet" in body and "499,90\u00a0₺" in body
    assert "/tr/search/?q=icl" in body  # all results
    assert "Gömlek" not in body


def test_no_suggestion_before_two_letters_and_a_word_when_none(client, shirts):
    with assert_num_queries(1):  # the web channel only
        body = client.get("/tr/search/suggest/", {"q": "g"}).content.decode()
    assert "<li" not in body and "bulunamadı" not in body
    body = client.get("/tr/search/suggest/", {"q": "buzdolabi"}).content.decode()
    assert "<li" not in body and "buzdolabi" in body


def test_suggestions_show_what_is_typed_escaped(client, shirts):
    body = client.get("/tr/search/suggest/", {"q": "<b>gomlek"}).content.decode()
    assert "<b>" not in body and "&lt;b&gt;gomlek" in body


def test_suggestions_take_one_query_however_many_products(client, shirts):
    with assert_num_queries(2):  # the web channel, the products
        assert (
            client.get("/tr/search/suggest/", {"q": "elbise"}).content.decode().count("<li>") == 2
        )
    more_products(shirts, n=10, variants=2)
    with assert_num_queries(2):
        assert (
            client.get("/tr/search/suggest/", {"q": "elbise"}).content.decode().count("<li>") == 6
        )


def test_the_header_asks_for_suggestions(client, shirts):
    body = client.get("/tr/").content.decode()
    assert 'hx-get="/tr/search/suggest/"' in body and 'id="search-suggestions"' in body


def test_results_say_they_are_sorted_by_relevance_and_can_be_sorted_newest_first(client, shirts):
    body = client.get("/tr/search/", {"q": "gomlek"}).content.decode()
    assert '<option value="" selected>En alakalı</option>' in body
    assert '<option value="-created">En yeniler</option>' in body
    newest = client.get("/tr/search/", {"q": "gomlek", "ordering": "-created"})
    names = [p.name for p in newest.context["listing"].page.object_list]
    assert names == ["Oduncu Gömlek", "Keten Gömlek"]
