"""Posting lists of ``title`` and ``text`` as arrays, from each segment's sidecar.

A term's list is three arrays in document order (segment docnums, term
frequencies, and positions, flat). Lists are read with one ``pread`` each
and kept in a shared cache within a byte budget, beside the whole-index
lists top-k search makes of them (:mod:`indexer.topk`): the frequent words
every query repeats stay in memory, the rest cost a read from the page
cache. Segments never change once written, so an entry never goes stale; it
ages out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from .sidecar import Sidecar, term_key


@dataclass(frozen=True)
class Term:
    """Where one term's postings are in a segment's sidecar."""

    df: int
    post: int
    pos: int


class _Cache:
    """Arrays by key, least recently used dropped first, within a byte budget."""

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

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.used = 0

    def resize(self, budget: int) -> None:
        with self._lock:
            self.budget = budget
            while self.used > self.budget and self._items:
                _, old = self._items.popitem(last=False)
                self.used -= sum(a.nbytes for a in old)


#: Decoded lists shared by every searcher and thread (``IndexConfig.postings_cache_mb``).
CACHE = _Cache(128 * 2**20)


class FieldPostings:
    """One field's posting lists in one segment."""

    def __init__(self, side: Sidecar, field: str, key: tuple[Any, ...]) -> None:
        self.side = side
        self.field = field
        self.key = (*key, field)
        self._keys = side.array(
            f"{field}.keys"
        )  # 8 bytes a term, the only per-term array in memory
        self._terms: dict[bytes, Term | None] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._keys)

    def term(self, text: bytes) -> Term | None:
        """The term's place in the sidecar, or None if the segment does not have it."""
        found = self._terms.get(text, False)
        if found is not False:
            return found  # type: ignore[return-value]
        k = np.uint64(term_key(text))
        at = int(np.searchsorted(self._keys, k))
        result = None
        while at < len(self._keys) and self._keys[at] == k:  # equal hashes: compare the bytes
            if self._term_text(at) == text:
                df, post, pos = (
                    int(v) for v in self.side.slice(f"{self.field}.info", at, at + 1)[0]
                )
                result = Term(df, post, pos)
                break
            at += 1
        with self._lock:
            if len(self._terms) > 100_000:
                self._terms.clear()
            self._terms[text] = result
        return result

    def frequent(self, most: int, min_df: int) -> list[bytes]:
        """The terms of the ``most`` longest lists (of at least ``min_df`` postings), longest
        first."""
        df = self.side.array(f"{self.field}.info")[:, 0]
        order = np.argsort(-df, kind="stable")[:most]
        return [self._term_text(int(at)) for at in order.tolist() if df[at] >= min_df]

    def _term_text(self, at: int) -> bytes:
        ends = self.side.slice(f"{self.field}.terms.ends", at - 1 if at else 0, at + 1)
        start, end = (0, int(ends[0])) if at == 0 else (int(ends[0]), int(ends[1]))
        return self.side.slice(f"{self.field}.terms.bytes", start, end).tobytes()

    def postings(self, t: Term) -> tuple[np.ndarray, np.ndarray]:
        """(docnums uint32, term frequencies uint16) of a term, through the shared cache."""
        key = (*self.key, t.post)
        found = CACHE.get(key)
        if found is None:
            found = (
                self.side.slice(f"{self.field}.ids", t.post, t.post + t.df),
                self.side.slice(f"{self.field}.tf", t.post, t.post + t.df),
            )
            CACHE.put(key, found)
        return found[0], found[1]

    def read(self, t: Term) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, term frequencies) of a term, read past the cache (for lists the
        caller caches in another form)."""
        found = CACHE.get((*self.key, t.post))
        if found is not None:
            return found[0], found[1]
        return (
            self.side.slice(f"{self.field}.ids", t.post, t.post + t.df),
            self.side.slice(f"{self.field}.tf", t.post, t.post + t.df),
        )

    def positions(self, t: Term, tf: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the postings at ``rows`` (indexes into the term's list), as
        (row number repeated per position, position) pairs.

        ``tf`` is the term's frequencies (each posting's count of positions).
        """
        key = (*self.key, t.post, "positions")
        found = CACHE.get(key)
        if found is None:
            total = int(tf.sum(dtype=np.int64))
            found = (
                self.side.slice(f"{self.field}.positions", t.pos, t.pos + total),
                np.concatenate(([0], np.cumsum(tf, dtype=np.int64))),
            )
            CACHE.put(key, found)
        flat, starts = found
        counts = tf[rows].astype(np.int64)
        owner = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        offsets = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        return owner, flat[starts[rows][owner] + offsets]
