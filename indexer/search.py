"""A SearchRequest in, a SearchPage out: the coordinator of a search over one or more shards.

The stages, with where each runs:

* **restrict** (here): filters from the query text and from the request are
  read and checked (a bad value is an error when strict, a notice otherwise);
  each shard turns them into a mask over its documents;
* **parse** (here): the query language, against the index's own vocabulary;
* **rank** (each shard, :meth:`~indexer.shards.Shard.query`): the best
  candidates for the page (top-k; every match when facets, exact counts or
  date order need them), and the shard's counts;
* **collapse and count** (here): the shards' candidates merged into one
  ranking with identical paragraphs, or near-duplicate articles, collapsed;
  totals added up, exact up to ``count_limit``;
* **page** (here): the places of the requested page;
* **hits** (each shard, :meth:`~indexer.shards.Shard.fetch`): the page's
  matches copied out with their snippets, "+k more in this article" and the
  shard's share of "and N similar"; facets and the coverage chart from the
  shards' counts.

In one process the whole index is one shard; on a cluster each Ray actor holds
one (:mod:`indexer.cluster`). Nothing here keeps a Whoosh object past the call.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from . import filters, query_model, semantic
from .analysis import analyze
from .columns import doc_table
from .config import IndexConfig
from .errors import ClusterError, QueryError
from .facets import FacetCounts, coverage_of, facet_lists
from .highlighting import has_match
from .models import Bucket, FacetValue, Hit, SearchPage
from .parsing import ParsedQuery, expand_query, is_plain, parse, suggest, terms_query
from .request import SearchRequest
from .shards import FetchSpec, QuerySpec, ShardAnswer, ShardFetched, check_filters, top_positions


class Shards(Protocol):
    """The shards a coordinator searches: one in-process, several on a cluster."""

    def query(self, spec: QuerySpec) -> list[ShardAnswer | None]:
        """Every shard's answer, None for a shard that could not answer."""

    def query_all(self, spec: QuerySpec) -> list[ShardAnswer | None]:
        """Every shard's every match as a candidate (exports of a whole result set)."""

    def fetch_stream(self, specs: Sequence[FetchSpec | None]) -> list[ShardFetched | None]:
        """A batch of a result set from :meth:`query_all`, which stays known for the next."""

    def forget(self, qid: str) -> None:
        """A result set from :meth:`query_all` is done."""

    def fetch(self, specs: Sequence[FetchSpec | None]) -> list[ShardFetched | None]:
        """The page's hits and group counts, from the shards asked (None: not asked)."""

    def owners(self, docs: np.ndarray) -> np.ndarray:
        """The index of the shard holding each global docnum."""

    @property
    def size(self) -> int:
        """How many shards there are."""


@dataclass(frozen=True)
class Restriction:
    """The words left to parse, the filters in force, and a notice if some were dropped."""

    words: str
    active: tuple[tuple[str, str], ...]
    notice: str | None


#: The notice of a query whose words are all stop words (none of them is indexed).
ONLY_COMMON_WORDS = "The query has only very common words (such as 'the'), which are not indexed."


def too_long(text: str, config: IndexConfig) -> str | None:
    """Why a query is refused for its length, or None."""
    if len(text) <= config.max_query_length:
        return None
    return (
        f"the query is {len(text)} characters long; the limit is "
        f"{config.max_query_length}: shorten it"
    )


def read_query(
    searcher: Searcher, request: SearchRequest, config: IndexConfig
) -> tuple[Restriction, ParsedQuery | None]:
    """The request's filters (from its options and its text) and its parsed words, if any."""
    r = restrict(request)
    parsed = parse(searcher, r.words, config, request.strict) if r.words.strip() else None
    return r, parsed


def restrict(request: SearchRequest) -> Restriction:
    words, in_query = filters.extract(request.query)
    active = filters.normalize({**in_query, **dict(request.filters)})
    try:
        check_filters(active)
        return Restriction(words, active, None)
    except QueryError as exc:
        if request.strict:
            raise
        return Restriction(words, (), f"Filters were ignored: {exc}.")


@dataclass(frozen=True)
class Merged:
    """The shards' answers as one: candidates in one list, counts added up."""

    ids: np.ndarray
    scores: np.ndarray
    keys: np.ndarray
    groups: np.ndarray | None
    total: int
    total_exact: bool
    articles: int
    shown: int
    facets: FacetCounts | None
    missing: int
    cosines: np.ndarray | None = None  # with the query's vector (hybrid and semantic modes)


NO_VECTORS = (
    "This index has no paragraph vectors yet (it was built before search by meaning, or "
    "without the vector table): searched by words. Rebuild it with reindex --full."
)
NO_MEANING = "No word of the query is in the vector table: searched by words."
STALE_VECTORS = (
    "This index's paragraph vectors were made with another vector table than the one "
    "installed (it was replaced by distill, or by an upgrade): searched by words. "
    "Run reindex to make them again."
)


def _joined(notice: str | None, more: str | None) -> str | None:
    """Both notices, one after the other, or whichever there is."""
    return f"{notice} {more}" if notice and more else notice or more


def meaning_of(
    searcher: Searcher, words: str, terms: frozenset[str], config: IndexConfig, near: bool
) -> tuple[np.ndarray | None, dict[str, float], str | None]:
    """The query's vector and, when ``near``, its neighbour terms (term -> boost); or why not."""
    table = semantic.term_vectors(config.stemmer)
    if table is None:
        return None, {}, NO_VECTORS
    # two tables' cosines are not comparable (segments without vectors are said below)
    if doc_table(searcher).vector_tables - {semantic.table_digest(), "none"}:
        return None, {}, STALE_VECTORS
    analyzed = analyze(words, config.stemmer) or sorted(terms)
    df = {t: searcher.doc_frequency("text", t) for t in set(analyzed)}
    total = int(searcher.reader().field_length("text"))
    vector = semantic.query_vector(analyzed, df, total, table)
    # the transformer's own vector of the query, when installed (a query with syntax is a
    # constraint: its words' vector alone)
    if config.semantic_model_weight > 0 and is_plain(words):
        model = query_model.query_model()
        if model is not None:
            vector = query_model.mixed(vector, model.vector(words), config.semantic_model_weight)
    if vector is None:
        return None, {}, NO_MEANING
    if not near:
        return vector, {}, None
    found = semantic.neighbours(
        vector,
        table,
        lambda t: searcher.doc_frequency("text", t) > 0,
        set(analyzed) | terms,
        config.semantic_neighbours,
    )
    return vector, {t: config.semantic_neighbour_weight * sim for t, sim in found.items()}, None


def rerank(
    merged: Merged,
    near: Merged | None,
    spec: QuerySpec,
    request: SearchRequest,
    config: IndexConfig,
) -> tuple[Merged, str | None]:
    """The best ``spec.want`` matches of the words and the best of the neighbour terms, ranked
    again with their meaning.

    The words' candidates are cut to the global best by BM25 first, so one shard
    or many re-rank the same set, on the same BM25 scale (the best of them). A
    paragraph found only by the neighbour terms adds its cosine alone, and counts
    as one more result; the words' counts, facets and chart are the words' own.
    """
    if merged.cosines is None or (near is not None and near.cosines is None):
        return merged, NO_VECTORS
    per = request.per_article or 1
    at = np.asarray(top_positions(merged.ids, merged.keys, merged.groups, per, spec.want))
    at = at.astype(np.int64)
    ids, lexical, cos = merged.ids[at], merged.scores[at], merged.cosines[at]
    groups = merged.groups[at] if merged.groups is not None else None
    added = 0
    if near is not None and near.cosines is not None and len(near.ids):
        extra = np.asarray(top_positions(near.ids, near.keys, near.groups, per, spec.want))
        extra = extra.astype(np.int64)
        extra = extra[~np.isin(near.ids[extra], ids)]
        if groups is not None and near.groups is not None:
            extra = extra[
                ~np.isin(near.groups[extra], groups[groups != 0]) | (near.groups[extra] == 0)
            ]
        added = len(extra)
        ids = np.concatenate([ids, near.ids[extra]])
        lexical = np.concatenate([lexical, np.zeros(added)])
        cos = np.concatenate([cos, near.cosines[extra]])
        if groups is not None and near.groups is not None:
            groups = np.concatenate([groups, near.groups[extra]])
    fused = semantic.fuse(lexical, cos, request.mode, config.semantic_alpha)
    return (
        replace(
            merged,
            ids=ids,
            scores=fused,
            keys=-fused,
            groups=groups,
            cosines=cos,
            total=merged.total + added if merged.total_exact else merged.total,
            shown=merged.shown + added,
            # ungrouped, two added paragraphs may share an article: at most this many
            articles=merged.articles + added,
        ),
        None,
    )


def merge(answers: list[ShardAnswer | None], spec: QuerySpec) -> Merged:
    found = [a for a in answers if a is not None]
    missing = len(answers) - len(found)
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return Merged(
            empty, np.zeros(0), np.zeros(0), None, 0, True, 0, 0, None, missing, np.zeros(0)
        )
    ids = np.concatenate([a.ids for a in found])
    scores = np.concatenate([a.scores for a in found])
    keys = np.concatenate([a.keys for a in found])
    groups = (
        np.concatenate([a.groups for a in found])
        if all(a.groups is not None for a in found)
        else None
    )
    cosines = (
        np.concatenate([a.cosines for a in found])
        if all(a.cosines is not None for a in found)
        else None
    )
    total = sum(a.total for a in found)
    # The same rule in one process and on a cluster: exact when every match was
    # asked for, or when the counted ones stay within the limit; else "more than"
    # (shards that each found all of theirs may still add up to more than it).
    exact = all(a.exact for a in found) and (spec.needs_all or total <= spec.count_limit)
    if not exact:
        total = spec.count_limit
    articles = sum(a.articles for a in found) if exact else 0
    if spec.grouped:
        shown = articles
    elif exact and any(a.shown_at_least for a in found):
        shown = spec.shown_limit
    elif exact and any(a.group_values is not None for a in found):
        values = [a.group_values for a in found if a.group_values is not None]
        shown = sum(a.ungrouped for a in found) + len(np.unique(np.concatenate(values)))
    else:
        shown = total
    facets = None
    if spec.facets:
        facets = FacetCounts()
        for a in found:
            if a.facets is not None:
                facets.add(a.facets)
    return Merged(
        ids, scores, keys, groups, total, exact, articles, shown, facets, missing, cosines
    )


def run(
    searcher: Searcher,
    shards: Shards,
    request: SearchRequest,
    config: IndexConfig,
    expansion: dict[str, float] | None = None,
) -> SearchPage:
    """One page for ``request`` (already :meth:`~SearchRequest.bounded` by the engine).

    ``searcher`` serves parsing and spelling (the whole index's vocabulary);
    ``shards`` serve everything else. ``expansion`` (index term -> boost, from
    :mod:`indexer.feedback`) adds pseudo-relevance feedback terms.
    """
    text, grouped, per_page, page = request.query, request.grouped, request.per_page, request.page
    message = too_long(text, config)
    if message:
        if request.strict:
            raise QueryError(message)
        return SearchPage(text, 0, 0, 1, 0, per_page, (), notice=message.capitalize() + ".")
    r, parsed = read_query(searcher, request, config)
    notice = r.notice or (parsed.notice if parsed else None)
    vector: np.ndarray | None = None
    neighbours: dict[str, float] = {}
    if parsed is None or parsed.query is wq.NullQuery:
        if not r.active and request.since is None:
            if r.words.strip() and notice is None:
                notice = ONLY_COMMON_WORDS
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
        if request.mode != "lexical" and request.sort == "relevance":
            # search by meaning alone also takes the best matches of the neighbour terms
            # (hybrid keeps the words' matches: static vectors are too coarse to add safely)
            near = request.mode == "semantic" and is_plain(r.words)
            vector, neighbours, why = meaning_of(searcher, r.words, terms, config, near)
            notice = _joined(notice, why)
    limit = page * per_page
    want = max(limit, config.semantic_depth) if vector is not None else limit
    spec = QuerySpec(
        q,
        r.active,
        request.sort,
        request.per_article,
        request.collapse_similar,
        request.facets,
        request.exact_counts,
        want,
        config.count_limit,
        config.max_results,
        request.since_seconds,
        vector=vector,
    )
    # rank (in the shards), collapse and count
    merged = merge(shards.query(spec), spec)
    if vector is not None:
        near_found = None
        if neighbours:
            near_spec = replace(
                spec,
                q=terms_query(neighbours, config),
                facets=False,
                exact_counts=False,
                want=config.semantic_depth,
                qid=uuid.uuid4().hex,
            )
            near_found = merge(shards.query(near_spec), near_spec)
            shards.forget(near_spec.qid)  # never fetched: its hits are fetched with the words'
        merged, why = rerank(merged, near_found, spec, request, config)
        notice = _joined(notice, why)
    chosen = top_positions(merged.ids, merged.keys, merged.groups, request.per_article or 1, limit)
    if merged.total_exact:
        shown = min(merged.shown, config.max_results)
        pages = max(1, math.ceil(shown / per_page)) if merged.shown else 0
    else:
        pages = max(1, config.max_results // per_page)
    # page, hits (from the shards that hold them)
    positions = chosen[(page - 1) * per_page : limit]
    hits, unfetched = fetch_hits(shards, spec, merged, positions, terms, request)
    if neighbours:  # only semantic adds paragraphs that may hold none of the words
        hits = tuple(
            replace(h, meaning=not has_match(f"{h.title}\n{h.text}", terms, config.stemmer))
            for h in hits
        )
    facet_values: tuple[tuple[str, tuple[FacetValue, ...]], ...] = ()
    buckets: tuple[Bucket, ...] = ()
    first_date = last_date = None
    if merged.facets is not None:
        facet_values = tuple(facet_lists(merged.facets).items())
        buckets = coverage_of(merged.facets.days)
        if merged.facets.days:
            first_date = date.fromordinal(min(merged.facets.days)).isoformat()
            last_date = date.fromordinal(max(merged.facets.days)).isoformat()
    partial = None
    missing = max(merged.missing, unfetched)  # a shard lost at the query is lost at the fetch
    if missing:
        partial = (
            f"Results from {shards.size - missing} of {shards.size} partitions: "
            "part of the archive did not answer and is missing from these results."
        )
    return SearchPage(
        query=text,
        total=merged.total,
        articles=merged.articles,
        page=page,
        pages=pages,
        per_page=per_page,
        hits=hits,
        corrected_query=suggest(searcher, r.words) if r.words.strip() else None,
        notice=notice,
        grouped=grouped,
        sort=request.sort,
        filters=r.active,
        facets=facet_values,
        coverage=buckets,
        total_exact=merged.total_exact,
        partial=partial,
        first_date=first_date,
        last_date=last_date,
    )


def fetch_hits(
    shards: Shards,
    spec: QuerySpec,
    merged: Merged,
    positions: list[int],
    terms: frozenset[str],
    request: SearchRequest,
) -> tuple[tuple[Hit, ...], int]:
    """The page's matches as Hits, with "+k more in this article" and "and N similar".

    Also how many shards held some of them but did not answer (a clustered shard lost
    between the two phases): the page says so rather than silently showing fewer hits.
    """
    if not positions:
        return (), 0
    at = np.asarray(positions, dtype=np.int64)
    docs = merged.ids[at]
    owners = shards.owners(docs)
    group_keys = merged.groups[at] if merged.groups is not None else np.zeros(len(at), np.int64)
    collapse_dup = request.grouped and request.collapse_similar
    collapse_phash = not request.grouped and request.collapse_similar
    dup_keys = tuple(sorted({int(k) for k in group_keys.tolist() if k})) if collapse_dup else ()
    phash_keys = tuple(sorted({int(k) for k in group_keys.tolist() if k})) if collapse_phash else ()
    # Every shard that holds a hit, or may hold a copy of one (collapsed keys span shards).
    specs: list[FetchSpec | None] = []
    for shard in range(shards.size):
        mine = tuple(int(d) for d in docs[owners == shard].tolist())
        specs.append(
            FetchSpec(
                spec.qid, mine, terms, request.snippets, request.grouped, dup_keys, phash_keys
            )
            if mine or dup_keys or phash_keys
            else None
        )
    fetched = shards.fetch(specs)
    unfetched = sum(1 for s, f in zip(specs, fetched, strict=True) if s and f is None)
    counts: dict[int, int] = {}
    for f in fetched:
        if f is None:
            continue
        for k, c in (f.dup_articles if collapse_dup else f.phash_docs).items():
            counts[k] = counts.get(k, 0) + c
    out = []
    for i, doc in enumerate(docs.tolist()):
        f = fetched[int(owners[i])]
        if f is None or doc not in f.hits:
            continue
        hit = f.hits[doc]
        key = int(group_keys[i])
        similar = max(0, counts.get(key, 1) - 1) if key and (collapse_dup or collapse_phash) else 0
        score = float(merged.scores[positions[i]]) if request.sort == "relevance" else 0.0
        out.append(replace(hit, score=score, similar=similar))
    return tuple(out), unfetched


#: Hits fetched at a time while streaming a whole result set.
STREAM_BATCH = 256


def stream(
    searcher: Searcher, shards: Shards, request: SearchRequest, config: IndexConfig
) -> tuple[int, Iterator[Hit]]:
    """Every hit of ``request`` in page order, past ``max_results``: (how many, the hits).

    The order is the pages' (the same collapsing of copies and grouping by
    article), kept as arrays of a few numbers per match; hits are copied out
    :data:`STREAM_BATCH` at a time as the iterator is read, so memory does
    not grow with the rows. ``page`` and ``per_page`` are ignored. The
    iterator reads this searcher: finish it before the thread searches again.
    """
    message = too_long(request.query, config)
    if message:
        raise QueryError(message)
    r, parsed = read_query(searcher, request, config)
    if parsed is None or parsed.query is wq.NullQuery:
        if not r.active and request.since is None:
            return 0, iter(())
        q: wq.Query = wq.Every()
        terms: frozenset[str] = frozenset()
    else:
        q, terms = parsed.query, parsed.terms
    spec = QuerySpec(
        q,
        r.active,
        request.sort,
        request.per_article,
        request.collapse_similar,
        False,
        True,
        0,
        config.count_limit,
        config.max_results,
        request.since_seconds,
    )
    merged = merge(shards.query_all(spec), spec)
    per_group = request.per_article or 1
    if merged.groups is None or per_group > 1:
        positions = np.asarray(
            top_positions(merged.ids, merged.keys, merged.groups, per_group, len(merged.ids)),
            dtype=np.int64,
        )
    else:
        order = np.lexsort((merged.ids, merged.keys))
        groups = merged.groups[order]
        keep = groups == 0
        _, first = np.unique(groups, return_index=True)
        keep[first] = True
        positions = order[keep]
    plain = replace(request, snippets=False)
    batches = _Batches(shards)

    def hits() -> Iterator[Hit]:
        try:
            for start in range(0, len(positions), STREAM_BATCH):
                chunk = positions[start : start + STREAM_BATCH].tolist()
                found, lost = fetch_hits(batches, spec, merged, chunk, terms, plain)
                if lost:
                    raise ClusterError(
                        f"{lost} of {shards.size} partitions stopped answering during the "
                        "export: it is incomplete; export again"
                    )
                yield from found
        finally:
            shards.forget(spec.qid)

    return len(positions), hits()


class _Batches:
    """The shards as :func:`fetch_hits` sees them while a result set streams."""

    def __init__(self, shards: Shards) -> None:
        self.shards = shards
        self.size = shards.size

    def query(self, spec: QuerySpec) -> list[ShardAnswer | None]:
        return self.shards.query(spec)

    def query_all(self, spec: QuerySpec) -> list[ShardAnswer | None]:
        return self.shards.query_all(spec)

    def fetch(self, specs: Sequence[FetchSpec | None]) -> list[ShardFetched | None]:
        return self.shards.fetch_stream(specs)

    def fetch_stream(self, specs: Sequence[FetchSpec | None]) -> list[ShardFetched | None]:
        return self.shards.fetch_stream(specs)

    def forget(self, qid: str) -> None:
        self.shards.forget(qid)

    def owners(self, docs: np.ndarray) -> np.ndarray:
        return self.shards.owners(docs)
