"""A SearchRequest in, a SearchPage out: restrict, rank, collapse and count, page, hits.

Works on an open Whoosh searcher handed in by the engine and returns plain
frozen dataclasses; nothing here keeps a Whoosh object past the call.

* **restrict**: filters from the query text and from the request become one
  non-scoring restriction (a bad filter value is an error when strict, a
  notice otherwise);
* **rank**: the parsed query is evaluated (:mod:`indexer.matching`) and each
  score scaled by its paragraph kind;
* **collapse and count**: identical paragraphs, or near-duplicate articles when
  grouped, share a group; totals count paragraphs, articles and what is shown;
* **page**: the best matches of the requested page, at most ``per_article``
  per group;
* **hits**: each shown match copied out of the index with its snippet, plus
  facets and the coverage chart when asked for.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from . import filters
from .columns import DocTable, doc_table
from .config import IndexConfig
from .errors import QueryError
from .facets import coverage, facet_counts
from .highlighting import snippet
from .matching import Matches, evaluate
from .models import Bucket, FacetValue, Hit, SearchPage, paragraph_kind
from .parsing import expand_query, parse, suggest
from .request import SearchRequest
from .scoring import weighting_factors


@dataclass(frozen=True)
class Restriction:
    """Stage 1: the words left to parse, the filters in force and the query they make."""

    words: str
    active: tuple[tuple[str, str], ...]
    query: wq.Query | None
    notice: str | None


def restriction_query(pairs: tuple[tuple[str, str], ...]) -> wq.Query | None:
    """One query every result must match (None without filters); QueryError for a bad value."""
    parts: list[wq.Query] = []
    for name, value in pairs:
        kind = filters.BY_NAME[filters.check_name(name)].kind
        if kind == "date":
            r = filters.date_range(value)
            parts.append(
                wq.TermRange("date", r.low, r.high, startexcl=r.low_excl, endexcl=r.high_excl)
            )
        elif kind == "keyword":
            parts.append(wq.Or([wq.Term(name, v) for v in filters.keyword_values(value)]))
        elif kind == "words":
            parts.append(wq.And([wq.Term(name, w) for w in filters.author_words(value)]))
        else:
            parts.append(wq.Term(name, value))
    if not parts:
        return None
    return wq.And(parts) if len(parts) > 1 else parts[0]


def restrict(request: SearchRequest) -> Restriction:
    words, in_query = filters.extract(request.query)
    active = filters.normalize({**in_query, **dict(request.filters)})
    try:
        return Restriction(words, active, restriction_query(active), None)
    except QueryError as exc:
        if request.strict:
            raise
        return Restriction(words, (), None, f"Filters were ignored: {exc}.")


@dataclass(frozen=True)
class Ranked:
    """Stage 2: every match, its final score, and the terms to highlight."""

    found: Matches
    scores: np.ndarray
    terms: frozenset[str]


def rank(searcher: Searcher, table: DocTable, q: wq.Query, terms: frozenset[str]) -> Ranked:
    found = evaluate(searcher, table, q)
    kinds, kind_values = table.codes("kind")
    factors = weighting_factors(searcher, kind_values)
    return Ranked(found, found.scores * factors[kinds[found.ids]], terms)


@dataclass(frozen=True)
class Counts:
    """Stage 3: group of each match (None: none), the counts the page shows."""

    total: int
    articles: int
    shown: int
    key_field: str | None
    groups: np.ndarray | None
    group_sizes: np.ndarray | None
    arts: np.ndarray
    per_art: np.ndarray


def collapse_and_count(table: DocTable, found: Matches, request: SearchRequest) -> Counts:
    # Collapse near-duplicate articles (grouped) or identical paragraphs; with
    # copies shown, grouped results still collapse on the article itself.
    if request.grouped:
        key_field: str | None = "dup" if request.collapse_similar else "article_id"
    else:
        key_field = "phash" if request.collapse_similar else None
    article_codes, article_values = table.codes("article_id")
    arts = article_codes[found.ids]
    per_art = np.bincount(arts, minlength=len(article_values))
    total = len(found)
    articles = int(np.count_nonzero(per_art))
    groups = table.codes(key_field)[0][found.ids] if key_field else None
    group_sizes = np.bincount(groups) if groups is not None and len(groups) else None
    if request.grouped:
        shown = articles
    elif group_sizes is not None:
        shown = int(group_sizes[0] + np.count_nonzero(group_sizes[1:]))
    else:
        shown = total
    return Counts(total, articles, shown, key_field, groups, group_sizes, arts, per_art)


def order_key(table: DocTable, found: Matches, scores: np.ndarray, sort: str) -> np.ndarray:
    """Smaller is better: minus the score, or the date rank for newest/oldest."""
    if sort == "relevance":
        return -scores
    codes, values = table.codes("date")
    rank_of = np.argsort(np.argsort(np.asarray(values, dtype=object), kind="stable"), kind="stable")
    dates: np.ndarray = rank_of[codes[found.ids]].astype(np.float64)
    return -dates if sort == "newest" else dates


def top(
    found: Matches, key: np.ndarray, groups: np.ndarray | None, per_group: int, want: int
) -> list[int]:
    """Positions of the best ``want`` matches (ties: lower docnum), at most ``per_group`` per group.

    Group code 0 (no key) never collapses. Only a prefix of the ranking is
    sorted, widened until it yields enough: a document's group rank depends
    only on the documents ranked above it, which the prefix holds.
    """
    n = len(found)
    take = min(n, max(4 * want, 64))
    while True:
        if take < n:
            cut = np.partition(key, take - 1)[take - 1]
            cand = np.flatnonzero(key <= cut)
        else:
            cand = np.arange(n)
        cand = cand[np.lexsort((found.ids[cand], key[cand]))]
        chosen: list[int] = []
        taken: Counter[int] = Counter()
        codes = groups[cand].tolist() if groups is not None else None
        for i, pos in enumerate(cand.tolist()):
            if codes is not None and codes[i]:
                if taken[codes[i]] >= per_group:
                    continue
                taken[codes[i]] += 1
            chosen.append(pos)
            if len(chosen) >= want:
                return chosen
        if len(cand) >= n:
            return chosen
        take *= 4


def hit(
    searcher: Searcher,
    docnum: int,
    score: float,
    terms: frozenset[str],
    config: IndexConfig,
    other: int,
    similar: int,
    dup: str,
    snippets: bool,
) -> Hit:
    """One match copied out of the index (stored fields and a snippet)."""
    f = searcher.stored_fields(docnum)
    text = f.get("text", "")
    return Hit(
        article_id=f["article_id"],
        title=f.get("title", ""),
        paragraph_no=f["paragraph_no"],
        paragraph_count=f.get("paragraph_count", 0),
        kind=paragraph_kind(f.get("kind", "body")),
        heading=f.get("heading"),
        score=score,
        text=text,
        snippet_html=snippet(text, terms, config.stemmer, config.snippet_chars) if snippets else "",
        other_matches=other,
        date=f.get("date"),
        source=f.get("source"),
        section=f.get("section"),
        similar=similar,
        dup=dup or None,
    )


def hits(
    searcher: Searcher,
    table: DocTable,
    ranked: Ranked,
    counts: Counts,
    chosen: list[int],
    request: SearchRequest,
    config: IndexConfig,
) -> tuple[Hit, ...]:
    """Stage 5: the page's matches as Hits, with "+k more" and "and N similar"."""
    found, groups, sizes = ranked.found, counts.groups, counts.group_sizes
    dup_codes, dup_values = table.codes("dup")
    out = []
    for pos in chosen:
        docnum = int(found.ids[pos])
        dup = dup_values[dup_codes[docnum]]
        other = similar = 0
        if request.grouped:
            other = int(counts.per_art[counts.arts[pos]]) - 1
            if counts.key_field == "dup" and dup and groups is not None:
                similar = len(np.unique(counts.arts[groups == groups[pos]])) - 1
        elif (
            counts.key_field == "phash" and groups is not None and sizes is not None and groups[pos]
        ):
            similar = int(sizes[groups[pos]]) - 1
        score = float(ranked.scores[pos]) if request.sort == "relevance" else 0.0  # 0 by date
        out.append(
            hit(
                searcher, docnum, score, ranked.terms, config, other, similar, dup, request.snippets
            )
        )
    return tuple(out)


def facets_of(
    table: DocTable, found: Matches, counts: Counts
) -> tuple[tuple[tuple[str, tuple[FacetValue, ...]], ...], tuple[Bucket, ...]]:
    """Facet counts and the coverage chart over the matching articles."""
    rep = np.zeros(len(counts.per_art), dtype=np.int64)  # one matching paragraph per article
    rep[counts.arts] = found.ids
    docs = rep[np.flatnonzero(counts.per_art)]
    return tuple(facet_counts(table, docs).items()), coverage(table, docs)


def run(
    searcher: Searcher,
    request: SearchRequest,
    config: IndexConfig,
    expansion: dict[str, float] | None = None,
) -> SearchPage:
    """One page for ``request`` (already :meth:`~SearchRequest.bounded` by the engine).

    ``expansion`` (index term -> boost, from :mod:`indexer.feedback`) adds
    pseudo-relevance feedback terms to the parsed query.
    """
    text, grouped, per_page, page = request.query, request.grouped, request.per_page, request.page
    if len(text) > config.max_query_length:
        message = (
            f"the query is {len(text)} characters long; the limit is "
            f"{config.max_query_length}: shorten it"
        )
        if request.strict:
            raise QueryError(message)
        return SearchPage(text, 0, 0, 1, 0, per_page, (), notice=message.capitalize() + ".")
    # 1. restrict
    r = restrict(request)
    parsed = parse(searcher, r.words, config, request.strict) if r.words.strip() else None
    notice = r.notice or (parsed.notice if parsed else None)
    if parsed is None or parsed.query is wq.NullQuery:
        if r.query is None:
            if r.words.strip() and notice is None:
                notice = (
                    "The query has only very common words (such as 'the'), which are not indexed."
                )
            return SearchPage(
                text,
                0,
                0,
                1,
                0,
                per_page,
                (),
                suggest(searcher, r.words),
                notice,
                grouped=grouped,
                sort=request.sort,
                filters=r.active,
            )
        q: wq.Query = wq.Every()
        terms: frozenset[str] = frozenset()
    else:
        q, terms = parsed.query, parsed.terms
        if expansion:
            q = expand_query(q, expansion, config)
    if r.query is not None:
        q = wq.And([q, wq.ConstantScoreQuery(r.query, 0.0)])
    # 2. rank
    table = doc_table(searcher)
    ranked = rank(searcher, table, q, terms)
    # 3. collapse and count
    counts = collapse_and_count(table, ranked.found, request)
    # 4. page
    limit = page * per_page
    chosen = top(
        ranked.found,
        order_key(table, ranked.found, ranked.scores, request.sort),
        counts.groups,
        request.per_article or 1,
        limit,
    )
    pages = (
        max(1, math.ceil(min(counts.shown, config.max_results) / per_page)) if counts.shown else 0
    )
    # 5. hits, facets
    shown = hits(
        searcher, table, ranked, counts, chosen[(page - 1) * per_page : limit], request, config
    )
    facet_values, buckets = facets_of(table, ranked.found, counts) if request.facets else ((), ())
    return SearchPage(
        query=text,
        total=counts.total,
        articles=counts.articles,
        page=page,
        pages=pages,
        per_page=per_page,
        hits=shown,
        corrected_query=suggest(searcher, r.words) if r.words.strip() else None,
        notice=notice,
        grouped=grouped,
        sort=request.sort,
        filters=r.active,
        facets=facet_values,
        coverage=buckets,
    )
