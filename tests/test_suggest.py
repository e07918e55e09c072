"""Suggestions: prefixes completed from the index's words and titles, most paragraphs first."""

from __future__ import annotations

from typing import Any

import pytest

from .data import NEWS, XSS_SCRIPT


@pytest.fixture()
def news_engine(make_engine: Any) -> Any:
    engine = make_engine(NEWS)
    engine.reindex()
    return engine


def paragraphs_with(engine: Any, word: str) -> int:
    page = engine.search(f'"{word}"', collapse_similar=False, exact_counts=True)
    return int(page.total)


def test_words_are_ranked_by_the_paragraphs_that_hold_them(news_engine: Any) -> None:
    found = news_engine.suggest("p")
    words = [w for w in found if " " not in w]
    assert words and all(w.startswith("p") for w in found)
    counts = [paragraphs_with(news_engine, w) for w in words]
    assert counts == sorted(counts, reverse=True)
    assert len(news_engine.suggest("p", limit=2)) == 2


def test_titles_and_the_last_word_after_the_others(news_engine: Any) -> None:
    assert "oilers win in overtime" in news_engine.suggest("oilers w")
    assert "oil prices" in news_engine.suggest("oil pr")
    assert news_engine.suggest("Oil PR") == news_engine.suggest("oil pr")
    assert "the" not in news_engine.suggest("th")  # stop words are never searched
    hostile = news_engine.suggest("oil <scr")
    assert hostile and XSS_SCRIPT.lower() in hostile[0]


@pytest.mark.parametrize("text", ["", "   ", "zzzzqx", "x" * 500, "\x00\x01", "\ud800", "*", "]]>"])
def test_odd_input_gets_no_suggestion_and_no_error(news_engine: Any, text: str) -> None:
    assert news_engine.suggest(text) == ()


def test_a_reindex_brings_new_words(news_engine: Any) -> None:
    assert news_engine.suggest("zanzib") == ()
    (news_engine.config.source_dir / "z.md").write_text("Zanzibar ferry\n\nThe zanzibar ferry.\n")
    news_engine.reindex()
    assert news_engine.suggest("zanzib")[0] == "zanzibar"
