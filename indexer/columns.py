"""Per-document values of the whole index as numpy arrays, decoded once per segment.

Ranking, collapsing, counting and facets need a value (article, kind,
duplicate key, date, field length...) for every matching paragraph of every
query. Reading them one Whoosh column lookup at a time costs microseconds per
match; here each segment's column is decoded once into an array of integer
codes and shared by every searcher and thread (segments never change once
written), so a query reads them with one numpy index operation.

Whoosh's ``MultiReader.column_reader`` also leaves out segments that lack a
column, which shifts global docnums; every segment is read on its own here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from . import whoosh_internals

#: Decoded segments kept (a live index has a handful; old generations age out).
_CACHE_SEGMENTS = 64
_cache: OrderedDict[tuple[Any, ...], dict[tuple[str, str], Any]] = OrderedDict()
_cache_lock = threading.Lock()


def segment_key(reader: Any) -> tuple[Any, ...]:
    """Identifies one segment's contents across readers, searchers and threads."""
    storage = reader.storage()
    return (
        getattr(storage, "folder", id(storage)),
        reader.segment().segment_id(),
        reader.doc_count_all(),
    )


def _segment_cache(reader: Any) -> dict[tuple[str, str], Any]:
    """The decoded-column store of one segment (shared by all readers of it)."""
    key = segment_key(reader)
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = {}
            while len(_cache) > _CACHE_SEGMENTS:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
        return found


def _raw_values(reader: Any, name: str) -> list[bytes]:
    """Every document's raw column bytes in one segment (b"" where absent)."""
    count = reader.doc_count_all()
    if not reader.has_column(name):
        return [b""] * count
    column = reader.column_reader(name, translate=False)
    values = whoosh_internals.column_values(column, count)
    return values if values is not None else [column[n] for n in range(count)]


def _segment_codes(reader: Any, name: str) -> tuple[np.ndarray, list[str]]:
    """(code per document, distinct values) for one segment's column."""
    store = _segment_cache(reader)
    found = store.get(("codes", name))
    if found is None:
        index: dict[bytes, int] = {b"": 0}
        codes = [index.setdefault(v, len(index)) for v in _raw_values(reader, name)]
        found = store[("codes", name)] = (
            np.asarray(codes, dtype=np.int32),
            [v.decode("utf-8", "replace") for v in index],
        )
    return found


def segment_lengths(reader: Any, field: str) -> np.ndarray | None:
    """Each document's length of ``field`` exactly as Whoosh's BM25 sees it (byte-coded).

    0 where a document has no such field (it matches no term of it); None
    when the segment keeps no lengths for the field (no document has it).
    """
    store = _segment_cache(reader)
    key = ("lengths", field)
    if key in store:
        return store[key]  # type: ignore[no-any-return]
    raw = whoosh_internals.length_bytes(reader, field)
    values = None
    if raw is not None:
        from whoosh.util.numeric import byte_to_length

        count = reader.doc_count_all()
        decode = np.asarray([0.0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)
        codes = np.zeros(count, dtype=np.uint8)
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)[:count]
        values = decode[codes]
    store[key] = values
    return values


class _Arrays:
    """The arrays of one set of segments (with its deletions), shared by every searcher of it."""

    def __init__(self, leaves: list[tuple[Any, int]], size: int) -> None:
        live = np.ones(size, dtype=bool)
        for reader, offset in leaves:
            deleted = list(reader.deleted_docs_set) if reader.has_deletions() else []
            if deleted:
                live[np.asarray(deleted, dtype=np.int64) + offset] = False
        self.live = live
        self.codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.lengths: dict[str, np.ndarray] = {}
        self.lock = threading.Lock()

    def get(self, store: dict[str, Any], name: str, build: Callable[[], Any]) -> Any:
        """``store[name]``, built once even when several threads ask at the same time."""
        found = store.get(name)
        if found is None:
            with self.lock:
                found = store.get(name)
                if found is None:
                    found = store[name] = build()
        return found


_TABLES: OrderedDict[tuple[Any, ...], _Arrays] = OrderedDict()
#: Generations kept: the live one, plus one being replaced while its searchers finish.
_TABLES_KEPT = 3


def _shared_arrays(leaves: list[tuple[Any, int]], size: int) -> _Arrays:
    key = tuple((segment_key(r), r.segment().deleted_count()) for r, _ in leaves)
    with _cache_lock:
        found = _TABLES.get(key)
        if found is None:
            found = _TABLES[key] = _Arrays(leaves, size)
            if len(_TABLES) > _TABLES_KEPT:
                while len(_TABLES) > _TABLES_KEPT:
                    _TABLES.popitem(last=False)
                # Decoded columns of segments no kept generation uses go with it: a
                # server that sees many rebuilds holds a few generations, not dozens.
                used = {segment for table in _TABLES for segment, _ in table}
                for stale in [k for k in _cache if k not in used]:
                    del _cache[stale]
        else:
            _TABLES.move_to_end(key)
        return found


class DocTable:
    """Global-docnum arrays for one open searcher, built lazily, one array per column.

    The arrays are shared by every searcher of the same segments (a server
    opens one per thread); only reading a column for the first time uses this
    searcher's readers.
    """

    def __init__(self, searcher: Searcher) -> None:
        leaves = searcher.reader().leaf_readers()
        self.readers = [r for r, _ in leaves]
        self.offsets = [offset for _, offset in leaves]
        self.size = searcher.reader().doc_count_all()
        self._arrays = _shared_arrays(leaves, self.size)
        self.live = self._arrays.live

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """(int code of every document, value of each code) for a column; code 0 is ""."""
        found: tuple[np.ndarray, list[str]] = self._arrays.get(
            self._arrays.codes, name, lambda: self._merge_codes(name)
        )
        return found

    def _merge_codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        if len(self.readers) == 1:
            return _segment_codes(self.readers[0], name)
        index: dict[str, int] = {"": 0}
        parts = []
        for reader in self.readers:
            codes, values = _segment_codes(reader, name)
            remap = np.asarray([index.setdefault(v, len(index)) for v in values], dtype=np.int32)
            parts.append(remap[codes])
        merged = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        return merged, list(index)

    def lengths(self, field: str) -> np.ndarray:
        """Every document's field length, as BM25 uses it."""

        def build() -> np.ndarray:
            found = [segment_lengths(r, field) for r in self.readers]
            parts = [
                np.zeros(r.doc_count_all()) if p is None else p
                for r, p in zip(self.readers, found, strict=True)
            ]
            return np.concatenate(parts) if parts else np.zeros(0)

        found: np.ndarray = self._arrays.get(self._arrays.lengths, field, build)
        return found

    def values(self, name: str, docnums: np.ndarray) -> list[str]:
        """The column's value for each of ``docnums``."""
        codes, values = self.codes(name)
        return [values[c] for c in codes[docnums].tolist()]


def doc_table(searcher: Searcher) -> DocTable:
    """The searcher's table, made on first use (a searcher serves one thread at a time)."""
    table = getattr(searcher, "_byline_table", None)
    if table is None:
        table = DocTable(searcher)
        searcher._byline_table = table
    return table
