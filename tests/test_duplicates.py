"""Duplicates: paragraph fingerprints and near-duplicate article clusters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.duplicates import (
    NEAR_DUPLICATE,
    article_fingerprints,
    batch_labels,
    clusters,
    paragraph_key,
)
from indexer.models import Paragraph

from .conftest import dated_news_engine


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def cluster_labels(batch: dict[str, frozenset[str]]) -> dict[str, str]:
    """The definition, with sets: every pair sharing a fingerprint, joined at NEAR_DUPLICATE."""
    parent = {aid: aid for aid in batch}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    holders: dict[str, list[str]] = {}
    for aid in sorted(batch):
        for fp in batch[aid]:
            holders.setdefault(fp, []).append(aid)
    pairs = {(a, b) for group in holders.values() for a in group for b in group if a < b}
    for a, b in sorted(pairs):
        if jaccard(batch[a], batch[b]) >= NEAR_DUPLICATE:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {aid: find(aid) for aid in batch}


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
    p1, p2, p3, p4, x = (f"{n:016x}" for n in (1, 2, 3, 4, 99))
    a, b, c = frozenset({p1, p2, p3}), frozenset({p1, p2, p3, p4}), frozenset({p1, x})
    assert jaccard(a, b) == 0.75 and jaccard(a, c) == 0.25
    labels = batch_labels({"a": a, "b": b, "c": c, "d": frozenset()})
    assert labels == {"a": "a", "b": "a", "c": "c", "d": "d"}


def _arrays(batch: dict[str, frozenset[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    ids = sorted(batch)
    arts, fps = [], []
    for n, aid in enumerate(ids):
        for fp in batch[aid]:
            arts.append(n)
            fps.append(int(fp, 16))
    return ids, np.asarray(arts, dtype=np.int64), np.asarray(fps, dtype=np.uint64)


def _labels(batch: dict[str, frozenset[str]]) -> dict[str, str]:
    ids, arts, fps = _arrays(batch)
    found = clusters(arts, fps, lambda numbers: [ids[n] for n in numbers])
    return {aid: ids[found[n]] if n in found else aid for n, aid in enumerate(ids)}


@given(
    st.dictionaries(
        st.text("abcdef", min_size=1, max_size=4),
        st.frozensets(st.sampled_from([f"{n:016x}" for n in range(12)]), max_size=5),
        max_size=25,
    )
)
def test_the_array_clustering_gives_the_same_clusters(batch: dict[str, frozenset[str]]) -> None:
    assert _labels(batch) == batch_labels(batch) == cluster_labels(batch)


@pytest.mark.corpora
@pytest.mark.slow
def test_same_clusters_as_before_on_bbc_and_reuters() -> None:
    from dataclasses import replace

    from indexer.paragraphs import split_paragraphs

    from .conftest import corpora_dir, read_folder

    batch: dict[str, frozenset[str]] = {}
    for name in ("bbc", "reuters21578"):
        articles, _ = read_folder(corpora_dir(name))
        for a in articles.values():
            batch[f"{name}/{a.id}"] = article_fingerprints(split_paragraphs(replace(a)))
    expected = cluster_labels(batch)
    got = _labels(batch)
    assert got == expected
    assert sum(1 for aid, label in got.items() if aid != label) > 100  # there are copies


def test_a_rebuild_labels_copies_across_its_segments(make_engine: Any) -> None:
    body = "\n\n".join(
        f"Paragraph {n} of the wire story about harbour strikes and cargo." for n in range(4)
    )
    files = {
        f"a/{n:02d}.txt": f"Story {n}\n\nSomething else entirely number {n} here today.\n"
        for n in range(40)
    }
    files.update({f"copy{n}.txt": f"Wire {n}\n\n{body}\n" for n in range(3)})
    e = make_engine(files, segment_paragraphs=20)  # several segments
    e.reindex()
    with e._searcher() as s:
        assert len(s.reader().leaf_readers()) > 2
    page = e.search("harbour strikes", per_article=1)
    assert [(h.article_id, h.similar) for h in page.hits] == [("copy0", 2)]
    assert e.search("harbour strikes", per_article=1, collapse_similar=False).total == 12


def test_a_copy_added_later_joins_the_indexed_cluster(make_engine: Any, tmp_path: Any) -> None:
    body = "\n\n".join(
        f"Paragraph {n} of the wire story about harbour strikes and cargo." for n in range(4)
    )
    e = make_engine({f"copy{n}.txt": f"Wire {n}\n\n{body}\n" for n in range(2)})
    e.reindex()
    (tmp_path / "source" / "copy9.txt").write_text(f"Wire 9\n\n{body}\n", encoding="utf-8")
    stats = e.reindex()  # incremental: the new article is labelled against the index
    assert not stats.full
    page = e.search("harbour strikes", per_article=1)
    assert [(h.article_id, h.similar) for h in page.hits] == [("copy0", 2)]
    assert {
        h.article_id for h in e.search("dup:copy0", per_article=1, collapse_similar=False).hits
    } == {
        "copy0",
        "copy1",
        "copy9",
    }


def test_a_later_article_sharing_one_paragraph_stays_alone(make_engine: Any, tmp_path: Any) -> None:
    shared = "A boilerplate paragraph that many wire stories carry at their very end."
    body = "\n\n".join(f"Paragraph {n} about harbour strikes and the cargo left." for n in range(3))
    e = make_engine({f"copy{n}.txt": f"Wire {n}\n\n{body}\n\n{shared}\n" for n in range(3)})
    e.reindex()
    other = "\n\n".join(
        f"Paragraph {n} of another story on grain and its prices." for n in range(3)
    )
    (tmp_path / "source" / "a0.txt").write_text(f"Grain\n\n{other}\n\n{shared}\n", "utf-8")
    (tmp_path / "source" / "a1.txt").write_text(f"Wire 1b\n\n{body}\n\n{shared}\n", "utf-8")
    assert not e.reindex().full
    members = {
        h.article_id for h in e.search("dup:copy0", per_article=1, collapse_similar=False).hits
    }
    assert members == {"copy0", "copy1", "copy2", "a1"}  # a1 joins; a0 shares one paragraph only
    assert e.search("grain", per_article=1).hits[0].similar == 0
