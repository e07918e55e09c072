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
