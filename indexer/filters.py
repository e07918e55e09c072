"""Metadata filters: ``date:2022-01..2022-03``, ``source:cbc``, ``section:business``...

Every filter is declared once in :data:`FILTERS`, with the label and help the
CLI, the web form and the docs show. The same filters come from the query
language (``source:cbc``) and from a request's ``filters`` (keyword arguments
in the library, ``-f NAME=VALUE`` on the CLI, form fields on the web), and
restrict results without changing their scores. This module only reads and
checks them; :mod:`indexer.search` turns them into a restriction of the index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from .errors import QueryError

FilterKind = Literal["date", "keyword", "words", "exact", "kind"]


@dataclass(frozen=True)
class Filter:
    """One filter: its name (as typed, ``name:value``), label, help, and how values match.

    ``keyword``: one of several comma-separated values, lowercase and whole;
    ``words``: every word of the value; ``date``: a day, month, year or range;
    ``exact``: the value as it is; ``kind``: paragraph kinds, comma-separated.
    """

    name: str
    label: str
    help: str
    kind: FilterKind
    example: str
    public: bool = True


#: Every filter, in the order forms and docs list them. ``dup`` is not offered in
#: forms: it is the target of the "and N similar" link (one cluster's copies).
FILTERS: tuple[Filter, ...] = (
    Filter(
        "date",
        "Date",
        "a day, month or year (1987-03), a range (1987-03-01..1987-03-15), or >, >=, <, <= a date",
        "date",
        "1987-03",
    ),
    Filter("source", "Source", "the outlet (several separated by commas)", "keyword", "reuters"),
    Filter("section", "Section", "the section or category", "keyword", "business"),
    Filter("place", "Place", "a place the article is filed under", "keyword", "usa"),
    Filter("topic", "Topic", "a topic the article is filed under", "keyword", "crude"),
    Filter("tag", "Tag", "a tag of the article", "keyword", "energy"),
    Filter("author", "Author", "words of the byline", "words", "smith"),
    Filter(
        "kind",
        "Paragraph kind",
        "headline, heading, body or caption (several separated by commas)",
        "kind",
        "caption",
    ),
    Filter(
        "dup",
        "Copies of",
        "one cluster of near-duplicate articles",
        "exact",
        "reut2-000#1",
        public=False,
    ),
)
BY_NAME: dict[str, Filter] = {f.name: f for f in FILTERS}
FILTER_NAMES: tuple[str, ...] = tuple(BY_NAME)
PUBLIC_FILTERS: tuple[Filter, ...] = tuple(f for f in FILTERS if f.public)

_IN_QUERY = re.compile(
    r"(?<![\w:])(" + "|".join(FILTER_NAMES) + r'):("[^"]*"|[^\s()"]+)', re.IGNORECASE
)
_PARTIAL_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
#: Sorts after every digit: "2022-01~" is above every day of January 2022.
DATE_HIGH = "~"


def check_name(name: str) -> str:
    """``name`` if it is a filter, else QueryError naming the filters there are."""
    if name not in BY_NAME:
        raise QueryError(f"unknown filter {name!r}: use one of {', '.join(FILTER_NAMES)}")
    return name


def normalize(
    values: Mapping[str, str | None] | Iterable[tuple[str, str | None]],
) -> tuple[tuple[str, str], ...]:
    """(name, value) pairs in registry order, empty values dropped, names checked."""
    pairs = values.items() if isinstance(values, Mapping) else values
    found: dict[str, str] = {}
    for name, value in pairs:
        check_name(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise QueryError(f"the {name} filter must be text, not {type(value).__name__}")
        if value.strip():
            found[name] = value.strip()
    return tuple((name, found[name]) for name in FILTER_NAMES if name in found)


def extract(text: str) -> tuple[str, dict[str, str]]:
    """Split filters out of a query: ``"oil date:1987-03"`` -> ``("oil", {"date": "1987-03"})``."""
    values: dict[str, str] = {}
    for m in _IN_QUERY.finditer(text):
        values[m.group(1).lower()] = m.group(2).strip('"')
    rest = _IN_QUERY.sub(" ", text)
    return " ".join(rest.split()), values


def remove(text: str, name: str) -> str:
    """``text`` without any ``name:value`` in it (a dismissed filter chip)."""
    pattern = re.compile(r"(?<![\w:])" + re.escape(name) + r':("[^"]*"|[^\s()"]+)', re.IGNORECASE)
    return " ".join(pattern.sub(" ", text).split())


def in_query(text: str, name: str) -> bool:
    return any(m.group(1).lower() == name for m in _IN_QUERY.finditer(text))


def with_value(text: str, name: str, value: str) -> str:
    """``text`` with ``name:value`` in place of any such filter (quoted when the value needs it)."""
    quoted = f'"{value}"' if re.search(r'[\s()"]', value) else value
    return " ".join(f"{remove(text, name)} {name}:{quoted}".split())


@dataclass(frozen=True)
class DateRange:
    """Dates from ``low`` to ``high``, ISO strings (None: open); ``*_excl`` leaves the end out."""

    low: str | None
    high: str | None
    low_excl: bool = False
    high_excl: bool = False

    def days(self) -> tuple[int | None, int | None]:
        """The range as inclusive day numbers (``date.toordinal()``); None for an open end."""
        low = None if self.low is None else _first_day(self.low, after=self.low_excl)
        high = None if self.high is None else _last_day(self.high, before=self.high_excl)
        return low, high

    def contains(self, value: str) -> bool:
        if not value:
            return False
        if self.low is not None and (value < self.low or (self.low_excl and value == self.low)):
            return False
        return not (
            self.high is not None and (value > self.high or (self.high_excl and value == self.high))
        )


def _period(value: str) -> tuple[date, date]:
    """First and last day of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a trailing ``~`` ignored)."""
    parts = [int(p) for p in value.rstrip(DATE_HIGH).split("-")]
    try:
        if len(parts) == 1:
            return date(parts[0], 1, 1), date(parts[0], 12, 31)
        if len(parts) == 2:
            first = date(parts[0], parts[1], 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, following - timedelta(days=1)
        day = date(parts[0], parts[1], parts[2])
    except ValueError:
        raise QueryError(
            f"there is no date {value.rstrip(DATE_HIGH)!r}: check the month and day"
        ) from None
    return day, day


def _first_day(value: str, after: bool) -> int:
    first, last = _period(value)
    return (
        last.toordinal() + 1
        if after and value.endswith(DATE_HIGH)
        else (first.toordinal() + (1 if after else 0))
    )


def _last_day(value: str, before: bool) -> int:
    first, last = _period(value)
    if before:
        return first.toordinal() - 1
    return last.toordinal() if value.endswith(DATE_HIGH) else first.toordinal()


def _date_bound(value: str, what: str) -> str:
    if not _PARTIAL_DATE.match(value):
        raise QueryError(
            f"cannot read the date {value!r} in {what}: use YYYY, YYYY-MM or YYYY-MM-DD "
            "(e.g. date:2022-01-01..2022-01-31, date:2022, date:>2021-06)"
        )
    return value


def date_range(spec: str) -> DateRange:
    """``2022``, ``2022-01-01..2022-01-31``, ``>2021-06``, ``>=``, ``<``, ``<=`` as a range."""
    spec = spec.strip()
    what = f"date:{spec}"
    if ".." in spec:
        low, _, high = spec.partition("..")
        return DateRange(
            _date_bound(low, what) if low else None,
            _date_bound(high, what) + DATE_HIGH if high else None,
        )
    for op in (">=", "<=", ">", "<"):
        if spec.startswith(op):
            value = _date_bound(spec[len(op) :], what)
            if op == ">":
                return DateRange(value + DATE_HIGH, None, low_excl=True)
            if op == ">=":
                return DateRange(value, None)
            if op == "<":
                return DateRange(None, value, high_excl=True)
            return DateRange(None, value + DATE_HIGH)
    value = _date_bound(spec, what)
    return DateRange(value, value + DATE_HIGH)


def keyword_values(value: str) -> tuple[str, ...]:
    """The alternatives of a keyword filter: ``"cbc, Reuters"`` -> ``("cbc", "reuters")``."""
    return tuple(v.strip().lower() for v in value.split(",") if v.strip())


def author_words(value: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", value.lower()))


def kinds(value: str) -> tuple[str, ...]:
    """The paragraph kinds of a ``kind`` filter; QueryError naming the kinds there are."""
    from .models import KIND_NAMES

    found = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    searchable = [k for k in KIND_NAMES if k != "boilerplate"]
    for k in found:
        if k not in searchable:
            raise QueryError(
                f"unknown paragraph kind {k!r} in kind:{value}: use one of {', '.join(searchable)}"
            )
    return found


def check(pairs: Iterable[tuple[str, str]]) -> None:
    """Raise QueryError for a filter whose value cannot be read (a bad date)."""
    for name, value in pairs:
        if BY_NAME[check_name(name)].kind == "date":
            date_range(value)
