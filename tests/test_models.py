"""The frozen dataclasses the library returns, and their round trips to plain data."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from indexer.models import (
    KIND_NAMES,
    KINDS,
    SEARCHABLE_KINDS,
    Article,
    IndexStats,
    Paragraph,
    Skip,
    paragraph_kind,
)


def test_article_meta_round_trips_every_field() -> None:
    paragraphs = (
        Paragraph("a/1", 1, "headline", "Oil rises"),
        Paragraph("a/1", 2, "body", "Crude rose."),
        Paragraph("a/1", 3, "boilerplate", "Reuter"),
    )
    article = Article(
        id="a/1",
        title="Oil rises",
        body="Crude rose.\n\nReuter",
        path="a/1.txt",
        date="1987-03-02",
        source="Reuters",
        url="https://example.com/1",
        author="A. Writer",
        section="business",
        tags=("energy",),
        places=("usa", "uk"),
        topics=("crude",),
        dateline="NEW YORK, March 2",
        paragraphs=paragraphs,
        content_hash="abc",
    )
    meta = article.meta()
    assert json.loads(json.dumps(meta)) == meta  # plain JSON
    assert meta["hash"] == "abc" and meta["places"] == ["usa", "uk"]
    assert "body" not in meta and "paragraphs" not in meta and "id" not in meta
    back = Article.from_meta("a/1", meta, paragraphs)
    assert back == article


def test_every_article_field_is_metadata_or_named_as_not() -> None:
    meta = Article("x", "T").meta()
    names = {f.name for f in fields(Article)}
    assert names - set(meta) == {"id", "body", "paragraphs", "content_hash"}


def test_index_stats_round_trip_and_tolerate_damage() -> None:
    stats = IndexStats(
        3,
        9,
        added=3,
        skipped=(Skip("b.txt", "empty file"),),
        warnings=(Skip("c.txt", "not UTF-8, read as cp1252"),),
        seconds=1.23456,
        generation="g1.2",
        full=True,
    )
    data = json.loads(json.dumps(stats.to_dict()))
    assert IndexStats.from_dict(data) == IndexStats(**{**stats.__dict__, "seconds": 1.235})
    damaged = {"articles": "many", "added": "x", "skipped": [{"nope": 1}], "unknown": 1}
    assert IndexStats.from_dict(damaged, articles=4, paragraphs=5) == IndexStats(4, 5)


def test_kinds_registry() -> None:
    assert KIND_NAMES == ("headline", "heading", "body", "caption", "boilerplate")
    assert {"headline", "heading", "body", "caption"} == SEARCHABLE_KINDS
    assert all(k.label for k in KINDS)
    assert paragraph_kind("caption") == "caption"
    with pytest.raises(ValueError, match="unknown paragraph kind"):
        paragraph_kind("footer")
    assert not Paragraph("a", 2, "boilerplate", "x").searchable
