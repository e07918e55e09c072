"""Facet counts and coverage over time for the articles a query matched.

Counted per matching article (not per paragraph) from Whoosh columns, so it
costs one column read per article and no stored-field lookups.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta

from whoosh.searching import Searcher

from .columns import column_getter
from .models import Bucket, FacetValue

FACET_FIELDS = ("source", "section", "place")
MAX_FACET_VALUES = 12


def facet_counts(
    searcher: Searcher, first_docs: Mapping[str, int]
) -> dict[str, tuple[FacetValue, ...]]:
    """Counts of matching articles by source, section, place and year."""
    reader = searcher.reader()
    out: dict[str, tuple[FacetValue, ...]] = {}
    for name in FACET_FIELDS:
        column = column_getter(reader, name)
        counts: Counter[str] = Counter()
        for docnum in first_docs.values():
            raw = column(docnum)
            for value in (raw or "").split(","):
                if value.strip():
                    counts[value.strip()] += 1
        out[name] = tuple(FacetValue(v, n) for v, n in counts.most_common(MAX_FACET_VALUES))
    years: Counter[str] = Counter()
    dates = column_getter(reader, "date")
    for docnum in first_docs.values():
        d = dates(docnum)
        if d:
            years[d[:4]] += 1
    out["year"] = tuple(FacetValue(y, n) for y, n in sorted(years.items()))
    return out


def coverage(searcher: Searcher, first_docs: Mapping[str, int]) -> tuple[Bucket, ...]:
    """Matching articles per day, month or year, chosen from the span of their dates."""
    dates_column = column_getter(searcher.reader(), "date")
    days: list[date] = []
    for docnum in first_docs.values():
        value = dates_column(docnum)
        if value:
            try:
                days.append(date.fromisoformat(value[:10]))
            except ValueError:
                continue
    if not days:
        return ()
    first, last = min(days), max(days)
    span = (last - first).days
    if span <= 62:
        unit, key = "day", (lambda d: d)
    elif span <= 5 * 366:
        unit, key = "month", (lambda d: d.replace(day=1))
    else:
        unit, key = "year", (lambda d: d.replace(month=1, day=1))
    counts = Counter(key(d) for d in days)
    buckets: list[Bucket] = []
    current = key(first)
    while current <= last:
        nxt = _next(current, unit)
        buckets.append(Bucket(_label(current, unit), current.isoformat(),
                              (nxt - timedelta(days=1)).isoformat(), unit, counts.get(current, 0)))
        current = nxt
    return tuple(buckets)


def _next(d: date, unit: str) -> date:
    if unit == "day":
        return d + timedelta(days=1)
    if unit == "month":
        return date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return date(d.year + 1, 1, 1)


def _label(d: date, unit: str) -> str:
    return d.isoformat() if unit == "day" else d.strftime("%Y-%m") if unit == "month" else str(d.year)
