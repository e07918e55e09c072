"""Suggestion latency: ``engine.suggest`` over prefixes of real words and titles.

    python bench/suggest.py --index var/reuters-index [--n 2000] [--seed 1]

Prefixes are drawn from the index's own vocabulary and titles (1 to 8
characters, some with a completed first word: ``oil pr``), after one call that
reads the tables; prints the table build time and the p50/p95/p99/max of the
calls in milliseconds. A number to read, never a pass/fail test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer import IndexConfig
from indexer.engine import SearchEngine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    engine = SearchEngine(IndexConfig(index_dir=args.index))
    started = time.perf_counter()
    engine.suggest("a")
    build = time.perf_counter() - started
    from indexer import suggest

    with engine._searcher() as s:  # the tables just built, to draw prefixes from
        tables = suggest.build(s)
    rng = random.Random(args.seed)
    prefixes = []
    for _ in range(args.n):
        source = tables.words.keys if rng.random() < 0.8 else tables.titles.keys
        word = rng.choice(source)
        cut = word[: rng.randint(1, min(8, len(word)))]
        if rng.random() < 0.2:
            cut = f"{rng.choice(tables.words.keys)} {cut}"
        prefixes.append(cut)
    times = []
    for prefix in prefixes:
        t = time.perf_counter()
        engine.suggest(prefix)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()

    def at(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))]

    print(f"index: {args.index}")
    print(
        f"tables built in {build * 1000:.0f} ms: {len(tables.words.keys):,} words, "
        f"{len(tables.titles.keys):,} titles"
    )
    print(
        f"{len(times)} suggestions: p50 {statistics.median(times):.3f} ms, p95 {at(0.95):.3f} ms, "
        f"p99 {at(0.99):.3f} ms, max {times[-1]:.3f} ms"
    )


if __name__ == "__main__":
    main()
