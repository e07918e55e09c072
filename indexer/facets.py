"""Facet counts and coverage over time for the articles a query matched.

Counted per matching article (not per paragraph) from the sidecar columns, with
one numpy count per column over the matching articles' codes, and no stored-field
lookups: the cost is a few array operations over the matching articles.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import numpy as np

from .columns import DocTable
from .models import Bucket, FacetValue

FACET_FIELDS = ("source", "section", "place")
MAX_FACET_VALUES = 12


def facet_counts(table: DocTable, docs: np.ndarray) -> dict[str, tuple[FacetValue, ...]]:
    """Counts of matching articles by source, section, place and year (one doc per article)."""
    out: dict[str, tuple[FacetValue, ...]] = {}
    for name in FACET_FIELDS:
        counts: Counter[str] = Counter()
        for raw, n in _value_counts(table, name, docs):
            for value in raw.split(","):
                if value.strip():
                    counts[value.strip()] += n
        out[name] = tuple(FacetValue(v, n) for v, n in counts.most_common(MAX_FACET_VALUES))
    years: Counter[str] = Counter()
    for day, n in _days(table, docs).items():
        years[str(day.year)] += n
    out["year"] = tuple(FacetValue(y, n) for y, n in sorted(years.items()))
    return out


def _days(table: DocTable, docs: np.ndarray) -> Counter[date]:
    """Matching articles per day (undated ones left out)."""
    days, counts = np.unique(table.date[docs], return_counts=True)
    return Counter(
        {
            date.fromordinal(int(d)): int(n)
            for d, n in zip(days.tolist(), counts.tolist(), strict=True)
            if d > 0
        }
    )


def _value_counts(table: DocTable, name: str, docs: np.ndarray) -> list[tuple[str, int]]:
    """(column value, number of ``docs`` with it) for every non-empty value."""
    codes, values = table.codes(name)
    counts = np.bincount(codes[docs], minlength=len(values))
    return [(values[c], int(counts[c])) for c in np.flatnonzero(counts).tolist() if c]


def coverage(table: DocTable, docs: np.ndarray) -> tuple[Bucket, ...]:
    """Matching articles per day, month or year, chosen from the span of their dates."""
    days = _days(table, docs)
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
    counts: Counter[date] = Counter()
    for d, n in days.items():
        counts[key(d)] += n
    buckets: list[Bucket] = []
    current = key(first)
    while current <= last:
        nxt = _next(current, unit)
        buckets.append(
            Bucket(
                _label(current, unit),
                current.isoformat(),
                (nxt - timedelta(days=1)).isoformat(),
                unit,
                counts.get(current, 0),
            )
        )
        current = nxt
    return tuple(buckets)


def _next(d: date, unit: str) -> date:
    if unit == "day":
        return d + timedelta(days=1)
    if unit == "month":
        return date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return date(d.year + 1, 1, 1)


def _label(d: date, unit: str) -> str:
    return (
        d.isoformat() if unit == "day" else d.strftime("%Y-%m") if unit == "month" else str(d.year)
    )
