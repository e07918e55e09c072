"""Query expansion by pseudo-relevance feedback (RM3)."""

from __future__ import annotations

import pytest

from indexer.feedback import interpolate, relevance_model
from indexer.request import SearchRequest

FEEDBACK_CORPUS = {
    "a.txt": "Morning arrival\n\nThe steam locomotive pulled into the station, its boiler hissing.",
    "b.txt": "Railway history\n\nA steam locomotive needs a boiler, coal and water for the journey.",
    "c.txt": "Factory visit\n\nThe factory makes every steam boiler by hand.",
    "d.txt": "Garden show\n\nRoses and tulips filled the garden at the spring show.",
}


def test_relevance_model_weighs_terms_by_paragraph_score_and_share() -> None:

    model = relevance_model(
        [(3.0, ["engin", "steam", "steam"]), (1.0, ["steam", "boiler", "7"])], 2
    )
    # steam: 3/4 * 2/3 + 1/4 * 1/3 = 7/12; engin: 3/4 * 1/3 = 1/4; "7" (a number) is never chosen
    assert list(model) == ["steam", "engin"]
    assert model["steam"] == pytest.approx((7 / 12) / (7 / 12 + 1 / 4))
    # weight 0.5 and a 2-word query: each expansion term adds 2 * P(t|R) to the query
    assert interpolate(model, ["steam", "train"], 0.5) == pytest.approx(
        {t: 2 * p for t, p in model.items()}
    )
    assert interpolate(model, ["steam"], 1.0) == {}


def test_expansion_is_off_by_default_and_adds_terms_from_the_top_results(make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(FEEDBACK_CORPUS, feedback_docs=2, feedback_terms=5, feedback_max_df=1.0)
    engine.reindex()
    plain = [h.article_id for h in engine.search("locomotive", per_article=1).hits]
    assert sorted(plain) == ["a", "b"]  # c never says "locomotive"
    terms = engine._feedback(SearchRequest("locomotive"))
    assert {"boiler", "steam"} <= set(terms)
    expanded = [h.article_id for h in engine.search("locomotive", per_article=1, expand=True).hits]
    assert sorted(expanded[:2]) == ["a", "b"] and expanded[2] == "c"  # found through steam, boiler
    assert "d" not in expanded
    assert [h.article_id for h in engine.search("locomotive", per_article=1).hits] == plain


def test_expansion_keeps_the_query_constraints(make_engine) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(FEEDBACK_CORPUS, feedback_docs=2, feedback_terms=5, feedback_max_df=1.0)
    engine.reindex()
    # "-coal" still excludes b, and the expansion terms only reorder what the query matches
    ids = [h.article_id for h in engine.search("locomotive -coal", per_article=1, expand=True).hits]
    assert ids == ["a"]
