"""Facet counts and the coverage chart, counted per matching article."""

from __future__ import annotations

from typing import Any

from .conftest import dated_news_engine


def test_facets_and_coverage(make_engine: Any) -> None:
    e = dated_news_engine(make_engine)
    page = e.search("oil", per_article=1, facets=True)
    assert {f.value: f.count for f in page.facet("source")} == {"CBC": 2, "Reuters": 1, "BBC": 2}
    assert {f.value: f.count for f in page.facet("section")} == {
        "business": 3,
        "sport": 1,
        "tech": 1,
    }
    assert {f.value: f.count for f in page.facet("year")} == {"2021": 1, "2022": 3}
    assert page.coverage[0].unit == "month"
    assert sum(b.count for b in page.coverage) == 4  # dated articles only
    assert [b.label for b in page.coverage][:2] == ["2021-06", "2021-07"]
    jan = next(b for b in page.coverage if b.label == "2022-01")
    assert (jan.start, jan.end, jan.count) == ("2022-01-01", "2022-01-31", 2)
    assert page.to_dict()["facets"]["source"][0]["count"] == 2


def test_coverage_picks_days_months_or_years_from_the_span(make_engine: Any) -> None:
    def story(n: int, date: str) -> tuple[str, str]:
        return f"s{n}.md", f"---\ntitle: Oil {n}\ndate: {date}\n---\nOil story {n}.\n"

    for dates, unit in (
        (["2022-01-01", "2022-01-20"], "day"),
        (["2022-01-01", "2022-09-20"], "month"),
        (["2012-01-01", "2022-09-20"], "year"),
    ):
        e = make_engine(dict(story(n, d) for n, d in enumerate(dates)))
        e.reindex(full=True)
        buckets = e.search("oil", facets=True).coverage
        assert {b.unit for b in buckets} == {unit}
        assert sum(b.count for b in buckets) == 2 and buckets[0].count == buckets[-1].count == 1
        assert all(b.start <= b.end for b in buckets)
