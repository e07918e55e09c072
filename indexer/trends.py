"""Trends: several queries' matching articles per day, week, month or year, and their share.

Each query is evaluated once over the whole index as a match set, the way
facets and the coverage chart are (:meth:`indexer.shards.Shard.query` with
facets on: one count per matching article by day, no scoring, no paging); the
denominator is the same count for every article under the query's filters
(``source:reuters`` compares against Reuters' output), cached per index
generation. Periods run from the first to the last one any query matches in;
a period in which no article at all is dated has no share (a gap, not a zero).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from .config import IndexConfig
from .errors import QueryError
from .models import TrendPoint, Trends, TrendSeries
from .request import INTERVAL_NAMES, SearchRequest
from .search import ONLY_COMMON_WORDS, Shards, merge, read_query, too_long
from .shards import QuerySpec

#: The interval names, in order (the registry is :data:`indexer.request.INTERVALS`).
INTERVALS = INTERVAL_NAMES
#: Queries compared at once.
MAX_QUERIES = 10
#: Periods in one chart (a day interval over decades is refused with a suggestion).
MAX_PERIODS = 5000


def period_start(d: date, interval: str) -> date:
    """The first day of the period holding ``d`` (weeks start on Monday, as ISO weeks do)."""
    if interval == "day":
        return d
    if interval == "week":
        return d - timedelta(days=d.weekday())
    if interval == "month":
        return d.replace(day=1)
    return d.replace(month=1, day=1)


def next_period(d: date, interval: str) -> date:
    """The first day of the following period (``date.max`` past the calendar's end)."""
    try:
        return _next(d, interval)
    except (OverflowError, ValueError):
        return date.max


def _next(d: date, interval: str) -> date:
    if interval == "day":
        return d + timedelta(days=1)
    if interval == "week":
        return d + timedelta(days=7)
    if interval == "month":
        return date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return date(d.year + 1, 1, 1)


def period_label(d: date, interval: str) -> str:
    """``1987-03-02``, ``1987-W10``, ``1987-03`` or ``1987``."""
    if interval == "day":
        return d.isoformat()
    if interval == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"
    if interval == "month":
        return d.strftime("%Y-%m")
    return str(d.year)


def check_interval(interval: object) -> str:
    if interval not in INTERVALS:
        raise QueryError(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r:.40}")
    return str(interval)


def _by_period(days: Counter[int], interval: str) -> Counter[date]:
    out: Counter[date] = Counter()
    for day, n in days.items():
        out[period_start(date.fromordinal(day), interval)] += n
    return out


def _days(
    shards: Shards,
    q: wq.Query,
    active: tuple[tuple[str, str], ...],
    since: int | None,
    config: IndexConfig,
) -> Counter[int]:
    """Matching articles per day (one per article; undated ones left out) over every shard."""
    spec = QuerySpec(
        q,
        active,
        "newest",  # every match is read for the counts anyway; date order needs no scores
        1,
        False,
        True,
        False,
        1,
        config.count_limit,
        config.max_results,
        since,
    )
    merged = merge(shards.query(spec), spec)
    return Counter(merged.facets.days) if merged.facets is not None else Counter()


TotalsCache = OrderedDict[Any, Counter[int]]
_cache_lock = threading.Lock()


def run(
    searcher: Searcher,
    shards: Shards,
    requests: Sequence[SearchRequest],
    interval: str,
    normalize: bool,
    config: IndexConfig,
    cache: TotalsCache | None = None,
    generation: Any = None,
) -> Trends:
    """Every request's matching articles per period, with the period's total and the share.

    ``cache`` keeps the totals between calls, keyed by ``generation`` (which
    must change whenever the index does: the engine passes the index's name
    and generation) and the filters.
    """
    interval = check_interval(interval)
    if not requests:
        raise QueryError("give at least one query to compare")
    if len(requests) > MAX_QUERIES:
        raise QueryError(f"compare at most {MAX_QUERIES} queries at once, not {len(requests)}")
    if generation is None:
        cache = None  # nothing to tell one index from the next
    found: list[tuple[str, Counter[date], Counter[date], str | None]] = []
    for request in requests:
        text = request.query
        message = too_long(text, config)
        if message:
            raise QueryError(message)
        r, parsed = read_query(searcher, request, config)
        notice = r.notice or (parsed.notice if parsed else None)
        since = request.since_seconds
        key = (generation, r.active, since)
        with _cache_lock:
            totals = cache.get(key) if cache is not None else None
        if totals is None:
            totals = _days(shards, wq.Every(), r.active, since, config)
            if cache is not None:
                with _cache_lock:
                    cache[key] = totals
                    while len(cache) > 32:
                        cache.popitem(last=False)
        if parsed is None or parsed.query is wq.NullQuery:
            matched: Counter[int] = Counter()
            if r.words.strip() and notice is None:
                notice = ONLY_COMMON_WORDS
        else:
            matched = _days(shards, parsed.query, r.active, since, config)
        found.append((text, _by_period(matched, interval), _by_period(totals, interval), notice))
    starts = [p for _, matched_p, _, _ in found for p, n in matched_p.items() if n]
    if not starts:
        return Trends(interval, normalize, tuple(TrendSeries(t, (), n) for t, _, _, n in found))
    first, last = min(starts), max(starts)
    periods: list[date] = []
    current = first
    while current <= last and (not periods or current > periods[-1]):
        periods.append(current)
        if len(periods) > MAX_PERIODS:
            longer = INTERVALS[min(INTERVALS.index(interval) + 1, len(INTERVALS) - 1)]
            raise QueryError(
                f"the matches span more than {MAX_PERIODS:,} {interval}s: "
                f"use a longer interval (interval={longer}) or a date filter"
            )
        current = next_period(current, interval)
    series = []
    for text, matched_p, totals_p, notice in found:
        points = []
        for start in periods:
            total = totals_p.get(start, 0)
            n = matched_p.get(start, 0)
            points.append(
                TrendPoint(
                    period_label(start, interval),
                    start.isoformat(),
                    (next_period(start, interval) - timedelta(days=1)).isoformat()
                    if next_period(start, interval) != date.max
                    else date.max.isoformat(),
                    n,
                    total,
                    n / total if total else None,
                )
            )
        series.append(TrendSeries(text, tuple(points), notice))
    return Trends(interval, normalize, tuple(series))
