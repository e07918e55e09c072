#!/usr/bin/env python3
"""What a Ray cluster costs a search: fan-out floor, latency and throughput against one process.

    python bench/cluster.py [--nodes 1,2,3] [--shards 4] [--queries 200] [--seconds 15] [--json]

Builds BBC + Reuters (``../shared/corpora``) into a temporary index in segments
of 20,000 paragraphs, then in one run:

* in-process search: p50/p95 with snippets, and throughput at 8 client threads;
* for each node count, a fresh ``ray.cluster_utils.Cluster`` on this machine
  (the nodes are simulated: they share its cores) with ``--shards`` shard actors
  on the same partitions: the fan-out floor (a no-op call to every actor and
  back), search p50/p95 and throughput; and a check that every page equals the
  in-process one.

Every loop is bounded in count and in time; nothing leaves 127.0.0.1.
Needs the cluster extra: ``pip install -e ".[cluster,bench]"``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import corpus as bench_corpus  # noqa: E402
import run as bench_run  # noqa: E402

from indexer.config import IndexConfig  # noqa: E402
from indexer.engine import SearchEngine  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def latency(engine: SearchEngine, queries: list[str], budget: float) -> dict[str, Any]:
    # a distinct page per query: the result cache must not answer
    ms = bench_run.time_queries(lambda q: engine.search(q, per_page=11), queries, budget)
    return bench_run.percentiles(ms)


def throughput(engine: SearchEngine, queries: list[str], seconds: float, clients: int = 8) -> Any:
    done = [0] * clients
    errors = [0] * clients
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        i = n
        while time.monotonic() < stop and done[n] < 100_000:
            # a request never asked before (another page size each round): not the page cache
            size = 14 + (i // len(queries)) % 80
            try:
                engine.search(queries[i % len(queries)], per_page=size)
            except Exception:
                errors[n] += 1
            done[n] += 1
            i += clients

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    took = time.perf_counter() - t0
    return {"requests_per_s": sum(done) / took, "requests": sum(done), "errors": sum(errors)}


def comparable(page: Any) -> Any:
    d = page.to_dict()
    d.pop("took_ms")
    for h in d["hits"]:
        h["score"] = round(h["score"], 9)
    return d


def fan_out_floor(actors: list[Any], rounds: int) -> dict[str, float]:
    import ray

    ms = []
    for _ in range(rounds):
        t = time.perf_counter()
        ray.get([a.ping.remote() for a in actors])
        ms.append((time.perf_counter() - t) * 1000)
    return bench_run.percentiles(ms)


def measure_nodes(
    nodes: int, config: IndexConfig, queries: list[str], local: dict[str, Any], args: Any
) -> dict[str, Any]:
    import ray
    from ray.cluster_utils import Cluster

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    t = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    for _ in range(nodes - 1):
        cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, namespace="byline", log_to_driver=False)
    cluster.wait_for_nodes()
    started = time.perf_counter() - t
    try:
        engine = SearchEngine(
            replace(
                config,
                cluster=f"ray:{cluster.address}",
                cluster_shards=args.shards,
                cluster_timeout=120.0,
            )
        )
        t = time.perf_counter()
        engine.search("oil")
        first = time.perf_counter() - t
        engine.warm()
        shards = engine._cluster()._shards
        placed = len({ray.get(a.where.remote()) for a in shards.actors})
        same = sum(
            comparable(engine.search(q, per_page=13)) == local["pages"][q]
            for q in queries[: args.check]
        )
        res = {
            "nodes": nodes,
            "shards": shards.size,
            "nodes_used": placed,
            "cluster_start_s": started,
            "first_search_s": first,
            "fan_out_ms": fan_out_floor(shards.actors, args.rounds),
            "search_ms": latency(engine, queries, args.budget),
            "throughput": throughput(engine, queries, args.seconds),
            "identical_pages": f"{same}/{min(args.check, len(queries))}",
        }
        engine.close()
    finally:
        ray.shutdown()
        cluster.shutdown()
    f, s = res["fan_out_ms"], res["search_ms"]
    log(
        f"{nodes} node(s), {res['shards']} shards on {placed}: fan-out p50 {f['p50']:.1f} ms; "
        f"search p50 {s['p50']:.1f} p95 {s['p95']:.1f} ms; "
        f"{res['throughput']['requests_per_s']:.0f} searches/s; pages {res['identical_pages']}"
    )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", default="1,2,3")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per latency series")
    ap.add_argument("--seconds", type=float, default=15.0, help="seconds of throughput load")
    ap.add_argument("--rounds", type=int, default=300, help="fan-out round trips timed")
    ap.add_argument("--check", type=int, default=100, help="pages compared with in-process")
    ap.add_argument("--save", default=str(BENCH / "results" / "cluster"), help="'' to not save")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        import ray  # noqa: F401
    except ImportError:
        raise SystemExit("this benchmark needs Ray: pip install -e '.[cluster,bench]'") from None
    if not (bench_corpus.CORPORA / "bbc").is_dir():
        raise SystemExit(f"{bench_corpus.CORPORA} lacks bbc/: this benchmark needs it")
    base = Path(tempfile.mkdtemp(prefix="byline-cluster-"))
    try:
        src = base / "source"
        bench_corpus.make_source(src, "both", 1.0)
        config = IndexConfig(source_dir=src, index_dir=base / "index", segment_paragraphs=20_000)
        local_engine = SearchEngine(config)
        t = time.perf_counter()
        stats = local_engine.reindex()
        log(
            f"index: {stats.articles:,} articles, {stats.paragraphs:,} paragraphs in "
            f"{time.perf_counter() - t:.0f}s"
        )
        queries = bench_run.sample_queries(src, args.queries)
        local_engine.warm()
        local: dict[str, Any] = {
            "pages": {q: comparable(local_engine.search(q, per_page=13)) for q in queries},
            "search_ms": latency(local_engine, queries, args.budget),
            "throughput": throughput(local_engine, queries, args.seconds),
        }
        s = local["search_ms"]
        log(
            f"in-process: search p50 {s['p50']:.1f} p95 {s['p95']:.1f} ms; "
            f"{local['throughput']['requests_per_s']:.0f} searches/s"
        )
        result: dict[str, Any] = {
            "commit": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "load_avg_start": os.getloadavg(),
            "articles": stats.articles,
            "paragraphs": stats.paragraphs,
            "queries": len(queries),
            "in_process": {k: v for k, v in local.items() if k != "pages"},
            "cluster": [],
        }
        for n in sorted({int(x) for x in args.nodes.split(",")}):
            result["cluster"].append(measure_nodes(n, config, queries, local, args))
        result["load_avg_end"] = os.getloadavg()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if args.save:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        (out / "cluster.json").write_text(json.dumps(result, indent=1) + "\n")
    if not args.json:
        print(table(result))
    print(json.dumps(result))


def table(result: dict[str, Any]) -> str:
    rows = [
        "| | fan-out p50 | search p50 | search p95 | searches/s (8 threads) | identical pages |",
        "|---|---|---|---|---|---|",
    ]
    ip = result["in_process"]
    rows.append(
        f"| in-process | - | {ip['search_ms']['p50']:.1f} ms | {ip['search_ms']['p95']:.1f} ms "
        f"| {ip['throughput']['requests_per_s']:.0f} | - |"
    )
    for r in result["cluster"]:
        rows.append(
            f"| {r['nodes']} node(s), {r['shards']} shards | {r['fan_out_ms']['p50']:.1f} ms "
            f"| {r['search_ms']['p50']:.1f} ms | {r['search_ms']['p95']:.1f} ms "
            f"| {r['throughput']['requests_per_s']:.0f} | {r['identical_pages']} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    main()
