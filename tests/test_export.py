"""Result sets as CSV and JSON: the query and time included, spreadsheet formulas defused."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from indexer import QueryError
from indexer.export import render
from indexer.models import Hit

from .conftest import dated_news_engine


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export(make_engine: Any, fmt: str) -> None:

    e = dated_news_engine(make_engine)
    out = e.export("oil", fmt=fmt, limit=3, per_article=1)
    if fmt == "json":
        data = json.loads(out)
        assert data["query"] == "oil" and data["count"] == 3 and data["exported"]
        assert [h["rank"] for h in data["hits"]] == [1, 2, 3]
    else:
        lines = out.splitlines()
        assert lines[0] == "# query: oil" and lines[1].startswith("# exported: ")
        rows = list(
            csv.DictReader(
                io.StringIO("\n".join(line for line in lines if not line.startswith("#")))
            )
        )
        assert len(rows) == 3 and rows[0]["rank"] == "1"
    with pytest.raises(QueryError, match="export format"):
        e.export("oil", fmt="xlsx")


def _hit(text: str, title: str = "T") -> Hit:
    return Hit("a", title, 2, 3, "body", None, 1.5, text, "", date="2022-01-03")


def test_csv_defuses_spreadsheet_formulas_and_keeps_the_query() -> None:
    out = render(
        "oil\nprices", [_hit('=HYPERLINK("x")', "+1"), _hit("-2 @x")], "csv", {"sort": "newest"}
    )
    lines = out.splitlines()
    assert lines[0] == "# query: oil prices" and lines[2].startswith("# options:")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[3:]))))
    assert rows[0]["text"].startswith("'=") and rows[0]["title"] == "'+1"
    assert rows[1]["text"] == "'-2 @x" and rows[0]["rank"] == "1"


def test_json_export_counts_and_ranks() -> None:
    data = json.loads(render("oil", [_hit("a"), _hit("b")], "json", {}))
    assert data["query"] == "oil" and data["count"] == 2
    assert [h["rank"] for h in data["hits"]] == [1, 2] and data["exported"]


def test_unknown_export_format_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="csv, json"):
        render("oil", [], "xlsx", {})
