"""Text search that understands Turkish, the same on PostgreSQL and on SQLite.

Shoppers and staff type without Turkish letters and in any case: `gomlek`, `Gomlek` and
`GÖMLEK` must find "gömlek", `içlik` must find "İçlik", `ayse` must find "Ayşe". Both sides of
every comparison are *folded* first: Turkish case pairs (İ/i, I/ı) and the diacritics
(ç ğ ı ö ş ü, â î û, and the other Latin accents) are taken off and the result is lower case,
so "İçlik", "içlik", "ICLIK" and "iclik" all read "iclik". A typo is forgiven through
pg_trgm's word similarity (the share of the typed word's trigrams found in a stretch of the
text, threshold WORD_SIMILARITY_THRESHOLD).

On PostgreSQL the database's own tools do it: `omni_fold(text)`, an IMMUTABLE SQL function
over `unaccent` (created by migration omni 0003, so that expression indexes can be built on
it), and pg_trgm's `word_similarity()` and its index-backed `<%` operator. On SQLite (the
embedded default) functions of the same names, written here in Python, are registered on every
connection (register_sqlite_functions), so the ORM expressions below run unchanged.
tests/omni/test_search_parity.py checks that fold() and word_similarity() give PostgreSQL's
answers on generated Turkish text.

Domain code builds its rule from words_match() / Fold / Resembles; the rule for products lives
in catalog.search, the one for customers' names in customers.selectors.
"""

from __future__ import annotations

import struct
import unicodedata
from collections.abc import Iterable, Sequence

from django.db.models import Expression, F, Func, Q, TextField
from django.db.models.fields import BooleanField, FloatField
from django.db.models.lookups import Contains, StartsWith

# pg_trgm's `<%` answers true from this word similarity on; PostgreSQL reads it from the
# pg_trgm.word_similarity_threshold setting, which omni/settings/base.py sets on each
# connection (postgres_search) to this value. 0.5 forgives one wrong letter in a word of eight
# ("pantelon" finds "pantolon"), which pg_trgm's default 0.6 does not.
WORD_SIMILARITY_THRESHOLD = 0.5

# The characters PostgreSQL's translate() in omni_fold() maps before unaccent: the Turkish
# letters whose lower case differs from the default rules (the dotted capital İ and the
# dotless ı, both "i" once folded), written out so neither side depends on a locale.
TURKISH_FROM = "İIıÇĞÖŞÜÂÎÛçğöşüâîû"
TURKISH_TO = "iiicgosuaiucgosuaiu"
_TURKISH = str.maketrans(TURKISH_FROM, TURKISH_TO)
_LPADDING, _RPADDING = 2, 1


def fold(text: str | None) -> str:
    """`text` as search compares it: Turkish letters and other accents taken off, lower case.
    The Python twin of the SQL function omni_fold()."""
    if text is None:
        return ""
    text = text.translate(_TURKISH)
    if not text.isascii():
        # unaccent's rules, for the other Latin letters: a letter with a mark is its base.
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
    return text.lower()


def search_words(query: str | None, *, limit: int = 8) -> list[str]:
    """The folded words of what was typed (at most `limit`, longest kept whole)."""
    return fold(" ".join((query or "").split()[:limit])).split()


# --- pg_trgm's word similarity, in Python ------------------------------------------------------


def _words(text: str) -> Iterable[str]:
    word: list[str] = []
    for ch in text:
        if ch.isalnum():
            word.append(ch)
        elif word:
            yield "".join(word)
            word = []
    if word:
        yield "".join(word)


def _trigrams(text: str) -> list[str]:
    """pg_trgm's generate_trgm_only(): each alphanumeric word, lower case, padded with two
    spaces before and one after, cut into every run of three characters, in order."""
    found: list[str] = []
    for word in _words(text):
        padded = " " * _LPADDING + word.lower() + " " * _RPADDING
        found.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def _float4(value: float) -> float:
    # pg_trgm computes in single precision; a double quotient of two small integers rounded
    # to single is the correctly rounded single quotient.
    return struct.unpack("f", struct.pack("f", value))[0]


def word_similarity(needle: str | None, haystack: str | None) -> float:
    """pg_trgm's word_similarity(needle, haystack): the greatest trigram similarity between
    the needle and a continuous stretch of the haystack's trigrams. A line-for-line port of
    calc_word_similarity() and iterate_word_similarity() (contrib/pg_trgm/trgm_op.c), plain
    (not strict) and computing the maximum."""
    if needle is None or haystack is None:
        return 0.0
    trg1, trg2 = _trigrams(needle), _trigrams(haystack)
    needle_set = set(trg1)
    ulen1 = len(needle_set)
    # Every distinct trigram gets an index; found[] says whether the needle holds it.
    index_of: dict[str, int] = {}
    for trigram in trg2:
        index_of.setdefault(trigram, len(index_of))
    found = [trigram in needle_set for trigram in index_of]
    trg2indexes = [index_of[trigram] for trigram in trg2]

    def sml(count: int, len2: int) -> float:
        return _float4(count / (ulen1 + len2 - count))

    lastpos = [-1] * len(index_of)
    ulen2 = count = 0
    lower = upper = -1
    smlr_max = 0.0
    for i, trgindex in enumerate(trg2indexes):
        if lower >= 0 or found[trgindex]:
            if lastpos[trgindex] < 0:
                ulen2 += 1
                if found[trgindex]:
                    count += 1
            lastpos[trgindex] = i
        if not found[trgindex]:
            continue
        upper = i
        if lower == -1:
            lower = i
            ulen2 = 1
        smlr_cur = sml(count, ulen2)
        tmp_count, tmp_ulen2, prev_lower = count, ulen2, lower
        for tmp_lower in range(lower, upper + 1):
            smlr_tmp = sml(tmp_count, tmp_ulen2)
            if smlr_tmp > smlr_cur:
                smlr_cur, ulen2, lower, count = smlr_tmp, tmp_ulen2, tmp_lower, tmp_count
            tmp_trgindex = trg2indexes[tmp_lower]
            if lastpos[tmp_trgindex] == tmp_lower:
                tmp_ulen2 -= 1
                if found[tmp_trgindex]:
                    tmp_count -= 1
        smlr_max = max(smlr_max, smlr_cur)
        for tmp_lower in range(prev_lower, lower):
            tmp_trgindex = trg2indexes[tmp_lower]
            if lastpos[tmp_trgindex] == tmp_lower:
                lastpos[tmp_trgindex] = -1
    return smlr_max


def _strict(function):
    # PostgreSQL's functions are STRICT: NULL in, NULL out.
    def call(*args):
        return None if any(arg is None for arg in args) else function(*args)

    return call


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created receiver: SQLite gets omni_fold() and word_similarity(), so the
    same SQL runs there (the embedded default)."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("omni_fold", 1, _strict(fold), deterministic=True)
    raw.create_function("word_similarity", 2, _strict(word_similarity), deterministic=True)


# --- ORM expressions ---------------------------------------------------------------------------


class Fold(Func):
    """omni_fold(expression): PostgreSQL's indexed function, or its Python twin on SQLite."""

    function = "omni_fold"
    output_field = TextField()


class WordSimilarity(Func):
    function = "word_similarity"
    output_field = FloatField()


class Resembles(Func):
    """True where the folded `query` is word-similar to `expression` (a typo forgiven):
    pg_trgm's `<%` operator on PostgreSQL, which a trigram index on the expression serves, and
    the same comparison written out on SQLite."""

    output_field = BooleanField()
    arity = 2

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        needle, haystack = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"word_similarity({needle[0]}, {haystack[0]}) >= {WORD_SIMILARITY_THRESHOLD}"
        return sql, [*needle[1], *haystack[1]]

    def as_postgresql(self, compiler, connection, **extra_context):
        needle, haystack = (compiler.compile(e) for e in self.get_source_expressions())
        return f"({needle[0]} <%% {haystack[0]})", [*needle[1], *haystack[1]]


def folded(field: str | Expression) -> Fold:
    return Fold(F(field) if isinstance(field, str) else field)


def words_match(
    fields: Sequence[str | Expression],
    words: Sequence[str],
    *,
    prefix: bool = False,
    stored: bool = False,
) -> Q | None:
    """Every word (already folded: search_words()) found in one of the fields, folded: inside
    it, or at its start with `prefix`. `stored`: the fields hold folded text already (a
    generated column). None when there is no word."""
    if not words:
        return None
    lookup = StartsWith if prefix else Contains
    match = Q()
    for word in words:
        any_field = Q()
        for field in fields:
            column = (F(field) if isinstance(field, str) else field) if stored else folded(field)
            any_field |= Q(lookup(column, word))
        match &= any_field
    return match
