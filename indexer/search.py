"""A SearchRequest in, a SearchPage out: restrict, rank, collapse and count, page, hits.

Works on an open Whoosh searcher handed in by the engine and returns plain
frozen dataclasses; nothing here keeps a Whoosh object past the call.

* **restrict**: filters from the query text and from the request become one
  mask over the documents (a bad filter value is an error when strict, a
  notice otherwise);
* **rank**: the parsed query is planned (:mod:`indexer.topk`). When every
  match is needed (facets, exact counts, date order) or there are few, all
  matches are scored; otherwise only enough to fill the requested page, and
  the total is counted up to ``count_limit`` ("more than 10,000");
* **collapse and count**: identical paragraphs, or near-duplicate articles when
  grouped, share a group; totals count paragraphs, articles and what is shown;
* **page**: the best matches of the requested page, at most ``per_article``
  per group;
* **hits**: each shown match copied out of the index with its snippet, "+k
  more" and "and N similar" counted for it, plus facets and the coverage
  chart when asked for.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from . import filters, topk
from .analysis import words as analyzed_words
from .columns import DocTable, doc_table
from .config import IndexConfig
from .errors import QueryError
from .facets import coverage, facet_counts
from .highlighting import snippet
from .matching import Evaluator, Matches, Stats
from .models import KIND_NAMES, Bucket, FacetValue, Hit, SearchPage, paragraph_kind
from .parsing import expand_query, parse, suggest
from .request import SearchRequest

# --- 1. restrict --------------------------------------------------------------------------


@dataclass(frozen=True)
class Restriction:
    """The words left to parse, the filters in force, and the documents they allow."""

    words: str
    active: tuple[tuple[str, str], ...]
    mask: np.ndarray | None
    notice: str | None


_MASKS: OrderedDict[tuple[int, tuple[tuple[str, str], ...]], np.ndarray] = OrderedDict()
_MASKS_KEPT = 16
_masks_lock = threading.Lock()


def restriction_mask(table: DocTable, pairs: tuple[tuple[str, str], ...]) -> np.ndarray | None:
    """The documents every filter allows (None without filters); QueryError for a bad value."""
    if not pairs:
        return None
    key = (id(table.live), pairs)
    with _masks_lock:
        found = _MASKS.get(key)
        if found is not None:
            _MASKS.move_to_end(key)
            return found
    mask = np.ones(table.size, dtype=bool)
    for name, value in pairs:
        mask &= _filter_mask(table, name, value)
    with _masks_lock:
        _MASKS[key] = mask
        while len(_MASKS) > _MASKS_KEPT:
            _MASKS.popitem(last=False)
    return mask


def _filter_mask(table: DocTable, name: str, value: str) -> np.ndarray:
    kind = filters.BY_NAME[filters.check_name(name)].kind
    if kind == "date":
        low, high = filters.date_range(value).days()
        days = table.date
        mask = days > 0
        if low is not None:
            mask &= days >= low
        if high is not None:
            mask &= days <= high
        return mask
    if kind == "kind":
        return np.isin(table.kind, [KIND_NAMES.index(k) for k in filters.kinds(value)])
    if kind == "exact":  # dup: one cluster's copies (a label), or one article alone
        dup = table.dup
        clusters = [c for c in np.unique(dup).tolist() if table.dup_label(c) == value]
        if not clusters:
            ids = table.article_ids()
            alone = [i for i, aid in enumerate(ids) if aid == value and i]
            return np.isin(table.article, alone) if alone else np.zeros(table.size, bool)
        return np.isin(dup, clusters)
    codes, values = table.article_codes(name)
    if kind == "keyword":
        wanted = set(filters.keyword_values(value))
        ok = [
            i
            for i, v in enumerate(values)
            if i and wanted & {part.strip().lower() for part in v.split(",")}
        ]
    else:  # words: every word of the value in the byline
        need = set(filters.author_words(value))
        ok = [i for i, v in enumerate(values) if i and need <= set(analyzed_words(v))]
    allowed = np.zeros(len(values), dtype=bool)
    allowed[ok] = True
    by_doc: np.ndarray = allowed[codes][table.article]
    return by_doc


def restrict(request: SearchRequest, table: DocTable) -> Restriction:
    words, in_query = filters.extract(request.query)
    active = filters.normalize({**in_query, **dict(request.filters)})
    try:
        return Restriction(words, active, restriction_mask(table, active), None)
    except QueryError as exc:
        if request.strict:
            raise
        return Restriction(words, (), None, f"Filters were ignored: {exc}.")


# --- 2. rank -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """The scored matches the page is cut from, and (when known) every match.

    ``found`` holds every match with its score when there are few (or the
    query has no plan); with many, only the best (top-k). ``matches`` is every
    match, unscored, when facets, exact counts or date order need it.
    """

    found: Matches
    terms: frozenset[str]
    matches: np.ndarray | None
    total: int
    total_exact: bool
    plan: topk.Plan | None = None


def rank(
    searcher: Searcher,
    table: DocTable,
    q: wq.Query,
    terms: frozenset[str],
    request: SearchRequest,
    config: IndexConfig,
    mask: np.ndarray | None,
    groups: np.ndarray | None,
    want: int,
) -> Ranked:
    stats = Stats(searcher, table)
    plan = topk.make_plan(q)
    if plan is None:
        found = _evaluate(searcher, table, stats, q, mask)
        return Ranked(found, terms, found.ids, len(found), True)
    limit = config.count_limit
    if topk.upper_bound(table, stats, plan) <= limit:  # few postings: score them all
        found = topk.exhaustive(table, stats, plan, mask)
        return Ranked(found, terms, found.ids, len(found), True, plan)
    if request.facets or request.exact_counts or request.sort != "relevance":
        matches = topk.match_set(table, stats, plan, mask)
        if request.sort != "relevance":  # date order: every match, no score needed
            return Ranked(
                Matches(matches, np.zeros(len(matches))), terms, matches, len(matches), True, plan
            )
        best = topk.top(table, stats, plan, want, groups, request.per_article or 1, mask)
        return Ranked(best, terms, matches, len(matches), True, plan)
    counted = topk.count(table, stats, plan, limit, mask)
    if counted.exact:
        found = topk.exhaustive(table, stats, plan, mask)
        return Ranked(found, terms, found.ids, len(found), True, plan)
    best = topk.top(table, stats, plan, want, groups, request.per_article or 1, mask)
    return Ranked(best, terms, None, counted.value, False, plan)


def _evaluate(
    searcher: Searcher, table: DocTable, stats: Stats, q: wq.Query, mask: np.ndarray | None
) -> Matches:
    """Any other query shape: every match, scored through the query tree."""
    found = Evaluator(searcher, table, stats).run(q)
    keep = table.kind[found.ids] < len(KIND_NAMES)  # never the vocabulary documents
    if mask is not None:
        keep &= mask[found.ids]
    factors = stats.kind_factors()
    ids = found.ids[keep]
    return Matches(ids, found.scores[keep] * factors[table.kind[ids]])


# --- 3. collapse and count ---------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """Group of each match (None: none) and the counts the page shows."""

    total: int
    total_exact: bool
    articles: int
    shown: int
    key: str | None
    groups: np.ndarray | None
    arts: np.ndarray


def group_codes(table: DocTable, request: SearchRequest) -> tuple[str | None, np.ndarray | None]:
    """What collapses: near-duplicate articles (grouped) or identical paragraphs; code 0 never."""
    if request.grouped:
        return ("dup", table.dup) if request.collapse_similar else ("article", table.article)
    if request.collapse_similar:
        return "phash", table.phash_groups
    return None, None


def collapse_and_count(
    table: DocTable,
    ranked: Ranked,
    request: SearchRequest,
    key: str | None,
    codes: np.ndarray | None,
) -> Counts:
    groups = codes[ranked.found.ids] if codes is not None else None
    if ranked.matches is None:  # only the best few are known: the totals are lower bounds
        arts = table.article[ranked.found.ids]
        articles = len(np.unique(arts)) if len(arts) else 0
        return Counts(ranked.total, False, articles, ranked.total, key, groups, arts)
    arts = table.article[ranked.matches]
    per_article = np.bincount(arts, minlength=table.articles + 1) if len(arts) else None
    articles = int(np.count_nonzero(per_article[1:])) if per_article is not None else 0
    if request.grouped:
        shown = articles
    elif codes is not None and len(ranked.matches):
        all_groups = codes[ranked.matches]
        zero = int(np.count_nonzero(all_groups == 0))
        shown = zero + int(np.count_nonzero(np.bincount(all_groups[all_groups != 0])))
    else:
        shown = len(ranked.matches)
    return Counts(len(ranked.matches), True, articles, shown, key, groups, arts)


# --- 4. page ---------------------------------------------------------------------------------


def order_key(table: DocTable, found: Matches, sort: str) -> np.ndarray:
    """Smaller is better: minus the score, or the date for newest/oldest (undated: last / first)."""
    if sort == "relevance":
        scores: np.ndarray = -found.scores
        return scores
    dates: np.ndarray = table.date[found.ids].astype(np.float64)
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


# --- 5. hits ----------------------------------------------------------------------------------


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


class _Membership:
    """Which of some documents match: counts a shown hit's group ("+k more", "and N similar")."""

    def __init__(
        self, table: DocTable, stats: Stats, ranked: Ranked, mask: np.ndarray | None
    ) -> None:
        self.table, self.stats, self.ranked, self.mask = table, stats, ranked, mask

    def matching(self, docs: np.ndarray) -> np.ndarray:
        """The sorted global docnums among ``docs`` that match the query."""
        docs = np.unique(docs)
        if self.ranked.matches is not None:
            return docs[np.isin(docs, self.ranked.matches, assume_unique=True)]
        plan = self.ranked.plan
        assert plan is not None
        out = []
        for sp in topk.segment_plans(self.table, self.stats, plan):
            lo, hi = np.searchsorted(docs, [sp.offset, sp.offset + sp.docs])
            if lo == hi:
                continue
            local = docs[lo:hi] - sp.offset
            matched = sp.score(local)[1]
            out.append(local[matched] + sp.offset)
        found = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
        if self.mask is not None:
            found = found[self.mask[found]]
        return found


def hits(
    searcher: Searcher,
    table: DocTable,
    ranked: Ranked,
    counts: Counts,
    chosen: list[int],
    request: SearchRequest,
    config: IndexConfig,
    members: _Membership,
) -> tuple[Hit, ...]:
    """The page's matches as Hits, with "+k more in this article" and "and N similar"."""
    found = ranked.found
    out = []
    for pos in chosen:
        docnum = int(found.ids[pos])
        dup_code = int(table.dup[docnum])
        label = table.dup_label(dup_code) or table.article_id(int(table.article[docnum]))
        other = similar = 0
        if request.grouped:
            article = int(table.article[docnum])
            other = len(members.matching(table.docs_of_article(article))) - 1
            if counts.key == "dup" and table.dup_label(dup_code) is not None:
                copies = members.matching(table.docs_of_dup(dup_code))
                similar = len(np.unique(table.article[copies])) - 1
        elif counts.key == "phash" and counts.groups is not None:
            code = int(table.phash_groups[docnum])
            if code:
                similar = len(members.matching(table.docs_of_phash(code))) - 1
        score = float(found.scores[pos]) if request.sort == "relevance" else 0.0  # 0 by date
        out.append(
            hit(
                searcher,
                docnum,
                score,
                ranked.terms,
                config,
                other,
                similar,
                label,
                request.snippets,
            )
        )
    return tuple(out)


def facets_of(
    table: DocTable, matches: np.ndarray
) -> tuple[tuple[tuple[str, tuple[FacetValue, ...]], ...], tuple[Bucket, ...]]:
    """Facet counts and the coverage chart over every matching article (one paragraph each)."""
    arts = table.article[matches]
    first = np.zeros(table.articles + 1, dtype=np.int64)
    seen = np.zeros(table.articles + 1, dtype=bool)
    first[arts[::-1]] = matches[::-1]  # any of an article's matches stands for it
    seen[arts] = True
    seen[0] = False
    docs = first[seen]
    return tuple(facet_counts(table, docs).items()), coverage(table, docs)


# --- the stages together ----------------------------------------------------------------------


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
    table = doc_table(searcher)
    r = restrict(request, table)
    parsed = parse(searcher, r.words, config, request.strict) if r.words.strip() else None
    notice = r.notice or (parsed.notice if parsed else None)
    if parsed is None or parsed.query is wq.NullQuery:
        if r.mask is None:
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
    key, codes = group_codes(table, request)
    limit = page * per_page
    ranked = rank(searcher, table, q, terms, request, config, r.mask, codes, limit)
    counts = collapse_and_count(table, ranked, request, key, codes)
    chosen = top(
        ranked.found,
        order_key(table, ranked.found, request.sort),
        counts.groups,
        request.per_article or 1,
        limit,
    )
    if counts.total_exact:
        pages = (
            max(1, math.ceil(min(counts.shown, config.max_results) / per_page))
            if counts.shown
            else 0
        )
    else:
        pages = max(1, config.max_results // per_page)
    members = _Membership(table, Stats(searcher, table), ranked, r.mask)
    shown = hits(
        searcher,
        table,
        ranked,
        counts,
        chosen[(page - 1) * per_page : limit],
        request,
        config,
        members,
    )
    facet_values, buckets = (
        facets_of(table, ranked.matches)
        if request.facets and ranked.matches is not None
        else ((), ())
    )
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
        total_exact=counts.total_exact,
    )
