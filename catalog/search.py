"""The one rule by which every search finds products: the shopper's listing and the API
(catalog.filters), suggestions as the shopper types, the till's product search and the staff
stock search (staff.selectors).

A product is found when every word typed (folded: omni.search) is inside its name (either
language), its description or its brand's name, or, for a word no product holds, resembles a
word of its name (a typo forgiven: pg_trgm's word similarity), or when what was typed is
exactly one of its variants' SKU or barcode. Found products rank by where they matched: a
name that starts with what was typed, then every word in the name, then in the name and
description, then the rest (the brand, a typo); ties by how closely the name resembles what
was typed, then newest first.

Products keep their folded names and descriptions in two generated columns (search_name,
search_text), so neither matching nor ranking folds a row at query time. On PostgreSQL the
words and the resemblance are answered by the columns' trigram indexes (migration catalog
0005) inside one subquery per word, the codes by their unique indexes.
"""

from __future__ import annotations

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.lookups import StartsWith

from catalog.models import Brand, Product, ProductVariant
from omni.search import Resembles, WordSimilarity, search_words, words_match

NAME = "search_name"
TEXTS = ("search_name", "search_text")
# Typed text beyond this is cut (a search box, not a document).
QUERY_MAX = 100
# A typo is forgiven in words of this many letters or more: in shorter ones, two shared
# trigrams already pass the threshold ("bot" would find "bornoz").
TYPO_MIN = 4


def _holding(word: str) -> Q:
    """Products whose folded name or description holds the word, or, when none does, whose
    name resembles it. Read in a subquery of its own so that PostgreSQL answers it from the
    trigram indexes alone (an OR with the brand and code conditions outside would otherwise
    make it test every row)."""
    inside = words_match(TEXTS, [word], stored=True)
    assert inside is not None
    if len(word) >= TYPO_MIN:
        # Only a word no product holds as typed is taken for a typo: "havlu" finds the
        # towels, not "havuç" as well. The check does not depend on the row, so the database
        # answers it once per search.
        held = Product.objects.filter(inside)
        inside |= Q(Resembles(Value(word), F(NAME))) & ~Q(Exists(held))
    return Q(pk__in=Product.objects.filter(inside).values("pk"))


def _of_brand(word: str) -> Q:
    match = words_match(["name"], [word])
    return Q(Exists(Brand.objects.filter(match, pk=OuterRef("brand_id"))))


def product_match(query: str) -> Q | None:
    """The condition on Product for what was typed, or None when nothing was typed."""
    raw = (query or "").strip()[:QUERY_MAX]
    words = search_words(raw)
    if not words:
        return None
    match = Q()
    for word in words:
        match &= _holding(word) | _of_brand(word)
    by_code = ProductVariant.objects.filter(
        Q(sku=raw) | Q(sku=raw.upper()) | Q(barcode=raw)
    ).values("product_id")
    return match | Q(pk__in=by_code)


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
    closeness = WordSimilarity(Value(phrase), F(name))
    return [rank.desc(), closeness.desc(), f"-{path}created_at", f"-{path}id"]


def products_search(products: QuerySet, query: str) -> QuerySet:
    """`products` (a queryset of Product) narrowed to those found for `query`, most relevant
    first. An empty query narrows nothing."""
    match = product_match(query)
    if match is None:
        return products
    return products.filter(match).order_by(*product_relevance(query))
