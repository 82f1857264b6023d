"""omni.search's Python functions (what SQLite runs) give PostgreSQL's answers: omni_fold()
over unaccent, and pg_trgm's word_similarity() and `<%` threshold, on generated Turkish text."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omni.search import WORD_SIMILARITY_THRESHOLD, fold, word_similarity

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TURKISH = "abcçdefgğhıijklmnoöprsştuüvyzâîûqwxABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZÂÎÛQWX"
# Turkish text as typed: letters of both cases, digits, spaces and the usual punctuation, and
# the other Latin accents a brand name may carry (unaccent's rules for them).
text = st.text(alphabet=TURKISH + "0123456789  -.,'/%&()éèàñ", max_size=40)
words = st.lists(st.text(alphabet=TURKISH, min_size=1, max_size=10), min_size=1, max_size=5).map(
    " ".join
)
slow = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _postgres():
    if connection.vendor != "postgresql":
        pytest.skip("compares with PostgreSQL")


def _sql(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@slow
@given(value=text)
def test_fold_is_postgresqls_omni_fold(value):
    assert fold(value) == _sql("SELECT omni_fold(%s)", [value])[0]


@slow
@given(needle=words, haystack=text)
def test_word_similarity_and_its_threshold_are_pg_trgms(needle, haystack):
    needle, haystack = fold(needle), fold(haystack)
    similarity, resembles = _sql(
        "SELECT word_similarity(%s, %s)::float8, %s <%% %s", [needle, haystack, needle, haystack]
    )
    assert word_similarity(needle, haystack) == pytest.approx(similarity, abs=0)
    assert (word_similarity(needle, haystack) >= WORD_SIMILARITY_THRESHOLD) is resembles


@pytest.mark.parametrize(
    ("needle", "haystack"),
    [
        ("gomlek", "keten gomlek"),
        ("gomlk", "keten gomlek"),
        ("pantelon", "kumas pantolon"),
        ("ayse", "ayse kaya"),
        ("a", "abc"),
        ("", "abc"),
        ("etek", "kloş etek eteklik"),
        ("iclik", "iclik atlet iclik"),
    ],
)
def test_known_pairs(needle, haystack):
    (similarity,) = _sql("SELECT word_similarity(%s, %s)::float8", [needle, haystack])
    assert word_similarity(needle, haystack) == similarity


def test_the_connection_uses_the_shared_threshold():
    (threshold,) = _sql("SHOW pg_trgm.word_similarity_threshold", [])
    assert float(threshold) == WORD_SIMILARITY_THRESHOLD


def test_folding_examples():
    assert [fold(s) for s in ("GÖMLEK", "İçlik", "IĞDIR", "Ayşe", "Café")] == [
        "gomlek",
        "iclik",
        "igdir",
        "ayse",
        "cafe",
    ]
