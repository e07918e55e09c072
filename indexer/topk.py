"""Top-k search that scores only what can reach the page, and counts only as far as it must.

A page shows ten hits; scoring every paragraph that holds a word costs time
in proportion to the archive. The common query shapes (words, all-words-first
tiers, phrases, ``+`` and ``-``, expansions, filters) become a :class:`Plan`:
clauses (a term, or the words of a phrase, in ``title`` or ``text``) with
their boosts. Every posting list carries skip blocks with the largest term
frequency and the shortest field length of each block of postings
(:mod:`indexer.postings`), so the highest BM25 score any document in a block
can have is known without reading it. The segment's document numbers are cut
into intervals at the blocks' edges; an interval's bound is the sum of its
clauses' block bounds (times the all-words boost where every word has a
block there). Intervals are read best bound first, and reading stops when
the next bound is below the k-th best score found: the exact top k, ties by
docnum, as scoring everything would give (a test holds the two equal on a
multi-segment index with deletions). It is block-max WAND done a batch of
intervals at a time, so numpy does the work instead of a loop per document.

Every score, in both paths, comes from :func:`SegmentPlan.score`, the same
arithmetic in the same order, so the two paths agree to the last bit.

Counting is separate: exact up to ``count_limit`` matches, then "more than"
(as Elasticsearch's ``track_total_hits``), found by reading documents in
order until the limit is passed, or at once from a single list's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq

from .columns import LENGTHS, DocTable
from .matching import Matches, Stats, phrase_filter
from .models import KIND_NAMES
from .parsing import ALL_TERMS_BOOST
from .postings import Blocks, FieldPostings
from .schema import POSTED_FIELDS

#: Bounds are raised by this much so float rounding can never drop an exact tie.
_SLACK = 1 + 1e-9


@dataclass(frozen=True)
class Clause:
    """A term, or the words of an exact phrase, in one field, with its boost."""

    field: str
    words: tuple[bytes, ...]
    boost: float

    @property
    def phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class Plan:
    """A query in the shape top-k search handles; see :func:`make_plan`.

    ``score = sum(flat) + tier_boost * sum(tier)`` where the tier counts only
    for documents holding every one of ``tier_groups``; a match must hold one
    of ``flat`` (or every tier group), each of ``required`` groups and none
    of ``excluded``.
    """

    flat: tuple[Clause, ...]
    tier_groups: tuple[tuple[Clause, ...], ...] = ()
    tier_boost: float = 0.0
    required: tuple[tuple[Clause, ...], ...] = ()
    excluded: tuple[Clause, ...] = ()

    def clauses(self) -> list[Clause]:
        """Every scoring clause, each once, in a fixed order."""
        seen: dict[tuple[str, tuple[bytes, ...]], Clause] = {}
        for c in (
            *self.flat,
            *(c for g in self.tier_groups for c in g),
            *(c for g in self.required for c in g),
        ):
            seen.setdefault((c.field, c.words), c)
        return list(seen.values())


class Unsupported(Exception):
    """The query has a shape only the exhaustive evaluator handles."""


def _clause(node: wq.Query, boost: float) -> Clause:
    if type(node) is wq.Term and node.fieldname in POSTED_FIELDS:
        return Clause(node.fieldname, (_bytes(node.text),), boost * node.boost)
    if (
        type(node) is wq.Phrase
        and node.fieldname in POSTED_FIELDS
        and node.slop == 1
        and node.words
    ):
        return Clause(node.fieldname, tuple(_bytes(w) for w in node.words), boost * node.boost)
    raise Unsupported(type(node).__name__)


def _bytes(text: object) -> bytes:
    return text if isinstance(text, bytes) else str(text).encode("utf-8")


def _flat(node: wq.Query, boost: float = 1.0) -> list[Clause]:
    """The clauses of an OR of terms and phrases (nested ORs flattened)."""
    if (
        type(node) is wq.Or
        and not getattr(node, "minmatch", 0)
        and not getattr(node, "scale", None)
    ):
        return [c for child in node.subqueries for c in _flat(child, boost * node.boost)]
    return [_clause(node, boost)]


def _group(node: wq.Query) -> tuple[Clause, ...]:
    return tuple(_flat(node))


def make_plan(q: wq.Query) -> Plan | None:
    """The plan of a normalised query tree, or None when only exhaustive evaluation can run it."""
    try:
        return _plan(q)
    except Unsupported:
        return None


def _plan(q: wq.Query) -> Plan:
    if type(q) is wq.AndNot:
        base = _plan(q.a)
        excluded = tuple(_flat(q.b))
        if any(c.phrase for c in excluded):
            raise Unsupported("phrase under NOT")
        return Plan(
            base.flat, base.tier_groups, base.tier_boost, base.required, base.excluded + excluded
        )
    if type(q) is wq.AndMaybe:
        must = _plan(q.a)
        extra = _flat(q.b)
        required = must.required or ((must.flat,) if not must.tier_groups else must.tier_groups)
        return Plan(
            must.flat + tuple(extra), must.tier_groups, must.tier_boost, required, must.excluded
        )
    if type(q) is wq.Require:
        scored = _plan(q.a)
        need = _plan(q.b)
        if need.tier_groups or need.excluded:
            raise Unsupported("complex requirement")
        groups = need.required or (need.flat,)
        return Plan(
            scored.flat,
            scored.tier_groups,
            scored.tier_boost,
            scored.required + groups,
            scored.excluded,
        )
    if type(q) is wq.And and q.boost == 1.0:
        groups = tuple(_group(child) for child in q.subqueries)
        return Plan(tuple(c for g in groups for c in g), required=groups)
    if type(q) is wq.Or and not getattr(q, "minmatch", 0):
        tier = [s for s in q.subqueries if type(s) is wq.And and s.boost == ALL_TERMS_BOOST]
        if len(tier) == 1:
            rest = [s for s in q.subqueries if s is not tier[0]]
            groups = tuple(_group(child) for child in tier[0].subqueries)
            flat = tuple(c for s in rest for c in _flat(s, q.boost))
            scaled = tuple(
                tuple(Clause(c.field, c.words, c.boost * q.boost) for c in g) for g in groups
            )
            return Plan(flat, scaled, ALL_TERMS_BOOST)
        if tier:
            raise Unsupported("two tiers")
    return Plan(tuple(_flat(q)))


# --- one segment -------------------------------------------------------------------


@dataclass
class _List:
    """One term's postings in one segment (document order) and its skip blocks."""

    postings: FieldPostings
    term: object
    ids: np.ndarray
    tf: np.ndarray
    blocks: Blocks


@dataclass
class SegmentPlan:
    """A plan resolved against one segment: each clause's lists, weights and bounds."""

    table: DocTable
    index: int
    offset: int
    docs: int
    stats: Stats
    plan: Plan
    lists: dict[tuple[str, bytes], _List | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        segment = self.table.segments[self.index]
        for c in self.plan.clauses() + list(self.plan.excluded):
            for w in c.words:
                key = (c.field, w)
                if key in self.lists:
                    continue
                fp = segment.field(c.field)
                t = fp.term(w)
                if t is None:
                    self.lists[key] = None
                    continue
                ids, tf = fp.postings(t)
                self.lists[key] = _List(fp, t, ids, tf, fp.blocks(t))
        self.lengths = {
            f: self.table.length_bytes(f)[self.offset : self.offset + self.docs]
            for f in POSTED_FIELDS
        }
        self.live = self.table.live[self.offset : self.offset + self.docs]
        self.kind = self.table.kind[self.offset : self.offset + self.docs]
        self.factors = self.stats.kind_factors()

    # -- scoring: one function for every path -------------------------------------------

    def _word(self, c: Clause, w: bytes, docs: np.ndarray) -> np.ndarray:
        """The clause's word score of each of ``docs`` (sorted local docnums); 0 where absent."""
        found = self.lists.get((c.field, w))
        out = np.zeros(len(docs))
        if found is None or not len(docs):
            return out
        at = np.searchsorted(found.ids, docs)
        at[at >= len(found.ids)] = len(found.ids) - 1
        hit = found.ids[at] == docs
        tf = found.tf[at[hit]].astype(np.float64)
        length = LENGTHS[self.lengths[c.field][docs[hit]]]
        out[hit] = self.stats.idf(c.field, w) * self.stats.bm25(c.field, tf, length)
        return out

    def _clause(self, c: Clause, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(score, present) of a clause for each of ``docs``."""
        if not c.phrase:
            s = self._word(c, c.words[0], docs)
            present = s > 0
        else:
            parts = [self._word(c, w, docs) for w in c.words]
            present = np.logical_and.reduce([p > 0 for p in parts])
            s = np.zeros(len(docs))
            for p in parts:
                s = s + p
            if present.any():
                where = np.flatnonzero(present)
                ok = phrase_filter(self.table, c.field, list(c.words), docs[where] + self.offset)
                present[where[~ok]] = False
            s = np.where(present, s, 0.0)
        return s * c.boost, present

    def score(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(final score, is a match) of sorted local docnums ``docs``; non-matches score 0."""
        plan = self.plan
        cache: dict[tuple[str, tuple[bytes, ...], float], tuple[np.ndarray, np.ndarray]] = {}

        def clause(c: Clause) -> tuple[np.ndarray, np.ndarray]:
            key = (c.field, c.words, c.boost)
            if key not in cache:
                cache[key] = self._clause(c, docs)
            return cache[key]

        total = np.zeros(len(docs))
        any_flat = np.zeros(len(docs), dtype=bool)
        for c in plan.flat:
            s, p = clause(c)
            total = total + s
            any_flat |= p
        matched = any_flat
        if plan.tier_groups:
            tier = np.zeros(len(docs))
            every = np.ones(len(docs), dtype=bool)
            for g in plan.tier_groups:
                has = np.zeros(len(docs), dtype=bool)
                for c in g:
                    s, p = clause(c)
                    tier = tier + s
                    has |= p
                every &= has
            total = total + np.where(every, plan.tier_boost * tier, 0.0)
            matched = matched | every
        for g in plan.required:
            has = np.zeros(len(docs), dtype=bool)
            for c in g:
                has |= clause(c)[1]
            matched &= has
        for c in plan.excluded:
            matched &= ~self._clause(c, docs)[1]
        matched &= self.live[docs] & (self.kind[docs] < len(KIND_NAMES))
        final = np.where(matched, total * self.factors[self.kind[docs]], 0.0)
        return final, matched

    # -- every match, without scores --------------------------------------------------------

    def _present(
        self, c: Clause, cache: dict[tuple[str, tuple[bytes, ...]], np.ndarray]
    ) -> np.ndarray:
        """One bool per document of the segment: does it hold the clause (the phrase, in order)?"""
        key = (c.field, c.words)
        found = cache.get(key)
        if found is not None:
            return found
        out = np.zeros(self.docs, dtype=bool)
        for i, w in enumerate(c.words):
            lst = self.lists.get((c.field, w))
            if lst is None:
                out[:] = False
                break
            if i == 0:
                out[lst.ids] = True
            else:
                word = np.zeros(self.docs, dtype=bool)
                word[lst.ids] = True
                out &= word
        if c.phrase and out.any():
            docs = np.flatnonzero(out)
            ok = phrase_filter(self.table, c.field, list(c.words), docs + self.offset)
            out[docs[~ok]] = False
        cache[key] = out
        return out

    def matches(self) -> np.ndarray:
        """Every matching local docnum, sorted: the same set :meth:`score` accepts, unscored.

        One bool per document and one write per posting: far cheaper than
        scoring, for facets, exact counts and date order, which need every
        match but no score.
        """
        plan = self.plan
        cache: dict[tuple[str, tuple[bytes, ...]], np.ndarray] = {}
        matched = np.zeros(self.docs, dtype=bool)
        for c in plan.flat:
            matched |= self._present(c, cache)
        if plan.tier_groups:
            every = np.ones(self.docs, dtype=bool)
            for g in plan.tier_groups:
                has = np.zeros(self.docs, dtype=bool)
                for c in g:
                    has |= self._present(c, cache)
                every &= has
            matched |= every
        for g in plan.required:
            has = np.zeros(self.docs, dtype=bool)
            for c in g:
                has |= self._present(c, cache)
            matched &= has
        for c in plan.excluded:
            matched &= ~self._present(c, cache)
        matched &= self.live & (self.kind < len(KIND_NAMES))
        return np.flatnonzero(matched)

    # -- which documents to look at ------------------------------------------------------

    def candidates(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Sorted local docnums in ``[lo, hi)`` holding any scoring word (a superset of matches)."""
        hi = self.docs if hi is None else hi
        parts = []
        for c in self.plan.clauses():
            words = c.words if not c.phrase else c.words[:1]  # a phrase needs its first word
            for w in words:
                found = self.lists.get((c.field, w))
                if found is None:
                    continue
                a, b = np.searchsorted(found.ids, [lo, hi])
                parts.append(found.ids[a:b])
        if not parts:
            return np.zeros(0, dtype=np.int64)
        if sum(len(p) for p in parts) * 8 > hi - lo:  # dense: a mark per document
            mask = np.zeros(hi - lo, dtype=bool)
            for p in parts:
                mask[p.astype(np.int64) - lo] = True
            return np.flatnonzero(mask) + lo
        return np.unique(np.concatenate(parts)).astype(np.int64)

    def upper_df(self) -> int:
        """Postings of every scoring list: an upper bound on the matches here."""
        total = 0
        for c in self.plan.clauses():
            found = self.lists.get((c.field, c.words[0]))
            total += len(found.ids) if found is not None else 0
        return total

    def sure_matches(self) -> int:
        """A lower bound on the live matches, without reading a document (0 when unknown)."""
        plan = self.plan
        if plan.required or plan.excluded:
            return 0
        deleted = self.docs - int(self.live.sum())
        best = 0
        for c in plan.flat:
            found = self.lists.get((c.field, c.words[0]))
            if found is not None and not c.phrase:
                best = max(best, len(found.ids) - deleted)
        return best

    # -- bounds ---------------------------------------------------------------------------

    def intervals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, ends, bounds): docnum intervals cut at block edges, each one's best score."""
        edges = [np.asarray([0, self.docs], dtype=np.int64)]
        for found in self.lists.values():
            if found is not None:
                edges.append(found.blocks.first.astype(np.int64))
                edges.append(found.blocks.last.astype(np.int64) + 1)
        points = np.unique(np.concatenate(edges))
        starts, ends = points[:-1], points[1:]
        plan = self.plan
        bound: dict[tuple[str, tuple[bytes, ...], float], tuple[np.ndarray, np.ndarray]] = {}

        def clause(c: Clause) -> tuple[np.ndarray, np.ndarray]:
            key = (c.field, c.words, c.boost)
            if key in bound:
                return bound[key]
            total = np.zeros(len(starts))
            covered = np.ones(len(starts), dtype=bool)
            for w in c.words:
                ub, cov = self._word_bound(c.field, w, starts)
                total = total + ub
                covered &= cov
            bound[key] = (np.where(covered, total * c.boost, 0.0), covered)
            return bound[key]

        ub = np.zeros(len(starts))
        for c in plan.flat:
            ub = ub + clause(c)[0]
        if plan.tier_groups:
            tier = np.zeros(len(starts))
            every = np.ones(len(starts), dtype=bool)
            for g in plan.tier_groups:
                has = np.zeros(len(starts), dtype=bool)
                for c in g:
                    u, cov = clause(c)
                    tier = tier + u
                    has |= cov
                every &= has
            ub = ub + np.where(every, plan.tier_boost * tier, 0.0)
        for g in plan.required:
            has = np.zeros(len(starts), dtype=bool)
            for c in g:
                has |= clause(c)[1]
            ub = np.where(has, ub, 0.0)
        return starts, ends, ub * float(self.factors[: len(KIND_NAMES)].max()) * _SLACK

    def _word_bound(
        self, field_name: str, w: bytes, starts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        found = self.lists.get((field_name, w))
        if found is None:
            return np.zeros(len(starts)), np.zeros(len(starts), dtype=bool)
        blocks = found.blocks
        j = np.searchsorted(blocks.last, starts)  # first block ending at or after the start
        inside = j < len(blocks.last)
        j = np.minimum(j, len(blocks.last) - 1)
        covered = inside & (blocks.first[j] <= starts)
        tf = blocks.maxtf.astype(np.float64)
        block_ub = self.stats.idf(field_name, w) * self.stats.bm25(
            field_name, tf, LENGTHS[blocks.minlen]
        )
        return np.where(covered, block_ub[j], 0.0), covered


def segment_plans(table: DocTable, stats: Stats, plan: Plan) -> Iterator[SegmentPlan]:
    for i, (segment, offset) in enumerate(zip(table.segments, table.offsets, strict=True)):
        yield SegmentPlan(table, i, offset, segment.docs, stats, plan)


def exhaustive(
    table: DocTable, stats: Stats, plan: Plan, restrict: np.ndarray | None = None
) -> Matches:
    """Every match of ``plan`` with its final score (the same scores top-k gives)."""
    ids_parts, score_parts = [], []
    for sp in segment_plans(table, stats, plan):
        docs = sp.candidates()
        if restrict is not None and len(docs):
            docs = docs[restrict[docs + sp.offset]]
        final, matched = sp.score(docs)
        ids_parts.append(docs[matched] + sp.offset)
        score_parts.append(final[matched])
    if not ids_parts:
        return Matches.empty()
    return Matches(np.concatenate(ids_parts).astype(np.int64), np.concatenate(score_parts))


def match_set(
    table: DocTable, stats: Stats, plan: Plan, restrict: np.ndarray | None = None
) -> np.ndarray:
    """Every matching global docnum of ``plan``, sorted, without scoring any."""
    parts = []
    for sp in segment_plans(table, stats, plan):
        docs = sp.matches() + sp.offset
        parts.append(docs[restrict[docs]] if restrict is not None else docs)
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Count:
    """How many paragraphs match: exact up to the limit, else at least ``value``."""

    value: int
    exact: bool


def count(
    table: DocTable,
    stats: Stats,
    plan: Plan,
    limit: int,
    restrict: np.ndarray | None = None,
    chunk: int = 1 << 16,
) -> Count:
    """Matches counted in document order until ``limit`` is passed (then "more than")."""
    plans = list(segment_plans(table, stats, plan))
    if restrict is None:
        sure = sum(sp.sure_matches() for sp in plans)
        if sure > limit:
            return Count(sure, False)
    found = 0
    for sp in plans:
        for lo in range(0, sp.docs, chunk):
            docs = sp.candidates(lo, min(sp.docs, lo + chunk))
            if restrict is not None and len(docs):
                docs = docs[restrict[docs + sp.offset]]
            if len(docs):
                found += int(sp.score(docs)[1].sum())
            if found > limit:
                return Count(found, False)
    return Count(found, True)


def upper_bound(table: DocTable, stats: Stats, plan: Plan) -> int:
    return sum(sp.upper_df() for sp in segment_plans(table, stats, plan))


class Best:
    """The best candidates so far, at most ``per_group`` of each group, and the score to beat."""

    def __init__(self, want: int, groups: np.ndarray | None, per_group: int) -> None:
        self.want = want
        self.groups = groups
        self.per_group = per_group
        self.ids = np.zeros(0, dtype=np.int64)
        self.scores = np.zeros(0)

    def add(self, ids: np.ndarray, scores: np.ndarray) -> None:
        if not len(ids):
            return
        self.ids = np.concatenate([self.ids, ids])
        self.scores = np.concatenate([self.scores, scores])

    def threshold(self) -> float:
        """The k-th best score in page order (groups collapsed), or 0 until there are k."""
        if len(self.ids) < self.want:
            return 0.0
        order = np.lexsort((self.ids, -self.scores))
        if self.groups is None:
            kept = order[: self.want]
            self.ids, self.scores = self.ids[kept], self.scores[kept]  # nothing else can show
            return float(self.scores[-1])
        codes = self.groups[self.ids[order]].tolist()
        taken: dict[int, int] = {}
        chosen = 0
        for i, code in zip(order.tolist(), codes, strict=True):
            if code:
                if taken.get(code, 0) >= self.per_group:
                    continue
                taken[code] = taken.get(code, 0) + 1
            chosen += 1
            if chosen >= self.want:
                return float(self.scores[i])
        return 0.0


def top(
    table: DocTable,
    stats: Stats,
    plan: Plan,
    want: int,
    groups: np.ndarray | None,
    per_group: int,
    restrict: np.ndarray | None = None,
    batch: int = 4096,
) -> Matches:
    """Enough of the best matches to fill the first ``want`` places (after collapsing ``groups``).

    Every match scoring at least the ``want``-th best is in the result, so a
    page cut from it is the page exhaustive scoring would give.
    """
    best = Best(want, groups, per_group)
    for sp in segment_plans(table, stats, plan):
        starts, ends, bounds = sp.intervals()
        pending = np.argsort(-bounds, kind="stable")
        pending = pending[bounds[pending] > 0]
        size = batch
        while len(pending):
            pending = pending[bounds[pending] >= best.threshold()]  # still sorted by bound
            if not len(pending):
                break
            # the next intervals by bound, as many as hold ``size`` docnums
            take = int(np.searchsorted(np.cumsum(ends[pending] - starts[pending]), size)) + 1
            chosen = np.sort(pending[:take])
            pending = pending[take:]
            docs = _docs_in(sp, starts[chosen], ends[chosen])
            if restrict is not None and len(docs):
                docs = docs[restrict[docs + sp.offset]]
            final, matched = sp.score(docs)
            best.add(docs[matched] + sp.offset, final[matched])
            size *= 2
    return Matches(best.ids, best.scores)


def _docs_in(sp: SegmentPlan, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Candidate docnums of a segment inside any of the (sorted, disjoint) intervals."""
    parts = []
    for c in sp.plan.clauses():
        words = c.words if not c.phrase else c.words[:1]
        for w in words:
            found = sp.lists.get((c.field, w))
            if found is None:
                continue
            a = np.searchsorted(found.ids, starts)
            b = np.searchsorted(found.ids, ends)
            n = b - a
            if not n.sum():
                continue
            index = np.repeat(a - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
            parts.append(found.ids[index])
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(parts)).astype(np.int64)
