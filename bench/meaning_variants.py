#!/usr/bin/env python3
"""Three cheap changes to hybrid ranking, measured on TIME, CACM and CISI before building any.

    .venv/bin/python bench/meaning_variants.py [--corpora ../shared/corpora] [--only cacm]

- ``feedback``: Rocchio on the query's vector. The first ranking's top k hits'
  paragraph vectors, averaged, are added (x beta) to the query's vector, and
  every candidate's cosine is taken again with it (pseudo-relevance feedback
  for vectors; the words' matches do not change).
- ``centroid``: an article's cosine mixes its best paragraph's (``m``) with the
  cosine of the mean of all its paragraphs' vectors: article-level evidence
  from the vectors the index already holds.
- ``fusion``: other normalisations of the two scores before the convex mix
  (min-max of both, z-scores, cosine / its maximum), each over alphas.

Each collection is indexed once (paragraph level, the defaults); each variant
wraps one function of the engine for its runs, so it measures the lever, not a
build of it. Prints one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import search, semantic  # noqa: E402
from indexer.config import IndexConfig  # noqa: E402
from indexer.engine import SearchEngine  # noqa: E402
from indexer.evaluation import (  # noqa: E402
    EVAL_MAX_QUERY_CHARS,
    mean_metrics,
    read_collection,
    run_queries,
    write_documents,
)
from indexer.shards import Shard  # noqa: E402

COLLECTIONS = ("time", "cacm", "cisi")


@contextmanager
def patched(owner: Any, name: str, make: Callable[[Any], Any]) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, make(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


def article_rows(shard: Shard, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every paragraph vector (float, unit) of the candidates' articles, and each one's offset."""
    first, end = shard.table.article_runs
    local = shard.to_local(ids)
    sizes = end[local] - first[local]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    docs = np.repeat(first[local] - offsets, sizes) + np.arange(int(sizes.sum()))
    rows = shard.table.rows(semantic.VECTORS, docs)
    assert rows is not None
    return rows.astype(np.float64) / 127.0, offsets


def feedback(k: int, beta: float) -> Any:
    seen: dict[str, Shard] = {}

    def query(original: Any) -> Any:
        def wrapped(self: Shard, spec: Any, stats: Any) -> Any:
            seen["shard"] = self
            return original(self, spec, stats)

        return wrapped

    def rerank(original: Any) -> Any:
        def wrapped(merged: Any, near: Any, spec: Any, request: Any, config: Any) -> Any:
            out, why = original(merged, near, spec, request, config)
            if why or out.cosines is None or not len(out.ids):
                return out, why
            shard = seen["shard"]
            top = out.ids[np.argsort(-out.scores, kind="stable")[:k]]
            rows = shard.table.rows(semantic.VECTORS, shard.to_local(top))
            assert rows is not None
            again = spec.vector + beta * (rows.astype(np.float64) / 127.0).mean(axis=0)
            again = (again / np.linalg.norm(again)).astype(np.float32)
            cos = shard._cosines(merged.ids, again, spec.grouped)
            return original(replace(merged, cosines=cos), near, spec, request, config)

        return wrapped

    @contextmanager
    def on() -> Iterator[None]:
        with patched(Shard, "query", query), patched(search, "rerank", rerank):
            yield

    return on


def centroid(m: float) -> Any:
    def cosines(original: Any) -> Any:
        def wrapped(self: Shard, ids: np.ndarray, vector: np.ndarray, grouped: bool) -> Any:
            if not grouped or not len(ids):
                return original(self, ids, vector, grouped)
            rows, offsets = article_rows(self, ids)
            cos = rows @ vector.astype(np.float64)
            sums = np.add.reduceat(rows, offsets, axis=0)
            norms = np.linalg.norm(sums, axis=1)
            norms[norms == 0] = 1.0
            mean = (sums / norms[:, None]) @ vector.astype(np.float64)
            return m * np.maximum.reduceat(cos, offsets) + (1 - m) * mean

        return wrapped

    return lambda: patched(Shard, "_cosines", cosines)


def fusion(norm: str) -> Any:
    def scaled(x: np.ndarray, how: str) -> np.ndarray:
        if how == "max":
            out: np.ndarray = x / max(float(x.max()), 1e-12)
        elif how == "minmax":
            out = (x - x.min()) / max(float(x.max() - x.min()), 1e-12)
        else:  # z
            out = (x - x.mean()) / max(float(x.std()), 1e-12)
        return out

    lexical_how, cos_how = {"minmax": ("minmax", "minmax"), "z": ("z", "z")}.get(
        norm, ("max", "max")
    )

    def fuse(original: Any) -> Any:
        def wrapped(lexical: np.ndarray, cos: np.ndarray, mode: str, alpha: float) -> Any:
            if mode == "semantic" or not len(lexical):
                return original(lexical, cos, mode, alpha)
            cos = np.maximum(cos, 0.0)
            return (1 - alpha) * scaled(lexical, lexical_how) + alpha * scaled(cos, cos_how)

        return wrapped

    return lambda: patched(semantic, "fuse", fuse)


@contextmanager
def unchanged() -> Iterator[None]:
    yield


def variants() -> Iterator[tuple[str, float, Any]]:
    """(label, alpha, context manager factory)."""
    yield "shipped", 0.4, unchanged
    for k in (3, 5, 10):
        for beta in (0.5, 1.0, 2.0):
            yield f"feedback k {k} beta {beta}", 0.4, feedback(k, beta)
    for m in (0.0, 0.3, 0.5, 0.7):
        for alpha in (0.4, 0.5):
            yield f"centroid m {m}", alpha, centroid(m)
    for norm in ("minmax", "z", "cosmax"):
        for alpha in (0.2, 0.3, 0.4, 0.5):
            yield f"fusion {norm}", alpha, fusion(norm)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--only", default=",".join(COLLECTIONS))
    args = ap.parse_args()
    for name in args.only.split(","):
        folder = args.corpora / name
        if not folder.is_dir():
            sys.exit(f"{folder} is missing: pass --corpora (the shared test collections)")
        collection = read_collection(folder)
        queries = {q: collection.queries[q] for q in collection.judged}
        with tempfile.TemporaryDirectory(prefix="byline-variants-") as tmp:
            write_documents(collection, Path(tmp) / "source", "paragraph")
            base = IndexConfig()
            config = replace(
                base,
                source_dir=Path(tmp) / "source",
                index_dir=Path(tmp) / "index",
                max_per_page=1000,
                max_query_length=max(base.max_query_length, EVAL_MAX_QUERY_CHARS),
                max_query_terms=max(base.max_query_terms, EVAL_MAX_QUERY_CHARS // 2),
            )
            with SearchEngine(config) as engine:
                engine.reindex(full=True)
            for label, alpha, on in variants():
                with on(), SearchEngine(replace(config, semantic_alpha=alpha)) as engine:
                    run = run_queries(engine, queries, 1000, False, "hybrid")
                rankings = {q: [d for d, _ in r] for q, r in run.items()}
                found = mean_metrics(rankings, collection.qrels, queries)
                row = {"collection": name, "variant": label, "alpha": alpha}
                row |= {"map": round(found["map"], 4), "ndcg@10": round(found["ndcg@10"], 4)}
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
