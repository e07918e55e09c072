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


# -- every hit, streamed -----------------------------------------------------------------------


def cargo_archive(make_engine: Any, n: int, **settings: Any) -> Any:
    """``n`` short dated stories about cargo in one JSON Lines file (quick to index)."""
    lines = [
        json.dumps(
            {
                "id": f"c{i:05d}",
                "title": f"Cargo report {i}",
                "body": f"The cargo ship {i} docked.\n\n{'=SUM(A1)' if i == 3 else 'More'} cargo news.",
                "date": f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "source": "AP" if i % 2 else "CBC",
            }
        )
        for i in range(n)
    ]
    engine = make_engine({"cargo.jsonl": "\n".join(lines) + "\n"}, **settings)
    engine.reindex()
    return engine


def rows_of(csv_text: str) -> list[list[str]]:
    return list(csv.reader(line for line in io.StringIO(csv_text) if not line.startswith("#")))


def test_iter_hits_goes_past_the_cap_in_page_order(make_engine: Any) -> None:
    engine = cargo_archive(make_engine, 60, max_results=50, max_per_page=10)
    capped = engine.export("cargo", fmt="csv", limit=10_000)
    assert len(rows_of(capped)) - 1 == 50  # the old cap
    stream = engine.iter_hits("cargo")
    hits = list(stream)
    # every paragraph: the title and first paragraph of each, the identical "More cargo
    # news." collapsed into one (as on the pages), the formula's paragraph
    assert stream.total == len(hits) == 122
    assert len(list(engine.iter_hits("cargo", collapse_similar=False))) == 180
    # a stream is in the words' order (re-ranking by meaning is the pages')
    pages = [
        h
        for p in range(1, 6)
        for h in engine.search("cargo", page=p, per_page=10, mode="lexical").hits
    ]
    key = [(h.article_id, h.paragraph_no) for h in hits]
    assert key[:50] == [(h.article_id, h.paragraph_no) for h in pages]
    assert len(set(key)) == len(key)
    newest = list(engine.iter_hits("cargo", sort="newest", per_article=1))
    assert len(newest) == 60 and [h.date for h in newest] == sorted(
        (h.date for h in newest), reverse=True
    )
    assert len(list(engine.iter_hits("cargo", source="ap", per_article=1))) == 30


def test_the_stream_fetches_hits_a_batch_at_a_time(make_engine: Any, monkeypatch: Any) -> None:
    from indexer import search, shards

    engine = cargo_archive(make_engine, 40)
    made: list[int] = []
    real = shards.make_hit
    monkeypatch.setattr(shards, "make_hit", lambda *a, **k: made.append(1) or real(*a, **k))
    monkeypatch.setattr(search, "STREAM_BATCH", 7)
    stream = engine.iter_hits("cargo")
    assert stream.total == 82 and not made  # nothing copied out before it is read
    next(iter(stream))
    assert len(made) == 7
    assert len(list(stream)) == 81 and len(made) == 82


def test_a_stream_survives_other_searches_between_its_batches(
    make_engine: Any, monkeypatch: Any
) -> None:
    from indexer import search

    engine = cargo_archive(make_engine, 40)
    monkeypatch.setattr(search, "STREAM_BATCH", 5)
    stream = engine.iter_hits("cargo")
    it = iter(stream)
    first = [next(it) for _ in range(5)]
    for i in range(100):  # more queries than a shard remembers for their fetch
        engine.search(f"cargo {i}", per_page=1)
    rest = list(it)
    assert len(first) + len(rest) == stream.total == 82
    with engine._searcher() as s:
        shard = s._byline_shard
    assert not shard._streams  # done: its match arrays are gone


def test_streamed_csv_is_the_capped_csv_and_defuses_formulas(make_engine: Any) -> None:
    engine = cargo_archive(make_engine, 12)
    capped = rows_of(engine.export("cargo", fmt="csv", per_article=1, mode="lexical"))
    streamed = rows_of("".join(engine.export_all("cargo", fmt="csv", per_article=1)))
    assert streamed == capped and len(streamed) == 13
    body = "".join(engine.export_all("cargo", fmt="csv"))
    assert "'=SUM(A1) cargo news." in body
    lines = "".join(engine.export_all("cargo", fmt="jsonl", per_article=1)).splitlines()
    head = json.loads(lines[0])
    assert head["query"] == "cargo" and head["options"] == {"per_article": 1}
    assert [json.loads(x)["rank"] for x in lines[1:]] == list(range(1, 13))
    with pytest.raises(QueryError, match="use jsonl"):
        list(engine.export_all("cargo", fmt="json"))


def test_web_export_all_streams_every_row(make_engine: Any) -> None:
    from .conftest import make_app

    engine = cargo_archive(make_engine, 60, max_results=50)
    client = make_app(engine).test_client()
    capped = client.get("/export.csv?q=cargo&group=paragraph")
    assert len(rows_of(capped.get_data(as_text=True))) - 1 == 50
    response = client.get("/export.csv?q=cargo&group=paragraph&all=1")
    assert response.status_code == 200 and response.is_streamed
    assert "-all.csv" in response.headers["Content-Disposition"]
    assert len(rows_of(response.get_data(as_text=True))) - 1 == 122
    lines = client.get("/export.jsonl?q=cargo&all=1").get_data(as_text=True).splitlines()
    assert len(lines) == 1 + 60  # grouped by article (the page's default)
    assert client.get("/export.jsonl?q=cargo").status_code == 200  # capped JSON Lines too
    refused = client.get("/export.json?q=cargo&all=1")
    assert refused.status_code == 400 and "export.jsonl" in refused.get_data(as_text=True)
    assert client.get("/export.csv?q=cargo&all=yes").status_code == 400
    page = client.get("/search?q=cargo").get_data(as_text=True)
    assert "/export.csv?q=cargo&amp;all=1" in page and "/export.jsonl?q=cargo&amp;all=1" in page


def test_cli_export_all(make_engine: Any) -> None:
    from click.testing import CliRunner

    from manage import cli

    engine = cargo_archive(make_engine, 60, max_results=50)
    where = ["--source", str(engine.config.source_dir), "--index", str(engine.config.index_dir)]
    runner = CliRunner(env={"BYLINE_MAX_RESULTS": "50"})
    out = runner.invoke(cli, ["export", "cargo", "--all", *where])
    assert out.exit_code == 0, out.output
    assert len(rows_of(out.output)) - 1 == 122
    jsonl = runner.invoke(cli, ["export", "cargo", "--all", "--format", "jsonl", *where])
    assert len(jsonl.output.splitlines()) == 123
    for extra, message in (
        (["--limit", "5"], "leave out --limit"),
        (["--format", "json"], "jsonl"),
    ):
        bad = runner.invoke(cli, ["export", "cargo", "--all", *extra, *where])
        assert bad.exit_code == 2 and message in bad.output


@pytest.mark.slow
def test_export_all_beyond_the_default_cap_of_10000(make_engine: Any) -> None:
    engine = cargo_archive(make_engine, 5_100)
    assert engine.config.max_results == 10_000
    stream = engine.iter_hits("cargo")
    assert stream.total == 10_202
    assert sum(1 for _ in stream) == 10_202


def test_cli_export_all_shows_progress_on_a_terminal_only(make_engine: Any) -> None:
    import os
    import pty
    import subprocess
    import sys

    from .conftest import ROOT

    engine = cargo_archive(make_engine, 30)
    cmd = [sys.executable, str(ROOT / "manage.py"), "export", "cargo", "--all"]
    cmd += ["--source", str(engine.config.source_dir), "--index", str(engine.config.index_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYLINE_")}
    leader, follower = pty.openpty()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=follower, env=env, timeout=120)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: all was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0
    assert len(rows_of(done.stdout.decode())) - 1 == 62  # stdout has only the rows
    assert b"exporting" in shown and b"100%" in shown
    piped = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    assert piped.returncode == 0 and b"exporting" not in piped.stderr
