"""The web UI through Flask's test client: every route, headers, escaping, bad input."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from indexer import IndexConfig

from .conftest import ROOT, SEED_ID, SEEDS, assert_inert, make_app, text
from .data import XSS_FILES, XSS_IMG, XSS_SCRIPT, XSS_URL


@pytest.fixture()
def xss_client(make_engine: Any) -> Iterator[Any]:
    engine = make_engine(XSS_FILES)
    engine.reindex()
    yield make_app(engine).test_client()


# -- the app factory -------------------------------------------------------------------


def test_import_opens_nothing_and_never_loads_whoosh() -> None:
    code = "import sys, webui; assert 'whoosh' not in sys.modules, 'webui imported whoosh'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    for path in (ROOT / "webui").rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+whoosh", path.read_text(), re.M), path


def test_config_layers_defaults_env_then_test_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from webui import create_app

    monkeypatch.setenv("BYLINE_INDEX_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("BYLINE_MAX_PER_PAGE", "50")
    app = create_app()  # nothing exists there: creating the app must not open it
    assert app.config["BYLINE"].index_dir == tmp_path / "from-env"
    assert app.config["BYLINE"].max_per_page == 50
    app = create_app({"BYLINE": {"index_dir": str(tmp_path / "from-test")}})
    assert app.config["BYLINE"].index_dir == tmp_path / "from-test"
    assert app.config["BYLINE"].max_per_page == 50
    assert app.extensions["byline"].config is app.config["BYLINE"]
    assert not app.debug


# -- pages -----------------------------------------------------------------------------


def test_home_page(client: Any) -> None:
    r = client.get("/")
    assert r.status_code == 200
    html = text(r)
    assert re.search(r'<label for="q">', html)
    assert re.search(r'<input type="search" id="q" name="q"[^>]*autofocus', html)
    assert "1 article and 56 paragraphs indexed" in html
    assert "last reindex" in html
    assert 'href="/search?q=fuel+prices"' in html


def test_search_results(client: Any) -> None:
    r = client.get("/search?q=fuel+prices")
    assert r.status_code == 200
    html = text(r)
    assert "<mark>fuel</mark>" in html and "<mark>prices</mark>" in html
    assert re.search(r"<strong>7 paragraphs</strong> in <strong>1 article</strong>", html)
    assert re.search(r"· [\d.]+ ms", html)
    assert 'value="fuel prices"' in html  # the query stays in the box
    link = re.search(rf'href="(/articles/{SEED_ID}\?q=fuel\+prices#p-(\d+))"', html)
    assert link, html
    n = int(link.group(2))
    assert f"¶ {n} of 56" in html
    assert "6 more matching paragraphs in this article" in html
    assert re.search(r'class="kind">(Body text|Section heading)<', html)


def test_group_by_paragraph_lists_every_match(client: Any) -> None:
    html = text(client.get("/search?q=fuel+prices&group=paragraph"))
    assert html.count('class="hit ') == 7
    assert "more matching paragraph" not in html
    assert "in “Protests expand beyond anger over fuel prices”" in html


def test_pagination_keeps_every_parameter(client: Any) -> None:
    html = text(client.get("/search?q=fuel+prices&group=paragraph&per_page=2&page=2"))
    assert html.count('class="hit ') == 2
    assert '<ol class="hits" start="3">' in html
    links = re.findall(r'href="(/search\?[^"]+)"', html)
    nexts = [h for h in links if "page=3" in h]
    assert nexts and all(
        "group=paragraph" in h and "per_page=2" in h and "q=fuel" in h for h in nexts
    )
    assert 'aria-current="page" class="current">2<' in html
    assert any(not re.search(r"[?;]page=", h) and "per_page=2" in h for h in links)  # page 1


def test_page_past_the_end_shows_the_last_page(client: Any) -> None:
    r = client.get("/search?q=fuel+prices&group=paragraph&per_page=5&page=99")
    assert r.status_code == 200
    assert '<ol class="hits" start="6">' in text(r)
    data = client.get("/api/search?q=fuel+prices&group=paragraph&per_page=5&page=99").get_json()
    assert data["page"] == 2 and len(data["hits"]) == 2


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ("page=abc", 400),
        ("per_page=ten", 400),
        ("page=1.5", 400),
        ("page=", 200),
        ("page=0", 200),
        ("page=-3", 200),
        ("page=99999999999999999999999", 200),
        ("page=" + "9" * 5000, 400),
        ("per_page=0", 200),
        ("per_page=-1", 200),
        ("per_page=1000", 200),
        ("group=bogus", 400),
        ("group=paragraph", 200),
        ("q2=x", 200),
    ],
)
def test_parameter_edge_cases_never_500(client: Any, params: str, status: int) -> None:
    for prefix in ("/search", "/api/search"):
        r = client.get(f"{prefix}?q=fuel&{params}")
        assert r.status_code == status, (prefix, params)
        if prefix == "/api/search" and status == 400:
            assert r.get_json()["error"]["message"]


def test_per_page_is_capped_at_100(client: Any) -> None:
    data = client.get("/api/search?q=fuel&per_page=1000&group=paragraph").get_json()
    assert data["per_page"] == 100
    assert client.get("/api/search?q=fuel&per_page=0").get_json()["per_page"] == 1


def test_long_queries_are_refused_with_a_message(client: Any) -> None:
    q = "fuel " * 201  # 1005 characters
    r = client.get("/search", query_string={"q": q})
    assert r.status_code == 400
    assert "the limit is 1,000" in text(r)
    r = client.get("/api/search", query_string={"q": q})
    assert r.status_code == 400 and "1,000" in r.get_json()["error"]["message"]
    assert client.get("/search", query_string={"q": "x" * 1000}).status_code == 200


def test_nul_in_query_is_a_400(client: Any) -> None:
    assert client.get("/search?q=fuel%00prices").status_code == 400


def test_empty_query_shows_the_home_page(client: Any) -> None:
    r = client.get("/search?q=++")
    assert r.status_code == 200 and "paragraphs indexed" in text(r)


def test_did_you_mean_is_a_link(client: Any) -> None:
    html = text(client.get("/search?q=kazakstan"))
    assert re.search(r'Did you mean <a href="/search\?q=kazakhstan">kazakhstan</a>\?', html)


def test_lenient_query_shows_a_notice(client: Any) -> None:
    r = client.get('/search?q="fuel+prices')
    assert r.status_code == 200
    html = text(r)
    assert 'class="notice"' in html and "plain words" in html
    assert "<mark>fuel</mark>" in html


def test_empty_results_help(client: Any) -> None:
    html = text(client.get("/search?q=zebra+fuel+prices"))
    if "No paragraphs" not in html:  # all-terms-first still finds fuel/prices: use nonsense
        html = text(client.get("/search?q=zqxjv+qzjxv"))
    assert "No paragraphs" in html
    assert "Nothing found. Some things to try" in html
    assert 'href="/help"' in html
    html = text(client.get('/search?q="fuel zqxjv"'))
    assert "Drop a word" in html or "No paragraphs" in html


def test_help_page(client: Any) -> None:
    r = client.get("/help")
    assert r.status_code == 200
    for example in ('"fuel prices"', "protest*", "goverment~", "title:kazakhstan", "-gas"):
        assert example in text(r).replace("&#34;", '"')


def test_article_page(client: Any) -> None:
    r = client.get(f"/articles/{SEED_ID}?q=fuel+prices")
    assert r.status_code == 200
    html = text(r)
    ids = re.findall(r'id="p-(\d+)"', html)
    assert ids == [str(n) for n in range(1, 57)]
    assert re.search(r'<h1 id="p-1" class="para kind-headline">', html)
    assert "<mark>fuel</mark>" in html
    assert 'class="para kind-boilerplate"' in html and ">Boilerplate</span>" in html
    assert re.search(r'<nav class="matches"[^>]*>', html) and 'href="#p-24"' in html
    assert 'href="/search?q=fuel+prices"' in html  # back to the results


def test_article_without_query_has_no_marks(client: Any) -> None:
    html = text(client.get(f"/articles/{SEED_ID}"))
    assert "<mark>" not in html and 'id="p-56"' in html


def test_unknown_article_is_a_real_404(client: Any) -> None:
    r = client.get("/articles/no-such-article")
    assert r.status_code == 404
    html = text(r)
    assert "<h1>Not Found</h1>" in html and "no article with that id" in html
    assert "Traceback" not in html


@pytest.mark.parametrize(
    "article_id",
    [
        "../../../../etc/passwd",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "C:%5CWindows%5Cwin.ini",
        "seeds%00.txt",
        f"{SEED_ID}%00",
        "..",
        "a/../../pyproject.toml",
        "x" * 2000,
    ],
)
def test_article_ids_never_reach_files(client: Any, article_id: str) -> None:
    for prefix in ("/articles/", "/api/articles/"):
        r = client.get(prefix + article_id, follow_redirects=True)
        assert r.status_code in (400, 404), (prefix, article_id, r.status_code)
        body = text(r)
        assert "root:" not in body and "[build-system]" not in body and "Traceback" not in body


def test_article_ids_with_special_characters_round_trip(xss_client: Any) -> None:
    html = text(xss_client.get("/search?q=wombat&group=paragraph"))
    hrefs = re.findall(r'href="(/articles/multi[^"]+)"', html)
    assert hrefs and all("%23" in h for h in hrefs), hrefs  # '#' in ids is encoded
    r = xss_client.get(hrefs[0].split("#p-")[0])
    assert r.status_code == 200 and "wombat" in text(r)


# -- escaping --------------------------------------------------------------------------


def test_hostile_documents_render_as_text(xss_client: Any) -> None:
    html = text(xss_client.get("/search?q=zanzibar&group=paragraph"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert_inert(html)
    article = xss_client.get("/articles/xss?q=zanzibar")
    assert article.status_code == 200
    html = text(article)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "javascript:alert(1)" in html
    assert_inert(html)


def test_hostile_metadata_renders_as_text(xss_client: Any) -> None:
    html = text(xss_client.get("/articles/meta-xss?q=quokka"))
    assert "Quokka &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;" in html  # the author
    assert "Original</a>" not in html  # a javascript: url is never made a link
    assert_inert(html)
    html = text(xss_client.get("/search?q=quokka"))
    assert_inert(html)


def test_hostile_queries_render_as_text(xss_client: Any) -> None:
    for q in (XSS_SCRIPT, XSS_IMG, XSS_URL, '"' + XSS_SCRIPT):
        for url in ("/search", "/articles/xss", "/nowhere"):
            r = xss_client.get(url, query_string={"q": q})
            assert r.status_code in (200, 404)
            assert_inert(text(r))


def test_api_returns_escaped_snippets_but_raw_text(xss_client: Any) -> None:
    data = xss_client.get("/api/search?q=zanzibar&group=paragraph").get_json()
    hit = next(h for h in data["hits"] if "ferry" in h["text"])
    assert XSS_SCRIPT in hit["text"] and XSS_SCRIPT not in hit["snippet_html"]
    assert "&lt;script&gt;" in hit["snippet_html"]


# -- JSON --------------------------------------------------------------------------------


def test_api_search_has_the_cli_shape(client: Any, app: Any) -> None:
    r = client.get("/api/search?q=fuel+prices&per_page=3")
    assert r.status_code == 200 and r.mimetype == "application/json"
    data = r.get_json()
    expected = (
        app.extensions["byline"]
        .search("fuel prices", per_page=3, per_article=1, facets=True)
        .to_dict()
    )
    assert list(data) == list(expected)
    data.pop("took_ms"), expected.pop("took_ms")
    assert data == expected
    paragraphs = client.get("/api/search?q=fuel+prices&group=paragraph").get_json()
    assert paragraphs["grouped"] is False and paragraphs["total"] == len(paragraphs["hits"]) == 7


def test_api_article(client: Any) -> None:
    data = client.get(f"/api/articles/{SEED_ID}?q=fuel").get_json()
    assert data["id"] == SEED_ID and data["paragraph_count"] == 56
    assert data["paragraphs"][0] == {
        "no": 1,
        "kind": "headline",
        "heading": None,
        "text": data["title"],
        "html": data["title"],
    }
    assert any("<mark>fuel</mark>" in p["html"] for p in data["paragraphs"])
    assert "html" not in client.get(f"/api/articles/{SEED_ID}").get_json()["paragraphs"][0]
    r = client.get("/api/articles/nope")
    assert r.status_code == 404 and r.get_json()["error"]["status"] == 404


def test_healthz(client: Any, app: Any) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    data = r.get_json()
    assert data["status"] == "ok" and data["articles"] == 1 and data["paragraphs"] == 56
    assert data["generation"] == app.extensions["byline"].generation()
    assert data["last_reindex"]


def test_api_errors_are_json(client: Any) -> None:
    for url, status in (("/api/nowhere", 404), ("/api/search?page=x", 400)):
        r = client.get(url)
        assert r.status_code == status and r.mimetype == "application/json"
        assert r.get_json()["error"]["message"]
    r = client.post("/api/search")
    assert r.status_code == 405 and r.get_json()["error"]["status"] == 405
    assert "GET" in r.headers["Allow"]


def test_html_errors_are_pages(client: Any) -> None:
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "Start a new search" in text(r)


# -- headers and failures ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/search?q=fuel",
        "/help",
        f"/articles/{SEED_ID}",
        "/articles/nope",
        "/api/search?q=a",
        "/api/articles/nope",
        "/healthz",
        "/static/byline.css",
        "/static/byline.js",
        "/search?page=x",
    ],
)
def test_security_headers_on_every_response(client: Any, url: str) -> None:
    r = client.get(url)
    r.close()
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"]


def test_pages_use_no_external_or_inline_resources(client: Any) -> None:
    for url in ("/", "/search?q=fuel", f"/articles/{SEED_ID}", "/help", "/nowhere"):
        html = text(client.get(url))
        assert not re.search(r'(src|href)="(https?:)?//', html), url
        assert "<script>" not in html and "style=" not in html and "<style" not in html, url


def test_unexpected_errors_show_no_traceback(make_engine: Any) -> None:
    engine = make_engine({"a.txt": "Alpha\n\nThe alpha body."})
    engine.reindex()
    app = make_app(engine)

    @app.get("/api/boom")
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    client = app.test_client()
    for url in ("/boom", "/api/boom"):
        r = client.get(url)
        assert r.status_code == 500
        body = text(r)
        assert "secret internals" not in body and "Traceback" not in body
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_missing_index_tells_what_to_run(tmp_path: Path) -> None:
    from webui import create_app

    app = create_app({"TESTING": True, "BYLINE": {"index_dir": str(tmp_path / "none")}})
    client = app.test_client()
    for url in ("/", "/search?q=fuel", f"/articles/{SEED_ID}"):
        r = client.get(url)
        assert r.status_code == 503 and "python manage.py reindex" in text(r), url
    for url in ("/api/search?q=fuel", "/healthz"):
        r = client.get(url)
        assert r.status_code == 503
        assert "reindex" in r.get_json()["error"]["message"] + r.get_json()["error"]["hint"]
    assert client.get("/help").status_code == 200


# -- a reindex in another process -----------------------------------------------------------


def manage(*args: str, config: IndexConfig) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            *args,
            "--source",
            str(config.source_dir),
            "--index",
            str(config.index_dir),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_reindex_in_another_process_is_seen_by_the_next_request(make_engine: Any) -> None:
    engine = make_engine({"a.txt": "Alpha\n\nThe alpha body text."})
    engine.reindex()
    client = make_app(engine).test_client()
    assert client.get("/api/search?q=zebra").get_json()["total"] == 0
    before = client.get("/healthz").get_json()["generation"]
    (engine.config.source_dir / "b.txt").write_text("Zebra\n\nA zebra crossing story.")
    manage("reindex", config=engine.config)
    data = client.get("/api/search?q=zebra").get_json()
    assert data["total"] >= 1 and data["hits"][0]["article_id"] == "b"
    assert client.get("/healthz").get_json()["generation"] != before
    assert "<mark>zebra</mark>" in text(client.get("/search?q=zebra")).lower()


def test_no_request_fails_while_another_process_rebuilds(make_engine: Any) -> None:
    files = {f"doc{n}.txt": f"Story {n}\n\nThe harbour story number {n}." for n in range(30)}
    engine = make_engine(files)
    engine.reindex()
    app = make_app(engine)
    failures: list[str] = []
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        client = app.test_client()
        while not stop.is_set():
            r = client.get("/api/search?q=harbour")
            statuses.append(r.status_code)
            if r.status_code != 200 or r.get_json()["total"] < 30:
                failures.append(f"{r.status_code} {text(r)[:200]}")

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(2):
            manage("reindex", "--full", config=engine.config)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert statuses and not failures, failures[:3]


# -- manage.py serve -------------------------------------------------------------------------


def test_serve_reindexes_prints_the_url_and_serves(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")  # a folder with seeds/ in it, as README's command
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("BYLINE_SOURCE_DIR", None)
    env.pop("BYLINE_INDEX_DIR", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "serve",
            "--port",
            "0",
            "--threads",
            "2",
            "--index",
            str(tmp_path / "index"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "running at" in line:
                break
        output = "".join(lines)
        assert "1 articles, 56 paragraphs" in output, output
        url = re.search(r"http://127\.0\.0\.1:\d+/", output)
        assert url, output
        with urllib.request.urlopen(url.group(0) + "search?q=fuel+prices", timeout=30) as r:
            assert r.status == 200
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert "<mark>fuel</mark>" in r.read().decode()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_live_server_serves_the_seed_index(live_server: str) -> None:
    with urllib.request.urlopen(live_server + "/search?q=" + quote("fuel prices"), timeout=30) as r:
        assert r.status == 200 and "<mark>prices</mark>" in r.read().decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "oil prices"},
        {"q": 'a "b" & c=d/é', "source": "reuters", "page": 2, "sort": None},
        {"q": "", "date": "1987-03-01..1987-03-31", "similar": "show", "exact": 1},
        {"q": "x+y?z#w", "tag": ["a b", "c;d"]},
    ],
)
def test_fast_search_links_equal_url_for(app: Any, params: dict[str, Any]) -> None:
    from flask import url_for

    from webui.views import _search_link

    with app.test_request_context("/search"):
        assert _search_link(params) == url_for("byline.search", **params)


# -- search by meaning ----------------------------------------------------------------------


def test_the_match_control_and_a_hit_found_by_meaning(client: Any) -> None:
    html = text(client.get("/search?q=rebellion&mode=semantic"))
    assert re.search(r'<select id="f-mode" name="mode"', html)
    assert '<option value="semantic" selected>Meaning</option>' in html
    hit = html[html.index('<li class="hit') :]
    hit = hit[: hit.index("</li>")]
    assert "related in meaning" in hit
    assert "<mark>" not in hit  # no false highlights
    # the default (words and meaning) keeps the words' matches: none here
    assert "related in meaning" not in text(client.get("/search?q=rebellion"))
    assert client.get("/search?q=rebellion&mode=vector").status_code == 400
    data = client.get("/api/search?q=rebellion&mode=semantic&group=paragraph").get_json()
    assert data["hits"] and all(h["meaning"] for h in data["hits"])
    bad = client.get("/api/search?q=oil&mode=vector")
    body = bad.get_json()
    assert bad.status_code == 400 and "mode must be one of" in str(body), body


def test_links_keep_the_mode(client: Any) -> None:
    html = text(client.get("/search?q=troops&mode=lexical&group=paragraph&per_page=2"))
    assert "mode=lexical" in html  # the next page and the filter links search the same way
    html = text(client.get("/search?q=troops&group=paragraph&per_page=2"))
    assert "mode=" not in html.split("<main")[1].split("</form>")[1]  # the default is left out
