"""The one place Byline touches Whoosh's private internals, checked against the pinned version.

Byline reads postings a block at a time, reads whole columns in one read and
writes posting blocks through Whoosh's own codec objects. Those use private
attributes (``_data``, ``_postwriter``, ``_dbfile``...) whose meaning is fixed
for one release of the ``whoosh-reloaded`` package only, so the release is
pinned in pyproject.toml and checked here, at import: a different version
fails at once with what to do, instead of reading an index wrongly. Every
other module uses Whoosh's public API or the functions below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import whoosh

#: The release whose internals this module is written against.
PINNED = (2, 7, 5)

if tuple(whoosh.__version__[:3]) != PINNED:  # pragma: no cover - a wrong install
    raise ImportError(
        f"Byline needs whoosh-reloaded {'.'.join(map(str, PINNED))} exactly, found "
        f"{whoosh.versionstring()}: Byline reads and writes Whoosh's index files through "
        "internals that change between releases. Install the pinned release with "
        "`pip install 'whoosh-reloaded==2.7.5'` (and uninstall `whoosh` if it is also installed)."
    )

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield  # noqa: E402
from whoosh.matching import ListMatcher  # noqa: E402
from whoosh.reading import TermNotFound  # noqa: E402

_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)


# --- reading postings ----------------------------------------------------------------


def raw_postings(reader: Any, fieldname: str, text: bytes) -> Any:
    """A segment reader's matcher for one term without its deletion filter.

    Whoosh's ``reader.postings()`` wraps the matcher to skip deleted documents
    one by one; Byline drops them from whole arrays instead.
    """
    try:
        return reader._terms.matcher(fieldname, text, reader.schema[fieldname].format)
    except (TermNotFound, AttributeError):
        return reader.postings(fieldname, text)


def _blocks(m: Any) -> Iterator[tuple[Any, Any, Any, int]]:
    """(id deltas, weights, values, count) of each block of a W3LeafMatcher, in order."""
    while m.is_active():
        if m._data is None:
            m._read_data()
        deltas, weights, values = m._data[0], m._data[1], m._data[2]
        yield deltas, weights, values, m._blocklength
        m._next_block()


def postings_arrays(m: Any, values: list[bytes] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(docnums, weights) of a matcher as arrays, a block at a time where Whoosh allows it.

    ``values``, when given, receives each posting's encoded value (positions).
    """
    if isinstance(m, W3LeafMatcher):
        id_parts: list[np.ndarray] = []
        weight_parts: list[np.ndarray] = []
        for deltas, weights, block_values, n in _blocks(m):
            if values is not None:
                values.extend(block_values)
            id_parts.append(
                np.cumsum(np.asarray(deltas, dtype=np.int64))
            )  # first delta is absolute
            if weights is None:
                weight_parts.append(np.ones(n))
            elif isinstance(weights, float):
                weight_parts.append(np.full(n, weights))
            else:
                weight_parts.append(np.asarray(weights, dtype=np.float64))
        if not id_parts:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        return np.concatenate(id_parts), np.concatenate(weight_parts)
    if isinstance(m, ListMatcher) and values is None:
        ids = np.asarray(m._ids, dtype=np.int64)
        if m._all_weights is not None:
            return ids, np.full(len(ids), float(m._all_weights))
        if m._weights:
            return ids, np.asarray(m._weights, dtype=np.float64)
        return ids, np.ones(len(ids))
    ids_l, weights_l = [], []
    while m.is_active():
        ids_l.append(m.id())
        weights_l.append(m.weight())
        if values is not None:
            values.append(m.value())
        m.next()
    return np.asarray(ids_l, dtype=np.int64), np.asarray(weights_l, dtype=np.float64)


def pattern_terms(query: Any, reader: Any) -> Iterator[bytes]:
    """The indexed terms a Prefix or Wildcard query expands to, without building its matcher."""
    return query._btexts(reader)  # type: ignore[no-any-return]


def field_b(weighting: Any, fieldname: str) -> float:
    """BM25F's length normalisation for one field (Whoosh keeps per-field overrides privately)."""
    return float(weighting._field_B.get(fieldname, weighting.B))


# --- reading columns -------------------------------------------------------------------


def column_values(column: Any, count: int) -> list[bytes] | None:
    """Every value of a variable-width bytes column in one read, or None for other columns."""
    lengths = getattr(column, "_lengths", None)
    if lengths is None or not hasattr(column, "_dbfile"):
        return None
    blob = column._dbfile.get(column._basepos, sum(lengths))
    ends = np.cumsum(np.asarray(lengths, dtype=np.int64)).tolist()
    starts = [0, *ends[:-1]]
    return [blob[s:e] for s, e in zip(starts, ends, strict=True)][:count]


def length_bytes(reader: Any, fieldname: str) -> bytes | None:
    """The byte-coded field length of every document of a segment, or None if it keeps none."""
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    if getattr(column, "_fixedlen", None) == 1 and hasattr(column, "_dbfile"):
        return bytes(
            column._dbfile.get(column._basepos, column._count)
        )  # one read, not one per doc
    return bytes(column.load())


def answer_lengths_from(reader: Any, lookup: Callable[[int, str], int | None]) -> None:
    """Make a segment reader's ``doc_field_length`` ask ``lookup`` first.

    BM25 asks for a document's field length once per scored posting; Whoosh
    answers with three calls and a file read. Only query types that Byline
    hands to Whoosh's own matchers (sloppy phrases, ranges) still ask.
    ``lookup`` returns None to fall back to Whoosh's own answer.
    """
    original = reader.doc_field_length

    def doc_field_length(docnum: int, fieldname: str, default: int = 0) -> int:
        found = lookup(docnum, fieldname)
        if found is None:
            found = original(docnum, fieldname, default)
        return default if found is None else int(found)

    reader.doc_field_length = doc_field_length


# --- tables of contents ----------------------------------------------------------------


def segments(ix: Any) -> list[Any]:
    """The segments of an index's latest generation, as new objects the caller may change.

    Byline commits by writing a table of contents itself (deletions marked on
    these objects, new segments appended) rather than through Whoosh's
    writer, which would merge segments and delete the files of older
    generations that open searchers still read.
    """
    return list(ix._segments())


def segment_deleted(segment: Any) -> set[int]:
    """The deleted docnums of a segment (a copy)."""
    return set(segment.deleted_docs())


# --- writing postings ------------------------------------------------------------------


class BlockWriter:
    """Writes one field's posting lists block by block through Whoosh's own posting writer.

    The blocks, their headers and the terms table are exactly what Whoosh's
    ``SegmentWriter`` would write (a test compares the files); only the
    per-posting calls are skipped.
    """

    def __init__(self, field_writer: Any) -> None:
        self._fw = field_writer
        self._pw = field_writer._postwriter

    @property
    def block_limit(self) -> int:
        return int(self._pw._blocklimit)

    def block(
        self,
        ids: Any,
        weights: Any,
        values: list[bytes],
        minlength: int | None,
        maxlength: int,
        last: bool,
    ) -> None:
        """Buffer one block; every block but the last is written at once."""
        pw = self._pw
        pw._ids = ids
        pw._weights = weights
        pw._values = values
        pw._maxweight = max(0, max(weights))
        pw._minlength, pw._maxlength = minlength, maxlength
        if not last:
            pw._write_block()
