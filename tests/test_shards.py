"""Shards: the index cut into shards gives the pages of the whole index (what a cluster relies on,
checked here in one process, without Ray)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.reading import MultiReader, SegmentReader
from whoosh.searching import Searcher

from indexer import search, storage
from indexer.columns import segment_readers
from indexer.engine import SearchEngine
from indexer.request import SearchRequest
from indexer.scoring import weighting
from indexer.shards import FetchSpec, QuerySpec, Shard, ShardAnswer, ShardFetched
from indexer.stats import merge_stats

WORDS = [
    *["oil", "prices", "harbour", "strike", "cargo", "wheat", "grain", "export", "bank"],
    *["rates", "market", "shares", "minister", "election", "vote", "coffee", "brazil"],
    *["dollar", "yen", "talks", "union", "port", "ships"],
]


class SplitShards:
    """The live generation's segments dealt round robin to ``n`` shards, as cluster.py does."""

    def __init__(self, searcher: Searcher, engine: SearchEngine, n: int) -> None:
        config = engine.config
        segments = [r.segment() for r, _ in segment_readers(searcher.reader())]
        self.starts = np.concatenate(([0], np.cumsum([s.doc_count_all() for s in segments])))[:-1]
        self.shard_of = np.arange(len(segments)) % n
        store = FileStorage(str(config.index_dir))
        toc = TOC.read(
            store, storage.current_name(config.index_dir), searcher.reader().generation()
        )
        by_id = {s.segment_id(): s for s in toc.segments}
        self.shards: list[Shard] = []
        for k in range(n):
            mine = [i for i in range(len(segments)) if self.shard_of[i] == k]
            readers = [
                SegmentReader(store, toc.schema, by_id[segments[i].segment_id()]) for i in mine
            ]
            s = Searcher(
                readers[0] if len(readers) == 1 else MultiReader(readers),
                weighting=weighting(config),
            )
            self.shards.append(Shard(s, config, [int(self.starts[i]) for i in mine]))
        self.stats = merge_stats([sh.stats_part() for sh in self.shards], config.bm25_idf)
        for sh in self.shards:
            sh.searcher.weighting.collection = self.stats
        self.size = n

    def query(self, spec: QuerySpec) -> list[ShardAnswer | None]:
        return [sh.query(spec, self.stats) for sh in self.shards]

    def fetch(self, specs: Any) -> list[ShardFetched | None]:
        return [
            sh.fetch(s) if s is not None else None for sh, s in zip(self.shards, specs, strict=True)
        ]

    def owners(self, docs: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.shard_of[np.searchsorted(self.starts, docs, side="right") - 1]
        return out

    def close(self) -> None:
        for sh in self.shards:
            sh.searcher.close()


def _archive() -> dict[str, str]:
    """120 dated articles from three sources; wire copies and near-copies across segments."""
    rnd = random.Random(7)
    files = {}
    wire = [" ".join(rnd.choices(WORDS, k=14)) + "." for _ in range(6)]
    for n in range(120):
        paras = [" ".join(rnd.choices(WORDS, k=rnd.randint(9, 30))) + "." for _ in range(4)]
        if n % 9 == 0:
            paras = wire[:4]  # a wire story, copied whole
        elif n % 7 == 0:
            paras[1:3] = wire[4:6]  # sharing two paragraphs
        date = f"198{n % 4 + 5}-{n % 12 + 1:02d}-{n % 27 + 1:02d}" if n % 10 else ""
        source = ("reuters", "bbc", "ap")[n % 3]
        body = "\n\n".join(paras)
        head = f"---\ntitle: Story {n} {rnd.choice(WORDS)}\ndate: {date}\nsource: {source}\n---\n"
        files[f"{source}/{n:03d}.md"] = head + body + "\n"
    return files


QUERIES = [
    "oil",
    "oil prices",
    '"harbour strike"',
    "bank -rates",
    "coffee OR yen",
    "wheat*",
    "oill",
]
OPTIONS: list[dict[str, Any]] = [
    {},
    {"per_article": None},
    {"sort": "newest", "page": 2},
    {"sort": "oldest", "per_article": None, "page": 3},
    {"facets": True},
    {"exact_counts": True, "per_article": None},
    {"collapse_similar": False, "page": 2},
    {"source": "bbc", "per_page": 5},
    {"date": "1986", "sort": "newest"},
]


@pytest.mark.parametrize("count_limit", [10_000, 40])
def test_pages_over_three_shards_are_the_pages_of_one(make_engine: Any, count_limit: int) -> None:
    e = make_engine(_archive(), segment_paragraphs=60, count_limit=count_limit)
    e.reindex()
    with e._searcher() as s:
        assert len(segment_readers(s.reader())) >= 6
        split = SplitShards(s, e, 3)
        try:
            for q in QUERIES:
                for options in OPTIONS:
                    request = SearchRequest.of(q, **options).bounded(e.config)
                    one = e.search(request).to_dict()
                    three = search.run(s, split, request, e.config).to_dict()
                    one.pop("took_ms")
                    three.pop("took_ms")
                    for h in [*one["hits"], *three["hits"]]:
                        h["score"] = round(h["score"], 9)
                    assert one == three, (q, options)
        finally:
            split.close()


def test_a_shard_that_does_not_answer_is_named_on_the_page(make_engine: Any) -> None:
    e = make_engine(_archive(), segment_paragraphs=60)
    e.reindex()
    with e._searcher() as s:
        split = SplitShards(s, e, 3)

        class Lossy(SplitShards):
            def query(self, spec: QuerySpec) -> list[ShardAnswer | None]:
                answers = split.query(spec)
                answers[1] = None
                return answers

            def fetch(self, specs: Any) -> list[ShardFetched | None]:
                return [None if i == 1 else f for i, f in enumerate(split.fetch(specs))]

        lossy = Lossy.__new__(Lossy)
        lossy.__dict__.update(split.__dict__)
        request = SearchRequest.of("oil", exact_counts=True).bounded(e.config)
        page = search.run(s, lossy, request, e.config)
        whole = e.search(request)
        assert page.partial is not None and page.partial.startswith("Results from 2 of 3 ")
        assert 0 < page.total < whole.total
        assert all(isinstance(h.article_id, str) for h in page.hits)
        split.close()


def test_a_partial_page_is_not_kept_in_the_result_cache(make_engine: Any, monkeypatch: Any) -> None:
    e = make_engine(_archive(), segment_paragraphs=60)
    e.reindex()
    whole = e.search("oil prices")
    real = search.run

    def lossy(*args: Any, **kwargs: Any) -> Any:
        from dataclasses import replace

        return replace(real(*args, **kwargs), partial="Results from 2 of 3 partitions: ...")

    monkeypatch.setattr(search, "run", lossy)
    assert e.search("oil prices", page=2).partial is not None
    monkeypatch.setattr(search, "run", real)
    assert e.search("oil prices", page=2).partial is None  # asked again, not served from cache
    assert e.search("oil prices").hits == whole.hits


def test_a_fetch_for_a_forgotten_query_says_to_search_again(make_engine: Any) -> None:
    e = make_engine(_archive())
    e.reindex()
    with e._searcher() as s:
        shard = Shard(s, e.config)
        with pytest.raises(LookupError, match="search again"):
            shard.fetch(FetchSpec("no-such-query", (), frozenset(), True, False, (), ()))


def test_a_filter_mask_cached_for_a_freed_generation_is_never_handed_to_another(
    make_engine: Any,
) -> None:
    """Masks are keyed by ``id(table.live)``; ids are reused once an array is freed. A
    cached entry holds its array, and one whose array is not this table's is not used."""
    from indexer import shards
    from indexer.columns import doc_table

    e = make_engine(_archive(), segment_paragraphs=60)
    e.reindex()
    pairs = (("source", "bbc"),)
    with e._searcher() as s:
        table = doc_table(s)
        right = shards.restriction_mask(table, pairs)
        assert right is not None and 0 < int(right.sum()) < table.size
        key = (id(table.live), pairs)
        assert shards._MASKS.items[key][0] is table.live  # the entry keeps its generation's array
        # what a freed generation whose array had the same id would have left behind
        shards._MASKS.items[key] = (np.ones(1, dtype=bool), np.ones(table.size, dtype=bool))
        again = shards.restriction_mask(table, pairs)
        assert again is not None and (again == right).all()
        page = e.search("oil", source="bbc", per_article=None, per_page=50)
        assert page.hits and {h.source for h in page.hits} == {"bbc"}
