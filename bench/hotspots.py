#!/usr/bin/env python3
"""cProfile of one full reindex (single process, so the profiler sees the work) and of queries.

    python bench/hotspots.py [--corpus both] [--fraction 0.1] [--queries 200] [--top 30]

Prints the top functions by cumulative and by own time for each phase.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import corpus as bench_corpus  # noqa: E402
from run import sample_queries  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="both")
    ap.add_argument("--fraction", type=float, default=0.1)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    from indexer import IndexConfig
    from indexer.engine import SearchEngine

    with tempfile.TemporaryDirectory(prefix="byline-profile-") as tmp:
        src = Path(tmp) / "source"
        bench_corpus.make_source(src, args.corpus, args.fraction)
        config = IndexConfig(source_dir=src, index_dir=Path(tmp) / "index", writer_procs=1)
        engine = SearchEngine(config)
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        stats = engine.reindex(full=True)
        prof.disable()
        print(
            f"== full reindex, 1 process: {stats.paragraphs} paragraphs in "
            f"{time.perf_counter() - t:.2f}s (with profiler)"
        )
        for key in ("cumulative", "tottime"):
            pstats.Stats(prof).sort_stats(key).print_stats(args.top)
        queries = sample_queries(src, args.queries)
        for q in queries[:10]:
            engine.search(q)
        engine.close()
        engine = SearchEngine(config)
        engine.search("warm")
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        for q in queries:
            engine.search(q)
        prof.disable()
        print(
            f"== {len(queries)} distinct queries with snippets: "
            f"{(time.perf_counter() - t) / len(queries) * 1000:.1f} ms each (with profiler)"
        )
        for key in ("cumulative", "tottime"):
            pstats.Stats(prof).sort_stats(key).print_stats(args.top)
        engine.close()


if __name__ == "__main__":
    main()
