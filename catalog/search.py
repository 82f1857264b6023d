"""The one rule by which every search finds products: the shopper's listing and the API
(catalog.filters), suggestions as the shopper types, the till's product search and the staff
stock search (staff.selectors).

A product is found when every word typed (folded: omni.search) is inside its name (either
language), its brand or its description, or resembles a word of its name (a typo forgiven:
pg_trgm's word similarity), or when what was typed is exactly one of its variants' SKU or
barcode. Found products rank by where they matched: a name that starts with what was typed,
then every word in the name, then in the name or brand, then anywhere (the description), then
by resemblance only; ties by how closely the name resembles it, then newest first.

On PostgreSQL each branch is answered by an index: the trigram indexes on the folded columns
(migration catalog 0004) for the words and the resemblance, the unique indexes for the codes.
"""

from __future__ import annotations

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import StartsWith

from catalog.models import Brand, ProductVariant
from omni.search import Fold, Resembles, WordSimilarity, folded, search_words, words_match

NAMES = ("name_tr", "name_en")
TEXTS = (*NAMES, "description_tr", "description_en")
# Typed text beyond this is cut (a search box, not a document).
QUERY_MAX = 100
# A typo is forgiven in words of this many letters or more: in shorter ones, two shared
# trigrams already pass the threshold ("bot" would find "bornoz").
TYPO_MIN = 4


def _brands(words: list[str]) -> Q:
    """Products of a brand holding every word. Brand names are few and short: read through
    their own small table (and trigram index) in a subquery."""
    match = words_match(["name"], words)
    return Q(Exists(Brand.objects.filter(match, pk=OuterRef("brand_id"))))


def product_match(query: str) -> Q | None:
    """The condition on Product for what was typed, or None when nothing was typed."""
    raw = (query or "").strip()[:QUERY_MAX]
    words = search_words(raw)
    if not words:
        return None
    by_code = ProductVariant.objects.filter(
        Q(sku=raw) | Q(sku=raw.upper()) | Q(barcode=raw)
    ).values("product_id")
    # Every word in one of the texts or in the brand's name ("koton gomlek"), or resembling
    # a word of the name (a typo).
    match = Q()
    for word in words:
        one = words_match(TEXTS, [word]) | _brands([word])  # type: ignore[operator]
        if len(word) >= TYPO_MIN:
            for name in NAMES:
                one |= Q(Resembles(Value(word), folded(name)))
        match &= one
    match |= Q(pk__in=by_code)
    return match


def product_relevance(query: str, *, path: str = "") -> list:
    """The order_by() terms that put the most relevant products first (module docstring);
    `path` leads from the model ordered to its product ("product__" for variants)."""
    words = search_words((query or "").strip()[:QUERY_MAX])
    if not words:
        return [f"-{path}created_at", f"-{path}id"]
    phrase = " ".join(words)
    names = [path + name for name in NAMES]
    texts = [path + text for text in TEXTS]
    rank = Case(
        *(When(Q(StartsWith(folded(name), phrase)), then=Value(5)) for name in names),
        When(words_match(names, words), then=Value(4)),
        When(words_match([*names, f"{path}brand__name"], words), then=Value(3)),
        When(words_match(texts, words), then=Value(2)),
        default=Value(1),
    )
    closeness = Greatest(
        *(WordSimilarity(Value(phrase), Fold(Coalesce(F(name), Value("")))) for name in names)
    )
    return [rank.desc(), closeness.desc(), f"-{path}created_at", f"-{path}id"]


def products_search(products: QuerySet, query: str) -> QuerySet:
    """`products` (a queryset of Product) narrowed to those found for `query`, most relevant
    first. An empty query narrows nothing."""
    match = product_match(query)
    if match is None:
        return products
    return products.filter(match).order_by(*product_relevance(query))
