"""Trends: matching articles per period against counts computed independently here."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from indexer import QueryError
from indexer.trends import MAX_QUERIES, next_period, period_label, period_start


def story(title: str, day: str, body: str, source: str = "AP") -> str:
    return f"---\ntitle: {title}\ndate: {day}\nsource: {source}\n---\n{body}\n"


@pytest.fixture()
def archive(make_engine: Any) -> tuple[Any, dict[str, tuple[str, str, str]]]:
    """Sixty articles over 1987 (some months empty), each about oil, wheat, both or neither."""
    rng = random.Random(7)
    files: dict[str, str] = {}
    truth: dict[str, tuple[str, str, str]] = {}
    months = [1, 2, 3, 5, 6, 9]  # April, July, August, October-December have no articles
    topics = ["oil", "wheat", "oil and wheat", "gold"]
    for i in range(60):
        day = date(1987, rng.choice(months), rng.randint(1, 28)).isoformat()
        topic = rng.choice(topics)
        source = rng.choice(["AP", "Reuters"])
        body = (
            f"Traders watched {topic} markets closely on the day.\n\nA second paragraph on {topic}."
        )
        files[f"s{i:02d}.md"] = story(f"Story {i}", day, body, source)
        truth[f"s{i:02d}"] = (day, topic, source)
    files["undated.md"] = "Undated oil\n\nOil with no date.\n"
    engine = make_engine(files)
    engine.reindex()
    return engine, truth


def expected(
    truth: dict[str, tuple[str, str, str]], word: str, source: str | None = None
) -> dict[str, tuple[int, int]]:
    matches: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for day, topic, src in truth.values():
        if source and src != source:
            continue
        month = day[:7]
        totals[month] += 1
        if word in topic.split():
            matches[month] += 1
    return {m: (matches[m], totals[m]) for m in totals}


def test_monthly_counts_and_shares_equal_an_independent_count(archive: Any) -> None:
    engine, truth = archive
    trends = engine.trends(["oil", "wheat"], interval="month")
    assert trends.interval == "month" and trends.normalized
    assert [s.query for s in trends.series] == ["oil", "wheat"]
    for series, word in zip(trends.series, ["oil", "wheat"], strict=True):
        want = expected(truth, word)
        got = {p.period: (p.matches, p.total) for p in series.points if p.total}
        first, last = series.points[0].period, series.points[-1].period
        assert got == {m: v for m, v in want.items() if first <= m <= last}
        either = {**expected(truth, "oil"), **expected(truth, "wheat")}
        assert first == min(
            m for m in either if expected(truth, "oil")[m][0] or expected(truth, "wheat")[m][0]
        )
        for p in series.points:
            if p.total:
                assert p.share == pytest.approx(p.matches / p.total)
            else:
                assert p.share is None and p.matches == 0  # a gap, not a zero
    periods = trends.periods
    assert periods == tuple(p.period for p in trends.series[1].points)
    assert "1987-04" in periods and "1987-07" in periods  # empty months inside the range are kept
    assert trends.series[0].points[periods.index("1987-04")].share is None
    # the undated article is in no period
    assert sum(p.matches for p in trends.series[0].points) == sum(
        1 for _, topic, _ in truth.values() if "oil" in topic.split()
    )


def test_filters_restrict_matches_and_totals_alike(archive: Any) -> None:
    engine, truth = archive
    series = engine.trends(["oil source:reuters"], interval="month").series[0]
    want = expected(truth, "oil", source="Reuters")
    assert {p.period: (p.matches, p.total) for p in series.points if p.total} == {
        m: v for m, v in want.items() if m in {p.period for p in series.points}
    }
    by_option = engine.trends(["oil"], interval="month", source="reuters").series[0]
    assert by_option.points == series.points


@pytest.mark.parametrize("interval", ["day", "week", "year"])
def test_other_intervals_add_up_to_the_same_articles(archive: Any, interval: str) -> None:
    engine, truth = archive
    series = engine.trends(["oil"], interval=interval).series[0]
    assert sum(p.matches for p in series.points) == sum(
        1 for _, topic, _ in truth.values() if "oil" in topic.split()
    )
    assert sum(p.total for p in series.points) <= len(truth)
    labels = [p.period for p in series.points]
    assert labels == sorted(labels) and len(set(labels)) == len(labels)


def test_periods() -> None:
    d = date(1987, 3, 4)  # a Wednesday
    assert period_start(d, "week") == date(1987, 3, 2)
    assert period_label(d, "week") == "1987-W10"
    assert period_label(d, "month") == "1987-03" and period_label(d, "year") == "1987"
    assert next_period(date(1987, 12, 5), "month") == date(1988, 1, 1)
    assert next_period(date.max, "day") == date.max
    assert next_period(date(1987, 3, 2), "week") - date(1987, 3, 2) == timedelta(days=7)


def test_no_match_and_bad_input(archive: Any) -> None:
    engine, _ = archive
    empty = engine.trends(["zebra"])
    assert empty.series[0].points == () and empty.periods == ()
    with pytest.raises(QueryError, match="interval must be one of day, week, month, year"):
        engine.trends(["oil"], interval="fortnight")
    with pytest.raises(QueryError, match="at least one query"):
        engine.trends([])
    with pytest.raises(QueryError, match=f"at most {MAX_QUERIES}"):
        engine.trends(["oil"] * (MAX_QUERIES + 1))
    assert engine.trends(["the"]).series[0].notice  # only stop words: said, not an error
    shape = engine.trends(["oil"]).to_dict()
    assert list(shape) == ["interval", "series"]
    assert list(shape["series"][0]) == ["query", "points"]
    assert list(shape["series"][0]["points"][0]) == ["period", "matches", "total", "share"]


def test_totals_follow_a_full_rebuild(archive: Any) -> None:
    engine, _ = archive
    before = engine.trends(["oil"], interval="year").series[0].points[0]
    source = engine.config.source_dir
    for i in range(5):
        (source / f"more{i}.md").write_text(story(f"More {i}", "1987-03-03", "Gold only."))
    engine.reindex(full=True)  # a new index, whose own generation may repeat the old one's
    after = engine.trends(["oil"], interval="year").series[0].points[0]
    assert after.total == before.total + 5 and after.matches == before.matches
