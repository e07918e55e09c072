"""Evaluate a query over whole posting lists at once: every match and its BM25 score.

Whoosh's matchers step through postings one document at a time in Python,
and a news page needs *every* match anyway (exact "N paragraphs in M
articles", duplicates collapsed, facets over all matching articles), so
Whoosh's block skipping could never apply. Here each term's posting list is
read a block at a time from Whoosh's own postings file and scored with numpy,
and AND/OR/NOT and exact phrases combine whole arrays. The scores are
Whoosh's: the same BM25F formula, idf, field lengths and boosts as
:mod:`indexer.scoring` gives its matchers (a test holds the two to each
other). Query types this module does not know (ranges, sloppy phrases) are
run through Whoosh's matchers, once per segment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from . import whoosh_internals
from .columns import DocTable, segment_key

_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)


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


class _PostingsCache:
    """Decoded posting lists by segment and term, shared by all searchers, within a byte budget.

    Decoding is most of a query's cost and the frequent words, whose lists
    are longest, are the ones every other query repeats. Segments are
    immutable, so an entry never goes stale; it ages out with its segment.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self._items: OrderedDict[tuple[Any, ...], tuple[np.ndarray, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[np.ndarray, ...] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.used = 0

    def put(self, key: tuple[Any, ...], value: tuple[np.ndarray, ...]) -> None:
        size = sum(a.nbytes for a in value)
        if size > self.budget // 4:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self.used += size
            while self.used > self.budget:
                _, old = self._items.popitem(last=False)
                self.used -= sum(a.nbytes for a in old)


#: The title and text postings of the whole 140,000-paragraph benchmark archive take 23 MB.
POSTINGS = _PostingsCache(64 * 2**20)


def cached_postings(reader: Any, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """:func:`term_postings` through the shared cache (int32 docnums, float32 weights)."""
    key = (segment_key(reader), fieldname, text)
    found = POSTINGS.get(key)
    if found is None:
        ids, weights = term_postings(reader, fieldname, text)
        found = (ids.astype(np.int32), weights.astype(np.float32))
        POSTINGS.put(key, found)
    return found  # type: ignore[return-value]


#: A position key is ``docnum << POSITION_BITS | position`` (paragraphs are far shorter).
POSITION_BITS = 24


#: Terms in more documents than this decode only the positions a phrase needs.
SELECTIVE_DECODE = 1000


def cached_positions(
    reader: Any, fieldname: str, text: bytes, only: np.ndarray | None = None
) -> np.ndarray:
    """(segment docnum, word position) of a term as sorted int64 keys.

    All of them are decoded and cached, unless the term is frequent and
    ``only`` (the documents that matter) is much smaller: then just those
    documents' positions are decoded, and not kept. Decoding is a Python call
    per posting, the one part of a phrase query numpy cannot take over.
    """
    key = (segment_key(reader), fieldname, text, "positions")
    found = POSTINGS.get(key)
    if found is not None:
        return found[0]
    if only is not None:
        docs = reader.doc_frequency(fieldname, text)
        if docs > SELECTIVE_DECODE and len(only) * 4 < docs:
            return _positions(reader, fieldname, text, only)
    keys = _positions(reader, fieldname, text)
    POSTINGS.put(key, (keys,))
    return keys


def _positions(
    reader: Any, fieldname: str, text: bytes, only: np.ndarray | None = None
) -> np.ndarray:
    if (fieldname, text) not in reader:
        return _EMPTY_IDS
    decode = reader.schema[fieldname].format.decode_positions
    m = reader.postings(fieldname, text)
    m = getattr(m, "child", m)  # deletions do not matter: callers intersect with live matches
    values: list[bytes] = []
    ids, _ = whoosh_internals.postings_arrays(m, values)
    if only is not None:
        chosen = np.flatnonzero(np.isin(ids, only)).tolist()
        pairs = [(int(ids[i]), values[i]) for i in chosen]
    else:
        pairs = list(zip(ids.tolist(), values, strict=True))
    limit = 1 << POSITION_BITS
    keys: list[int] = []
    for docnum, value in pairs:
        base = docnum << POSITION_BITS
        keys.extend(base | p for p in decode(value) if p < limit)
    return np.asarray(keys, dtype=np.int64)


def warm(table: DocTable, fields: tuple[str, ...], min_docs: int = 16) -> int:
    """Decode the posting lists of ``fields`` into the shared cache; returns how many.

    The most frequent terms come first and the cache's budget is respected;
    terms in fewer than ``min_docs`` documents fit one block, cheap to read when asked.
    """
    wanted: list[tuple[int, int, Any, str, bytes]] = []
    for i, reader in enumerate(table.readers):
        for fieldname in fields:
            if fieldname not in reader.schema:
                continue
            for text, info in reader.iter_field(fieldname):
                docs = info.doc_frequency()
                if docs >= min_docs:
                    wanted.append((docs, i, reader, fieldname, text))
    wanted.sort(key=lambda w: -w[0])
    room = int(POSTINGS.budget * 0.8) - POSTINGS.used
    chosen = []
    for item in wanted:
        room -= item[0] * 8  # int32 docnum + float32 weight per posting
        if room < 0:
            break
        chosen.append(item)
    for _, _, reader, fieldname, text in reversed(chosen):  # most frequent last: kept longest
        cached_postings(reader, fieldname, text)
    return len(chosen)


def term_postings(reader: Any, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(segment docnums, weights) of one term in one segment, deleted documents included."""
    if (fieldname, text) not in reader:
        return _EMPTY_IDS, _EMPTY_SCORES
    return whoosh_internals.postings_arrays(whoosh_internals.raw_postings(reader, fieldname, text))


class Evaluator:
    """Evaluates Whoosh query trees against one searcher and its :class:`DocTable`."""

    def __init__(self, searcher: Searcher, table: DocTable) -> None:
        self.searcher = searcher
        self.table = table
        self.weighting = searcher.weighting
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
        if type(q) is wq.Phrase and q.slop == 1 and q.words:
            return self._phrase(q)
        if type(q) is wq.Every and not q.fieldname:
            ids = np.flatnonzero(self.table.live).astype(np.int64)
            return Matches(ids, np.full(len(ids), float(q.boost)))
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
        searcher = self.searcher
        schema = searcher.schema
        if fieldname not in schema:
            return Matches.empty()
        field = schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return Matches.empty()
        id_parts, weight_parts = [], []
        for reader, offset in zip(self.table.readers, self.table.offsets, strict=True):
            ids, weights = cached_postings(reader, fieldname, btext)
            if len(ids):
                id_parts.append(ids.astype(np.int64) + offset)
                weight_parts.append(weights)
        if not id_parts:
            return Matches.empty()
        ids = np.concatenate(id_parts)
        tf = np.concatenate(weight_parts).astype(np.float64)
        if not field.scorable:
            return Matches(ids, tf)  # Whoosh's WeightScorer: the term weight itself
        w = self.weighting
        k1 = w.K1
        b = whoosh_internals.field_b(w, fieldname)
        idf = searcher.idf(fieldname, btext)
        avgfl = searcher.avg_field_length(fieldname) or 1
        fl = self.table.lengths(fieldname)[ids]
        scores = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
        return Matches(ids, scores)

    def _phrase(self, q: wq.Phrase) -> Matches:
        """Whoosh's exact phrase: the words at consecutive positions, scored as their AND.

        The AND comes from the cached posting lists; positions are checked by
        intersecting (docnum, position - i) keys of the i-th word.
        """
        schema = self.searcher.schema
        field = schema[q.fieldname] if q.fieldname in schema.names() else None
        if field is None or not field.format or not field.format.supports("positions"):
            return self._whoosh(q)  # Whoosh's own answer (or its QueryError)
        words = [field.to_bytes(w) for w in q.words]
        reader = self.searcher.reader()
        if any((q.fieldname, w) not in reader for w in words):
            return Matches.empty()
        both = self._combine(
            [self._term(wq.Term(q.fieldname, w)) for w in q.words], need_all=True, boost=1.0
        )
        if not len(both):
            return both
        docs = []
        for leaf, offset in zip(self.table.readers, self.table.offsets, strict=True):
            lo, hi = np.searchsorted(both.ids, [offset, offset + leaf.doc_count_all()])
            if lo == hi:
                continue
            candidates = both.ids[lo:hi] - offset
            keys: np.ndarray | None = None
            for i, w in enumerate(words):
                shifted = cached_positions(leaf, q.fieldname, w, candidates) - i
                keys = (
                    shifted if keys is None else np.intersect1d(keys, shifted, assume_unique=True)
                )
                if not len(keys):
                    break
            if keys is not None and len(keys):
                docs.append(np.unique(keys >> POSITION_BITS) + offset)
        if not docs:
            return Matches.empty()
        keep = np.isin(both.ids, np.concatenate(docs))
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


def evaluate(searcher: Searcher, table: DocTable, q: wq.Query) -> Matches:
    """Every live document matching ``q``, with its score (kind factor not yet applied)."""
    return Evaluator(searcher, table).run(q)
