"""The one rule by which every search finds products: the shopper's listing and the API
(catalog.filters), suggestions as the shopper types, the till's product search and the staff
stock search (staff.selectors).

A product is found when every word typed (folded: omni.search) is inside its name (either
language), its description or its brand's name, or, for a word no product holds, resembles a
word of its name (a typo forgiven: pg_trgm's word similarity), or when what was typed is
exactly one of its variants' SKU or barcode. Found products rank by where they matched: a
name that starts with what was typed, then every word in the name, then in the name and
description, then the rest (the brand, a typo); ties by the shortest name (the closest to what
was typed), then newest first.

Products keep their folded names and descriptions in two generated columns (search_name,
search_text), so neither matching nor ranking folds a row at query time. On PostgreSQL the
words and the resemblance are answered by the columns' trigram indexes (migration catalog
0005), the codes by their unique indexes (product_match).
"""

from __future__ import annotations

from django.db.models import Case, Exists, F, Q, QuerySet, Value, When
from django.db.models.functions import Length
from django.db.models.lookups import StartsWith

from catalog.models import Brand, Product, ProductVariant
from omni.search import Resembles, search_words, words_match

NAME = "search_name"
TEXTS = ("search_name", "search_text")
# Typed text beyond this is cut (a search box, not a document).
QUERY_MAX = 100
# A typo is forgiven in words of this many letters or more: in shorter ones, two shared
# trigrams already pass the threshold ("bot" would find "bornoz").
TYPO_MIN = 4


def _typo(word: str) -> Q:
    """The name resembles the word, when no product holds it as typed: "havlu" finds the
    towels, not "havuç" as well (the check does not depend on the row, so the database
    answers it once per search). Short words are not guessed at (TYPO_MIN)."""
    if len(word) < TYPO_MIN:
        return Q(pk__in=[])
    held = Product.objects.filter(words_match(TEXTS, [word], stored=True))
    return ~Q(Exists(held)) & Q(Resembles(Value(word), F(NAME)))


def _brands(word: str) -> QuerySet:
    return Brand.objects.filter(words_match(["name"], [word])).values("pk").order_by()


def product_match(query: str) -> Q | None:
    """The condition on Product for what was typed, or None when nothing was typed.

    The candidates are one `id IN (... UNION ALL ...)` of parts each answered from an index:
    every word in the texts or a typo of the name (the trigram indexes, ANDed), the products
    of a brand a word names, the SKU or barcode; PostgreSQL joins the rest from the few ids
    found (a plain OR of those conditions would make it test every product). Each word is
    then checked on the candidates alone, on the stored folded columns."""
    raw = (query or "").strip()[:QUERY_MAX]
    words = search_words(raw)
    if not words:
        return None
    by_code = (
        ProductVariant.objects.filter(Q(sku=raw) | Q(sku=raw.upper()) | Q(barcode=raw))
        .values("product_id")
        .order_by()
    )
    each_word = [
        words_match(TEXTS, [word], stored=True) | _typo(word)  # type: ignore[operator]
        for word in words
    ]
    in_texts = Product.objects.filter(*each_word).values("pk").order_by()
    of_brands = [
        Product.objects.filter(brand__in=_brands(word)).values("pk").order_by() for word in words
    ]
    if len(words) == 1:
        # The candidates are the answer.
        return Q(pk__in=in_texts.union(*of_brands, by_code, all=True))
    # Several words: a product with every word in its texts (or a typo of its name) is found;
    # one of a brand a word names must hold each other word somewhere. Only those brand
    # candidates are rechecked (an OR and an AND stop at their first answer), the typo last,
    # word_similarity being the dear check.
    rechecked = Product.objects.filter(pk__in=in_texts.none().union(*of_brands, all=True))
    for word in words:
        rechecked = rechecked.filter(
            words_match(TEXTS, [word], stored=True)  # type: ignore[operator]
            | Q(brand__in=_brands(word))
            | _typo(word)
        )
    # One IN of one UNION ALL, which PostgreSQL answers as a semi-join of the few ids found
    # (an OR of three INs made it scan every product and test each against all three).
    return Q(pk__in=in_texts.union(by_code, rechecked.values("pk").order_by(), all=True))


def product_relevance(query: str, *, path: str = "") -> list:
    """The order_by() terms that put the most relevant products first (module docstring);
    `path` leads from the model ordered to its product ("product__" for variants)."""
    words = search_words((query or "").strip()[:QUERY_MAX])
    if not words:
        return [f"-{path}created_at", f"-{path}id"]
    phrase = " ".join(words)
    name = path + NAME
    rank = Case(
        When(Q(StartsWith(F(name), phrase)), then=Value(4)),
        When(words_match([name], words, stored=True), then=Value(3)),
        When(words_match([path + text for text in TEXTS], words, stored=True), then=Value(2)),
        default=Value(1),
    )
    # Within a rank the shortest name is the closest to what was typed (it holds the words
    # with the least else): as good a tie-break as pg_trgm's word similarity for names that
    # already hold every word, at a tenth of its cost over thousands of found products.
    return [rank.desc(), Length(F(name)).asc(), f"-{path}created_at", f"-{path}id"]


def products_search(products: QuerySet, query: str) -> QuerySet:
    """`products` (a queryset of Product) narrowed to those found for `query`, most relevant
    first. An empty query narrows nothing."""
    match = product_match(query)
    if match is None:
        return products
    return products.filter(match).order_by(*product_relevance(query))
