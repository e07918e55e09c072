#!/usr/bin/env python3
"""Worst-case time of expensive query shapes, through the public search path.

    python bench/hostile.py [--source DIR] [--repeat 3] [--json]

Indexes --source (default ../shared/corpora/bbc, else seeds/) in a temporary
folder and times each hostile query (median of --repeat runs, cache bypassed
by varying the page size). Prints a table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import IndexConfig  # noqa: E402
from indexer.engine import SearchEngine  # noqa: E402

QUERIES = {
    "*": "*",
    "a*": "a*",
    "?*?": "?*?",
    "*a*": "*a*",
    "150-term OR list": " OR ".join(f"w{n}" for n in range(150)),
    "19 nested brackets": "(" * 19 + "fuel" + ")" * 19,
    "200 nested brackets (refused)": "(" * 200 + "fuel" + ")" * 200,
    "1,000 terms (refused)": " ".join(["fuel"] * 1000),
    "200 distinct terms": " ".join(f"word{n} price" for n in range(100)),
    "fuzzy a~": "a~",
    "fuzzy ab~2": "ab~2",
    "fuzzy kazakstan~9": "kazakstan~9",
    "600-word phrase": '"' + "said the " * 300 + '"',
    "5,000 characters (refused)": "x" * 5000,
    "deep page 100000": "said",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corpora = ROOT.parent / "shared" / "corpora" / "bbc"
    source = args.source or (corpora if corpora.is_dir() else ROOT / "seeds")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = SearchEngine(IndexConfig(source_dir=source, index_dir=Path(tmp) / "ix"))
        stats = engine.reindex()
        for name, query in QUERIES.items():
            times = []
            for n in range(args.repeat):
                page = 100_000 if name.startswith("deep page") else 1
                t0 = time.perf_counter()
                result = engine.search(query, page=page, per_page=10 + n, per_article=None)
                times.append((time.perf_counter() - t0) * 1000)
            rows.append(
                {
                    "query": name,
                    "median_ms": round(statistics.median(times), 1),
                    "max_ms": round(max(times), 1),
                    "total": result.total,
                    "refused": bool(
                        (result.notice and "limit" in result.notice)
                        or (result.notice and "plain words" in result.notice)
                    ),
                }
            )
        engine.close()
    if not args.json:
        print(f"{stats.paragraphs} paragraphs from {source}")
        for r in rows:
            print(
                f"{r['query']:<32} {r['median_ms']:>9} ms  max {r['max_ms']:>9} ms  "
                f"hits {r['total']:>6}  {'refused/read as words' if r['refused'] else ''}"
            )
    print(json.dumps({"source": str(source), "paragraphs": stats.paragraphs, "rows": rows}))


if __name__ == "__main__":
    main()
