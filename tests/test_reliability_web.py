"""The web app under hostile input, during reindexing, and under a short soak."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import IndexConfig

from .conftest import ROOT
from .data import write_edition

spec = importlib.util.spec_from_file_location("byline_bench_soak", ROOT / "bench" / "soak.py")
assert spec and spec.loader
soak = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = soak
spec.loader.exec_module(soak)

#: Reindexes run under load: CI runs 4; `BYLINE_LOAD_REINDEXES=20 pytest -k serving_while` is the
#: longer run in docs/RELIABILITY.md. The load lasts as long as they take, however busy the machine.
LOAD_REINDEXES = int(os.environ.get("BYLINE_LOAD_REINDEXES", "4"))

PARAM = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "2",
            "100000",
            "1e9",
            "abc",
            "article",
            "paragraph",
            "newest",
            "\x00",
            "%",
        ]
    ),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=80), page=PARAM, per_page=PARAM, group=PARAM, sort=PARAM, date=PARAM)
def test_the_web_never_answers_5xx(
    client: Any, q: str, page: str, per_page: str, group: str, sort: str, date: str
) -> None:
    params = {
        "q": q,
        "page": page,
        "per_page": per_page,
        "group": group,
        "sort": sort,
        "date": date,
    }
    for path in ("/search", "/api/search"):
        response = client.get(path, query_string=params)
        assert response.status_code < 500, (path, params, response.status_code)


def raw_get(url: str, path: str, headers: dict[str, str] | None = None) -> int:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_oversized_query_strings_and_headers_are_refused(live_server: str) -> None:
    assert raw_get(live_server, "/search?q=" + "a" * 100_000) == 400
    assert raw_get(live_server, "/api/search?q=" + quote("fuel " * 5000)) == 400
    try:
        status = raw_get(live_server, "/search?q=fuel", {"X-Big": "b" * 300_000})
    except (ConnectionError, http.client.HTTPException):
        status = 400  # waitress may drop a connection whose headers exceed its limit
    assert 400 <= status < 500
    assert raw_get(live_server, "/search?q=fuel") == 200  # and the server is still fine


@pytest.mark.slow
def test_serving_while_reindexing_never_fails_or_shows_a_partial_index(
    tmp_path: Path, serve_app: Any
) -> None:
    """8 clients search while full and incremental reindexes run back to back in other processes."""
    from webui import create_app

    source, index = tmp_path / "src", tmp_path / "ix"
    write_edition(source, 0, n=60)
    config = IndexConfig(source_dir=source, index_dir=index)
    app = create_app({"TESTING": True, "BYLINE": config})
    app.extensions["byline"].reindex()
    url = serve_app(app, threads=8)
    seen_editions: set[str] = set()
    problems: list[str] = []

    def check(status: int, body: bytes) -> bool:
        if status != 200:
            problems.append(f"status {status}")
            return False
        data = json.loads(body)
        editions = {h["text"].split()[0] for h in data["hits"]}
        if data["total"] != 60 or len(editions) != 1:  # empty, partial or mixed: a half-built index
            problems.append(f"total {data['total']}, editions {sorted(editions)}")
            return False
        seen_editions.update(editions)
        return True

    stop = threading.Event()
    reindexes = [0]

    def reindex_loop() -> None:
        for edition in range(1, LOAD_REINDEXES + 1):
            write_edition(source, edition, n=60)
            full = ["--full"] if edition % 2 else []
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "reindex",
                    *full,
                    "--source",
                    str(source),
                    "--index",
                    str(index),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            reindexes[0] += 1
        stop.set()

    path = "/api/search?q=cargo&per_page=100&group=paragraph&similar=show"
    soak.load(url, [path], clients=1, seconds=60, check=check, max_requests=1)  # edition 0
    writer = threading.Thread(target=reindex_loop, daemon=True)
    writer.start()
    windows = soak.load(
        url, [path], clients=8, seconds=900, every=900, check=check, failures=problems, stop=stop
    )
    writer.join(180)
    soak.load(url, [path], clients=1, seconds=60, check=check, max_requests=1)  # the last one
    app.extensions["byline"].close()
    served = sum(len(w.latencies) for w in windows)
    errors = sum(w.errors for w in windows)
    assert errors == 0 and not problems, problems[:5]
    assert reindexes[0] == LOAD_REINDEXES and served > 0
    print(
        f"\nserved {served} requests, {errors} errors, {reindexes[0]} reindexes, "
        f"{len(seen_editions)} editions seen"
    )
    assert {"Edition0", f"Edition{LOAD_REINDEXES}"} <= seen_editions


@pytest.mark.slow
def test_short_soak_has_no_errors_and_no_memory_growth(capsys: pytest.CaptureFixture[str]) -> None:
    result = soak.main(
        [
            "--seconds",
            "600",
            "--requests",
            "2000",
            "--every-requests",
            "500",
            "--clients",
            "8",
            "--source",
            str(ROOT / "seeds"),
            "--json",
        ]
    )
    capsys.readouterr()
    assert result["errors"] == 0 and result["requests"] == 2000
    rss = [w["rss_mb"] for w in result["windows"] if w["rss_mb"]]
    assert len(rss) == 4
    assert rss and max(rss) - rss[0] < 40, rss  # steady state: growth beyond noise would show here
