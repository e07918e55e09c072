"""Atom feeds of a search, and "new since": first-seen times kept across reindexes.

Feeds are read back with an XML parser and checked for the elements RFC 4287
requires; hostile document text (``<script>``, ``]]>``, control characters and
characters XML cannot hold) must still give a feed a parser accepts.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexer import QueryError, SearchRequest, feeds, storage
from indexer.models import Hit

from .conftest import make_app, text
from .data import NEWS, XSS_SCRIPT

A = "{http://www.w3.org/2005/Atom}"
OLD = 1_000_000  # a first-seen time long ago (1970-01-12), written by the tests
HOSTILE = f"Bad ]]> \x00\x01\x0b\ufffe\ud800 {XSS_SCRIPT} & <b>"


def parse(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{A}{name}") is not None and root.findtext(f"{A}{name}"), name
    assert root.find(f"{A}link[@rel='self']") is not None
    assert root.find(f"{A}author/{A}name") is not None  # entries may then omit theirs
    for entry in root.iter(f"{A}entry"):
        for name in ("id", "title", "updated", "summary"):
            assert entry.find(f"{A}{name}") is not None, name
        assert entry.find(f"{A}link[@rel='alternate']").get("href")  # type: ignore[union-attr]
        datetime.strptime(entry.findtext(f"{A}updated") or "", "%Y-%m-%dT%H:%M:%SZ")
    return root


def age_first_seen(index_dir: Path) -> dict[str, int]:
    """Pretend every article so far was first indexed long ago (at OLD)."""
    path = index_dir / storage.FIRST_SEEN
    seen = json.loads(path.read_text())["seen"]
    aged = dict.fromkeys(seen, OLD)
    path.write_text(json.dumps({"version": 1, "seen": aged}))
    return aged


@pytest.fixture()
def news_engine(make_engine: Any) -> Any:
    engine = make_engine(NEWS)
    engine.reindex()
    return engine


# -- the library ----------------------------------------------------------------------------


def test_xml_text_drops_what_xml_cannot_hold_and_escapes_the_rest() -> None:
    out = feeds.xml_text(HOSTILE)
    assert out == "Bad ]]&gt;  &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"
    ET.fromstring(f"<a b='{out}'>{out}</a>")  # text and attribute both parse


def test_a_feed_of_hostile_entries_parses() -> None:
    hit = Hit(HOSTILE, HOSTILE, 3, 5, "body", None, 1.0, HOSTILE, feeds.xml_text(HOSTILE))
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    body = feeds.atom(
        id=feeds.feed_id("q=x"),
        title=HOSTILE,
        self_url="http://x/search.atom?q=a&b=<c>",
        alternate_url="http://x/search?q=a",
        items=feeds.entries([hit, hit], lambda h: f"http://x/a/{h.article_id}", {}, when),
        updated=when,
        subtitle=HOSTILE,
    )
    root = parse(body)
    entries = root.findall(f"{A}entry")
    assert len(entries) == 1  # one entry per article
    assert entries[0].findtext(f"{A}updated") == "2026-01-02T03:04:05Z"  # undated: the fallback
    assert XSS_SCRIPT in (entries[0].findtext(f"{A}title") or "")  # text, not markup
    assert feeds.entry_id("a/b c") == "urn:byline:article:a%2Fb%20c"


def test_updated_is_the_article_date_else_first_seen() -> None:
    seen = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    fallback = datetime(2026, 6, 1, tzinfo=UTC)
    dated = Hit("a", "A", 1, 1, "body", None, 0, "t", "t", date="1987-03-02")
    undated = Hit("b", "B", 1, 1, "body", None, 0, "t", "t")
    assert feeds.article_updated(dated, seen, fallback) == datetime(1987, 3, 2, tzinfo=UTC)
    assert feeds.article_updated(undated, seen, fallback) == seen
    assert feeds.article_updated(undated, None, fallback) == fallback


def test_first_seen_survives_incremental_and_full_reindexes(news_engine: Any) -> None:
    index_dir = news_engine.config.index_dir
    aged = age_first_seen(index_dir)
    assert len(aged) == len(NEWS)
    source = news_engine.config.source_dir
    (source / "new.md").write_text("---\ntitle: Fresh oil story\nsource: AP\n---\nOil news.\n")
    # an old article edited: still the same article, first seen long ago
    (source / "cbc-hockey.md").write_text("Oilers lose\n\nThe Oilers lost in overtime.\n")
    news_engine.reindex()
    seen = storage.read_first_seen(index_dir)
    new_ids = [aid for aid in seen if aid not in aged]
    assert len(new_ids) == 1 and seen[new_ids[0]] > OLD
    assert all(seen[aid] == OLD for aid in aged)
    news_engine.reindex(full=True)
    assert storage.read_first_seen(index_dir) == seen
    when = news_engine.first_seen([new_ids[0], "no-such-article"])
    assert list(when) == new_ids and when[new_ids[0]].tzinfo is not None


def test_since_keeps_only_articles_first_indexed_after_it(news_engine: Any) -> None:
    age_first_seen(news_engine.config.index_dir)
    source = news_engine.config.source_dir
    (source / "new.md").write_text("---\ntitle: Fresh oil story\nsource: AP\n---\nOil news.\n")
    news_engine.reindex()
    everything = news_engine.search("oil", per_article=1, per_page=50)
    assert everything.articles > 1
    after = datetime.fromtimestamp(OLD + 1, UTC)
    new = news_engine.search("oil", per_article=1, since=after)
    assert [h.title for h in new.hits] == ["Fresh oil story"] and new.articles == 1
    # as text, with a filter, and with no words at all
    assert news_engine.search("oil", since="1970-01-12T13:46:41Z", source="ap").articles == 1
    assert news_engine.search("", since=after, per_article=1).articles == 1
    assert news_engine.search("oil", since="1970-01-01", per_article=1).articles == (
        everything.articles
    )
    # a distinct request (and cache key) from the one without since
    assert SearchRequest("oil", since=after) != SearchRequest("oil")


@pytest.mark.parametrize(
    "bad", ["yesterday", "2026-13-01", "<script>", "0001-01-01T00:00+05:00", "", "1e9"]
)
def test_since_garbage_is_a_query_error_that_says_what_to_write(bad: str) -> None:
    with pytest.raises(QueryError, match="ISO date-time"):
        SearchRequest("oil", since=bad)


# -- the web --------------------------------------------------------------------------------


def test_feed_has_one_entry_per_matching_article_newest_first(news_engine: Any) -> None:
    client = make_app(news_engine).test_client()
    response = client.get("/search.atom?q=oil+prices")
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    root = parse(response.data)
    entries = root.findall(f"{A}entry")
    page = news_engine.search("oil prices", per_article=1, per_page=50)
    assert (
        len(entries) == len(page.hits) < page.articles
    )  # copies of a story collapse, as on /search
    every = parse(client.get("/search.atom?q=oil+prices&similar=show").data)
    assert len(every.findall(f"{A}entry")) == page.articles == 6
    updated = [e.findtext(f"{A}updated") for e in entries]
    assert updated == sorted(updated, reverse=True)
    first = entries[0]
    assert first.findtext(f"{A}id", "").startswith("urn:byline:article:")
    href = first.find(f"{A}link").get("href")  # type: ignore[union-attr]
    assert "/articles/" in href and "#p-" in href and href.startswith("http")
    # the hostile story's title is text in the feed
    assert any(XSS_SCRIPT in (e.findtext(f"{A}title") or "") for e in entries)
    # ids are stable across a full rebuild
    ids = [e.findtext(f"{A}id") for e in entries]
    news_engine.reindex(full=True)
    again = parse(client.get("/search.atom?q=oil+prices").data)
    assert [e.findtext(f"{A}id") for e in again.findall(f"{A}entry")] == ids


def test_feed_filters_sort_and_since_apply(news_engine: Any) -> None:
    client = make_app(news_engine).test_client()
    root = parse(client.get("/search.atom?q=oil&source=bbc").data)
    assert {e.findtext(f"{A}author/{A}name") for e in root.findall(f"{A}entry")} == {"BBC"}
    oldest = parse(client.get("/search.atom?q=oil&sort=oldest").data)
    dates = [e.findtext(f"{A}updated") for e in oldest.findall(f"{A}entry")]
    assert dates == sorted(dates)
    age_first_seen(news_engine.config.index_dir)
    later = parse(client.get("/search.atom?q=oil&since=1970-02-01").data)
    assert later.findall(f"{A}entry") == []
    for bad in ("garbage", "2026-02-30", "\x01"):
        response = client.get("/search.atom", query_string={"q": "oil", "since": bad})
        assert response.status_code == 400, bad


def test_feed_answers_304_to_a_conditional_get_until_the_index_changes(news_engine: Any) -> None:
    client = make_app(news_engine).test_client()
    first = client.get("/search.atom?q=oil")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = client.get("/search.atom?q=oil", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    since = client.get("/search.atom?q=oil", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other = client.get("/search.atom?q=wheat", headers={"If-None-Match": etag})
    assert other.status_code == 200  # another search, another tag
    (news_engine.config.source_dir / "new.md").write_text("Oil again\n\nOil news.\n")
    news_engine.reindex()
    changed = client.get("/search.atom?q=oil", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_results_page_links_its_feed(news_engine: Any) -> None:
    client = make_app(news_engine).test_client()
    html = text(client.get("/search?q=oil&source=bbc&sort=oldest"))
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert "Follow this search</a>" in html
    assert 'href="/search.atom?q=oil&amp;source=bbc&amp;sort=oldest"' in html


def test_cli_since(news_engine: Any) -> None:
    from manage import cli

    age_first_seen(news_engine.config.index_dir)
    (news_engine.config.source_dir / "new.md").write_text("Oil again\n\nOil news.\n")
    news_engine.reindex()
    where = ["--source", str(news_engine.config.source_dir)]
    where += ["--index", str(news_engine.config.index_dir)]
    runner = CliRunner()
    out = runner.invoke(
        cli, ["search", "oil", "--since", "1970-02-01", "--per-article", "--json", *where]
    )
    assert out.exit_code == 0, out.output
    assert [h["title"] for h in json.loads(out.output)["hits"]] == ["Oil again"]
    bad = runner.invoke(cli, ["search", "oil", "--since", "soon", *where])
    assert bad.exit_code == 2 and "ISO date-time" in bad.output


def test_feed_of_documents_with_hostile_text_parses(make_engine: Any) -> None:
    engine = make_engine(
        {
            "bad.md": f"---\ntitle: Ferry ]]> {XSS_SCRIPT} \x01\x0b title\nsource: ]]>&<\n---\n"
            f"The ferry \x02 paragraph ]]> with {XSS_SCRIPT} and \x1f control characters.\n",
            "bad.json": json.dumps({"id": "x\x01y", "title": "Ferry \ufffe\x7f", "body": "ferry"}),
        }
    )
    engine.reindex()
    client = make_app(engine).test_client()
    for q in ("ferry", f"ferry {XSS_SCRIPT} ]]>", "ferry \x01"):
        response = client.get("/search.atom", query_string={"q": q})
        root = parse(response.data)
        entries = root.findall(f"{A}entry")
        assert len(entries) == 2, q
        assert all("\x01" not in (e.findtext(f"{A}title") or "") for e in entries)
        assert any(XSS_SCRIPT in (e.findtext(f"{A}title") or "") for e in entries)


def test_results_page_says_when_since_restricts_it(news_engine: Any) -> None:
    client = make_app(news_engine).test_client()
    html = text(client.get("/search?q=oil&since=2000-01-01"))
    assert "Only articles Byline first indexed after" in html
    assert 'href="/search?q=oil">show every article</a>' in html
    assert '<input type="hidden" name="since" value="2000-01-01">' in html  # kept by the forms
    assert "since" not in text(client.get("/search?q=oil")).split("<main")[1].split("Follow")[0]
