"""Facet counts and coverage over time for the articles a query matched.

Counted per matching article (not per paragraph) from the sidecar columns, with
one numpy count per column over the matching articles' codes, and no stored-field
lookups: the cost is a few array operations over the matching articles.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from .columns import DocTable
from .models import Bucket, FacetValue

FACET_FIELDS = ("source", "section", "place")
MAX_FACET_VALUES = 12


@dataclass
class FacetCounts:
    """Matching articles by facet value and by day: what shards count and a coordinator adds up.

    Articles never span shards, so the sums are exact; the lists shown are cut
    from the sums (most first, ties by value), never from each shard's own top.
    """

    values: dict[str, Counter[str]] = field(default_factory=dict)
    days: Counter[int] = field(default_factory=Counter)

    def add(self, other: FacetCounts) -> None:
        for name, counts in other.values.items():
            self.values.setdefault(name, Counter()).update(counts)
        self.days.update(other.days)


def count_facets(table: DocTable, docs: np.ndarray) -> FacetCounts:
    """Facet counts of ``docs`` (one paragraph per matching article)."""
    out = FacetCounts()
    for name in FACET_FIELDS:
        counts: Counter[str] = Counter()
        for raw, n in _value_counts(table, name, docs):
            for value in raw.split(","):
                if value.strip():
                    counts[value.strip()] += n
        out.values[name] = counts
    days, per_day = np.unique(table.date[docs], return_counts=True)
    out.days = Counter(
        {int(d): int(c) for d, c in zip(days.tolist(), per_day.tolist(), strict=True) if d > 0}
    )
    return out


def facet_lists(counts: FacetCounts) -> dict[str, tuple[FacetValue, ...]]:
    """The facets shown: the most frequent values of each (ties by value), and every year."""
    out: dict[str, tuple[FacetValue, ...]] = {}
    for name in FACET_FIELDS:
        found = counts.values.get(name, Counter())
        ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))[:MAX_FACET_VALUES]
        out[name] = tuple(FacetValue(v, n) for v, n in ranked)
    years: Counter[str] = Counter()
    for day, n in counts.days.items():
        years[str(date.fromordinal(day).year)] += n
    out["year"] = tuple(FacetValue(y, n) for y, n in sorted(years.items()))
    return out


def facet_counts(table: DocTable, docs: np.ndarray) -> dict[str, tuple[FacetValue, ...]]:
    """Counts of matching articles by source, section, place and year (one doc per article)."""
    return facet_lists(count_facets(table, docs))


def _value_counts(table: DocTable, name: str, docs: np.ndarray) -> list[tuple[str, int]]:
    """(column value, number of ``docs`` with it) for every non-empty value."""
    codes, values = table.codes(name)
    counts = np.bincount(codes[docs], minlength=len(values))
    return [(values[c], int(counts[c])) for c in np.flatnonzero(counts).tolist() if c]


def coverage(table: DocTable, docs: np.ndarray) -> tuple[Bucket, ...]:
    """Matching articles per day, month or year, chosen from the span of their dates."""
    return coverage_of(count_facets(table, docs).days)


def coverage_of(by_day: Counter[int]) -> tuple[Bucket, ...]:
    """The coverage chart of matching articles per day number (``date.toordinal()``)."""
    days = Counter({date.fromordinal(d): n for d, n in by_day.items()})
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
