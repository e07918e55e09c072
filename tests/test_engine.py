"""SearchEngine: the one entry point; plain data out, searchers owned and refreshed, results cached by request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from indexer.engine import SearchEngine

from .conftest import SEED_ID, dated_news_engine


def test_article_view_has_every_paragraph(engine: SearchEngine) -> None:
    article = engine.article(SEED_ID)
    assert article is not None
    assert len(article.paragraphs) == 56
    assert (
        article.paragraphs[4].kind == "boilerplate" and article.paragraphs[4].text == "1 year ago"
    )
    assert engine.article("no/such/article") is None
    marked = engine.highlight_article(article, "fuel")
    assert "<mark>fuel</mark>" in marked[54]
    assert marked[4] == "1 year ago"


def test_results_are_plain_dataclasses(engine: SearchEngine) -> None:
    page = engine.search("troops")
    data = page.to_dict()
    assert set(data["hits"][0]) >= {
        "article_id",
        "title",
        "paragraph_no",
        "kind",
        "heading",
        "score",
        "text",
        "snippet_html",
    }
    with pytest.raises(AttributeError):
        page.hits[0].score = 1.0  # type: ignore[misc]


def test_related_articles_leave_out_copies(make_engine: Any) -> None:
    e = dated_news_engine(make_engine)
    related = e.related("a")
    assert related and related[0].article_id == "c"
    assert all(h.article_id not in {"a", "b"} for h in related)
    assert e.related("nope") == ()


def test_a_reindex_is_seen_by_the_next_search_and_changes_the_generation(make_engine: Any) -> None:
    e = make_engine({"a.txt": "Oil\n\nOil prices rose.\n"})
    e.reindex()
    first = e.generation()
    assert e.search("oil").articles == 1
    (e.config.source_dir / "b.txt").write_text("Oil again\n\nOil prices fell.\n")
    SearchEngine(e.config).reindex()  # another engine, as another process would
    assert e.generation() != first
    assert e.search("oil").articles == 2  # not a cached page of the old generation


def test_pages_are_cached_by_request(engine: SearchEngine) -> None:
    a = engine.search("fuel prices", per_page=3)
    b = engine.search("fuel prices", per_page=3)
    assert a.hits == b.hits and a.hits is b.hits  # the same cached page, its own took_ms
    c = engine.search("fuel prices", per_page=3, snippets=False)
    assert c.hits is not a.hits and all(not h.snippet_html for h in c.hits)


def test_close_releases_searchers_and_the_engine_reopens(engine: SearchEngine) -> None:
    assert engine.search("fuel").total
    engine.close()
    engine.close()  # twice is fine
    assert engine.search("fuel").total  # a new searcher


def test_stats_report_the_last_reindex(make_engine: Any) -> None:
    e = make_engine({"a.txt": "Oil\n\nOil prices rose.\n", "b.txt": b""})
    done = e.reindex()
    stats = e.stats()
    assert (stats.articles, stats.paragraphs, stats.added) == (1, 2, 1)
    assert stats.skipped == done.skipped and stats.generation == done.generation


def test_search_options_are_checked(engine: SearchEngine) -> None:
    with pytest.raises(TypeError, match="unknown search option 'colour'"):
        engine.search("fuel", colour="red")


def test_the_library_never_hands_out_whoosh_objects(engine: SearchEngine, tmp_path: Path) -> None:
    import dataclasses

    page = engine.search("fuel prices", facets=True)
    article = engine.article(SEED_ID)
    assert article is not None

    def plain(value: object) -> bool:
        if dataclasses.is_dataclass(value):
            return all(plain(getattr(value, f.name)) for f in dataclasses.fields(value))
        if isinstance(value, (tuple, list)):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, int, float, bool))

    assert plain(page) and plain(article) and plain(engine.stats())


def test_queries_are_read_in_the_documents_unicode_form(make_engine: Any) -> None:
    e = make_engine({"a.txt": "Castles\n\nThe Mittelalter castle near the café was restored.\n"})
    e.reindex()
    assert [h.article_id for h in e.search("Mittelalter").hits] == ["a"]
    for typed in ("Mit\u00adtel\u00adal\u00adter", "Mittel\ufeffalter", "cafe\u0301"):
        assert [h.article_id for h in e.search(typed).hits] == ["a"], typed
    assert e.search("cafe\u0301").query == "caf\u00e9"
    marked = e.highlight_article(e.article("a"), "Mit\u00adtel\u00adal\u00adter")  # type: ignore[arg-type]
    assert any("<mark>Mittelalter</mark>" in p for p in marked)
