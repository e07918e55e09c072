#!/usr/bin/env python3
"""Turn bench/results/<corpus>-<fraction>.json into the table and plot of docs/PERFORMANCE.md.

    python bench/report.py [--corpus both]

Rewrites the part of docs/PERFORMANCE.md between ``<!-- table:start -->`` and
``<!-- table:end -->`` and draws docs/perf.png (matplotlib, Agg backend).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
PLOT = ROOT / "docs" / "perf.png"
START, END = "<!-- table:start -->", "<!-- table:end -->"


def load(corpus: str) -> list[dict[str, Any]]:
    runs = [json.loads(p.read_text()) for p in BENCH.glob(f"results/{corpus}-*.json")]
    return sorted(runs, key=lambda r: r["fraction"])


def _get(r: dict[str, Any], *path: str) -> Any:
    for p in path:
        if not isinstance(r, dict) or p not in r:
            return None
        r = r[p]
    return r


def fmt(x: Any, spec: str = ".2f") -> str:
    return "–" if x is None else format(x, spec)


def table(runs: list[dict[str, Any]]) -> str:
    rows = [
        "| corpus share | paragraphs | text MB | Byline full reindex s (min–max) | par/s | MB/s "
        "| peak RSS MB | index MB | naive Whoosh s | FTS5 s | speed-up vs naive | incremental 1% s "
        "| Byline+snippets p50/p95/p99 ms | not warmed p50/p95 | per article p50/p95 ms "
        "| naive top-10 p50/p95 "
        "| naive+highlights p50/p95 | FTS5 top-10 p50/p95 | FTS5+snippet p50/p95 "
        "| web req/s (p50/p95 ms, errors, RSS MB) | cold search s |",
        "|" + "---|" * 21,
    ]
    for r in runs:
        b = r["byline_full"]
        q = r["query"]
        w = r.get("web") or {}
        web = (
            "skipped"
            if "skipped" in w or not w
            else f"{w['requests_per_s']:.0f} ({w['latency_p50_ms']:.0f}/{w['latency_p95_ms']:.0f}, "
            f"{w['errors']}, {w['server_peak_rss_mb']:.0f})"
        )

        def pp(key: str, p99: bool = False, q: dict[str, Any] = q) -> str:
            x = q.get(key)
            if not x:
                return "–"
            return f"{x['p50']:.1f} / {x['p95']:.1f}" + (f" / {x['p99']:.1f}" if p99 else "")

        rows.append(
            f"| {r['fraction']:g} | {r['paragraphs']:,} | {r['text_mb']:.1f} "
            f"| {b['seconds']['median']:.1f} ({b['seconds']['min']:.1f}–{b['seconds']['max']:.1f}) "
            f"| {b['paragraphs_per_s']:,.0f} | {b['mb_per_s']:.2f} | {b['peak_rss_mb']:.0f} "
            f"| {b['index_mb']:.0f} | {fmt(_get(r, 'naive_full', 'seconds', 'median'), '.1f')} "
            f"| {fmt(_get(r, 'fts5_full', 'seconds', 'median'), '.2f')} "
            f"| {fmt(_get(r, 'ratios', 'index_speedup_vs_naive'))}× "
            f"| {fmt(_get(r, 'byline_incremental', 'seconds', 'median'))} "
            f"| {pp('byline_paragraph', True)} | {pp('byline_paragraph_unwarmed')} "
            f"| {pp('byline_per_article')} | {pp('naive_top10')} "
            f"| {pp('naive_snippets')} | {pp('fts5_top10')} | {pp('fts5_snippets')} | {web} "
            f"| {fmt(_get(r, 'cold_start', 'seconds', 'median'), '.2f')} |"
        )
    return "\n".join(rows)


def plot(runs: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["paragraphs"] / 1000 for r in runs]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label, style in (
        ("byline_full", "Byline full reindex", "o-"),
        ("naive_full", "naive Whoosh", "s--"),
        ("fts5_full", "SQLite FTS5", "^:"),
    ):
        ys = [_get(r, key, "seconds", "median") for r in runs]
        if all(y is not None for y in ys):
            a.plot(x, ys, style, label=label)
    ys = [_get(r, "byline_incremental", "seconds", "median") for r in runs]
    if all(y is not None for y in ys):
        a.plot(x, ys, "x-", label="Byline incremental (1% changed)")
    # On a shared machine the fastest run is the better estimate of the cost.
    for key, label in (
        ("byline_full", "Byline full, fastest run"),
        ("byline_incremental", "Byline incremental, fastest run"),
    ):
        ys = [_get(r, key, "seconds", "min") for r in runs]
        if all(y is not None for y in ys):
            a.plot(x, ys, ".:", color="grey", alpha=0.8, label=label)
    a.set_xlabel("corpus size (thousand paragraphs)")
    a.set_ylabel("seconds")
    a.set_title("Index time")
    a.grid(alpha=0.3)
    a.legend()
    for key, label, style in (
        ("byline_paragraph", "Byline + snippets", "o-"),
        ("byline_paragraph_unwarmed", "Byline + snippets, not warmed", "o--"),
        ("byline_per_article", "Byline per article + snippets", "d-"),
        ("naive_snippets", "naive Whoosh + highlights", "s--"),
        ("fts5_top10", "FTS5 top-10", "^:"),
        ("fts5_snippets", "FTS5 + snippet()", "v:"),
    ):
        ys = [_get(r, "query", key, "p95") for r in runs]
        if all(y is not None for y in ys):
            b.plot(x, ys, style, label=label)
    b.axhline(20, color="grey", lw=0.8, ls="-.", label="target p95 20 ms")
    b.set_xlabel("corpus size (thousand paragraphs)")
    b.set_ylabel("ms")
    b.set_title("Query latency p95 (top 10)")
    b.grid(alpha=0.3)
    b.legend(fontsize=8)
    fig.suptitle("Byline benchmark (Reuters-21578 + BBC News, shared 2-core machine)")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="both")
    args = ap.parse_args()
    runs = load(args.corpus)
    if not runs:
        raise SystemExit("no results: run bench/run.py --fraction F first")
    plot(runs)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{START}\n{table(runs)}\n{END}{tail}", encoding="utf-8")
    print(f"wrote {PLOT} and the table in {DOC}")


if __name__ == "__main__":
    main()
