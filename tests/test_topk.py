"""Top-k search gives exactly the pages exhaustive scoring gives, on segments with deletions."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from indexer import IndexConfig, topk
from indexer.columns import doc_table
from indexer.engine import SearchEngine
from indexer.matching import Stats
from indexer.parsing import parse

from .conftest import SEEDS, write
from .data import WORDS, random_story


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """Seeds plus 400 generated articles in segments of at most 300 paragraphs, then an
    incremental run that edits and deletes some; counts are exact only up to 25."""
    base: Path = tmp_path_factory.mktemp("topk")
    source = base / "source"
    rng = random.Random(5)
    for path in SEEDS.iterdir():
        write(source, path.name, path.read_bytes())
    for n in range(400):
        write(source, f"gen/{n % 5}/{n:03}.txt", random_story(rng, n))
    for n in range(0, 400, 40):  # copies: identical paragraphs and near-duplicate articles
        write(source, f"copies/{n:03}.txt", (source / f"gen/{n % 5}/{n:03}.txt").read_text())
    config = IndexConfig(
        source_dir=source, index_dir=base / "index", count_limit=25, segment_paragraphs=300
    )
    e = SearchEngine(config)
    e.reindex()
    for n in range(0, 400, 9):
        write(source, f"gen/{n % 5}/{n:03}.txt", random_story(rng, n + 1000))
    for n in range(3, 400, 60):
        (source / f"gen/{n % 5}/{n:03}.txt").unlink()
    e.reindex()
    return e


QUERIES = [
    "oil",
    "oil price",
    "fuel prices",
    "market bank rate",
    '"oil price"',
    'oil "crude supply"',
    "oil -bank",
    "+oil price",
    "oil AND price",
    "title:oil",
    "prot*",
    "oil oil price",
    "said",
    "kazakhstan",
] + [" ".join(random.Random(n).sample(WORDS, 1 + n % 3)) for n in range(30)]


def test_the_index_has_several_segments_and_deletions(engine: SearchEngine) -> None:
    with engine._searcher() as s:
        leaves = s.reader().leaf_readers()
        assert len(leaves) >= 4
        assert any(r.has_deletions() for r, _ in leaves)


def _page(
    engine: SearchEngine, q: str, **options: object
) -> list[tuple[str, int, float, int, int]]:
    page = engine.search(q, snippets=False, **options)
    return [(h.article_id, h.paragraph_no, h.score, h.other_matches, h.similar) for h in page.hits]


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"per_article": 1},
        {"page": 3},
        {"collapse_similar": False},
        {"per_article": 2, "page": 2},
        {"per_page": 37},
    ],
    ids=str,
)
def test_top_k_pages_equal_exhaustive_pages(
    engine: SearchEngine, q: str, options: dict[str, object]
) -> None:
    fast = engine.search(q, snippets=False, **options)  # type: ignore[arg-type]
    full = engine.search(q, snippets=False, exact_counts=True, **options)  # type: ignore[arg-type]
    assert full.total_exact
    assert fast.facets == full.facets and fast.coverage == full.coverage
    if full.total > 25 and not options.get("facets") and "sort" not in options:
        assert not fast.total_exact and fast.total == 25  # "more than 25"
    else:
        assert fast.total_exact and fast.total == full.total and fast.articles == full.articles
    assert _page(engine, q, **options) == _page(engine, q, exact_counts=True, **options)


def test_a_filter_and_top_k_agree(engine: SearchEngine) -> None:
    for q in ("oil price", "said market"):
        fast = _page(engine, q, section="gen", per_article=1)
        assert fast == _page(engine, q, section="gen", per_article=1, exact_counts=True)


@pytest.mark.parametrize("q", QUERIES[:12])
def test_top_k_matches_are_the_best_of_all_matches(engine: SearchEngine, q: str) -> None:
    with engine._searcher() as s:
        table = doc_table(s)
        stats = Stats(s, table)
        plan = topk.make_plan(parse(s, q, engine.config).query)
        assert plan is not None
        r = topk.resolve(table, stats, plan)
        every = topk.exhaustive(r)
        best = topk.top(r, 20, None, 1)
    order = np.lexsort((every.ids, -every.scores))[:20]
    want = list(zip(every.ids[order].tolist(), every.scores[order].tolist(), strict=True))
    got_order = np.lexsort((best.ids, -best.scores))[:20]
    got = list(zip(best.ids[got_order].tolist(), best.scores[got_order].tolist(), strict=True))
    assert got == want  # the same documents, the same scores to the last bit


def test_counts_are_exact_up_to_the_limit(engine: SearchEngine) -> None:
    with engine._searcher() as s:
        table = doc_table(s)
        stats = Stats(s, table)
        for q in ("kazakhstan", "oil", '"oil price"'):
            plan = topk.make_plan(parse(s, q, engine.config).query)
            assert plan is not None
            r = topk.resolve(table, stats, plan)
            exact = len(topk.exhaustive(r))
            for limit in (1, 10, 1_000_000):
                c = topk.count(r, limit)
                assert c.exact == (exact <= limit)
                assert c.value == exact if c.exact else c.value == limit


@pytest.mark.parametrize(
    ("q", "planned"),
    [
        ("oil", True),
        ("oil price", True),
        ('"oil price"', True),
        ("oil -bank", True),
        ("+oil price", True),
        ("oil AND price", True),
        ("prot*", True),
        ("oil OR (price AND NOT bank)", False),
    ],
)
def test_plans_cover_the_common_shapes(engine: SearchEngine, q: str, planned: bool) -> None:
    with engine._searcher() as s:
        assert (topk.make_plan(parse(s, q, engine.config).query) is not None) == planned
