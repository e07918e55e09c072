"""Reading Whoosh columns per segment, each value decoded once.

Whoosh's ``MultiReader.column_reader`` leaves out segments that lack a column
(no document in them had the field), so a global docnum would be read from
the wrong segment or raise IndexError; here every segment is read on its own.
Counting, collapsing and facets read columns for every match of every query:
segments are immutable, so each value is decoded once and kept until the
segment reader goes away with its generation.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

_MEMO: weakref.WeakKeyDictionary[Any, dict[str, list[Any]]] = weakref.WeakKeyDictionary()
_UNREAD = object()


def segment_column(reader: Any, name: str) -> Callable[[int], Any]:
    """Segment docnum -> the column's value (None where the segment has no such column)."""
    if not reader.has_column(name):
        return lambda docnum: None
    per_reader = _MEMO.setdefault(reader, {})
    values = per_reader.get(name)
    if values is None:
        values = per_reader[name] = [_UNREAD] * reader.doc_count_all()
    column = reader.column_reader(name)

    def get(docnum: int) -> Any:
        value = values[docnum]
        if value is _UNREAD:
            value = values[docnum] = column[docnum]
        return value

    return get


def column_getter(reader: Any, name: str) -> Callable[[int], Any]:
    """Global docnum -> the column's value, for a (possibly multi-segment) reader."""
    leaves = reader.leaf_readers()
    offsets = [offset for _, offset in leaves]
    getters = [segment_column(r, name) for r, _ in leaves]

    def get(docnum: int) -> Any:
        i = bisect_right(offsets, docnum) - 1
        return getters[i](docnum - offsets[i])

    return get
