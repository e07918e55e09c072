"""indexer.matching scores exactly as Whoosh's own matchers do, on a real multi-segment index."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from indexer import IndexConfig
from indexer.columns import doc_table
from indexer.engine import SearchEngine
from indexer.matching import BLOCK, Stats, evaluate, term_list
from indexer.parsing import parse

from .conftest import SEEDS, write
from .data import WORDS, random_story


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """Seeds plus 300 generated articles (postings longer than one block), then an
    incremental run that edits and deletes some: two segments and deleted documents."""
    base: Path = tmp_path_factory.mktemp("matching")
    source = base / "source"
    rng = random.Random(7)
    for path in SEEDS.iterdir():
        write(source, path.name, path.read_bytes())
    for n in range(300):
        write(source, f"gen/{n:03}.txt", random_story(rng, n))
    e = SearchEngine(IndexConfig(source_dir=source, index_dir=base / "index"))
    e.reindex()
    for n in range(0, 300, 7):
        write(source, f"gen/{n:03}.txt", random_story(rng, n + 1000))
    for n in range(3, 300, 50):
        (source / f"gen/{n:03}.txt").unlink()
    e.reindex()
    return e


def _queries() -> list[str]:
    rng = random.Random(11)
    out = [
        "fuel prices",
        '"fuel prices"',
        "kazakhstan -protest",
        "oil AND price",
        "title:oil",
        "+oil bank",
        "oil OR (price AND NOT bank)",
        "prot*",
        "kazakstan~",
        "kind:heading",
        "oil oil price",
        "source:nothing",
        '"crude supply" talks',
    ]
    for _ in range(60):
        out.append(" ".join(rng.sample(WORDS, rng.randint(1, 3))))
    return out


def test_the_index_has_several_segments_and_deletions(engine: SearchEngine) -> None:
    with engine._searcher() as s:
        leaves = s.reader().leaf_readers()
        assert len(leaves) >= 2
        assert any(r.has_deletions() for r, _ in leaves)
        assert not doc_table(s).live.all()


@pytest.mark.parametrize("text", _queries())
def test_scores_equal_whooshs_matchers(engine: SearchEngine, text: str) -> None:
    with engine._searcher() as s:
        q = parse(s, text, engine.config).query
        found = evaluate(s, doc_table(s), q)
        expected = {hit.docnum: hit.score for hit in s.search(q, limit=None)}
    got = dict(zip(found.ids.tolist(), found.scores.tolist(), strict=True))
    assert got.keys() == expected.keys()
    for docnum, score in expected.items():
        assert got[docnum] == pytest.approx(score, rel=1e-9, abs=1e-12)


def test_deleted_documents_never_match(engine: SearchEngine) -> None:
    with engine._searcher() as s:
        table = doc_table(s)
        q = parse(s, "oil price market", engine.config).query
        found = evaluate(s, table, q)
        assert len(found) > 128
        assert table.live[found.ids].all()
        dead = set((~table.live).nonzero()[0].tolist())
        assert dead and not dead & set(found.ids.tolist())


@pytest.mark.parametrize("per_article", [None, 1, 2])
def test_pages_are_slices_of_one_ranking(engine: SearchEngine, per_article: int | None) -> None:
    """Only a prefix of the ranking is sorted; every page must still agree with the whole."""
    whole = engine.search("oil price", per_page=100, per_article=per_article, snippets=False)
    assert len(whole.hits) == 100
    keys = [(h.article_id, h.paragraph_no) for h in whole.hits]
    for page in (1, 2, 7, 20):
        part = engine.search(
            "oil price", page=page, per_page=5, per_article=per_article, snippets=False
        )
        assert [(h.article_id, h.paragraph_no) for h in part.hits] == keys[
            (page - 1) * 5 : page * 5
        ]
        assert (part.total, part.articles) == (whole.total, whole.articles)
    scores = [h.score for h in whole.hits]
    assert scores == sorted(scores, reverse=True)
    if per_article:
        per = {}
        for h in whole.hits:
            per[h.article_id] = per.get(h.article_id, 0) + 1
        assert max(per.values()) <= per_article


def test_warm_reads_frequent_postings_ahead_and_changes_no_result(engine: SearchEngine) -> None:
    from indexer.postings import CACHE

    before = engine.search("oil price market", per_page=20, snippets=False)
    CACHE.clear()
    assert engine.warm() > 0
    assert CACHE.used > 0
    engine._results.clear()
    after = engine.search("oil price market", per_page=20, snippets=False)
    assert [(h.article_id, h.paragraph_no, h.score) for h in after.hits] == [
        (h.article_id, h.paragraph_no, h.score) for h in before.hits
    ]


def test_the_postings_cache_keeps_to_its_budget() -> None:
    import numpy as np

    from indexer.postings import _Cache

    cache = _Cache(budget=4000)
    for n in range(10):
        cache.put(("seg", "text", n), (np.zeros(100, np.int32), np.zeros(100, np.float32)))
    assert cache.used <= 4000
    assert cache.get(("seg", "text", 9)) is not None  # the newest stay
    assert cache.get(("seg", "text", 0)) is None  # the oldest went
    cache.put(("seg", "text", "big"), (np.zeros(2000, np.int32),))  # over a quarter: not kept
    assert cache.get(("seg", "text", "big")) is None


def test_phrases_match_whoosh(engine: SearchEngine) -> None:
    for text in ('"oil price"', '"market bank rate"', '"fuel prices"', '"crude supply" talks'):
        with engine._searcher() as s:
            q = parse(s, text, engine.config).query
            found = evaluate(s, doc_table(s), q)
            expected = {hit.docnum: hit.score for hit in s.search(q, limit=None)}
        assert dict(zip(found.ids.tolist(), found.scores.tolist(), strict=True)) == pytest.approx(
            expected
        )


@pytest.mark.parametrize("word", ["oil", "price", "said"])
def test_a_term_list_is_every_segments_postings_with_their_scores(
    engine: SearchEngine, word: str
) -> None:
    with engine._searcher() as s:
        table = doc_table(s)
        found = term_list(table, Stats(s, table), "text", word.encode())
        assert found is not None and len(found.ids) > BLOCK  # more than one block
        expected = {
            hit.docnum: hit.score
            for hit in s.search(parse(s, f"text:{word}", engine.config).query, limit=None)
        }
        live = table.live[found.ids]
        assert set(found.ids[live].tolist()) == set(expected)  # deleted ones kept, live ones all
        for docnum, impact in zip(
            found.ids[live].tolist(), found.impacts[live].tolist(), strict=True
        ):
            assert impact == pytest.approx(expected[docnum], rel=1e-9)
        assert np.all(np.diff(found.ids) > 0)
        for b in range(len(found.block_bound)):
            chunk = slice(b * BLOCK, (b + 1) * BLOCK)
            assert found.block_bound[b] == found.impacts[chunk].max()
            assert found.block_first[b] == found.ids[chunk][0]
            assert found.block_last[b] == found.ids[chunk][-1]
