"""Search that understands Turkish, through the catalog API: case and diacritics folded, a
typo forgiven, ranked by relevance (catalog.search)."""

import pytest

from sales_channels.models import Channel
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind=Channel.Kind.WEB)


def found(api, q: str, **params) -> list[str]:
    response = api.get("/api/v1/products/", {"channel": "web", "q": q, **params})
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


@pytest.mark.parametrize("typed", ["gömlek", "gomlek", "Gomlek", "GÖMLEK", "GOMLEK", "gÖmLeK"])
def test_any_case_with_or_without_turkish_letters_finds_the_shirt(api, web, typed):
    f.product(channels=[web], name="Keten Gömlek")
    f.product(channels=[web], name="Deri Bot")
    assert found(api, typed) == ["keten-gomlek"]


@pytest.mark.parametrize("typed", ["İçlik", "içlik", "iclik", "ICLIK", "İÇLİK", "Iclik"])
def test_dotted_and_dotless_i_are_one_letter_to_search(api, web, typed):
    f.product(channels=[web], name="İçlik Atlet")
    f.product(channels=[web], name="Deri Bot")
    assert found(api, typed) == ["iclik-atlet"]


def test_words_match_anywhere_in_either_language_and_the_brand(api, web):
    brand = f.BrandFactory(name="Şık Giyim", slug="sik-giyim")
    f.product(channels=[web], name="Çizgili Kazak", brand=brand)
    f.product(channels=[web], name="Düz Kazak")
    assert found(api, "sik kazak") == ["cizgili-kazak"]
    assert found(api, "CIZGILI") == ["cizgili-kazak"]


@pytest.mark.parametrize("typo", ["pantelon", "pantolo", "pntolon", "ketn gomlek"])
def test_a_typo_is_forgiven(api, web, typo):
    f.product(channels=[web], name="Kumaş Pantolon")
    f.product(channels=[web], name="Keten Gömlek")
    f.product(channels=[web], name="Deri Bot")
    assert found(api, typo)[:1] in (["kumas-pantolon"], ["keten-gomlek"])
    assert "deri-bot" not in found(api, typo)


def test_unrelated_words_find_nothing(api, web):
    f.product(channels=[web], name="Keten Gömlek")
    assert found(api, "buzdolabi") == []


def test_name_ranks_over_description_and_brand(api, web):
    brand = f.BrandFactory(name="Havlucu", slug="havlucu")
    described = f.product(channels=[web], name="Plaj Seti")
    described.description_tr = "İçinde iki havlu ve bir çanta."
    described.save(update_fields=["description_tr"])
    f.product(channels=[web], name="Bornoz", brand=brand)
    f.product(channels=[web], name="Pamuklu Havlu")
    f.product(channels=[web], name="Havlu Takımı")
    assert found(api, "havlu") == ["havlu-takimi", "pamuklu-havlu", "plaj-seti", "bornoz"]
    # An order asked for wins over relevance.
    assert found(api, "havlu", ordering="name") == [
        "bornoz",
        "havlu-takimi",
        "pamuklu-havlu",
        "plaj-seti",
    ]


def test_an_exact_name_ranks_over_a_resembling_one(api, web):
    f.product(channels=[web], name="Etek")
    f.product(channels=[web], name="Kloş Etek")
    f.product(channels=[web], name="Eteklik Kumaş")
    assert found(api, "etek") == ["etek", "eteklik-kumas", "klos-etek"]


def test_search_keeps_the_list_query_count(api, web):
    for n in range(3):
        f.product(channels=[web], name=f"Gömlek {n}")
    with assert_num_queries(4):
        assert len(found(api, "gomlek")) == 3
    for n in range(3, 12):
        f.product(channels=[web], name=f"Gömlek {n}")
    with assert_num_queries(4):
        assert len(found(api, "gomlek")) == 12


def test_suggestions_for_the_app(api, web):
    f.product(channels=[web], name="İçlik Atlet", price="129.90")
    f.product(channels=[web], name="Deri Bot")
    response = api.get("/api/v1/search/suggestions/", {"channel": "web", "q": "icl"})
    assert response.status_code == 200, response.content
    assert response.json() == [
        {
            "slug": "iclik-atlet",
            "name": "İçlik Atlet",
            "price": {"amount": "129.90", "currency": "TRY"},
        }
    ]
    assert api.get("/api/v1/search/suggestions/", {"channel": "web", "q": "i"}).json() == []
    too_long = api.get("/api/v1/search/suggestions/", {"channel": "web", "q": "x" * 101})
    assert too_long.status_code == 400 and "q" in too_long.json()["fields"]


def test_suggestions_query_count(api, web):
    for n in range(2):
        f.product(channels=[web], name=f"Gömlek {n}")
    with assert_num_queries(2):  # the channel, the products
        assert (
            len(api.get("/api/v1/search/suggestions/", {"channel": "web", "q": "gom"}).json()) == 2
        )
    for n in range(2, 10):
        f.product(channels=[web], name=f"Gömlek {n}")
    with assert_num_queries(2):
        assert (
            len(api.get("/api/v1/search/suggestions/", {"channel": "web", "q": "gom"}).json()) == 6
        )


def test_short_words_are_not_guessed_at(api, web):
    f.product(channels=[web], name="Bornoz")
    f.product(channels=[web], name="Deri Bot")
    assert found(api, "bot") == ["deri-bot"]


def test_a_word_found_as_typed_is_not_taken_for_a_typo(api, web):
    f.product(channels=[web], name="Banyo Havlusu")
    f.product(channels=[web], name="Havuç Pantolon")
    assert found(api, "havlu") == ["banyo-havlusu"]
    assert found(api, "havuc") == ["havuc-pantolon"]
    # No product holds "havlo": a typo, the closest first.
    assert found(api, "havlo") == ["banyo-havlusu", "havuc-pantolon"]
