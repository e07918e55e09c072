"""One shard of a search: some segments of a generation, searched with collection-wide statistics.

A search is split the way search engines split one over shards (Elasticsearch's
query-then-fetch): the coordinator (:mod:`indexer.search`) parses the query and
holds the collection's statistics; each shard evaluates the query over its own
segments and answers with little: its best candidates, its counts, its part of
the facets (:meth:`Shard.query`). The coordinator merges them, then asks the
shards holding the page's hits to copy them out and to count their copies
(:meth:`Shard.fetch`). In one process the whole index is one shard; on a
cluster every Ray actor holds one (:mod:`indexer.cluster`). The answers are the
same either way: every score is computed from the same :class:`GlobalStats`,
candidates are cut so a merge is exact (a document better than a shard's k-th
is in its answer), and everything counted is counted per article, which never
spans shards.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from . import filters, semantic, storage, topk
from .analysis import words as analyzed_words
from .columns import DocTable, doc_table, segment_readers
from .config import IndexConfig
from .errors import QueryError
from .facets import FacetCounts, count_facets
from .highlighting import snippet
from .matching import Evaluator, Matches, Stats
from .models import KIND_NAMES, Hit, paragraph_kind
from .schema import POSTED_FIELDS
from .segment_writer import id_hash
from .stats import GlobalStats, StatsPart

# --- what travels between the coordinator and a shard ----------------------------------------


@dataclass(frozen=True)
class QuerySpec:
    """One search as a shard needs it (the coordinator has parsed the query)."""

    q: wq.Query
    filters: tuple[tuple[str, str], ...]
    sort: str
    per_article: int | None
    collapse_similar: bool
    facets: bool
    exact_counts: bool
    want: int
    count_limit: int
    shown_limit: int
    since: int | None = None  # only articles first indexed after (epoch seconds)
    qid: str = field(default_factory=lambda: uuid.uuid4().hex)
    # hybrid and semantic modes: the query's unit vector; shards add their candidates' cosines
    vector: np.ndarray | None = field(default=None, compare=False)

    @property
    def grouped(self) -> bool:
        return self.per_article is not None

    @property
    def needs_all(self) -> bool:
        """Every match, not only the best: facets, exact counts and date order."""
        return self.facets or self.exact_counts or self.sort != "relevance"


@dataclass
class ShardAnswer:
    """A shard's answer: candidates for the page (global docnums), and its counts."""

    ids: np.ndarray
    scores: np.ndarray
    keys: np.ndarray  # the sort key of each candidate: smaller first
    groups: np.ndarray | None
    total: int
    exact: bool
    articles: int
    ungrouped: int = 0  # matches without a group (collapse of identical paragraphs)
    group_values: np.ndarray | None = None  # distinct groups of the matches
    shown_at_least: bool = False  # the matches shown reach the spec's shown_limit
    facets: FacetCounts | None = None
    cosines: np.ndarray | None = None  # of each candidate with the query's vector


@dataclass(frozen=True)
class FetchSpec:
    """The page's hits a shard holds, and the groups to count its matches in."""

    qid: str
    docs: tuple[int, ...]
    terms: frozenset[str]
    snippets: bool
    grouped: bool
    dup_keys: tuple[int, ...] = ()
    phash_keys: tuple[int, ...] = ()


@dataclass
class ShardFetched:
    hits: dict[int, Hit]
    dup_articles: dict[int, int]
    phash_docs: dict[int, int]


# --- a shard ---------------------------------------------------------------------------------


#: Queries a shard remembers for their fetch; a query with no hits here is never fetched.
KEPT_QUERIES = 16


@dataclass
class _State:
    """What a shard keeps of a query between :meth:`Shard.query` and :meth:`Shard.fetch`."""

    spec: QuerySpec
    stats: Stats
    mask: np.ndarray | None
    plan: topk.Plan | None
    resolved: topk.Resolved | None
    matches: np.ndarray | None  # local docnums, when every match is known


class Shard:
    """Search over the segments of one searcher, numbered as in the whole generation.

    ``offsets`` is each segment's first docnum in the whole generation (in one
    process the searcher holds every segment and they equal its own).
    """

    def __init__(
        self, searcher: Searcher, config: IndexConfig, offsets: list[int] | None = None
    ) -> None:
        self.searcher = searcher
        self.config = config
        self.table = doc_table(searcher)
        self.offsets = list(self.table.offsets) if offsets is None else list(offsets)
        self._states: OrderedDict[str, _State] = OrderedDict()
        self._lock = threading.Lock()
        #: Whole result sets being streamed (query_all), fetched a batch at a time until forgotten.
        self._streams: OrderedDict[str, _State] = OrderedDict()

    # -- numbering -------------------------------------------------------------------------

    def to_global(self, local: np.ndarray) -> np.ndarray:
        if self.offsets == list(self.table.offsets):
            return local.astype(np.int64)
        at = np.searchsorted(self.table.offsets, local, side="right") - 1
        shift = np.asarray(self.offsets) - np.asarray(self.table.offsets)
        out: np.ndarray = (local + shift[at]).astype(np.int64)
        return out

    def to_local(self, docs: np.ndarray) -> np.ndarray:
        if self.offsets == list(self.table.offsets):
            return docs.astype(np.int64)
        starts = np.asarray(self.offsets)
        ends = starts + np.asarray([s.docs for s in self.table.segments])
        at = np.searchsorted(starts, docs, side="right") - 1
        ok = (at >= 0) & (docs < ends[np.maximum(at, 0)])
        if not ok.all():
            raise ValueError("documents of another shard")
        out: np.ndarray = (docs - starts[at] + np.asarray(self.table.offsets)[at]).astype(np.int64)
        return out

    def owns(self, docs: np.ndarray) -> np.ndarray:
        starts = np.asarray(self.offsets)
        ends = starts + np.asarray([s.docs for s in self.table.segments])
        at = np.searchsorted(starts, docs, side="right") - 1
        owned: np.ndarray = (at >= 0) & (docs < ends[np.maximum(at, 0)])
        return owned

    # -- statistics ---------------------------------------------------------------------------

    def warm(self, stats: GlobalStats, budget: int) -> int:
        """Read this shard's columns and its most frequent words' lists ahead of queries."""
        from .matching import Stats

        table = self.table
        for name in ("article", "kind", "date", "dup_key", "article_key"):
            getattr(table, name)
        table.phash_groups()
        for field_name in ("title", "text"):
            table.lengths(field_name)
        return topk.warm(table, Stats(self.searcher, table, stats), budget)

    def stats_part(self) -> StatsPart:
        keys: dict[str, list[np.ndarray]] = {}
        df: dict[str, list[np.ndarray]] = {}
        lengths: dict[str, int] = {}
        for segment, (reader, _) in zip(
            self.table.segments, segment_readers(self.searcher.reader()), strict=True
        ):
            for name in POSTED_FIELDS:
                keys.setdefault(name, []).append(segment.side.array(f"{name}.keys"))
                df.setdefault(name, []).append(segment.side.array(f"{name}.info")[:, 0])
                lengths[name] = lengths.get(name, 0) + int(reader.field_length(name))
        return StatsPart(
            self.searcher.reader().doc_count_all(),
            lengths,
            {n: np.concatenate(v) for n, v in keys.items()},
            {n: np.concatenate(v).astype(np.int64) for n, v in df.items()},
        )

    # -- the query ----------------------------------------------------------------------------

    def _mask(self, spec: QuerySpec) -> np.ndarray | None:
        mask = restriction_mask(self.table, spec.filters)
        if spec.since is not None:
            seen = since_mask(self.table, self.config.index_dir, spec.since)
            mask = seen if mask is None else mask & seen
        return mask

    def query_all(self, spec: QuerySpec, stats: GlobalStats) -> ShardAnswer:
        """Every match as a candidate, with its score and sort key: for exports of everything.

        Arrays of a few numbers per match, never a row per match; the hits
        themselves are fetched a batch at a time (:meth:`fetch`).
        """
        table = self.table
        local = Stats(self.searcher, table, stats)
        mask = self._mask(spec)
        plan = topk.make_plan(spec.q)
        state = _State(spec, local, mask, plan, None, None)
        if plan is None:
            found = _evaluate(self.searcher, table, local, spec.q, mask)
        else:
            r = state.resolved = topk.resolve(table, local, plan)
            if spec.sort == "relevance":
                found = topk.exhaustive(r, mask)
            else:
                ids = topk.match_set(r, mask)
                found = Matches(ids, np.zeros(len(ids)))
        state.matches = found.ids
        _, codes = group_keys(table, spec)
        arts = table.article[found.ids]
        articles = (
            int(np.count_nonzero(np.bincount(arts, minlength=table.articles + 1)[1:]))
            if len(arts)
            else 0
        )
        with self._lock:
            self._streams[spec.qid] = state
            while len(self._streams) > STREAMS_KEPT:
                self._streams.popitem(last=False)
        return ShardAnswer(
            self.to_global(found.ids),
            found.scores,
            order_key(table, found, spec.sort),
            codes[found.ids] if codes is not None else None,
            len(found.ids),
            True,
            articles,
        )

    def query(self, spec: QuerySpec, stats: GlobalStats) -> ShardAnswer:
        table = self.table
        local = Stats(self.searcher, table, stats)
        mask = self._mask(spec)
        plan = topk.make_plan(spec.q)
        state = _State(spec, local, mask, plan, None, None)
        key, codes = group_keys(table, spec)
        if plan is None:
            found = _evaluate(self.searcher, table, local, spec.q, mask)
            state.matches = found.ids
            answer = self._complete(spec, found, key, codes, state)
        else:
            r = state.resolved = topk.resolve(table, local, plan)
            if spec.needs_all:
                matches = topk.match_set(r, mask)
                state.matches = matches
                if spec.sort != "relevance":
                    found = Matches(matches, np.zeros(len(matches)))
                else:
                    found = topk.top(r, spec.want, codes, spec.per_article or 1, mask)
                answer = self._complete(spec, found, key, codes, state)
            elif r.upper_df() <= spec.count_limit:
                found = topk.exhaustive(r, mask)
                state.matches = found.ids
                answer = self._complete(spec, found, key, codes, state)
            else:
                counted = topk.count(r, spec.count_limit, mask)
                if counted.found is not None:
                    found = counted.found
                    state.matches = found.ids
                    answer = self._complete(spec, found, key, codes, state)
                else:
                    best = topk.top(r, spec.want, codes, spec.per_article or 1, mask)
                    answer = self._candidates(spec, best, codes, counted.value, False, 0)
        if spec.vector is not None:
            answer.cosines = self._cosines(answer.ids, spec.vector, spec.grouped)
        with self._lock:
            self._states[spec.qid] = state
            while len(self._states) > KEPT_QUERIES:
                self._states.popitem(last=False)
        return answer

    def _cosines(self, ids: np.ndarray, vector: np.ndarray, grouped: bool) -> np.ndarray | None:
        """Each candidate's cosine with the query (None if a segment has no vectors).

        Grouped by article, a candidate stands for its article: its cosine is
        the best of the article's paragraphs (the headline alone says little).
        """
        if not len(ids):
            return np.zeros(0, dtype=np.float32)
        local = self.to_local(ids)
        if not grouped:
            rows = self.table.rows(semantic.VECTORS, local)
            return semantic.cosines(rows, vector) if rows is not None else None
        first, end = self.table.article_runs
        starts, stops = first[local], end[local]
        sizes = stops - starts
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        docs = np.repeat(starts - offsets, sizes) + np.arange(int(sizes.sum()))
        rows = self.table.rows(semantic.VECTORS, docs)
        if rows is None:
            return None
        best: np.ndarray = np.maximum.reduceat(semantic.cosines(rows, vector), offsets)
        return best

    def _candidates(
        self,
        spec: QuerySpec,
        found: Matches,
        codes: np.ndarray | None,
        total: int,
        exact: bool,
        articles: int,
    ) -> ShardAnswer:
        """The shard's own first ``want`` places (groups collapsed): all a merge can need."""
        table = self.table
        keys = order_key(table, found, spec.sort)
        groups = codes[found.ids] if codes is not None else None
        chosen = np.asarray(
            top_positions(found.ids, keys, groups, spec.per_article or 1, spec.want), dtype=np.int64
        )
        ids = found.ids[chosen]
        return ShardAnswer(
            self.to_global(ids),
            found.scores[chosen],
            keys[chosen],
            groups[chosen] if groups is not None else None,
            total,
            exact,
            articles,
        )

    def _complete(
        self,
        spec: QuerySpec,
        found: Matches,
        key: str | None,
        codes: np.ndarray | None,
        state: _State,
    ) -> ShardAnswer:
        """Every match known: exact counts, the groups shown, and facets when asked."""
        matches = state.matches if state.matches is not None else found.ids
        table = self.table
        arts = table.article[matches]
        articles = (
            int(np.count_nonzero(np.bincount(arts, minlength=table.articles + 1)[1:]))
            if len(arts)
            else 0
        )
        answer = self._candidates(spec, found, codes, len(matches), True, articles)
        if key == "phash" and codes is not None and len(matches):
            # the matches shown once identical paragraphs fold: exact up to the deepest
            # page (``shown_limit``), which is all the page count needs
            dense, keys = table.phash_groups()
            found_codes = dense[matches]
            answer.ungrouped = int(np.count_nonzero(found_codes == 0))
            marks = np.zeros(len(keys), dtype=bool)
            marks[found_codes] = True
            marks[0] = False
            distinct = np.flatnonzero(marks)
            if answer.ungrouped + len(distinct) >= spec.shown_limit:
                answer.shown_at_least = True
            else:
                answer.group_values = keys[distinct]
        if spec.facets:
            answer.facets = count_facets(table, _one_per_article(table, matches))
        return answer

    # -- the page's hits -------------------------------------------------------------------------

    def fetch(self, spec: FetchSpec) -> ShardFetched:
        with self._lock:  # one fetch per query: its match arrays go as soon as it is done
            state = self._states.pop(spec.qid, None)
        if state is None:
            raise LookupError("the query is no longer known to this shard: search again")
        table = self.table
        mine = np.asarray(spec.docs, dtype=np.int64)
        local = self.to_local(mine)
        other: dict[int, int] = {}
        if spec.grouped and len(local):
            # "+k more in this article": every paragraph of the page's articles, matched at once
            articles = np.unique(table.article[local])
            hits = self._matching(state, _docs_of(table.docs_of_article, articles.tolist()))
            counts = np.bincount(table.article[hits], minlength=table.articles + 1)
            # (a paragraph found by meaning alone is not among them: none "more" is negative)
            other = {a: max(0, int(counts[a]) - 1) for a in articles.tolist()}
        found: dict[int, Hit] = {}
        for global_doc, docnum in zip(mine.tolist(), local.tolist(), strict=True):
            more = other.get(int(table.article[docnum]), 0)
            found[global_doc] = make_hit(
                self.searcher,
                docnum,
                spec.terms,
                self.config,
                more,
                table.dup_label(docnum),
                spec.snippets,
            )
        dup_articles: dict[int, int] = {}
        if spec.dup_keys:
            docs = self._matching(state, _docs_of(table.docs_of_dup, spec.dup_keys))
            pairs = np.unique(np.stack([table.dup_key[docs], table.article[docs]]), axis=1)
            keys, n = np.unique(pairs[0], return_counts=True)
            dup_articles = dict.fromkeys(spec.dup_keys, 0)
            dup_articles.update(zip(keys.tolist(), n.tolist(), strict=True))
        phash_docs: dict[int, int] = {}
        if spec.phash_keys:
            docs = self._matching(state, _docs_of(table.docs_of_phash, spec.phash_keys))
            keys, n = np.unique(table.phash_key[docs], return_counts=True)
            phash_docs = dict.fromkeys(spec.phash_keys, 0)
            phash_docs.update(zip(keys.tolist(), n.tolist(), strict=True))
        return ShardFetched(found, dup_articles, phash_docs)

    def fetch_stream(self, spec: FetchSpec) -> ShardFetched:
        """One batch of a streamed result set (:meth:`query_all`): its state stays for the next."""
        with self._lock:
            state = self._streams.get(spec.qid)
            if state is not None:
                self._states[spec.qid] = state  # what fetch reads (and may let go of)
        if state is None:
            raise LookupError("the export is no longer known to this shard: start it again")
        return self.fetch(spec)

    def forget(self, qid: str) -> None:
        """A streamed result set is done: drop its match arrays."""
        with self._lock:
            self._streams.pop(qid, None)
            self._states.pop(qid, None)

    def _matching(self, state: _State, docs: np.ndarray) -> np.ndarray:
        """The local docnums among ``docs`` (sorted, distinct) that match the query."""
        if state.matches is not None:
            known = state.matches
            at = np.minimum(np.searchsorted(known, docs), max(len(known) - 1, 0))
            hit: np.ndarray = docs[known[at] == docs] if len(known) else docs[:0]
            return hit
        assert state.resolved is not None
        found: np.ndarray = docs[state.resolved.score(docs)[1]]
        return found[state.mask[found]] if state.mask is not None else found


def _docs_of(members: Any, keys: Any) -> np.ndarray:
    """Every document of any of ``keys`` (sorted, distinct), from a ``docs_of_*`` method."""
    parts = [members(k) for k in keys]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _one_per_article(table: DocTable, matches: np.ndarray) -> np.ndarray:
    """One matching paragraph of every matching article (for counting articles, not paragraphs)."""
    arts = table.article[matches]
    first = np.zeros(table.articles + 1, dtype=np.int64)
    seen = np.zeros(table.articles + 1, dtype=bool)
    first[arts[::-1]] = matches[::-1]
    seen[arts] = True
    seen[0] = False
    docs: np.ndarray = first[seen]
    return docs


# --- restrict: filters as a mask ---------------------------------------------------------------


_masks_lock = threading.Lock()
T = TypeVar("T")


class PerGeneration(Generic[T]):
    """Values made once per generation (its ``table.live`` array) and key, the oldest dropped.

    Keyed by ``id(live)``; each entry holds ``live`` too, so while it exists that id
    cannot be given to a later generation's array (an id is reused once its object is
    freed), which would hand one index's mask to another.
    """

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self.items: OrderedDict[tuple[int, Hashable], tuple[np.ndarray, T]] = OrderedDict()

    def get(self, live: np.ndarray, key: Hashable, make: Callable[[], T]) -> T:
        at = (id(live), key)
        with _masks_lock:
            entry = self.items.get(at)
            if entry is not None and entry[0] is live:
                self.items.move_to_end(at)
                return entry[1]
        value = make()
        with _masks_lock:
            self.items[at] = (live, value)
            while len(self.items) > self.kept:
                self.items.popitem(last=False)
        return value


_MASKS: PerGeneration[np.ndarray] = PerGeneration(16)


def restriction_mask(table: DocTable, pairs: tuple[tuple[str, str], ...]) -> np.ndarray | None:
    """The documents every filter allows (None without filters); QueryError for a bad value."""
    if not pairs:
        return None

    def make() -> np.ndarray:
        mask = np.ones(table.size, dtype=bool)
        for name, value in pairs:
            mask &= _filter_mask(table, name, value)
        return mask

    return _MASKS.get(table.live, pairs, make)


#: Result sets a shard streams at once (exports of everything); the oldest is dropped beyond.
STREAMS_KEPT = 8

_SEEN: PerGeneration[np.ndarray] = PerGeneration(4)


def first_seen_codes(table: DocTable, index_dir: Path) -> np.ndarray:
    """When each global article code was first indexed (epoch seconds; 0: not recorded)."""

    def make() -> np.ndarray:
        seen = storage.read_first_seen(index_dir)
        return np.asarray([seen.get(aid, 0) for aid in table.article_ids()], dtype=np.int64)

    return _SEEN.get(table.live, storage.first_seen_version(index_dir), make)


def since_mask(table: DocTable, index_dir: Path, since: int) -> np.ndarray:
    """The documents of articles first indexed after ``since`` (epoch seconds)."""
    by_article = first_seen_codes(table, index_dir) > since
    by_article[0] = False
    out: np.ndarray = by_article[table.article]
    return out


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
    if kind == "exact":  # dup: one cluster's copies, or one article alone
        mask_dup: np.ndarray = table.dup_key == np.int64(np.uint64(id_hash(value)).view(np.int64))
        return mask_dup
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


def check_filters(pairs: tuple[tuple[str, str], ...]) -> None:
    """Raise QueryError for a filter value no shard could read (a bad date, an unknown kind)."""
    for name, value in pairs:
        kind = filters.BY_NAME[filters.check_name(name)].kind
        if kind == "date":
            filters.date_range(value).days()
        elif kind == "kind":
            filters.kinds(value)


# --- ranking helpers ------------------------------------------------------------------------------


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


def group_keys(table: DocTable, spec: QuerySpec) -> tuple[str | None, np.ndarray | None]:
    """What collapses, as a key per document that means the same in every shard (0: never)."""
    if spec.grouped:
        if spec.collapse_similar:
            return "dup", table.dup_key
        return "article", table.article_key
    if spec.collapse_similar:
        return "phash", table.phash_key
    return None, None


def order_key(table: DocTable, found: Matches, sort: str) -> np.ndarray:
    """Smaller is better: minus the score, or the date for newest/oldest (undated: last / first)."""
    if sort == "relevance":
        scores: np.ndarray = -found.scores
        return scores
    dates: np.ndarray = table.date[found.ids].astype(np.float64)
    return -dates if sort == "newest" else dates


def top_positions(
    ids: np.ndarray, key: np.ndarray, groups: np.ndarray | None, per_group: int, want: int
) -> list[int]:
    """Positions of the best ``want`` entries (ties: lower docnum), at most ``per_group`` a group.

    Group 0 never collapses. Only a prefix of the ranking is sorted, widened
    until it yields enough: an entry's rank in its group depends only on the
    entries ranked above it, which the prefix holds.
    """
    n = len(ids)
    take = min(n, max(4 * want, 64))
    while True:
        if take < n:
            cut = np.partition(key, take - 1)[take - 1]
            cand = np.flatnonzero(key <= cut)
        else:
            cand = np.arange(n)
        cand = cand[np.lexsort((ids[cand], key[cand]))]
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


def make_hit(
    searcher: Searcher,
    docnum: int,
    terms: frozenset[str],
    config: IndexConfig,
    other: int,
    dup: str,
    snippets: bool,
) -> Hit:
    """One match copied out of the index (stored fields and a snippet).

    The coordinator fills in its score and ``similar``, which it knows from every shard.
    """
    f = searcher.stored_fields(docnum)
    text = f.get("text", "")
    return Hit(
        article_id=f["article_id"],
        title=f.get("title", ""),
        paragraph_no=f["paragraph_no"],
        paragraph_count=f.get("paragraph_count", 0),
        kind=paragraph_kind(f.get("kind", "body")),
        heading=f.get("heading"),
        score=0.0,
        text=text,
        snippet_html=snippet(text, terms, config.stemmer, config.snippet_chars) if snippets else "",
        other_matches=other,
        date=f.get("date"),
        source=f.get("source"),
        section=f.get("section"),
        similar=0,
        dup=dup or None,
    )


__all__ = ["QueryError", "Shard"]


class LocalShards:
    """The whole index as one shard, in this process (the default)."""

    size = 1

    def __init__(self, shard: Shard, stats: GlobalStats) -> None:
        self.shard = shard
        self.stats = stats

    def query(self, spec: QuerySpec) -> list[ShardAnswer | None]:
        return [self.shard.query(spec, self.stats)]

    def query_all(self, spec: QuerySpec) -> list[ShardAnswer | None]:
        return [self.shard.query_all(spec, self.stats)]

    def fetch_stream(self, specs: Any) -> list[ShardFetched | None]:
        return [self.shard.fetch_stream(s) if s is not None else None for s in specs]

    def forget(self, qid: str) -> None:
        self.shard.forget(qid)

    def fetch(self, specs: Any) -> list[ShardFetched | None]:
        return [self.shard.fetch(s) if s is not None else None for s in specs]

    def owners(self, docs: np.ndarray) -> np.ndarray:
        return np.zeros(len(docs), dtype=np.int64)


_STATS: PerGeneration[GlobalStats] = PerGeneration(4)


def local_shards(searcher: Searcher, config: IndexConfig) -> LocalShards:
    """This searcher's index as one shard, with its statistics (merged once per generation)."""
    from .stats import merge_stats

    shard: Shard | None = getattr(searcher, "_byline_shard", None)
    if shard is None:
        shard = Shard(searcher, config)
        searcher._byline_shard = shard
    # one per generation (its segments and deletions) and idf formula
    stats = _STATS.get(
        shard.table.live,
        config.bm25_idf,
        lambda: merge_stats([shard.stats_part()], config.bm25_idf),
    )
    searcher.weighting.collection = stats
    return LocalShards(shard, stats)
