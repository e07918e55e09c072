"""The index on a real local Ray cluster (three nodes on this machine): the same pages as one
process, partitions lost and found again, a distributed rebuild, and a killed one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from indexer.config import IndexConfig
from indexer.engine import SearchEngine
from indexer.models import SearchPage

from .conftest import ROOT, corpora_dir

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[cluster]'")

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.timeout(600)]

QUERIES = [
    "oil",
    "oil prices",
    '"interest rates"',
    "bank -england",
    "football OR rugby",
    "election labour",
    "coffee brazil",
    "wheat exports",
    "dollar yen",
    "opec",
    "merger acquisition",
    "shares rose",
    "chelsea",
    "microsoft",
    "inflation",
    "quarterly dividend",
    "comput*",
    "oll",  # did you mean
    "source:bbc mobile",
    "date:1987-03 crude",
]
OPTIONS: list[dict[str, Any]] = [
    {},
    {"per_article": None},
    {"sort": "newest", "page": 2},
    {"facets": True},
    {"exact_counts": True, "per_article": None},
    {"collapse_similar": False, "page": 3},
]


def comparable(page: SearchPage) -> dict[str, Any]:
    d = page.to_dict()
    d.pop("took_ms")
    return d


def assert_same(local: SearchPage, clustered: SearchPage, scores: bool = True) -> None:
    assert clustered.partial is None
    a, b = comparable(local), comparable(clustered)
    if scores:
        scores_a = [h.score for h in local.hits]
        scores_b = [h.score for h in clustered.hits]
        assert scores_b == pytest.approx(scores_a, abs=1e-9, rel=0)
    for d in (a, b):
        for h in d["hits"]:  # type: ignore[union-attr]
            h.pop("score")
    assert a == b


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    nodes = [cluster.add_node(num_cpus=1) for _ in range(2)]
    ray.init(address=cluster.address, namespace="byline", log_to_driver=False)
    cluster.wait_for_nodes()
    cluster.worker_nodes_ = nodes
    yield cluster
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> IndexConfig:
    """BBC + Reuters, built in this process, in segments of 20,000 paragraphs."""
    base = tmp_path_factory.mktemp("cluster")
    source = base / "source"
    for name in ("bbc", "reuters21578"):
        shutil.copytree(corpora_dir(name), source / name)
    config = IndexConfig(source_dir=source, index_dir=base / "index", segment_paragraphs=20_000)
    SearchEngine(config).reindex()
    return config


@pytest.fixture(scope="module")
def engines(ray_cluster: Any, archive: IndexConfig) -> Iterator[tuple[SearchEngine, SearchEngine]]:
    local = SearchEngine(archive)
    clustered = SearchEngine(
        replace(
            # a shared, loaded CI machine: a slow shard must not look like a lost one
            archive,
            cluster=f"ray:{ray_cluster.address}",
            cluster_shards=3,
            cluster_timeout=120.0,
        )
    )
    yield local, clustered
    clustered.close()
    local.close()


def test_a_config_without_a_cluster_never_imports_ray() -> None:
    code = "import indexer, indexer.engine, webui, manage, sys; print('ray' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_clustered_pages_are_the_pages_of_one_process(
    engines: tuple[SearchEngine, SearchEngine],
) -> None:
    local, clustered = engines
    for q in QUERIES:
        for options in OPTIONS:
            assert_same(local.search(q, **options), clustered.search(q, **options))
    shards = clustered._cluster()._shards
    assert shards.size == 3
    nodes = {ray.get(a.where.remote()) for a in shards.actors}
    assert len(nodes) == 3  # one shard on each node (placed, not left to Ray's hints)
    # a restarted coordinator (a new engine, a new process) finds the same actors by name
    again = SearchEngine(clustered.config)
    assert_same(local.search("opec"), again.search("opec"))
    pids = [ray.get(a.pid.remote()) for a in again._cluster()._shards.actors]
    assert pids == [ray.get(a.pid.remote()) for a in shards.actors]
    again.close()


def test_a_killed_actor_is_restarted_and_no_search_fails(
    engines: tuple[SearchEngine, SearchEngine],
) -> None:
    local, clustered = engines
    expected = {q: local.search(q, per_article=None, page=2) for q in QUERIES}
    shards = clustered._cluster()._shards
    errors: list[BaseException] = []
    partial: list[str] = []
    done = threading.Semaphore(0)

    def client(n: int) -> None:
        for i in range(30):
            q = QUERIES[(n * 7 + i) % len(QUERIES)]
            try:
                # a fresh request each time (page 2 of a new per_page), not the page cache
                page = clustered.search(q, per_article=None, page=2, per_page=10 + i % 5 + n * 5)
                if page.partial:
                    partial.append(page.partial)
                    assert page.total <= expected[q].total or not expected[q].total_exact
            except BaseException as exc:  # any failure fails the test
                errors.append(exc)
            done.release()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for kill in range(4):  # kill an actor after every 40 searches answered
        for _ in range(40):
            done.acquire(timeout=120)
        ray.kill(shards.actors[kill % shards.size], no_restart=False)
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors[:3]
    assert all(p.startswith("Results from ") for p in partial)
    for q in QUERIES:  # restarted: the whole archive again
        assert_same(expected[q], clustered.search(q, per_article=None, page=2))


def test_a_partition_that_stays_down_is_named_and_then_found_again(
    engines: tuple[SearchEngine, SearchEngine],
) -> None:
    local, clustered = engines
    shards = clustered._cluster()._shards
    ray.kill(shards.actors[1], no_restart=True)
    # (a page asked before is answered from the result cache, whole: a new one)
    page = clustered.search("oil", exact_counts=True, per_page=17)
    assert page.partial == (
        "Results from 2 of 3 partitions: part of the archive did not answer "
        "and is missing from these results."
    )
    whole = local.search("oil", exact_counts=True, per_page=17)
    assert 0 < page.total < whole.total
    # the partial page was not cached, and the next search makes the lost actor again
    assert_same(whole, clustered.search("oil", exact_counts=True, per_page=17))


def test_the_web_ui_names_the_missing_partition(
    engines: tuple[SearchEngine, SearchEngine],
) -> None:
    from webui import create_app

    _, clustered = engines
    app = create_app({"BYLINE_ENGINE": clustered, "TESTING": True})
    shards = clustered._cluster()._shards
    ray.kill(shards.actors[2], no_restart=True)
    client = app.test_client()
    html = client.get("/search?q=wheat+exports&per_page=17").get_data(as_text=True)
    assert "Results from 2 of 3 partitions" in html
    data = client.get("/api/search?q=wheat+exports&per_page=17").get_json()
    assert data["partial"] is None  # found again, the whole archive answers


def test_a_distributed_rebuild_equals_a_local_one(
    ray_cluster: Any, archive: IndexConfig, tmp_path: Path
) -> None:
    source = tmp_path / "source" / "reuters21578"
    source.mkdir(parents=True)
    for path in sorted((archive.source_dir / "reuters21578").glob("reut2-00*.sgm"))[:5]:
        shutil.copy(path, source / path.name)  # 5,000 articles: enough writers and segments
    source = source.parent
    config = replace(
        archive, source_dir=source, index_dir=tmp_path / "local", segment_paragraphs=3_000
    )
    local = SearchEngine(config)
    local.reindex(full=True)
    remote = SearchEngine(
        replace(config, index_dir=tmp_path / "remote", cluster=f"ray:{ray_cluster.address}")
    )
    stats = remote.reindex(full=True)
    assert stats.full and stats.articles == local.stats().articles
    plain = SearchEngine(replace(remote.config, cluster=""))  # the rebuilt index, read locally
    for q in QUERIES[:10]:
        # Segments are cut where each writer fills one, so their number and order differ:
        # the document count scores use (a vocabulary document per segment, as Whoosh
        # counts) moves scores in the sixth digit, and equal scores are ordered by
        # docnum. Counts, facets and the chart are exact; the ranking up to those ties.
        # (by words: a paragraph's vector is weighted by its own segment's postings, so the
        # cut also moves hybrid scores, by up to 1%)
        a = local.search(q, facets=True, mode="lexical")
        b = plain.search(q, facets=True, mode="lexical")
        assert [h.score for h in b.hits] == pytest.approx([h.score for h in a.hits], rel=1e-3)
        floor = min((h.score for h in a.hits), default=0) * (1 + 1e-3)
        # not within a near-tie; a cluster of copies by its label (which copy stands for
        # it is the one first in docnum order among equal scores)
        above = {h.dup or h.article_id for h in a.hits if h.score > floor}
        assert above <= {h.dup or h.article_id for h in b.hits}
        assert_same(a, replace(b, hits=a.hits), scores=False)
    # killed after its writers finished, before it published: the live index stays whole
    before = plain.search("oil prices", per_article=None)
    env = dict(os.environ, BYLINE_FAILPOINT="segments-written", RAY_AUTH_MODE="disabled")
    run = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "reindex",
            "--full",
            "--cluster",
            f"ray:{ray_cluster.address}",
            "--source",
            str(source),
            "--index",
            str(tmp_path / "remote"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == -9, run.stderr[-2000:]
    after = SearchEngine(replace(remote.config, cluster=""))
    assert_same(before, after.search("oil prices", per_article=None))
    assert after.stats().articles == stats.articles


def test_a_removed_node_leaves_no_search_unanswered(
    ray_cluster: Any, engines: tuple[SearchEngine, SearchEngine]
) -> None:
    local, clustered = engines
    shards = clustered._cluster()._shards
    gone = ray_cluster.worker_nodes_[0]
    ray_cluster.remove_node(gone)
    for q in QUERIES[:8]:  # pages no other test asked (not answered from the result cache)
        page = clustered.search(q, per_article=None, per_page=13)
        assert page.partial is None or page.partial.startswith("Results from ")  # never an error
    # every shard answers from a live node: the gone node's actors were started again elsewhere
    on = {ray.get(a.where.remote(), timeout=120) for a in clustered._cluster()._shards.actors}
    assert gone.node_id not in on
    ray_cluster.add_node(num_cpus=1)
    assert_same(local.search("opec"), clustered.search("opec"))
    assert shards is not None
