"""News search in the web UI and JSON API: filters, sort, facets, coverage chart, copies, export, related.

A small corpus of dated multi-source articles with front matter, including three
copies of one wire story (identical bodies) to exercise "and N similar".
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import assert_inert, make_app, text
from .data import NEWS, XSS_IMG, XSS_SCRIPT


@pytest.fixture()
def news_engine(make_engine: Any) -> Any:
    engine = make_engine(NEWS)
    engine.reindex()
    return engine


@pytest.fixture()
def news(news_engine: Any) -> Iterator[Any]:
    yield make_app(news_engine).test_client()


def links(html: str, pattern: str = r"/search\?") -> list[str]:
    return [
        unescape(h) for h in re.findall(r'href="([^"]*)"', html) if re.match(pattern, unescape(h))
    ]


def params(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def titles(html: str) -> list[str]:
    return [
        unescape(t)
        for t in re.findall(
            r'<h2 class="hit-title"><a [^>]*>(?:<span[^>]*>[^<]*</span>)?([^<]*)</a>', html
        )
    ]


def dates(html: str) -> list[str]:
    return re.findall(r'<span class="date">([^<]*)</span>', html)


# -- filter bar, chips --------------------------------------------------------------------


def test_filter_bar_is_a_plain_get_form(news: Any) -> None:
    html = text(news.get("/search?q=oil+prices&group=paragraph"))
    form = re.search(
        r'<form class="filters" action="/search" method="get".*?</form>', html, re.DOTALL
    )
    assert form, html
    form_html = form.group(0)
    for name in ("from", "to"):
        assert re.search(rf'<label for="f-{name}">', form_html)
        assert f'name="{name}"' in form_html
    for name in ("source", "section", "sort"):
        assert f'<select id="f-{name}" name="{name}"' in form_html
    assert '<option value="CBC">CBC (1)</option>' in form_html
    assert '<option value="business">business (' in form_html
    assert '<option value="newest">Newest first</option>' in form_html
    # the query and the grouping travel with the form; an Apply button needs no script
    assert '<input type="hidden" name="q" value="oil prices">' in form_html
    assert '<input type="hidden" name="group" value="paragraph">' in form_html
    assert '<button type="submit">Apply</button>' in form_html


def test_source_filter_narrows_and_shows_a_removable_chip(news: Any) -> None:
    html = text(news.get("/search?q=oil&source=CBC&group=paragraph"))
    assert set(re.findall(r'<span class="source">([^<]*)</span>', html)) == {"CBC"}
    chips = re.search(r'<ul class="chips".*?</ul>', html, re.DOTALL)
    assert chips and "Source" in chips.group(0) and "CBC" in chips.group(0)
    remove = links(chips.group(0))
    assert remove and params(remove[0]) == {"q": "oil", "group": "paragraph"}
    everything = text(news.get(remove[0]))
    assert len(set(re.findall(r'<span class="source">([^<]*)</span>', everything))) >= 3
    assert '<option value="CBC" selected>' in html


def test_filters_in_the_query_text_are_chips_too(news: Any) -> None:
    html = text(news.get("/search", query_string={"q": "oil section:politics"}))
    assert titles(html) == ["MPs debate fuel duty"]
    chips = re.search(r'<ul class="chips".*?</ul>', html, re.DOTALL)
    assert chips and "politics" in chips.group(0)
    assert params(links(chips.group(0))[0]) == {"q": "oil"}


def test_date_range_from_to(news: Any) -> None:
    html = text(news.get("/search?q=oil&from=2022-01-01&to=2022-01-31&group=paragraph"))
    assert dates(html) and all(d.startswith("2022-01") for d in dates(html))
    assert 'id="f-from" name="from" value="2022-01-01"' in html
    assert 'id="f-to" name="to" value="2022-01-31"' in html
    assert "2022-01-01..2022-01-31" in html  # the chip
    assert "Heating bills" not in html and "MPs debate" not in html
    only_from = text(news.get("/search?q=oil&from=2022-02&group=paragraph"))
    assert dates(only_from) and all(d >= "2022-02" for d in dates(only_from))


def test_bad_date_is_ignored_with_a_notice(news: Any) -> None:
    r = news.get("/search?q=oil&date=yesterday")
    assert r.status_code == 200
    html = text(r)
    assert re.search(r'class="notice"[^>]*>Filters were ignored: cannot read the date', html)
    assert "Heating bills" in html  # searched without the filter


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_by_date(news: Any, sort: str) -> None:
    html = text(news.get(f"/search?q=oil&sort={sort}"))
    found = dates(html)
    assert len(found) >= 4
    assert found == sorted(found, reverse=sort == "newest")
    assert f'<option value="{sort}" selected>' in html
    # paging and facet links keep the sort
    assert all(params(h).get("sort") == sort for h in links(html) if "source=" in h)


def test_bad_sort_is_a_400(news: Any) -> None:
    r = news.get("/search?q=oil&sort=loudest")
    assert r.status_code == 400 and "sort must be one of relevance, newest, oldest" in text(r)


# -- facets -------------------------------------------------------------------------------


def test_facets_count_and_link_keeping_every_parameter(news: Any) -> None:
    html = text(news.get("/search?q=oil&group=paragraph&sort=oldest&per_page=5"))
    aside = re.search(r'<aside class="facets".*?</aside>', html, re.DOTALL)
    assert aside, html
    facets = aside.group(0)
    for heading in ("Source", "Section", "Place", "Year"):
        assert f"<h3>{heading}</h3>" in facets
    assert re.search(r'<span class="value">business</span> <span class="count">4</span>', facets)
    section = next(h for h in links(facets) if params(h).get("section") == "politics")
    assert params(section) == {
        "q": "oil",
        "section": "politics",
        "group": "paragraph",
        "sort": "oldest",
        "per_page": "5",
    }
    year = next(h for h in links(facets) if params(h).get("date") == "2021")
    narrowed = text(news.get(year))
    assert titles(narrowed) == ["Heating bills climb as winter nears"]
    # the chosen value is marked and links back to the unfiltered search
    politics = text(news.get(section))
    active = re.search(r'<li class="active">\s*<a href="([^"]*)" aria-current="true"', politics)
    assert active and "section" not in params(unescape(active.group(1)))
    place = next(h for h in links(facets) if params(h).get("place") == "usa")
    assert set(re.findall(r'<span class="source">([^<]*)</span>', text(news.get(place)))) <= {
        "Reuters",
        "AP",
    }


# -- coverage chart ---------------------------------------------------------------------


def test_coverage_chart_is_an_accessible_svg_of_links(news: Any) -> None:
    html = text(news.get("/search?q=oil"))
    svg = re.search(r"<svg .*?</svg>", html, re.DOTALL)
    assert svg, html
    chart = svg.group(0)
    assert 'role="group"' in chart and 'aria-labelledby="coverage-title"' in chart
    assert re.search(
        r'<title id="coverage-title">Matching articles per month, 2021-11 to 2022-03', chart
    )
    bars = re.findall(r'<a href="([^"]*)" aria-label="([^"]*)">', chart)
    assert [label for _, label in bars] == [
        "2021-11: 1 article",
        "2022-01: 3 articles",
        "2022-02: 1 article",
        "2022-03: 1 article",
    ]
    january = unescape(bars[1][0])
    assert params(january) == {"q": "oil", "date": "2022-01-01..2022-01-31"}
    assert "Most coverage: 2022-01 (3 articles)" in html
    assert "style=" not in html and "<style" not in html and "<script>" not in html
    narrowed = text(news.get(january))
    assert dates(narrowed) and all(d.startswith("2022-01") for d in dates(narrowed))
    # within one month the chart goes by day
    assert "Matching articles per day" in narrowed
    # the same numbers as a table of links, for screen readers and small screens
    assert re.search(r"<summary>Coverage as a table</summary>", html)


def test_no_dates_no_chart(make_engine: Any) -> None:
    engine = make_engine({"a.txt": "Undated oil story\n\nOil without a date."})
    engine.reindex()
    html = text(make_app(engine).test_client().get("/search?q=oil"))
    assert "<svg" not in html and "Coverage over time" not in html


# -- copies: "and N similar" --------------------------------------------------------------


def test_copies_collapse_into_and_n_similar_articles(news: Any) -> None:
    html = text(news.get("/search?q=monday"))
    assert len(titles(html)) == 1
    m = re.search(r'<p class="similar">\s*<a href="([^"]*)">and 2 similar articles</a>', html)
    assert m, html
    cluster = unescape(m.group(1))
    assert re.fullmatch(r"monday dup:\S+", params(cluster)["q"])
    copies = text(news.get(cluster))
    assert len(titles(copies)) == 3
    assert {"CBC", "Reuters", "AP"} == set(
        re.findall(r'<span class="source">([^<]*)</span>', copies)
    )
    assert "Copies of" in copies  # a removable chip


def test_identical_paragraphs_collapse_and_expand(news: Any) -> None:
    html = text(news.get("/search?q=monday&group=paragraph"))
    assert html.count('class="hit ') == 1
    m = re.search(r'<p class="similar">\s*<a href="([^"]*)">and 2 similar</a>', html)
    assert m, html
    expanded_url = unescape(m.group(1))
    assert params(expanded_url) == {"q": "monday", "similar": "show", "group": "paragraph"}
    expanded = text(news.get(expanded_url))
    assert expanded.count('class="hit ') == 3
    assert "collapse copies" in expanded


# -- export ---------------------------------------------------------------------------------


def test_export_links_keep_the_search(news: Any) -> None:
    html = text(news.get("/search?q=oil&source=CBC&sort=newest&page=1"))
    csv_link = next(h for h in links(html, r"/export\.csv"))
    json_link = next(h for h in links(html, r"/export\.json"))
    assert params(csv_link) == params(json_link) == {"q": "oil", "source": "CBC", "sort": "newest"}


def test_export_csv(news: Any) -> None:
    r = news.get("/export.csv?q=oil&group=paragraph&section=business")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="byline-oil-business.csv"'
    body = text(r)
    assert body.startswith("# query: oil\n# exported: ")
    rows = list(
        csv.DictReader(
            io.StringIO("\n".join(line for line in body.splitlines() if not line.startswith("#")))
        )
    )
    assert rows and {row["section"] for row in rows} == {"business"}
    assert all(row["rank"] == str(n) for n, row in enumerate(rows, 1))


def test_export_json_and_its_bound(
    news: Any, news_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = news.get("/export.json?q=oil&date=2022-01")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.headers["Content-Disposition"].startswith(
        'attachment; filename="byline-oil-2022-01.json"'
    )
    data = json.loads(text(r))
    assert data["query"] == "oil" and data["exported"] and data["options"]["date"] == "2022-01"
    assert data["count"] == len(data["hits"]) >= 1
    assert all(h["date"].startswith("2022-01") for h in data["hits"])
    seen: dict[str, Any] = {}
    real = news_engine.export
    monkeypatch.setattr(news_engine, "export", lambda q, **kw: seen.update(kw) or real(q, **kw))
    assert news.get("/export.csv?q=oil").status_code == 200
    assert seen["limit"] == 1000 and seen["fmt"] == "csv"
    assert news.get("/export.xml?q=oil").status_code == 404


# -- JSON API ---------------------------------------------------------------------------


def test_api_search_takes_the_new_parameters(news: Any, news_engine: Any) -> None:
    r = news.get("/api/search?q=oil&source=cbc&sort=newest&group=paragraph")
    assert r.status_code == 200
    data = r.get_json()
    assert data["sort"] == "newest" and data["filters"] == {"source": "cbc"}
    assert {h["source"] for h in data["hits"]} == {"CBC"}
    assert set(data["facets"]) == {"source", "section", "place", "year"}
    assert data["coverage"] and data["coverage"][0]["unit"] == "day"
    expected = news_engine.search(
        "oil", per_page=10, sort="newest", facets=True, source="cbc"
    ).to_dict()
    data.pop("took_ms"), expected.pop("took_ms")
    assert data == expected
    dated = news.get("/api/search?q=oil&date=2021").get_json()
    assert [h["title"] for h in dated["hits"]] == ["Heating bills climb as winter nears"]
    collapsed = news.get("/api/search?q=monday&group=paragraph").get_json()
    shown = news.get("/api/search?q=monday&group=paragraph&similar=show").get_json()
    assert len(collapsed["hits"]) == 1 and collapsed["hits"][0]["similar"] == 2
    assert len(shown["hits"]) == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=oil&sort=loudest", "sort must be one of relevance, newest, oldest"),
        ("q=oil&date=yesterday", "cannot read the date 'yesterday'"),
        ("q=oil+date:soon", "cannot read the date 'soon'"),
        ("q=oil&similar=all", "similar must be 'show'"),
    ],
)
def test_api_bad_sort_or_date_is_a_400_with_a_message(news: Any, query: str, message: str) -> None:
    r = news.get("/api/search?" + query)
    assert r.status_code == 400 and r.mimetype == "application/json"
    assert message in r.get_json()["error"]["message"]


def test_api_related(news: Any) -> None:
    data = news.get("/api/articles/bbc-politics/related").get_json()
    assert data["article_id"] == "bbc-politics"
    ids = [h["article_id"] for h in data["related"]]
    assert ids and "bbc-politics" not in ids
    # copies of one story are not "related" to each other
    cbc = [h["article_id"] for h in news.get("/api/articles/cbc-oil/related").get_json()["related"]]
    assert "reuters-oil" not in cbc and "ap-oil" not in cbc
    assert news.get("/api/articles/nope/related").status_code == 404
    assert news.get("/api/articles/cbc-oil/related?limit=x").status_code == 400


# -- article page ----------------------------------------------------------------------


def test_article_header_and_related_coverage(news: Any) -> None:
    html = text(news.get("/articles/cbc-oil?q=oil"))
    meta = re.search(r'<p class="meta">.*?</p>', html, re.DOTALL)
    assert meta
    m = meta.group(0)
    assert '<span class="source">CBC</span>' in m
    assert '<time class="date" datetime="2022-01-03">2022-01-03</time>' in m
    assert '<span class="section">business</span>' in m
    assert "By Jane Smith" in m
    assert '<a class="url" href="https://example.com/cbc/oil"' in m and "example.com" in m
    related = re.search(r'<section class="related".*?</section>', html, re.DOTALL)
    assert related and "Related coverage" in related.group(0)
    hrefs = re.findall(r'href="/articles/([^"?#]+)"', related.group(0))
    assert hrefs and "cbc-oil" not in hrefs
    assert "reuters-oil" not in hrefs  # a copy, not related coverage
    bbc = text(news.get("/articles/bbc-politics"))
    assert "javascript:alert(1)" not in re.findall(r'href="([^"]*)"', bbc)
    assert 'class="url"' not in bbc
    assert_inert(bbc)


# -- escaping ------------------------------------------------------------------------------


def test_hostile_source_and_section_are_escaped_everywhere(news: Any) -> None:
    pages = [
        "/search?q=hostile",
        "/search?q=hostile&group=paragraph",
        "/search?q=oil",  # facets, selects and the chart
        "/search?q=oil&source=" + XSS_SCRIPT,
        "/search?q=oil&section=" + XSS_IMG,
        "/search",  # below, with query strings that reach the chips and hidden inputs
        "/articles/hostile",
    ]
    for url in pages:
        r = news.get(url)
        assert r.status_code == 200, url
        assert_inert(text(r))
    for qs in (
        {"q": "oil", "source": XSS_SCRIPT},
        {"q": "oil", "section": XSS_IMG},
        {"q": "oil", "author": XSS_IMG, "date": XSS_SCRIPT},
        {"q": "oil " + XSS_IMG, "source": "cbc"},
    ):
        html = text(news.get("/search", query_string=qs))
        assert_inert(html)
    oil = text(news.get("/search?q=oil"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in oil  # shown as text in facets/selects
    assert "&lt;img src=x onerror=alert(1)&gt;" in oil
    filtered = text(news.get("/search", query_string={"q": "oil", "section": XSS_IMG}))
    assert titles(filtered) == [f"Oil {XSS_SCRIPT} headline"]
    data = news.get("/api/search?q=hostile").get_json()
    assert data["hits"][0]["source"] == XSS_SCRIPT


def test_filters_alone_browse_the_archive(news: Any) -> None:
    html = text(news.get("/search?source=CBC&sort=newest"))
    assert titles(html) == ["Oilers win in overtime", "Oil prices jump on supply fears"]
