"""Metadata filters: ``date:2022-01..2022-03``, ``source:cbc``, ``section:business``...

The same filters come from the query language and from keyword arguments
(library, CLI, web), and become one Whoosh query that restricts results
without changing their scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from .errors import QueryError

#: Filter name -> index field. Values are matched lowercase and whole.
KEYWORD_FILTERS = {"source": "source", "section": "section", "place": "place",
                   "topic": "topic", "tag": "tag"}
FILTER_NAMES = ("date", *KEYWORD_FILTERS, "author", "dup")
_FILTER = re.compile(
    r'(?<![\w:])(date|source|section|place|topic|tag|author|dup):("[^"]*"|[^\s()"]+)', re.I
)
_PARTIAL_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_HIGH = "~"  # sorts after every digit: "2022-01~" is above every day of January 2022


@dataclass(frozen=True)
class Filters:
    """Filters as given; empty values mean "no filter"."""

    values: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.values)

    def merged(self, other: dict[str, str | None]) -> Filters:
        values = dict(self.values)
        values.update({k: v for k, v in other.items() if v})
        return Filters(values)


def extract(text: str) -> tuple[str, Filters]:
    """Split filters out of a query string: ("oil date:1987-03", ...) -> ("oil", {"date": "1987-03"})."""
    values: dict[str, str] = {}
    for m in _FILTER.finditer(text):
        values[m.group(1).lower()] = m.group(2).strip('"')
    rest = _FILTER.sub(" ", text)
    return " ".join(rest.split()), Filters(values)


def _date_bound(value: str, what: str) -> str:
    if not _PARTIAL_DATE.match(value):
        raise QueryError(
            f"cannot read the date {value!r} in {what}: use YYYY, YYYY-MM or YYYY-MM-DD "
            "(e.g. date:2022-01-01..2022-01-31, date:2022, date:>2021-06)"
        )
    return value


def date_query(spec: str) -> wq.Query:
    """``2022``, ``2022-01-01..2022-01-31``, ``>2021-06``, ``>=``, ``<``, ``<=`` as a date range."""
    spec = spec.strip()
    what = f"date:{spec}"
    if ".." in spec:
        low, _, high = spec.partition("..")
        start = _date_bound(low, what) if low else None
        end = _date_bound(high, what) + _HIGH if high else None
        return wq.TermRange("date", start, end)
    for op in (">=", "<=", ">", "<"):
        if spec.startswith(op):
            value = _date_bound(spec[len(op):], what)
            if op == ">":
                return wq.TermRange("date", value + _HIGH, None, startexcl=True)
            if op == ">=":
                return wq.TermRange("date", value, None)
            if op == "<":
                return wq.TermRange("date", None, value, endexcl=True)
            return wq.TermRange("date", None, value + _HIGH)
    value = _date_bound(spec, what)
    return wq.TermRange("date", value, value + _HIGH)


def to_query(filters: Filters) -> wq.Query | None:
    """One query that every result must match, or None."""
    parts: list[wq.Query] = []
    for name, value in filters.values.items():
        if name == "date":
            parts.append(date_query(value))
        elif name in KEYWORD_FILTERS:
            options = [v.strip().lower() for v in value.split(",") if v.strip()]
            parts.append(wq.Or([wq.Term(KEYWORD_FILTERS[name], v) for v in options]))
        elif name == "author":
            words = re.findall(r"\w+", value.lower())
            parts.append(wq.And([wq.Term("author", w) for w in words]))
        elif name == "dup":
            parts.append(wq.Term("dup", value))
        else:
            raise QueryError(f"unknown filter {name!r}: use one of {', '.join(FILTER_NAMES)}")
    if not parts:
        return None
    return wq.And(parts) if len(parts) > 1 else parts[0]
