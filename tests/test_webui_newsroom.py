"""The newsroom's pages and APIs: trends, export of everything, batch, suggestions, OpenSearch."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import assert_inert, make_app, text
from .data import NEWS, XSS_SCRIPT


@pytest.fixture()
def news_engine(make_engine: Any) -> Any:
    engine = make_engine(NEWS)
    engine.reindex()
    return engine


@pytest.fixture()
def news(news_engine: Any) -> Any:
    return make_app(news_engine).test_client()


def cli_args(engine: Any) -> list[str]:
    return ["--source", str(engine.config.source_dir), "--index", str(engine.config.index_dir)]


# -- trends -----------------------------------------------------------------------------------


def test_trends_page_draws_one_line_per_query_with_legend_axes_and_table(news: Any) -> None:
    html = text(news.get("/trends?q=oil&q=heating&interval=month"))
    assert "<h1>Compare over time</h1>" in html
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
    assert svg.count('<g class="series s') == 2
    assert 'role="img"' in svg and "<title" in svg
    assert "Share of all articles (%)" in svg and ">Month<" in svg
    legend = html[html.index('<ul class="legend"') :]
    assert ">oil</a>" in legend and ">heating</a>" in legend
    table = html[html.index("<table>") : html.index("</table>")]
    # the news corpus has articles in 2021-11 and 2022-01..03; December 2021 has none: a gap
    assert '<th scope="row">2021-12</th>' in table
    row = table[table.index("2021-12</th>") :].split("</tr>")[0]
    assert "no articles" in row
    assert 'href="/trends.csv?q=oil&amp;q=heating"' in html
    counts = text(news.get("/trends?q=oil&q=heating&counts=1"))
    assert "Matching articles" in counts and '<span aria-current="true">count</span>' in counts


def test_trends_json_has_the_documented_shape_and_agrees_with_search(
    news: Any, news_engine: Any
) -> None:
    body = news.get("/api/trends?q=oil&q=heating&interval=year").get_json()
    assert body["interval"] == "year"
    assert [s["query"] for s in body["series"]] == ["oil", "heating"]
    point = body["series"][0]["points"][0]
    assert list(point) == ["period", "matches", "total", "share"]
    for series in body["series"]:
        for p in series["points"]:
            page = news_engine.search(
                series["query"], date=p["period"], per_article=1, collapse_similar=False
            )
            assert p["matches"] == page.articles
    csv_body = news.get("/trends.csv?q=oil&interval=year").get_data(as_text=True)
    rows = list(csv.reader(line for line in io.StringIO(csv_body) if not line.startswith("#")))
    assert rows[0] == ["query", "period", "start", "end", "matches", "total", "share"]
    assert rows[1][:2] == ["oil", body["series"][0]["points"][0]["period"]]


@pytest.mark.parametrize(
    "url",
    [
        "/api/trends",
        "/api/trends?q=oil&interval=fortnight",
        "/api/trends?q=oil&counts=yes",
        "/api/trends?q=oil&since=later",
        "/api/trends?" + "&".join(f"q=w{i}" for i in range(11)),
        "/trends?q=oil&interval=%00",
        "/trends.csv",
    ],
)
def test_trends_bad_input_is_a_400_with_a_message(news: Any, url: str) -> None:
    response = news.get(url)
    assert response.status_code == 400
    assert (
        "must be" in text(response)
        or "Give" in text(response)
        or "at most" in text(response)
        or "since" in text(response)
    )


def test_trends_escape_hostile_queries(news: Any) -> None:
    html = text(news.get("/trends", query_string={"q": [XSS_SCRIPT + " oil", "]]> oil \x01"]}))
    assert_inert(html)
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_results_page_links_compare_over_time(news: Any) -> None:
    html = text(news.get("/search?q=oil&source=bbc"))
    links = [unescape(h) for h in re.findall(r'href="(/trends\?[^"]*)"', html)]
    assert links == ["/trends?q=oil&source=bbc"]


def test_cli_trends(news_engine: Any) -> None:
    from manage import cli

    runner = CliRunner()
    out = runner.invoke(cli, ["trends", "oil", "heating", "--json", *cli_args(news_engine)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == news_engine.trends(["oil", "heating"]).to_dict()
    table = runner.invoke(cli, ["trends", "oil", "--interval", "year", *cli_args(news_engine)])
    assert table.exit_code == 0 and "2022" in table.output and "%" in table.output
    counts = runner.invoke(cli, ["trends", "oil", "--counts", "--csv", *cli_args(news_engine)])
    assert counts.exit_code == 0 and counts.output.splitlines()[2].startswith("query,period")
    bad = runner.invoke(cli, ["trends", "oil", "--interval", "hour", *cli_args(news_engine)])
    assert bad.exit_code == 2


# -- batch ------------------------------------------------------------------------------------

BATCH = ["oil prices", '"unclosed', "", "heating", "zebra", f"{XSS_SCRIPT} oil", "=HYPERLINK(1)"]


def test_engine_batch_rows_agree_with_search_and_carry_errors(news_engine: Any) -> None:
    rows = list(news_engine.batch(BATCH))
    assert [r.query for r in rows] == [q for q in BATCH if q]
    oil = rows[0]
    page = news_engine.search("oil prices", per_article=1, facets=True)
    assert (oil.paragraphs, oil.articles) == (page.total, page.articles)
    assert oil.best_article_id == page.hits[0].article_id and oil.best_title == page.hits[0].title
    dated = sorted(
        h.date
        for h in news_engine.search(
            "oil prices", per_article=1, per_page=50, collapse_similar=False
        ).hits
        if h.date
    )
    assert (oil.first_date, oil.last_date) == (dated[0], dated[-1])
    assert rows[1].error and "quote" in rows[1].error and rows[1].paragraphs == 0
    assert rows[3].paragraphs == 0 and rows[3].error is None and rows[3].best_article_id is None
    assert rows[2].articles == 1 and rows[2].first_date == rows[2].last_date == "2021-11-20"
    assert rows[4].best_article_id == "hostile"  # its headline has every word
    (bbc,) = news_engine.batch(["oil"], source="bbc")
    assert bbc.articles == news_engine.search("oil source:bbc", per_article=1).articles


def test_batch_page_shows_a_table_linking_each_row(news: Any) -> None:
    assert "<h1>Batch search</h1>" in text(news.get("/batch"))
    html = text(news.post("/batch", data={"queries": "\n".join(BATCH)}))
    assert_inert(html)
    table = html[html.index("<table>") : html.index("</table>")]
    assert table.count("<tr>") == 1 + 6
    assert 'href="/search?q=oil+prices"' in table
    assert 'class="error">unbalanced quote' in table
    assert "/articles/" in table
    download = news.post("/batch.csv", data={"queries": "\n".join(BATCH)})
    assert download.status_code == 200 and download.is_streamed
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == [
        "query",
        "paragraphs",
        "articles",
        "first_date",
        "last_date",
        "best_article_id",
        "best_title",
        "error",
    ]
    assert len(rows) == 7 and rows[6][0] == "'=HYPERLINK(1)"
    api = news.post("/api/batch", json={"queries": ["oil", "(("]}).get_json()
    assert [r["query"] for r in api["rows"]] == ["oil", "(("] and api["rows"][1]["error"]
    assert news.post("/api/batch", json={"queries": "oil"}).status_code == 400


def test_batch_refuses_more_than_200_lines_with_a_clear_message(news: Any) -> None:
    ok = news.post("/batch", data={"queries": "\n".join(f"w{i}" for i in range(200))})
    assert ok.status_code == 200
    for n in (201, 10_000):
        response = news.post("/batch", data={"queries": "\n".join(f"w{i}" for i in range(n))})
        # 10,000 lines are also over the 64 KB a request may have: refused before reading
        assert response.status_code == (400 if n == 201 else 413)
        assert "at most 200 queries" in text(response) and "manage.py batch" in text(response)
    huge = news.post("/batch", data={"queries": "x" * 70_000})
    assert huge.status_code == 413 and "at most 200 queries" in text(huge)


def test_cli_batch_from_a_file_and_stdin(news_engine: Any, tmp_path: Any) -> None:
    from manage import cli

    path = tmp_path / "names.txt"
    path.write_text("\n".join(BATCH) + "\n")
    runner = CliRunner()
    out = runner.invoke(cli, ["batch", str(path), *cli_args(news_engine)])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.output)))
    assert [r[0] for r in rows[1:]] == [q if q[0] != "=" else "'" + q for q in BATCH if q]
    assert rows[2][7].startswith("unbalanced quote")
    piped = runner.invoke(cli, ["batch", "-", *cli_args(news_engine)], input="oil\nheating\n")
    assert piped.exit_code == 0 and len(piped.output.splitlines()) == 3


@pytest.mark.slow
def test_cli_batch_of_10000_lines(news_engine: Any) -> None:
    from manage import cli

    lines = "\n".join(f"word{i} OR oil" if i % 1000 == 0 else f"w{i}" for i in range(10_000))
    out = CliRunner().invoke(cli, ["batch", "-", *cli_args(news_engine)], input=lines)
    assert out.exit_code == 0
    assert len(out.output.splitlines()) == 10_001


# -- suggestions, OpenSearch ----------------------------------------------------------------


def test_api_suggest_speaks_the_opensearch_suggestions_format(news: Any) -> None:
    response = news.get("/api/suggest?q=oil+pr")
    assert response.content_type == "application/x-suggestions+json; charset=utf-8"
    prefix, found = json.loads(response.get_data(as_text=True))
    assert prefix == "oil pr" and "oil prices" in found
    for q in ("", "\x00", "x" * 300, XSS_SCRIPT):
        assert news.get("/api/suggest", query_string={"q": q}).status_code == 200
    assert news.get("/api/suggest?q=o&limit=2").get_json()[1].__len__() == 2


def test_opensearch_description_is_linked_from_every_page_and_parses(news: Any) -> None:
    for path in ("/", "/search?q=oil", "/trends", "/batch", "/help", "/articles/cbc-oil"):
        html = text(news.get(path))
        assert (
            '<link rel="search" type="application/opensearchdescription+xml" title="Byline" '
            'href="/opensearch.xml">' in html
        ), path
    response = news.get("/opensearch.xml", headers={"Host": 'evil"><x>]]>'})
    assert response.content_type == "application/opensearchdescription+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    ns = "{http://a9.com/-/spec/opensearch/1.1/}"
    assert root.tag == f"{ns}OpenSearchDescription"
    assert root.findtext(f"{ns}ShortName") == "Byline"
    templates = {u.get("type"): u.get("template") for u in root.findall(f"{ns}Url")}
    assert templates["text/html"].endswith("/search?q={searchTerms}")  # type: ignore[union-attr]
    assert templates["application/x-suggestions+json"].endswith("/api/suggest?q={searchTerms}")  # type: ignore[union-attr]


# -- hostile input: no 5xx anywhere new ---------------------------------------------------------

WILD = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "-1",
            "1e9",
            "day",
            "week",
            "month",
            "year",
            "newest",
            "oldest",
            "2026-12-01",
            "2026-12-01T09:30:00Z",
            "1970-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00-23:59",
            "9999-12-31T23:59:59Z",
            "2026-02-30",
            "\x00",
            "%",
            "]]>",
            XSS_SCRIPT,
            "\x01\x0b\x1f",
        ]
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=WILD, q2=WILD, since=WILD, interval=WILD, counts=WILD, sort=WILD, everything=WILD)
def test_the_new_endpoints_never_answer_5xx(
    news: Any, q: str, q2: str, since: str, interval: str, counts: str, sort: str, everything: str
) -> None:
    params = {"q": q, "since": since, "sort": sort}
    trend = {"q": [q, q2], "interval": interval, "counts": counts, "since": since}
    asked = [
        ("/search.atom", params),
        ("/search", params),
        ("/trends", trend),
        ("/api/trends", trend),
        ("/trends.csv", trend),
        ("/export.csv", {**params, "all": everything}),
        ("/export.jsonl", {**params, "all": everything}),
        ("/api/suggest", {"q": q, "limit": counts}),
        ("/opensearch.xml", {}),
    ]
    for path, query in asked:
        response = news.get(path, query_string=query)
        body = response.get_data()  # a streamed body fails here, if anywhere
        assert response.status_code < 500, (path, query, response.status_code)
        if path == "/search.atom" and response.status_code == 200:
            ET.fromstring(body)
    for path in ("/batch", "/batch.csv"):
        response = news.post(path, data={"queries": f"{q}\n{q2}\n{since}"})
        response.get_data()
        assert response.status_code < 500, (path, q, q2, response.status_code)
    response = news.post("/api/batch", json={"queries": [q, q2]})
    assert response.status_code < 500
