"""Top-k search that scores only what can reach the page, and counts only as far as it must.

A page shows ten hits; scoring every paragraph that holds a word costs time
in proportion to the archive. The common query shapes (words, all-words-first
tiers, phrases, ``+`` and ``-``, expansions, filters) become a :class:`Plan`:
clauses (a term, or the words of a phrase, in ``title`` or ``text``) with
their boosts, resolved against the whole index at once (:class:`Resolved`),
so a query's fixed costs do not grow with the number of segments.

Each word's postings in every segment become one :class:`TermList`: global
docnums and each posting's BM25 score (its *impact*), with the best impact
of every block of postings. Scoring a candidate is a lookup; a block's bound
is its true best score. The docnums are cut into intervals at the blocks'
edges; an interval's bound adds up its clauses' block bounds, with the
all-words tier only where a document holding every word is (found once, from
the rarest word). Intervals are read best bound first, and reading stops
when the next bound is below the k-th best score found (a tie can still win
with a lower docnum): block-max WAND, a batch of intervals at a time, so
numpy does the work instead of a loop per document. Within a batch the
candidates come only from the lists a document must hold to reach the k-th
best (MaxScore's essential clauses, :meth:`Resolved.needs`). Plans with
phrases are ranked by each candidate's own score without its phrases
checked, an upper bound, and checked best first.

Every score, in every path, comes from :meth:`Resolved.score`, the same
arithmetic in the same order, and bounds repeat that arithmetic on larger
numbers, so top-k and exhaustive scoring agree to the last bit (a test holds
them equal on a multi-segment index with deletions).

Counting is separate: exact up to ``count_limit`` matches, then "more than"
(as Elasticsearch's ``track_total_hits``), found by reading documents in
order until the limit is passed, or at once from a single list's length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from .columns import DocTable
from .matching import Matches, Stats, TermList, doc_type, phrase_filter, term_list
from .models import KIND_NAMES
from .parsing import ALL_TERMS_BOOST
from .schema import POSTED_FIELDS

#: The essential-clause bounds are summed in another order than scores, so they
#: are raised by this much: float rounding can never make one too small.
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


def warm(table: DocTable, stats: Stats, budget: int) -> int:
    """Make the lists of the most frequent words (those every other query repeats) within
    ``budget`` bytes of the cache; returns how many."""
    if not table.segments:
        return 0
    made = 0
    for field_name in ("text", "title"):
        first = max(table.segments, key=lambda seg: seg.docs).field(field_name)
        for word in first.frequent(2000, 256):
            budget -= 12 * stats.doc_frequency(field_name, word)
            if budget < 0:
                return made
            term_list(table, stats, field_name, word)
            made += 1
    return made


# --- a plan over the whole index -----------------------------------------------------------


def _tier_sums(
    groups: tuple[tuple[Clause, ...], ...],
    n: int,
    clause: Callable[[Clause], tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """The all-words tier over ``n`` places: its summed scores (or bounds), and where every
    group has a clause present (``clause(c)`` gives a clause's values and presence)."""
    tier = np.zeros(n)
    every = np.ones(n, dtype=bool)
    for g in groups:
        has = np.zeros(n, dtype=bool)
        for c in g:
            values, present = clause(c)
            tier = tier + values
            has |= present
        every &= has
    return tier, every


class Resolved:
    """A plan resolved against a table: each clause's lists, weights and bounds.

    One object for every segment at once, so a query's fixed costs (bounds,
    batches, numpy calls) do not grow with the number of segments.
    """

    def __init__(self, table: DocTable, stats: Stats, plan: Plan) -> None:
        self.table = table
        self.stats = stats
        self.plan = plan
        self.size = int(table.size)
        self.dtype = doc_type(table.size)
        self.lists: dict[tuple[str, bytes], TermList | None] = {}
        for c in plan.clauses() + list(plan.excluded):
            for w in c.words:
                if (c.field, w) not in self.lists:
                    self.lists[(c.field, w)] = term_list(table, stats, c.field, w)
        self.live = table.live
        self.kind = table.kind
        self.factors = stats.kind_factors()
        self.max_factor = float(self.factors[: len(KIND_NAMES)].max())
        self._clause_bounds: list[tuple[float, float, Clause]] | None = None
        self._holding: dict[tuple[tuple[Clause, ...], ...], np.ndarray] = {}

    # -- scoring: one function for every path -------------------------------------------

    def _word(self, c: Clause, w: bytes, docs: np.ndarray) -> np.ndarray:
        """The clause's word score of each of ``docs`` (sorted docnums); 0 where absent."""
        found = self.lists.get((c.field, w))
        out = np.zeros(len(docs))
        if found is None or not len(docs):
            return out
        at = np.searchsorted(found.ids, docs)
        at[at >= len(found.ids)] = len(found.ids) - 1
        hit = found.ids[at] == docs
        out[hit] = found.impacts[at[hit]]
        return out

    def _clause(
        self, c: Clause, docs: np.ndarray, verify: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """(score, present) of a clause for each of ``docs`` (a phrase's words in a row
        unless not ``verify``: then holding them is enough)."""
        if not c.phrase:
            s = self._word(c, c.words[0], docs)
            present = s > 0
        else:
            parts = [self._word(c, w, docs) for w in c.words]
            present = np.logical_and.reduce([p > 0 for p in parts])
            s = np.zeros(len(docs))
            for p in parts:
                s = s + p
            if verify and present.any():
                where = np.flatnonzero(present)
                ok = phrase_filter(self.table, c.field, list(c.words), docs[where])
                present[where[~ok]] = False
            s = np.where(present, s, 0.0)
        return s * c.boost, present

    def score(self, docs: np.ndarray, verify: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(final score, is a match) of sorted docnums ``docs``; non-matches score 0.

        Not ``verify``: phrases are not checked for their words in a row, which
        is the costly part; the scores are then upper bounds of the true ones
        (the same arithmetic on the same numbers, or on more of them).
        """
        docs = docs.astype(self.dtype, copy=False)
        plan = self.plan
        cache: dict[tuple[str, tuple[bytes, ...], float], tuple[np.ndarray, np.ndarray]] = {}

        def clause(c: Clause) -> tuple[np.ndarray, np.ndarray]:
            key = (c.field, c.words, c.boost)
            if key not in cache:
                cache[key] = self._clause(c, docs, verify)
            return cache[key]

        total = np.zeros(len(docs))
        any_flat = np.zeros(len(docs), dtype=bool)
        for c in plan.flat:
            s, p = clause(c)
            total = total + s
            any_flat |= p
        matched = any_flat
        if plan.tier_groups:
            tier, every = _tier_sums(plan.tier_groups, len(docs), clause)
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
        """One bool per document: does it hold the clause (the phrase, in order)?"""
        key = (c.field, c.words)
        found = cache.get(key)
        if found is not None:
            return found
        out = np.zeros(self.size, dtype=bool)
        for i, w in enumerate(c.words):
            lst = self.lists.get((c.field, w))
            if lst is None:
                out[:] = False
                break
            if i == 0:
                out[lst.ids] = True
            else:
                word = np.zeros(self.size, dtype=bool)
                word[lst.ids] = True
                out &= word
        if c.phrase and out.any():
            docs = np.flatnonzero(out)
            ok = phrase_filter(self.table, c.field, list(c.words), docs)
            out[docs[~ok]] = False
        cache[key] = out
        return out

    def matches(self) -> np.ndarray:
        """Every matching docnum, sorted: the same set :meth:`score` accepts, unscored.

        One bool per document and one write per posting: far cheaper than
        scoring, for facets, exact counts and date order, which need every
        match but no score.
        """
        plan = self.plan
        cache: dict[tuple[str, tuple[bytes, ...]], np.ndarray] = {}
        matched = np.zeros(self.size, dtype=bool)
        for c in plan.flat:
            matched |= self._present(c, cache)
        if plan.tier_groups:
            every = np.ones(self.size, dtype=bool)
            for g in plan.tier_groups:
                has = np.zeros(self.size, dtype=bool)
                for c in g:
                    has |= self._present(c, cache)
                every &= has
            matched |= every
        for g in plan.required:
            has = np.zeros(self.size, dtype=bool)
            for c in g:
                has |= self._present(c, cache)
            matched &= has
        for c in plan.excluded:
            matched &= ~self._present(c, cache)
        matched &= self.live & (self.kind < len(KIND_NAMES))
        return np.flatnonzero(matched)

    # -- which documents to look at ------------------------------------------------------

    def candidates(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Sorted docnums in ``[lo, hi)`` that may match (a superset: see :meth:`needs`)."""
        hi = self.size if hi is None else hi
        return _docs_in(
            self,
            np.asarray([lo], dtype=self.dtype),
            np.asarray([hi], dtype=self.dtype),
            self.needs(0.0),
        )

    def upper_df(self) -> int:
        """Postings of every scoring clause's rarest list: an upper bound on the matches."""
        return self._postings(self.plan.clauses())

    def sure_matches(self) -> int:
        """A lower bound on the live matches, without reading a document (0 when unknown)."""
        plan = self.plan
        if plan.required or plan.excluded:
            return 0
        longest = 0
        for c in plan.flat:
            found = self.lists.get((c.field, c.words[0]))
            if found is not None and not c.phrase:
                longest = max(longest, len(found.ids))
        if not longest:
            return 0
        return max(0, longest - (self.size - self.table.live_count))

    # -- bounds ---------------------------------------------------------------------------

    def intervals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, ends, bounds): docnum intervals cut at block edges, each one's best score."""
        edges = [np.asarray([0, self.size], dtype=self.dtype)]
        for found in self.lists.values():
            if found is not None:
                edges.append(found.block_first)
                edges.append(found.block_last + 1)
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
            tier, every = _tier_sums(plan.tier_groups, len(starts), clause)
            # Blocks of every word overlapping is not a document holding every word:
            # the tier counts only where one does (found once, from the rarest word).
            every &= self._holds(plan.tier_groups, starts, ends)
            ub = ub + np.where(every, plan.tier_boost * tier, 0.0)
        if plan.required:
            ub = np.where(self._holds(plan.required, starts, ends), ub, 0.0)
        # The same operations in the same order as :meth:`score`, on numbers at
        # least as large: float rounding is monotonic, so no document can score
        # above its interval's bound, not even by a rounding error (ties matter).
        return starts, ends, ub * self.max_factor

    def holding(self, groups: tuple[tuple[Clause, ...], ...]) -> np.ndarray:
        """The documents holding a clause of every group, sorted (a superset, as
        :func:`_docs_in` finds them); found once per query."""
        found = self._holding.get(groups)
        if found is None:
            whole = (np.asarray([0], dtype=self.dtype), np.asarray([self.size], dtype=self.dtype))
            found = self._holding[groups] = _docs_in(self, *whole, [list(g) for g in groups])
        return found

    def _holds(
        self, groups: tuple[tuple[Clause, ...], ...], starts: np.ndarray, ends: np.ndarray
    ) -> np.ndarray:
        """Whether each interval has a document holding a clause of every group."""
        docs = self.holding(groups)
        held: np.ndarray = np.searchsorted(docs, starts) < np.searchsorted(docs, ends)
        return held

    def _word_bound(
        self, field_name: str, w: bytes, starts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        found = self.lists.get((field_name, w))
        if found is None:
            return np.zeros(len(starts)), np.zeros(len(starts), dtype=bool)
        j = np.searchsorted(found.block_last, starts)  # first block ending at or after the start
        inside = j < len(found.block_last)
        j = np.minimum(j, len(found.block_last) - 1)
        covered = inside & (found.block_first[j] <= starts)
        return np.where(covered, found.block_bound[j], 0.0), covered

    # -- MaxScore: which clauses a document must hold to still reach the page ---------------

    def clause_bounds(self) -> list[tuple[float, float, Clause]]:
        """(flat bound, tier bound, clause) of every scoring clause, over the whole index.

        A clause may score in the flat sum and in the all-words tier at once:
        its two bounds are kept apart, because the tier counts only for
        documents that hold every tier group.
        """
        if self._clause_bounds is None:
            flat_boost: dict[tuple[str, tuple[bytes, ...]], float] = {}
            tier_boost: dict[tuple[str, tuple[bytes, ...]], float] = {}
            for c in self.plan.flat:
                key = (c.field, c.words)
                flat_boost[key] = flat_boost.get(key, 0.0) + c.boost
            for g in self.plan.tier_groups:
                for c in g:
                    key = (c.field, c.words)
                    tier_boost[key] = tier_boost.get(key, 0.0) + c.boost
            out = []
            for c in self.plan.clauses():
                key = (c.field, c.words)
                lists = [self.lists.get((c.field, w)) for w in c.words]
                raw = (
                    sum(float(f.block_bound.max()) for f in lists if f is not None)
                    if all(f is not None for f in lists)
                    else 0.0
                )
                out.append(
                    (
                        raw * flat_boost.get(key, 0.0),
                        raw * self.plan.tier_boost * tier_boost.get(key, 0.0),
                        c,
                    )
                )
            self._clause_bounds = out
        return self._clause_bounds

    def needs(self, threshold: float, tier: bool = True) -> list[list[Clause]]:
        """Groups of clauses a document must hold one of each of to score ``threshold``.

        Always the required groups (``+word``, ``AND``); above 0, also
        MaxScore's essential clauses (the most a document holding only the
        others can score is below the threshold), and every all-words tier
        group without which no document can reach it (a document lacking one
        word never gets the tier, so only its flat scores count). With
        ``tier=False``, for documents known not to hold every word, only flat
        scores count. Candidates are the documents in every group: they come
        from the group with the fewest postings and are checked against the
        others.
        """
        groups = [list(g) for g in self.plan.required]
        if threshold <= 0:
            return [*groups, self.plan.clauses()]
        bounds = self.clause_bounds()
        factor = self.max_factor * _SLACK
        tiers = [{(c.field, c.words) for c in g} for g in self.plan.tier_groups] if tier else []

        def reaches(chosen: list[tuple[float, float, Clause]]) -> bool:
            held = {(c.field, c.words) for _, _, c in chosen}
            flat = sum(f for f, _, _ in chosen)
            every = bool(tiers) and all(g & held for g in tiers)
            return (flat + (sum(t for _, t, _ in chosen) if every else 0.0)) * factor >= threshold

        weakest = sorted(bounds, key=lambda b: b[0] + (b[1] if tiers else 0.0))
        cut = 0
        while cut < len(weakest) and not reaches(weakest[: cut + 1]):
            cut += 1
        groups.append([c for _, _, c in weakest[cut:]])
        for names, clauses in zip(tiers, self.plan.tier_groups, strict=False):
            if not reaches([b for b in bounds if (b[2].field, b[2].words) not in names]):
                groups.append(list(clauses))
        return groups

    def _postings(self, clauses: list[Clause]) -> int:
        """The candidates ``clauses`` would bring: their rarest lists' postings."""
        total = 0
        for c in clauses:
            lists = [self.lists.get((c.field, w)) for w in c.words]
            if all(f is not None for f in lists):
                total += min(len(f.ids) for f in lists if f is not None)
        return total


def resolve(table: DocTable, stats: Stats, plan: Plan) -> Resolved:
    return Resolved(table, stats, plan)


def exhaustive(r: Resolved, restrict: np.ndarray | None = None) -> Matches:
    """Every match with its final score (the same scores top-k gives)."""
    docs = r.candidates()
    if restrict is not None and len(docs):
        docs = docs[restrict[docs]]
    final, matched = r.score(docs)
    return Matches(docs[matched].astype(np.int64), final[matched])


def match_set(r: Resolved, restrict: np.ndarray | None = None) -> np.ndarray:
    """Every matching docnum, sorted, without scoring any."""
    docs = r.matches().astype(np.int64)
    return docs[restrict[docs]] if restrict is not None else docs


@dataclass(frozen=True)
class Count:
    """How many paragraphs match: exact up to the limit; else ``value`` is the limit ("more than").

    When exact, ``found`` holds every match with its score: counting them
    scored them all, and the caller needs them.
    """

    value: int
    exact: bool
    found: Matches | None = None


def count(
    r: Resolved, limit: int, restrict: np.ndarray | None = None, chunk: int = 1 << 16
) -> Count:
    """Matches counted in document order until ``limit`` is passed (then "more than")."""
    if restrict is None and r.sure_matches() > limit:
        return Count(limit, False)
    ids, scores = [], []
    found = 0
    for lo in range(0, r.size, chunk):
        docs = r.candidates(lo, min(r.size, lo + chunk))
        if restrict is not None and len(docs):
            docs = docs[restrict[docs]]
        if len(docs):
            final, matched = r.score(docs)
            found += int(matched.sum())
            ids.append(docs[matched])
            scores.append(final[matched])
        if found > limit:
            return Count(limit, False)
    if not ids:
        return Count(0, True, Matches.empty())
    return Count(found, True, Matches(np.concatenate(ids).astype(np.int64), np.concatenate(scores)))


def kept_in_page_order(
    ids: np.ndarray, scores: np.ndarray, groups: np.ndarray | None, per_group: int
) -> np.ndarray:
    """Positions of the entries that can show, best first: at most ``per_group`` of a group.

    Ties go to the lower docnum; group 0 never collapses.
    """
    order = np.lexsort((ids, -scores))
    if groups is None:
        return order
    codes = groups[ids[order]]
    # rank of each entry within its group, in page order
    by_group = np.lexsort((np.arange(len(order)), codes))
    sorted_codes = codes[by_group]
    starts = np.flatnonzero(np.concatenate(([True], sorted_codes[1:] != sorted_codes[:-1])))
    rank_sorted = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
    rank = np.empty(len(order), dtype=np.int64)
    rank[by_group] = rank_sorted
    keep = (codes == 0) | (rank < per_group)
    kept: np.ndarray = order[keep]
    return kept


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

    def threshold(self) -> tuple[float, int]:
        """The k-th best (score, docnum) in page order (groups collapsed), or (0, -1) until
        there are k: a newcomer must score more, or as much with a lower docnum.

        Only what can still show is kept: an entry hidden by better members of
        its own group can never come back.
        """
        if len(self.ids) < self.want:
            return 0.0, -1
        kept = kept_in_page_order(self.ids, self.scores, self.groups, self.per_group)
        if len(kept) < self.want:
            self.ids, self.scores = self.ids[kept], self.scores[kept]
            return 0.0, -1
        # Entries below the k-th can never rise again: a better newcomer either takes a
        # place or replaces a member of its own group, never frees a place above them.
        cut = kept[: self.want]
        self.ids, self.scores = self.ids[cut], self.scores[cut]
        return float(self.scores[-1]), int(self.ids[-1])


def top(
    r: Resolved,
    want: int,
    groups: np.ndarray | None,
    per_group: int,
    restrict: np.ndarray | None = None,
    batch: int = 4096,
) -> Matches:
    """Enough of the best matches to fill the first ``want`` places (after collapsing ``groups``).

    Every match that could take one of those places (scoring more than the
    ``want``-th best, or as much with a lower docnum) is in the result, so a
    page cut from it is the page exhaustive scoring would give.
    """
    if any(c.phrase for c in r.plan.clauses()):
        return _top_by_document(r, want, groups, per_group, restrict, batch)
    best = Best(want, groups, per_group)
    starts, ends, bounds = r.intervals()
    pending = np.argsort(-bounds, kind="stable")
    pending = pending[bounds[pending] > 0]
    size = batch
    # Documents holding every word (the all-words tier) are found once and read with
    # their intervals; every other document can score only its flat sum, a far
    # smaller bound, so its candidates come from far fewer lists.
    tiered = r.holding(r.plan.tier_groups) if r.plan.tier_groups else None
    needs = r.needs(0.0)
    while len(pending):
        floor, last = best.threshold()
        if last >= 0:  # a tie can only win with a lower docnum
            alive = (bounds[pending] > floor) | (
                (bounds[pending] == floor) & (starts[pending] < last)
            )
            pending = pending[alive]  # still sorted by bound
            needs = r.needs(floor, tier=tiered is None)
        if not len(pending) or not (all(needs) or (tiered is not None and len(tiered))):
            break  # nothing left can reach the page
        # the next intervals by bound, as many as hold ``size`` docnums
        take = int(np.searchsorted(np.cumsum(ends[pending] - starts[pending]), size)) + 1
        chosen = np.sort(pending[:take])
        pending = pending[take:]
        if all(needs):
            docs = _docs_in(r, starts[chosen], ends[chosen], needs)
        else:
            docs = np.zeros(0, dtype=r.dtype)
        if tiered is not None and len(tiered):
            a = np.searchsorted(tiered, starts[chosen])
            b = np.searchsorted(tiered, ends[chosen])
            n = b - a
            if n.sum():
                index = np.repeat(a - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
                docs = np.union1d(docs, tiered[index])
        if restrict is not None and len(docs):
            docs = docs[restrict[docs]]
        final, matched = r.score(docs)
        if last >= 0:  # below the k-th best: it can never show
            matched &= (final > floor) | ((final == floor) & (docs < last))
        best.add(docs[matched], final[matched])
        size *= 2
    best.threshold()
    return Matches(best.ids.astype(np.int64), best.scores)


def _top_by_document(
    r: Resolved,
    want: int,
    groups: np.ndarray | None,
    per_group: int,
    restrict: np.ndarray | None,
    batch: int,
) -> Matches:
    """:func:`top` for plans with phrases: every candidate is scored without checking its
    phrases (cheap, and an upper bound of its score), then checked best first.

    A block's bound adds up the best of each word's postings, which seldom sit
    in one document, let alone in a row; a document's own unchecked score is
    a tight bound, so only the best few candidates' positions are read.
    """
    best = Best(want, groups, per_group)
    docs = r.candidates()
    if restrict is not None and len(docs):
        docs = docs[restrict[docs]]
    bound, possible = r.score(docs, verify=False)
    docs, bound = docs[possible], bound[possible]
    order = np.lexsort((docs, -bound))
    done, size = 0, max(batch // 16, want)
    while done < len(order):
        floor, last = best.threshold()
        if last >= 0:
            top_bound, top_doc = bound[order[done]], docs[order[done]]
            if top_bound < floor or (top_bound == floor and top_doc > last):
                break  # in bound order: nothing after can reach the page
        chosen = np.sort(order[done : done + size])
        done += size
        final, matched = r.score(docs[chosen])
        if last >= 0:
            matched &= (final > floor) | ((final == floor) & (docs[chosen] < last))
        best.add(docs[chosen][matched], final[matched])
        size *= 2
    best.threshold()
    return Matches(best.ids.astype(np.int64), best.scores)


def _docs_in(
    r: Resolved, starts: np.ndarray, ends: np.ndarray, needs: list[list[Clause]]
) -> np.ndarray:
    """Docnums inside any of the (sorted, disjoint) intervals holding a clause of every one of
    ``needs`` (a superset: a clause is looked for through its rarest word)."""
    lists = [[f for f in (_rarest(r, c) for c in group) if f is not None] for group in needs]
    if not lists or not all(lists):
        return np.zeros(0, dtype=r.dtype)
    driver = min(range(len(lists)), key=lambda i: sum(len(f.ids) for f in lists[i]))
    parts = []
    for found in lists[driver]:
        a = np.searchsorted(found.ids, starts)
        b = np.searchsorted(found.ids, ends)
        n = b - a
        total = int(n.sum())
        if total:
            index = np.repeat(a - np.cumsum(n) + n, n) + np.arange(total)
            parts.append(found.ids[index])
    if not parts:
        return np.zeros(0, dtype=r.dtype)
    docs = parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))
    for i, group in enumerate(lists):
        if i == driver or not len(docs):
            continue
        held = np.zeros(len(docs), dtype=bool)
        for found in group:
            at = np.minimum(np.searchsorted(found.ids, docs), len(found.ids) - 1)
            held |= found.ids[at] == docs
        docs = docs[held]
    return docs


def _rarest(r: Resolved, c: Clause) -> TermList | None:
    """The shortest list of a clause's words (None if one is missing: it holds nowhere)."""
    lists = [r.lists.get((c.field, w)) for w in c.words]
    if any(f is None for f in lists):
        return None
    return min((f for f in lists if f is not None), key=lambda f: len(f.ids))
