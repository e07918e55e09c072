"""Duplicates: paragraph fingerprints and near-duplicate article clusters."""

from __future__ import annotations

from typing import Any

from indexer.duplicates import article_fingerprints, cluster_labels, jaccard, paragraph_key
from indexer.models import Paragraph

from .conftest import dated_news_engine


def test_identical_paragraphs_collapse_into_the_best_with_a_count(make_engine: Any) -> None:
    wire = "Oil prices rose two dollars on Monday after the pipeline closed, traders said."
    e = make_engine(
        {f"outlet{n}.txt": f"Story {n}\n\nOil tanker news\n\n{wire}\n" for n in range(4)}
    )
    e.reindex()
    page = e.search("pipeline")
    assert [(h.text, h.similar) for h in page.hits] == [(wire, 3)]
    assert page.total == 4 and page.articles == 4 and page.pages == 1
    expanded = e.search("pipeline", collapse_similar=False)
    assert len(expanded.hits) == 4 and all(h.similar == 0 for h in expanded.hits)


def test_near_duplicate_articles_collapse_when_grouped(make_engine: Any) -> None:
    e = dated_news_engine(make_engine)
    grouped = e.search("pipeline", per_article=1)
    assert len(grouped.hits) == 2  # a and b are copies: one shown, "and 1 similar"
    copy = next(h for h in grouped.hits if h.article_id in {"a", "b"})
    assert copy.similar == 1 and copy.dup == "a"
    assert e.search("dup:a", per_article=1, collapse_similar=False).articles == 2


def test_paragraph_key_ignores_case_and_punctuation_only() -> None:
    assert paragraph_key("Oil prices, rose!") == paragraph_key("oil PRICES rose")
    assert paragraph_key("Oil prices rose") != paragraph_key("Oil prices fell")
    assert len(paragraph_key("x")) == 16


def _p(no: int, text: str, kind: str = "body") -> Paragraph:
    return Paragraph("a", no, kind, text)  # type: ignore[arg-type]


LONG = "one two three four five six seven eight nine"


def test_fingerprints_are_the_substantial_body_paragraphs() -> None:
    fps = article_fingerprints([_p(1, LONG, "headline"), _p(2, LONG), _p(3, "too short to count")])
    assert fps == {paragraph_key(LONG)}


def test_clusters_join_articles_sharing_most_paragraphs() -> None:
    a, b, c = (
        frozenset({"p1", "p2", "p3"}),
        frozenset({"p1", "p2", "p3", "p4"}),
        frozenset({"p1", "x"}),
    )
    assert jaccard(a, b) == 0.75 and jaccard(a, c) == 0.25
    labels = cluster_labels({"a": a, "b": b, "c": c, "d": frozenset()})
    assert labels == {"a": "a", "b": "a", "c": "c", "d": "d"}


def test_new_copies_join_the_cluster_the_index_already_has() -> None:
    def existing(fp: str):  # type: ignore[no-untyped-def]
        if fp == "p1":
            yield "old", "old-label", frozenset({"p1", "p2"})

    assert cluster_labels({"new": frozenset({"p1", "p2"})}, existing) == {"new": "old-label"}
