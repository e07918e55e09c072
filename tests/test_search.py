"""Searching the seed article: ranking, syntax, suggestions, snippets, paging, grouping."""

from __future__ import annotations

from typing import Any

import pytest

from indexer import QueryError
from indexer.engine import SearchEngine

from .conftest import SEED_ID, dated_news_engine, texts, top


def test_fuel_prices_ranks_a_body_paragraph_about_the_rise_first(engine: SearchEngine) -> None:
    page = engine.search("fuel prices")
    first = page.hits[0]
    assert first.kind == "body"
    assert "fuel" in first.text and "price" in first.text
    assert "doubl" in first.text  # "roughly doubled" / "near-doubling": the rise itself
    assert "<mark>fuel</mark>" in first.snippet_html and "<mark>prices</mark>" in first.snippet_html
    heading = next(h for h in page.hits if h.kind == "heading")
    assert heading.text == "Protests expand beyond anger over fuel prices"
    assert page.hits.index(heading) > 0


def test_paragraphs_with_every_word_rank_above_those_with_some(engine: SearchEngine) -> None:
    hits = engine.search("fuel prices", per_page=100).hits
    both = [("fuel" in h.text.lower() and "price" in h.text.lower()) for h in hits]
    assert both == sorted(both, reverse=True)
    assert both.count(False) >= 1  # "rising gas prices" still found: OR, not AND


def test_missing_word_does_not_empty_the_results(engine: SearchEngine) -> None:
    assert engine.search("fuel zanzibar").total >= 1


def test_hit_knows_its_article_and_place(engine: SearchEngine) -> None:
    hit = top(engine, '"Shal ket"')
    assert hit.article_id == SEED_ID
    assert hit.title == "Russian troops move to put down violent uprising in Kazakhstan"
    assert "Nazarbayev" in hit.text
    assert (hit.paragraph_no, hit.paragraph_count) == (53, 56)
    assert hit.heading == "Anger directed at first president"


@pytest.mark.parametrize(
    ("query", "must_contain"),
    [
        ("Kazakhstan's", "Kazakhstan"),
        ("US", "U.S."),
        ("U.S.", "U.S."),
        ("2,298", "2,298"),
        ("Nur-Sultan", "Nur-Sultan"),
        ('"Nur Sultan"', "Nur-Sultan"),
        ("Sultan", "Nur-Sultan"),
        ("CSTO's", "CSTO"),
        ("protest", "protesters"),
    ],
)
def test_news_tokens_are_found(engine: SearchEngine, query: str, must_contain: str) -> None:
    assert any(must_contain in t for t in texts(engine, query))


def test_phrase_query_needs_the_words_together(engine: SearchEngine) -> None:
    assert len(texts(engine, '"state of emergency"')) == 1
    assert texts(engine, '"emergency state"') == []


def test_exclusion(engine: SearchEngine) -> None:
    found = texts(engine, "protesters -almaty")
    assert found and all("almaty" not in t.lower() for t in found)
    assert len(found) < len(texts(engine, "protesters"))


def test_field_query(engine: SearchEngine) -> None:
    assert (
        engine.search("title:uprising").total == engine.stats().paragraphs - 3
    )  # not the boilerplate
    assert engine.search("title:bitcoin").total == 0
    assert engine.search("kind:caption").total == 3


def test_boilerplate_is_never_searchable(engine: SearchEngine) -> None:
    assert engine.search('"files from reuters"').total == 0
    assert engine.search("duration").total == 0


def test_paging(engine: SearchEngine) -> None:
    first = engine.search("protesters", per_page=2, page=1)
    second = engine.search("protesters", per_page=2, page=2)
    assert first.pages == -(-first.total // 2) and first.pages >= 3
    assert {h.paragraph_no for h in first.hits}.isdisjoint({h.paragraph_no for h in second.hits})
    last = engine.search("protesters", per_page=2, page=10_000)
    assert last.page <= 10_000 and not last.hits  # past the end: empty, not an error
    assert engine.search("protesters", per_page=10_000).per_page == 100


def test_per_article_collapses_and_counts(make_engine: Any) -> None:
    e = make_engine(
        {
            "a.txt": "Oil news\n\nOil rose.\n\nOil fell.\n\nOil steady.\n",
            "b.txt": "More oil\n\nOil again.\n",
            "c.txt": "Sport\n\nNothing here.\n",
        }
    )
    e.reindex()
    grouped = e.search("oil", per_article=1)
    assert grouped.grouped and grouped.articles == 2
    assert grouped.total == 6  # every matching paragraph is counted
    assert [h.article_id for h in grouped.hits] == sorted(
        {h.article_id for h in grouped.hits}, key=[h.article_id for h in grouped.hits].index
    )
    assert len(grouped.hits) == 2
    others = {h.article_id: h.other_matches for h in grouped.hits}
    assert others == {"a": 3, "b": 1}


def test_sort_by_date(make_engine: Any) -> None:
    e = dated_news_engine(make_engine)
    newest = [
        h.date for h in e.search("oil", per_article=1, sort="newest", collapse_similar=False).hits
    ]
    assert [d for d in newest if d] == sorted([d for d in newest if d], reverse=True)
    oldest = [
        h.date
        for h in e.search("oil", per_article=1, sort="oldest", collapse_similar=False).hits
        if h.date
    ]
    assert oldest == sorted(oldest)
    with pytest.raises(QueryError, match="sort must be one of"):
        e.search("oil", sort="sideways")


def test_snippets_can_be_skipped_for_bulk_runs(engine: SearchEngine) -> None:
    with_snippets = engine.search("fuel prices")
    without = engine.search("fuel prices", snippets=False)
    assert [h.paragraph_no for h in without.hits] == [h.paragraph_no for h in with_snippets.hits]
    assert all(h.snippet_html == "" for h in without.hits)
    assert all(h.snippet_html for h in with_snippets.hits)
