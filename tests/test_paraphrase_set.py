"""The paraphrase known-item set (bench/paraphrase/bbc.jsonl): shape, targets and word overlap.

Each line names one BBC paragraph by Byline's article id and paragraph number
and gives a query written in other words. The corpus checks (the target is
where the line says, the query shares at most one index term with it) need
../shared/corpora/bbc and skip without it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from indexer.analysis import analyze
from indexer.formats import Scan, read_file
from indexer.models import Article
from indexer.paragraphs import split_paragraphs

from .conftest import ROOT, corpora_dir

KNOWN_ITEMS = ROOT / "bench" / "paraphrase" / "bbc.jsonl"
FIELDS = {"id", "article", "paragraph", "query", "target"}
MIN_QUERIES = 40
MAX_SHARED_TERMS = 1


def load_known_items(path: Path = KNOWN_ITEMS) -> list[dict]:
    """The set's records, in file order: one JSON object per non-blank line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@cache
def read_article(root: Path, article_id: str) -> Article:
    """The article Byline indexes for ``article_id`` (its id is the path without ``.txt``)."""
    [article] = read_file(root / f"{article_id}.txt", root, Scan())
    return article


def target_paragraph(root: Path, item: dict) -> str:
    """The text of the item's paragraph, numbered as Byline numbers it (headline = 1)."""
    article = read_article(root, item["article"])
    by_no = {p.no: p.text for p in split_paragraphs(article)}
    return by_no[item["paragraph"]]


def shared_terms(query: str, *texts: str) -> set[str]:
    """The index terms (stop words dropped, stemmed) ``query`` has in common with ``texts``."""
    terms = {term for text in texts for term in analyze(text)}
    return set(analyze(query)) & terms


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return load_known_items()


@pytest.fixture(scope="module")
def bbc() -> Path:
    return corpora_dir("bbc").resolve()


def test_set_shape(items: list[dict]) -> None:
    assert len(items) >= MIN_QUERIES
    assert all(set(item) == FIELDS for item in items)
    ids = [item["id"] for item in items]
    assert len(set(ids)) == len(ids)
    assert len({(item["article"], item["paragraph"]) for item in items}) == len(items)
    assert all(3 <= len(item["query"].split()) <= 10 for item in items)
    sections = {item["article"].split("/")[0] for item in items}
    assert sections == {"business", "entertainment", "politics", "sport", "tech"}


@pytest.mark.corpora
def test_targets_are_where_the_set_says(items: list[dict], bbc: Path) -> None:
    for item in items:
        assert (bbc / f"{item['article']}.txt").is_file(), item["id"]
        article = read_article(bbc, item["article"])
        assert article.id == item["article"], item["id"]
        assert item["paragraph"] > 1, f"{item['id']}: paragraph 1 is the headline"
        text = target_paragraph(bbc, item)
        assert text.startswith(item["target"]), item["id"]


@pytest.mark.corpora
def test_queries_are_in_other_words(items: list[dict], bbc: Path) -> None:
    for item in items:
        title = read_article(bbc, item["article"]).title
        shared = shared_terms(item["query"], target_paragraph(bbc, item), title)
        assert len(shared) <= MAX_SHARED_TERMS, f"{item['id']} shares {sorted(shared)}"
