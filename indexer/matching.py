"""Evaluate any query tree exhaustively over the sidecars' posting lists: every match, its score.

The common shapes (words, phrases, NOT, +, filters) go through top-k search
(:mod:`indexer.topk`), which scores only what can reach the page; this module
is the general path for the rest (and the reference the tests hold top-k to).
Each term's posting list is read as arrays from the segment's sidecar
(:mod:`indexer.postings`) and scored with Whoosh's BM25F formula, idf,
byte-coded field lengths and boosts; AND/OR/NOT and exact phrases combine
whole arrays. A test holds the scores to Whoosh's own matchers. Query types
this module does not know (sloppy phrases, ranges) are run through Whoosh's
matchers, once per segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from . import whoosh_internals
from .columns import LENGTHS, DocTable
from .models import KIND_NAMES
from .postings import CACHE
from .schema import POSTED_FIELDS
from .stats import GlobalStats

_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)
#: A position key is ``docnum << POSITION_BITS | position`` (paragraphs are far shorter).
POSITION_BITS = 20


@dataclass(frozen=True)
class Matches:
    """Matching global docnums (ascending, unique) and their scores."""

    ids: np.ndarray
    scores: np.ndarray

    @staticmethod
    def empty() -> Matches:
        return Matches(_EMPTY_IDS, _EMPTY_SCORES)

    def __len__(self) -> int:
        return len(self.ids)


class Stats:
    """Collection-wide statistics of one searcher: what every score in it is computed from.

    Whoosh's BM25F over the whole index: idf from the document frequency and
    the document count of all segments (deleted documents included, as
    Whoosh counts them), the average field length of the whole index.
    """

    def __init__(
        self, searcher: Searcher, table: DocTable, collection: GlobalStats | None = None
    ) -> None:
        self.searcher = searcher
        self.table = table
        self.collection = collection
        w = searcher.weighting
        self.k1 = float(w.K1)
        self._b = {f: whoosh_internals.field_b(w, f) for f in POSTED_FIELDS}
        self._idf: dict[tuple[str, bytes], float] = {}
        self._avgfl: dict[str, float] = {}
        self.factors = getattr(w, "factors", {})
        self.doc_count_all = (
            collection.doc_count_all if collection is not None else searcher.doc_count_all()
        )

    def b(self, field: str) -> float:
        return self._b[field]

    def idf(self, field: str, text: bytes) -> float:
        key = (field, text)
        found = self._idf.get(key)
        if found is None:
            if self.collection is not None:
                found = self.collection.idf(field, text)
            else:
                found = float(self.searcher.idf(field, text))
            self._idf[key] = found
        return found

    def doc_frequency(self, field: str, text: bytes) -> int:
        if self.collection is not None:
            return self.collection.doc_frequency(field, text)
        return int(self.searcher.doc_frequency(field, text))

    def avgfl(self, field: str) -> float:
        found = self._avgfl.get(field)
        if found is None:
            if self.collection is not None:
                found = self.collection.avgfl(field)
            else:
                found = float(self.searcher.avg_field_length(field) or 1)
            self._avgfl[field] = found
        return found

    def kind_factors(self) -> np.ndarray:
        """The score factor of each kind code (255, the vocabulary document, is 0)."""
        out = np.zeros(256, dtype=np.float64)
        for code, name in enumerate(KIND_NAMES):
            out[code] = self.factors.get(name, 1.0)
        return out

    def bm25(self, field: str, tf: np.ndarray, length: np.ndarray) -> np.ndarray:
        """Whoosh's BM25F term score without idf and boost (``length``: decoded lengths)."""
        k1, b = self.k1, self._b[field]
        return (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length / self.avgfl(field)))


#: Postings per block of a :class:`TermList`: the unit its bounds are kept for.
BLOCK = 64


def doc_type(size: int) -> type[np.signedinteger]:
    """The docnum type of lists and candidates: 4 bytes a posting while docnums fit.

    Every docnum array a search compares with a list is of this one type, so
    numpy never copies a list to compare it with another type.
    """
    return np.int32 if size < 2**31 else np.int64


@dataclass(frozen=True)
class TermList:
    """One word's postings in every segment as one list: global docnums and BM25 impacts.

    ``impacts`` is each posting's score (idf times BM25, before boosts and kind
    factors); ``block_bound`` is the best impact of every :data:`BLOCK`
    postings, whose first and last docnums are ``block_first`` and
    ``block_last``. Scoring a candidate is a lookup, and a block's bound is its
    true best score, not a bound from its largest frequency and shortest
    length taken apart.
    """

    ids: np.ndarray  # sorted, of :func:`doc_type`
    impacts: np.ndarray  # float64
    block_first: np.ndarray
    block_last: np.ndarray
    block_bound: np.ndarray

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes
            for a in (self.ids, self.impacts, self.block_first, self.block_last, self.block_bound)
        )


def term_list(table: DocTable, stats: Stats, field_name: str, word: bytes) -> TermList | None:
    """A word's :class:`TermList` in ``table`` (None if no segment has it), through the cache.

    The cache key holds every number the impacts depend on, so an entry is
    never stale: segments never change, and new statistics make a new key.
    """
    idf, avgfl = stats.idf(field_name, word), stats.avgfl(field_name)
    key = (
        "list",
        tuple(s.key for s in table.segments),
        field_name,
        word,
        idf,
        avgfl,
        stats.k1,
        stats.b(field_name),
    )
    found = CACHE.get(key)
    if found is not None:
        return TermList(*found) if len(found[0]) else None
    dtype = doc_type(table.size)
    ids_parts, tf_parts = [], []
    for segment, offset in zip(table.segments, table.offsets, strict=True):
        fp = segment.field(field_name)
        t = fp.term(word)
        if t is None:
            continue
        ids, tf = fp.read(t)
        ids_parts.append(ids.astype(dtype) + offset)
        tf_parts.append(tf)
    if not ids_parts:
        CACHE.put(key, (np.zeros(0, dtype=dtype),) * 5)
        return None
    ids = np.concatenate(ids_parts)
    length = LENGTHS[table.length_bytes(field_name)[ids]]
    impacts = idf * stats.bm25(field_name, np.concatenate(tf_parts).astype(np.float64), length)
    starts = np.arange(0, len(ids), BLOCK)
    ends = np.minimum(starts + BLOCK, len(ids)) - 1
    made = TermList(ids, impacts, ids[starts], ids[ends], np.maximum.reduceat(impacts, starts))
    CACHE.put(key, (made.ids, made.impacts, made.block_first, made.block_last, made.block_bound))
    return made


def term_matches(stats: Stats, field: str, text: bytes) -> Matches:
    """Every document (global docnums, deleted included) holding a term, with its BM25 score."""
    found = term_list(stats.table, stats, field, text)
    if found is None:
        return Matches.empty()
    return Matches(found.ids.astype(np.int64), found.impacts)


class Evaluator:
    """Evaluates Whoosh query trees against one searcher and its :class:`DocTable`."""

    def __init__(self, searcher: Searcher, table: DocTable, stats: Stats | None = None) -> None:
        self.searcher = searcher
        self.table = table
        self.stats = stats or Stats(searcher, table)
        self._terms: dict[tuple[str, str], Matches] = {}

    def run(self, q: wq.Query) -> Matches:
        """Live documents matching ``q`` with their raw (pre kind factor) scores."""
        found = self._eval(q)
        if len(found) and not self.table.live[found.ids].all():
            keep = self.table.live[found.ids]
            found = Matches(found.ids[keep], found.scores[keep])
        return found

    def _eval(self, q: wq.Query) -> Matches:
        if q is wq.NullQuery:
            return Matches.empty()
        if type(q) is wq.Term:
            return self._term(q)
        plain = not getattr(q, "minmatch", 0) and not getattr(q, "scale", None)
        if type(q) in (wq.Or, wq.And) and plain:
            subs = [self._eval(s) for s in q.subqueries]
            return self._combine(subs, need_all=type(q) is wq.And, boost=q.boost)
        if type(q) is wq.AndNot:
            a, b = self._eval(q.a), self._eval(q.b)
            keep = ~np.isin(a.ids, b.ids, assume_unique=True)
            return Matches(a.ids[keep], a.scores[keep])
        if type(q) is wq.Require:
            a, b = self._eval(q.a), self._eval(q.b)
            keep = np.isin(a.ids, b.ids, assume_unique=True)
            return Matches(a.ids[keep], a.scores[keep])
        if type(q) is wq.AndMaybe:
            a, b = self._eval(q.a), self._eval(q.b)
            extra = np.zeros(self.table.size)
            extra[b.ids] = b.scores
            return Matches(a.ids, a.scores + extra[a.ids])
        if type(q) is wq.ConstantScoreQuery:
            inner = self._eval(q.child)
            return Matches(inner.ids, np.full(len(inner), float(q.score)))
        if type(q) is wq.Phrase and q.slop == 1 and q.words and q.fieldname in POSTED_FIELDS:
            return self._phrase(q)
        if type(q) is wq.Every and not q.fieldname:
            ids = np.flatnonzero(self.table.live & (self.table.kind < len(KIND_NAMES)))
            return Matches(ids.astype(np.int64), np.full(len(ids), float(q.boost)))
        return self._whoosh(q)

    def _combine(self, subs: list[Matches], need_all: bool, boost: float) -> Matches:
        subs = [s for s in subs if len(s)] if not need_all else subs
        if not subs or (need_all and any(not len(s) for s in subs)):
            return Matches.empty()
        if len(subs) == 1:
            only = subs[0]
            return only if boost == 1.0 else Matches(only.ids, only.scores * boost)
        ids = np.concatenate([s.ids for s in subs])
        weights = np.concatenate([s.scores for s in subs])
        size = self.table.size
        if len(ids) * 16 < size:  # few postings: sort them rather than sweep every document
            hit, where, counts = np.unique(ids, return_inverse=True, return_counts=True)
            scores = np.bincount(where, weights=weights, minlength=len(hit))
            if need_all:
                keep = counts == len(subs)
                hit, scores = hit[keep], scores[keep]
        else:
            totals = np.bincount(ids, weights=weights, minlength=size)
            counts = np.bincount(ids, minlength=size)
            hit = np.flatnonzero(counts == len(subs) if need_all else counts)
            scores = totals[hit]
        return Matches(hit.astype(np.int64), scores * boost if boost != 1.0 else scores)

    def _term(self, q: wq.Term) -> Matches:
        key = (q.fieldname, q.text)
        base = self._terms.get(key)
        if base is None:
            base = self._terms[key] = self._score_term(q.fieldname, q.text)
        return base if q.boost == 1.0 else Matches(base.ids, base.scores * q.boost)

    def _score_term(self, fieldname: str, text: Any) -> Matches:
        schema = self.searcher.schema
        if fieldname == "kind":  # a column now: every paragraph of that kind, Whoosh's weight 1
            name = str(text)
            if name not in KIND_NAMES:
                return Matches.empty()
            ids = np.flatnonzero(self.table.kind == KIND_NAMES.index(name)).astype(np.int64)
            return Matches(ids, np.ones(len(ids)))
        if fieldname not in schema.names() or not schema[fieldname].indexed:
            return Matches.empty()
        field = schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return Matches.empty()
        if fieldname in POSTED_FIELDS:
            return term_matches(self.stats, fieldname, btext)
        return self._whoosh(wq.Term(fieldname, text))

    def _phrase(self, q: wq.Phrase) -> Matches:
        """Whoosh's exact phrase: the words at consecutive positions, scored as their AND."""
        both = self._combine(
            [self._term(wq.Term(q.fieldname, w)) for w in q.words], need_all=True, boost=1.0
        )
        if not len(both):
            return both
        keep = phrase_filter(
            self.table, q.fieldname, [w.encode("utf-8") for w in q.words], both.ids
        )
        scores = both.scores[keep]
        return Matches(both.ids[keep], scores * q.boost if q.boost != 1.0 else scores)

    def _whoosh(self, q: wq.Query) -> Matches:
        """Any other query type: Whoosh's own matcher in each segment."""
        ids_l: list[int] = []
        scores_l: list[float] = []
        for sub, offset in self.searcher.leaf_searchers():
            m = q.matcher(sub, sub.context())
            while m.is_active():
                ids_l.append(m.id() + offset)
                scores_l.append(m.score())
                m.next()
        if not ids_l:
            return Matches.empty()
        ids = np.asarray(ids_l, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        return Matches(ids[order], np.asarray(scores_l, dtype=np.float64)[order])


def phrase_filter(table: DocTable, field: str, words: list[bytes], docs: np.ndarray) -> np.ndarray:
    """Which of ``docs`` (sorted global docnums holding every word) have the words in a row."""
    keep = np.zeros(len(docs), dtype=bool)
    for segment, offset in zip(table.segments, table.offsets, strict=True):
        lo, hi = np.searchsorted(docs, [offset, offset + segment.docs])
        if lo == hi:
            continue
        local = docs[lo:hi] - offset
        fp = segment.field(field)
        keys: np.ndarray | None = None
        for i, word in enumerate(words):
            t = fp.term(word)
            if t is None:
                keys = _EMPTY_IDS
                break
            ids, tf = fp.postings(t)
            rows = np.searchsorted(ids, local.astype(ids.dtype))  # one type: no copy of ids
            owner, pos = fp.positions(t, tf, rows)
            shifted = (local[owner].astype(np.int64) << POSITION_BITS) | (
                pos.astype(np.int64) - i + 1
            )
            shifted = shifted[pos.astype(np.int64) >= i]
            keys = shifted if keys is None else np.intersect1d(keys, shifted, assume_unique=True)
            if not len(keys):
                break
        if keys is not None and len(keys):
            found = np.unique(keys >> POSITION_BITS)
            keep[lo:hi] = np.isin(local, found)
    return keep


def evaluate(searcher: Searcher, table: DocTable, q: wq.Query) -> Matches:
    """Every live document matching ``q``, with its score (kind factor not yet applied)."""
    return Evaluator(searcher, table).run(q)
