"""Per-document values of the whole index as numpy arrays, read from the segments' sidecars.

Ranking, collapsing, counting, filters and facets need a value (article,
kind, date, duplicate key, field length...) for matching paragraphs of every
query. Each segment's sidecar holds them as arrays (:mod:`indexer.sidecar`),
read once per segment with one read each and shared by every searcher and
thread; a generation (the live set of segments, with its deletions) joins
them into global arrays the first time a query needs each one.

Articles get global codes, 1-based (0: no article, the vocabulary documents):
a paragraph's article is ``table.article[docnum]``. Metadata kept once per
article (source, section, place...) is looked up through it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .postings import FieldPostings
from .schema import POSTED_FIELDS
from .sidecar import Sidecar, SidecarError, path_for

#: Byte-coded field length -> the length BM25 uses (Whoosh's own decoding).
LENGTHS = np.asarray([0.0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)
#: Columns kept once per article, with a table of distinct values.
ARTICLE_COLUMNS = ("source", "section", "author", "place", "topic", "tag", "path")
DUP_SUFFIX = ".dup"


def segment_key(reader: Any) -> tuple[Any, ...]:
    """Identifies one segment's contents across readers, searchers and threads."""
    storage = reader.storage()
    return (
        getattr(storage, "folder", id(storage)),
        reader.segment().segment_id(),
        reader.doc_count_all(),
    )


def segment_readers(reader: Any) -> list[tuple[Any, int]]:
    """(segment reader, first docnum) of every segment of a reader; none for an empty
    index (whose one reader has no segment)."""
    return [
        (r, offset)
        for r, offset in reader.leaf_readers()
        if getattr(r, "segment", None) is not None and r.segment() is not None
    ]


def segment_files(reader: Any) -> tuple[Path, Path]:
    """The sidecar and duplicate-label files of a segment reader's segment."""
    segment = reader.segment()
    side = path_for(reader.storage().folder, segment.segment_id())
    return side, side.with_suffix(DUP_SUFFIX)


class SegmentColumns:
    """One segment's sidecar, open, with the arrays read from it so far."""

    def __init__(self, reader: Any) -> None:
        side_path, self.dup_path = segment_files(reader)
        self.side = Sidecar(side_path)
        self.key = segment_key(reader)
        self.docs = int(self.side.meta["docs"])
        self.articles = int(self.side.meta["articles"])
        #: Which vector table made the segment's paragraph vectors (``semantic.table_digest``).
        self.vectors_from = str(self.side.meta.get("vectors", "unknown"))
        self._arrays: dict[str, np.ndarray] = {}
        self._fields: dict[str, FieldPostings] = {}
        self._lock = threading.Lock()

    def array(self, name: str) -> np.ndarray:
        found = self._arrays.get(name)
        if found is None:
            with self._lock:
                found = self._arrays.get(name)
                if found is None:
                    found = self._arrays[name] = self.side.array(name)
        return found

    def field(self, name: str) -> FieldPostings:
        found = self._fields.get(name)
        if found is None:
            with self._lock:
                found = self._fields.get(name)
                if found is None:
                    found = self._fields[name] = FieldPostings(self.side, name, self.key)
        return found

    def strings(self, name: str) -> list[str]:
        return self.side.strings(name)

    def rows(self, name: str, index: np.ndarray) -> np.ndarray | None:
        """Rows of a two-dimensional array (None when the segment has no such array)."""
        return self.side.rows(name, index) if name in self.side else None

    def dup_labels(self) -> dict[str, str]:
        """article id -> cluster label, for this segment's articles that have copies."""
        try:
            data = json.loads(self.dup_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise SidecarError(f"{self.dup_path.name} cannot be read ({exc})") from None
        return data if isinstance(data, dict) else {}


_SEGMENTS: OrderedDict[tuple[Any, ...], SegmentColumns] = OrderedDict()
_SEGMENTS_KEPT = 256
_lock = threading.Lock()


def segment_columns(reader: Any) -> SegmentColumns:
    """The shared columns of a segment reader's segment (opened once per process)."""
    key = segment_key(reader)
    with _lock:
        found = _SEGMENTS.get(key)
        if found is not None:
            _SEGMENTS.move_to_end(key)
            return found
    opened = SegmentColumns(reader)
    with _lock:
        found = _SEGMENTS.setdefault(key, opened)
        if found is not opened:
            opened.side.close()
        while len(_SEGMENTS) > _SEGMENTS_KEPT:
            _, old = _SEGMENTS.popitem(last=False)
            old.side.close()
    return found


class _Arrays:
    """The global arrays of one generation (its segments and deletions), built lazily."""

    def __init__(
        self, segments: list[SegmentColumns], leaves: list[tuple[Any, int]], size: int
    ) -> None:
        live = np.ones(size, dtype=bool)
        for reader, offset in leaves:
            deleted = list(reader.deleted_docs_set) if reader.has_deletions() else []
            if deleted:
                live[np.asarray(deleted, dtype=np.int64) + offset] = False
        self.live = live
        self.live_count = int(np.count_nonzero(live))
        self.segments = segments
        self.store: dict[str, Any] = {}
        self.lock = threading.RLock()  # an array may be built from others

    def get(self, name: str, build: Callable[[], Any]) -> Any:
        """``store[name]``, built once even when several threads ask at the same time."""
        found = self.store.get(name)
        if found is None:
            with self.lock:
                found = self.store.get(name)
                if found is None:
                    found = self.store[name] = build()
        return found


_TABLES: OrderedDict[tuple[Any, ...], _Arrays] = OrderedDict()
#: Generations kept: the live one, plus ones being replaced while their searchers finish.
_TABLES_KEPT = 3


def _shared_arrays(leaves: list[tuple[Any, int]], size: int) -> _Arrays:
    key = tuple((segment_key(r), r.segment().deleted_count()) for r, _ in leaves)
    with _lock:
        found = _TABLES.get(key)
        if found is not None:
            _TABLES.move_to_end(key)
            return found
    segments = [segment_columns(r) for r, _ in leaves]
    made = _Arrays(segments, leaves, size)
    with _lock:
        found = _TABLES.setdefault(key, made)
        while len(_TABLES) > _TABLES_KEPT:
            _TABLES.popitem(last=False)
        # Segments no kept generation uses are closed with it: a server that sees
        # many rebuilds holds a few generations' files open, not dozens.
        used = {segment for table in _TABLES for segment, _ in table}
        for stale in [k for k in _SEGMENTS if k not in used]:
            _SEGMENTS.pop(stale).side.close()
    return found


class DocTable:
    """Global-docnum arrays for one open searcher, each read the first time it is needed.

    The arrays are shared by every searcher of the same segments (a server
    opens one per thread).
    """

    def __init__(self, searcher: Searcher) -> None:
        leaves = segment_readers(searcher.reader())
        self.readers = [r for r, _ in leaves]
        self.offsets = [offset for _, offset in leaves]
        self.size = searcher.reader().doc_count_all()
        self._arrays = _shared_arrays(leaves, self.size)
        self.segments = self._arrays.segments
        self.live = self._arrays.live
        self.live_count = self._arrays.live_count
        counts = [s.articles for s in self.segments]
        #: Global code of each segment's first article (codes are 1-based).
        self.article_offsets = np.concatenate(([1], 1 + np.cumsum(counts, dtype=np.int64)))[:-1]
        self.articles = int(sum(counts))
        #: The vector tables the segments' paragraph vectors came from (one, unless it changed).
        self.vector_tables = frozenset(s.vectors_from for s in self.segments)

    def _join(self, name: str, dtype: Any) -> np.ndarray:
        def build() -> np.ndarray:
            parts = [s.array(name) for s in self.segments]
            return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

        found: np.ndarray = self._arrays.get(name, build)
        return found

    def rows(self, name: str, docs: np.ndarray) -> np.ndarray | None:
        """Rows of a per-document two-dimensional array for ``docs``, from each segment's file.

        None when a segment lacks the array (written before it existed): a
        caller then does without it rather than mixing rows with gaps.
        """
        docs = np.asarray(docs, dtype=np.int64)
        at = np.searchsorted(np.asarray(self.offsets, dtype=np.int64), docs, side="right") - 1
        out: np.ndarray | None = None
        for i in np.unique(at).tolist():
            where = np.flatnonzero(at == i)
            found = self.segments[i].rows(name, docs[where] - self.offsets[i])
            if found is None:
                return None
            if out is None:
                out = np.zeros((len(docs), *found.shape[1:]), dtype=found.dtype)
            out[where] = found
        return out

    @property
    def article(self) -> np.ndarray:
        """Global article code of every document (0: none)."""

        def build() -> np.ndarray:
            parts = []
            for s, first in zip(self.segments, self.article_offsets.tolist(), strict=True):
                local = s.array("doc.article").astype(np.int64)
                parts.append(np.where(local < s.articles, local + first, 0))
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

        found: np.ndarray = self._arrays.get("article", build)
        return found

    @property
    def article_runs(self) -> tuple[np.ndarray, np.ndarray]:
        """(first document, end) of the article of every document: its paragraphs' range."""

        def build() -> tuple[np.ndarray, np.ndarray]:
            art = self.article
            cuts = np.flatnonzero(np.diff(art)) + 1
            starts = np.concatenate(([0], cuts)).astype(np.int64)
            ends = np.concatenate((cuts, [len(art)])).astype(np.int64)
            run = np.repeat(np.arange(len(starts)), ends - starts)
            return starts[run], ends[run]

        found: tuple[np.ndarray, np.ndarray] = self._arrays.get("article_runs", build)
        return found

    @property
    def kind(self) -> np.ndarray:
        """Paragraph kind code of every document (an index into ``KIND_NAMES``; 255: none)."""
        return self._join("doc.kind", np.uint8)

    @property
    def phash(self) -> np.ndarray:
        return self._join("doc.phash", np.uint64)

    @property
    def flags(self) -> np.ndarray:
        return self._join("doc.flags", np.uint8)

    @property
    def date(self) -> np.ndarray:
        """Every document's date as a day number (``date.toordinal()``; 0: undated)."""
        return self._join("doc.date", np.int32)

    def length_bytes(self, field: str) -> np.ndarray:
        return self._join(f"doc.len.{field}", np.uint8)

    def lengths(self, field: str) -> np.ndarray:
        """Every document's field length as BM25 uses it (0 where the field is absent)."""
        if field not in POSTED_FIELDS:
            return np.zeros(self.size)
        found: np.ndarray = self._arrays.get(
            f"lengths.{field}", lambda: LENGTHS[self.length_bytes(field)]
        )
        return found

    def article_codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """(code of each global article, index 0 unused; distinct values) of an article column."""

        def build() -> tuple[np.ndarray, list[str]]:
            index: dict[str, int] = {"": 0}
            parts = [np.zeros(1, dtype=np.int32)]
            for s in self.segments:
                values = s.strings(f"values.{name}")
                remap = np.asarray(
                    [index.setdefault(v, len(index)) for v in values], dtype=np.int32
                )
                parts.append(remap[s.array(f"article.{name}")])
            return np.concatenate(parts), list(index)

        found: tuple[np.ndarray, list[str]] = self._arrays.get(f"article.{name}", build)
        return found

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """(code of every document, distinct values; code 0 is "") of an article column."""
        codes, values = self.article_codes(name)
        found: np.ndarray = self._arrays.get(f"doc.{name}", lambda: codes[self.article])
        return found, values

    def article_id(self, code: int) -> str:
        """The id of a global article code."""
        at = int(np.searchsorted(self.article_offsets, code, side="right")) - 1
        return self.segments[at].strings("article.id")[code - int(self.article_offsets[at])]

    def article_ids(self) -> list[str]:
        """Every article id, index = global code (index 0: "")."""

        def build() -> list[str]:
            out = [""]
            for s in self.segments:
                out.extend(s.strings("article.id"))
            return out

        found: list[str] = self._arrays.get("article.ids", build)
        return found

    @property
    def article_key(self) -> np.ndarray:
        """Every document's article as a key that means the same in every shard (0: none).

        The 8-byte hash of the article id (:func:`~indexer.segment_writer.id_hash`).
        """

        def build() -> np.ndarray:
            keys = np.concatenate(
                [np.zeros(1, np.uint64)] + [s.array("article.idhash") for s in self.segments]
            )
            out: np.ndarray = keys.view(np.int64)[self.article]
            return out

        found: np.ndarray = self._arrays.get("article.key", build)
        return found

    @property
    def dup_key(self) -> np.ndarray:
        """Every document's near-duplicate cluster as a key (the hash of its label; 0: none).

        An article without copies is its own cluster, labelled by its id, so a
        copy that a later run joins to it (label: that id) gets the same key.
        """
        from .segment_writer import id_hash

        def build() -> np.ndarray:
            parts = [np.zeros(1, np.uint64)]
            for s in self.segments:
                keys = s.array("article.idhash").copy()
                found = s.dup_labels()
                if found:
                    for local, aid in enumerate(s.strings("article.id")):
                        label = found.get(aid)
                        if label is not None:
                            keys[local] = id_hash(label)
                parts.append(keys)
            out: np.ndarray = np.concatenate(parts).view(np.int64)[self.article]
            return out

        found: np.ndarray = self._arrays.get("dup.key", build)
        return found

    def dup_label(self, docnum: int) -> str:
        """The near-duplicate cluster label of a document: its article's id, unless a copy."""
        code = int(self.article[docnum])
        if not code:
            return ""
        aid = self.article_id(code)
        at = int(np.searchsorted(self.article_offsets, code, side="right")) - 1
        labels: list[dict[str, str]] = self._arrays.get(
            "dup.labels", lambda: [s.dup_labels() for s in self.segments]
        )
        return labels[at].get(aid, aid)

    @property
    def phash_key(self) -> np.ndarray:
        """Every document's paragraph fingerprint as a key (0: none): identical paragraphs."""
        found: np.ndarray = self._arrays.get("phash.key", lambda: self.phash.view(np.int64))
        return found

    def _members(self, name: str, keys: Callable[[], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(docnums sorted by key, the keys in that order): who shares a key."""

        def build() -> tuple[np.ndarray, np.ndarray]:
            values = keys()
            order = np.argsort(values, kind="stable")
            return order, values[order]

        found: tuple[np.ndarray, np.ndarray] = self._arrays.get(f"members.{name}", build)
        return found

    def phash_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """(code of each document's fingerprint, the fingerprint of each code): dense codes
        from 1, 0 for none, so the distinct fingerprints of a set of documents are
        counted by marking, not by sorting."""

        def build() -> tuple[np.ndarray, np.ndarray]:
            keys = self.phash_key
            values, inverse = np.unique(keys, return_inverse=True)
            codes = inverse.astype(np.int64) + 1
            codes[keys == 0] = 0
            return codes, np.concatenate(([0], values))

        found: tuple[np.ndarray, np.ndarray] = self._arrays.get("phash.groups", build)
        return found

    def _docs(self, name: str, keys: Callable[[], np.ndarray], key: int) -> np.ndarray:
        order, sorted_keys = self._members(name, keys)
        lo, hi = (
            np.searchsorted(sorted_keys, [key, key], side="left")[0],
            np.searchsorted(sorted_keys, key, side="right"),
        )
        return np.sort(order[lo:hi]).astype(np.int64)

    def docs_of_article(self, code: int) -> np.ndarray:
        """Every document (global docnums, ascending) of one article."""
        return self._docs("article", lambda: self.article, code)

    def docs_of_dup(self, key: int) -> np.ndarray:
        """Every document of one near-duplicate cluster (by :attr:`dup_key`)."""
        return self._docs("dup", lambda: self.dup_key, key)

    def docs_of_phash(self, key: int) -> np.ndarray:
        """Every document with one paragraph fingerprint (by :attr:`phash_key`)."""
        return self._docs("phash", lambda: self.phash_key, key)

    def segment_of(self, docnum: int) -> tuple[int, int]:
        """(segment index, docnum within it) of a global docnum."""
        at = int(np.searchsorted(self.offsets, docnum, side="right")) - 1
        return at, docnum - self.offsets[at]


def doc_table(searcher: Searcher) -> DocTable:
    """The searcher's table, made on first use (a searcher serves one thread at a time)."""
    table = getattr(searcher, "_byline_table", None)
    if table is None:
        table = DocTable(searcher)
        searcher._byline_table = table
    return table
