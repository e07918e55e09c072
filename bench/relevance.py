#!/usr/bin/env python3
"""Byline against a document-level BM25 baseline (bm25s) and stock Whoosh, on TIME, CACM and CISI.

    .venv/bin/python bench/relevance.py [--corpora ../shared/corpora] [--json] [--only time,cacm]

Prints one table of MAP / nDCG@10 / P@10 / Recall@100 per system and collection
(Byline's defaults, each other search mode, Byline with ``expand=True``, bm25s, stock Whoosh).
Every system sees the same documents (the collection readers of
``indexer.evaluation``) and is scored by the same metric code. bm25s is a
benchmark-only dependency (``pip install -e .[bench]``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.analysis import STOPWORDS, TOKEN_PATTERN, normalize_token, stem  # noqa: E402
from indexer.config import IndexConfig  # noqa: E402
from indexer.evaluation import (  # noqa: E402
    DEPTH,
    METRICS,
    Collection,
    evaluate_collection,
    mean_metrics,
    query_text,
    read_collection,
)
from indexer.request import DEFAULT_MODE, MODE_NAMES  # noqa: E402

COLLECTIONS = {"time": "TIME", "cacm": "CACM", "cisi": "CISI"}


def doc_text(doc) -> str:  # type: ignore[no-untyped-def]
    return doc.title + "\n" + "\n".join(doc.paragraphs)


def bm25s_tokens(text: str) -> list[str]:
    """Snowball-stemmed words without English stop words (Byline's own list)."""
    out = []
    for m in TOKEN_PATTERN.finditer(text):
        w = normalize_token(m.group(0))
        if w and w not in STOPWORDS:
            out.append(stem(w))
    return out


def run_bm25s(collection: Collection, depth: int = DEPTH) -> dict[str, float]:
    """bm25s (Lucene BM25, k1=1.5, b=0.75) over whole documents."""
    import bm25s

    corpus = [bm25s_tokens(doc_text(d)) for d in collection.documents]
    ids = [d.id for d in collection.documents]
    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index(corpus, show_progress=False)
    run = {}
    for q in collection.judged:
        tokens = [t for t in bm25s_tokens(collection.queries[q]) if t in retriever.vocab_dict]
        if not tokens:
            run[q] = []
            continue
        scores = retriever.get_scores(tokens)
        order = sorted(range(len(ids)), key=lambda i: -scores[i])[:depth]
        run[q] = [ids[i] for i in order if scores[i] > 0]
    return mean_metrics(run, collection.qrels, collection.judged)


def run_whoosh(collection: Collection, granularity: str, depth: int = DEPTH) -> dict[str, float]:
    """Stock Whoosh: StemmingAnalyzer, BM25F defaults, OR query; best paragraph per article."""
    from whoosh import collectors, sorting
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.index import create_in
    from whoosh.qparser import OrGroup, QueryParser

    schema = Schema(doc=ID(stored=True, sortable=True), text=TEXT(analyzer=StemmingAnalyzer()))
    with tempfile.TemporaryDirectory(prefix="byline-bench-") as tmp:
        ix = create_in(tmp, schema)
        w = ix.writer()
        for d in collection.documents:
            units = [doc_text(d)] if granularity == "article" else [d.title, *d.paragraphs]
            for u in units:
                w.add_document(doc=d.id, text=u)
        w.commit()
        parser = QueryParser("text", schema, group=OrGroup)
        run = {}
        with ix.searcher() as s:
            for q in collection.judged:
                c = collectors.CollapseCollector(
                    s.collector(limit=depth), sorting.FieldFacet("doc"), limit=1
                )
                s.search_with_collector(parser.parse(query_text(collection.queries[q])), c)
                run[q] = [s.stored_fields(n)["doc"] for _, n in c.results().top_n]
    return mean_metrics(run, collection.qrels, collection.judged)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", default="time,cacm,cisi")
    ap.add_argument("--skip-whoosh", action="store_true")
    ap.add_argument("--skip-expansion", action="store_true")
    args = ap.parse_args()
    table: dict[str, dict[str, dict[str, float]]] = {}
    for key in args.only.split(","):
        collection = read_collection(args.corpora / key)
        name = COLLECTIONS[key]
        table.setdefault(f"Byline (defaults: {DEFAULT_MODE})", {})[name] = evaluate_collection(
            collection, "paragraph", IndexConfig()
        ).metrics
        for mode in MODE_NAMES:
            if mode != DEFAULT_MODE:
                table.setdefault(f"Byline {mode}", {})[name] = evaluate_collection(
                    collection, "paragraph", IndexConfig(), mode=mode
                ).metrics
        if not args.skip_expansion:
            table.setdefault("Byline + expansion (RM3)", {})[name] = evaluate_collection(
                collection, "paragraph", IndexConfig(), expand=True
            ).metrics
        table.setdefault("bm25s (document)", {})[name] = run_bm25s(collection)
        if not args.skip_whoosh:
            table.setdefault("stock Whoosh (document)", {})[name] = run_whoosh(
                collection, "article"
            )
            table.setdefault("stock Whoosh (paragraph, best)", {})[name] = run_whoosh(
                collection, "paragraph"
            )
    if args.json:
        print(json.dumps(table, indent=2))
        return
    names = [COLLECTIONS[k] for k in args.only.split(",")]
    head = "| system | " + " | ".join(
        f"{n} {m}" for n in names for m in ("MAP", "nDCG@10", "P@10", "R@100")
    )
    print(head + " |")
    print("|---" * (1 + 4 * len(names)) + "|")
    for system, per in table.items():
        cells = [f"{per[n][m]:.3f}" for n in names for m in METRICS]
        print(f"| {system} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
