#!/usr/bin/env python3
"""How much whole-article evidence could add to best-paragraph ranking, on TIME, CACM and CISI.

    .venv/bin/python bench/article_evidence.py [--corpora ../shared/corpora] [--only time]

Each collection is indexed twice through the engine, as pseudo-paragraphs (the
product's unit) and as one paragraph per article (a stand-in for an
article-level field), in each mode. The two runs are then interpolated per
article, ``(1 - g) * best paragraph / top + g * whole article / top``, the
usual passage-retrieval combination. It measures a lever before building it:
the interpolation happens here, not in the engine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.evaluation import (  # noqa: E402
    Collection,
    evaluate_collection,
    mean_metrics,
    read_collection,
)

COLLECTIONS = ("time", "cacm", "cisi")
GAMMAS = (0.3, 0.5, 0.7)
MODES = ("lexical", "hybrid")

Run = dict[str, list[tuple[str, float]]]


def interpolate(paragraphs: Run, articles: Run, g: float) -> Run:
    """Per query, each article's normalised best-paragraph and whole-article scores mixed."""
    out: Run = {}
    for qid in paragraphs:
        p, a = dict(paragraphs[qid]), dict(articles.get(qid, []))
        top_p, top_a = max(p.values(), default=0.0) or 1.0, max(a.values(), default=0.0) or 1.0
        mixed = {d: (1 - g) * p.get(d, 0.0) / top_p + g * a.get(d, 0.0) / top_a for d in {*p, *a}}
        out[qid] = sorted(mixed.items(), key=lambda pair: (-pair[1], pair[0]))[:1000]
    return out


def metrics(collection: Collection, run: Run) -> dict[str, float]:
    rankings = {q: [d for d, _ in r] for q, r in run.items()}
    found = mean_metrics(rankings, collection.qrels, collection.judged)
    return {"map": round(found["map"], 4), "ndcg@10": round(found["ndcg@10"], 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--only", default=",".join(COLLECTIONS))
    args = ap.parse_args()
    rows = []
    for name in args.only.split(","):
        folder = args.corpora / name
        if not folder.is_dir():
            sys.exit(f"{folder} is missing: pass --corpora (the shared test collections)")
        collection = read_collection(folder)
        runs = {
            (unit, mode): evaluate_collection(collection, unit, mode=mode).run
            for unit in ("paragraph", "article")
            for mode in MODES
        }
        for (unit, mode), run in runs.items():
            rows.append({"collection": name, "run": f"{unit}, {mode}", **metrics(collection, run)})
        for mode in MODES:
            for g in GAMMAS:
                mixed = interpolate(runs["paragraph", mode], runs["article", mode], g)
                label = f"paragraph + article ({mode}), g {g}"
                rows.append({"collection": name, "run": label, **metrics(collection, mixed)})
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
