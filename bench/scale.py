#!/usr/bin/env python3
"""How Byline's costs grow with the archive: 1x, 2x, 5x, 10x (and 50x on request) of real newswire.

    python bench/scale.py [--sizes 1,2,5,10] [--queries 300] [--web-seconds 20] [--json]
    python bench/scale.py --sizes 1,50          # about a million articles; checks free disk first

The archive is Reuters-21578 and BBC News (``../shared/corpora``) copied into a
temporary folder. Copy 0 is byte for byte the originals (1x); every further
copy k is made distinct so that duplicates neither flatter nor punish: in
each title and body 12% of the words are replaced by words drawn from the
corpus's own word frequencies (so Zipf's law and paragraph lengths hold),
30% of the numbers get other digits, and Reuters dates move back k years
(a longer archive, as a paper's decades are). The copies sit in
``copy-kk/`` folders, so a size is the earlier size plus more copies.

At each size, in one run and beside SQLite FTS5 over the same paragraphs:
full rebuild time, paragraphs/s, peak RSS of the whole process tree, index
size; search p50/p95/p99 with snippets (warm and not warmed; per paragraph
and grouped per article) on 1-3 word queries and phrases drawn from real
paragraphs; time until ``manage.py serve`` answers on the unchanged folder;
web throughput at 8 clients (only 127.0.0.1); an incremental run after 1%
of the articles change. Prints a table, writes the JSON and a log-log plot.
Every load loop is bounded in time and in count.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import corpus as bench_corpus  # noqa: E402
import run as bench_run  # noqa: E402

PY = sys.executable
CORPORA = ROOT.parent / "shared" / "corpora"
REPLACE_WORDS = 0.12
REPLACE_NUMBERS = 0.30
_WORD = re.compile(r"[A-Za-z]{2,}")
_NUMBER = re.compile(r"\d+")
_REUTERS_TEXT = re.compile(r"(<TITLE>|<BODY>)(.*?)(</TITLE>|</BODY>)", re.S)
_REUTERS_DATE = re.compile(r"(<DATE>\s*\d{1,2}-[A-Z]{3}-)(\d{4})")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the archive ---------------------------------------------------------------------------


class Copier:
    """Makes copy ``k`` of the corpus: real text statistics, distinct text."""

    def __init__(self, seed: int = 1987) -> None:
        words: list[str] = []
        for path in sorted((CORPORA / "bbc").glob("*/*.txt"))[::4]:
            words += _WORD.findall(path.read_bytes().decode("utf-8", "replace").lower())
        self.words = words  # a word drawn uniformly from here follows the corpus frequencies
        self.seed = seed

    def text(self, text: str, rng: random.Random) -> str:
        words = self.words

        def word(m: re.Match[str]) -> str:
            if rng.random() >= REPLACE_WORDS:
                return m.group(0)
            new = rng.choice(words)
            original = m.group(0)
            return (
                new.upper()
                if original.isupper()
                else new.capitalize()
                if original[0].isupper()
                else new
            )

        def number(m: re.Match[str]) -> str:
            if rng.random() >= REPLACE_NUMBERS:
                return m.group(0)
            n = len(m.group(0))
            return str(rng.randrange(10 ** (n - 1) if n > 1 else 0, 10**n))

        return _NUMBER.sub(number, _WORD.sub(word, text))

    def write(self, k: int, dst: Path) -> tuple[int, int]:
        """Write copy ``k`` under ``dst/copy-kk``; returns (files, bytes)."""
        out = dst / f"copy-{k:02d}"
        rng = random.Random(self.seed * 1000 + k)
        files = nbytes = 0
        for path in sorted((CORPORA / "reuters21578").glob("reut2-*.sgm")):
            data = path.read_bytes()
            if k:
                text = data.decode("latin-1")
                text = _REUTERS_TEXT.sub(
                    lambda m: m.group(1) + self.text(m.group(2), rng) + m.group(3), text
                )
                text = _REUTERS_DATE.sub(lambda m: m.group(1) + str(int(m.group(2)) - k), text)
                data = text.encode("latin-1", "replace")
            target = out / "reuters" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            files += 1
            nbytes += len(data)
        for path in sorted((CORPORA / "bbc").glob("*/*.txt")):
            data = path.read_bytes()
            if k:
                data = self.text(data.decode("utf-8", "surrogateescape"), rng).encode(
                    "utf-8", "surrogateescape"
                )
            target = out / "bbc" / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            files += 1
            nbytes += len(data)
        return files, nbytes


def touch(src: Path, share: float, seed: int) -> int:
    """Change ``share`` of the articles of every copy (a new last paragraph)."""
    changed = 0
    for copy in sorted(src.glob("copy-*")):
        changed += bench_corpus.touch_articles(copy, share, seed)
    return changed


# --- measurements ------------------------------------------------------------------------------


def child(argv: list[str]) -> None:
    """``--child queries INDEX FTS_DB QUERIES.json BUDGET``: query latencies, in a fresh process."""
    job, *rest = argv
    if job != "queries":
        bench_run.child(argv)
        return
    ix, fts, qfile, budget = rest
    queries = json.loads(Path(qfile).read_text())
    out = bench_run.measure_queries(
        Path(ix), None, Path(fts) if fts else None, queries, float(budget)
    )
    print(json.dumps(out))


def serve_ready(ix: Path, src: Path, query: str, timeout: float = 300) -> dict[str, Any]:
    """Seconds from starting ``manage.py serve`` (unchanged folder) until a search answers."""
    import http.client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, BYLINE_INDEX_DIR=str(ix), BYLINE_SOURCE_DIR=str(src))
    started = time.perf_counter()
    server = subprocess.Popen(
        [PY, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        first = None
        while time.perf_counter() - started < timeout and server.poll() is None:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                t = time.perf_counter()
                c.request("GET", "/search?q=" + quote(query))
                status = c.getresponse().status
                c.close()
                if status == 200:
                    first = (t - started, time.perf_counter() - t)
                    break
            except OSError:
                time.sleep(0.05)
        if first is None:
            return {"skipped": "serve did not answer"}
        return {
            "seconds_until_answer": time.perf_counter() - started,
            "first_request_ms": first[1] * 1000,
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


def measure_size(size: int, src: Path, tmp: Path, queries: list[str], args: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"size": size}
    read, _ = bench_run.run_child(["read-only", str(src)], timeout=args.timeout)
    res["paragraphs"] = read["paragraphs"]
    res["text_mb"] = read["text_bytes"] / 2**20
    log(f"{size}x: {read['paragraphs']:,} paragraphs, {res['text_mb']:.0f} MB of text")
    ix = tmp / f"byline-{size}"
    runs = []
    peaks = []
    for i in range(args.runs if size <= 2 else 1):
        shutil.rmtree(ix, ignore_errors=True)
        out, peak = bench_run.run_child(["byline-full", str(src), str(ix)], timeout=args.timeout)
        runs.append(out["seconds"])
        peaks.append(peak)
        log(f"  rebuild {i + 1}: {out['seconds']:.1f}s, peak RSS {peak / 2**20:.0f} MB")
    res["articles"] = out["articles"]
    res["rebuild_seconds"] = bench_run.summary(runs)
    res["paragraphs_per_s"] = read["paragraphs"] / statistics.median(runs)
    res["rebuild_peak_rss_mb"] = max(peaks) / 2**20
    res["index_mb"] = bench_run.dir_bytes(ix) / 2**20
    fts = tmp / f"fts5-{size}.db"
    if "fts5" not in args.skip:
        fts.unlink(missing_ok=True)
        out, _ = bench_run.run_child(["fts5-full", str(src), str(fts)], timeout=args.timeout)
        res["fts5_build_seconds"] = out["seconds"]
        res["fts5_mb"] = bench_run.dir_bytes(fts) / 2**20
        log(f"  FTS5 built in {out['seconds']:.1f}s")
    qfile = tmp / "queries.json"
    qfile.write_text(json.dumps(queries))
    out, peak = bench_run.run_child(
        [
            "queries",
            str(ix),
            str(fts) if "fts5" not in args.skip else "",
            str(qfile),
            str(args.query_budget),
        ],
        timeout=args.timeout,
        script="scale.py",
    )
    res["query"] = out
    res["query_process_peak_rss_mb"] = peak / 2**20
    warm, cold = out["byline_paragraph"], out["byline_paragraph_unwarmed"]
    fts5 = f"; FTS5 p50 {out['fts5_snippets']['p50']:.2f}" if "fts5_snippets" in out else ""
    log(
        f"  search warm p50 {warm['p50']:.2f} p95 {warm['p95']:.2f} ms; "
        f"not warmed p50 {cold['p50']:.2f}{fts5}"
    )
    if "serve" not in args.skip:
        res["serve"] = serve_ready(ix, src, queries[0])
        log(f"  serve answered after {res['serve'].get('seconds_until_answer', float('nan')):.2f}s")
    if "web" not in args.skip:
        res["web"] = bench_run.measure_web(ix, src, queries, args.web_seconds)
        w = res["web"]
        if "skipped" not in w:
            log(
                f"  web {w['requests_per_s']:.0f} req/s, p95 {w['latency_p95_ms']:.0f} ms, "
                f"{w['errors']} errors, server RSS {w['server_peak_rss_mb']:.0f} MB"
            )
    if "incremental" not in args.skip:
        changed = touch(src, 0.01, seed=size)
        out, peak = bench_run.run_child(
            ["byline-incremental", str(src), str(ix)], timeout=args.timeout
        )
        res["incremental"] = {
            "seconds": out["seconds"],
            "changed_articles": changed,
            "updated": out["updated"],
            "peak_rss_mb": peak / 2**20,
        }
        log(f"  incremental ({changed} articles changed): {out['seconds']:.2f}s")
    shutil.rmtree(ix, ignore_errors=True)
    fts.unlink(missing_ok=True)
    return res


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["sizes"]
    x = [r["paragraphs"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    a.loglog(
        x, [r["rebuild_seconds"]["median"] for r in rows], "o-", label="Byline full rebuild (s)"
    )
    if all("fts5_build_seconds" in r for r in rows):
        a.loglog(x, [r["fts5_build_seconds"] for r in rows], "s--", label="FTS5 build (s)")
    a.loglog(
        x,
        [r["query"]["byline_paragraph"]["p50"] / 1000 for r in rows],
        "^-",
        label="search p50 (s)",
    )
    a.loglog(
        x,
        [r["query"]["byline_paragraph"]["p95"] / 1000 for r in rows],
        "v-",
        label="search p95 (s)",
    )
    if all("fts5_snippets" in r["query"] for r in rows):
        a.loglog(
            x,
            [r["query"]["fts5_snippets"]["p50"] / 1000 for r in rows],
            "x--",
            label="FTS5 p50 (s)",
        )
    a.set_xlabel("paragraphs")
    a.set_title("time")
    a.legend(fontsize=8)
    b.loglog(x, [r["rebuild_peak_rss_mb"] for r in rows], "o-", label="rebuild peak RSS (MB)")
    if all("web" in r and "server_peak_rss_mb" in r["web"] for r in rows):
        b.loglog(x, [r["web"]["server_peak_rss_mb"] for r in rows], "s-", label="server RSS (MB)")
    b.loglog(x, [r["index_mb"] for r in rows], "^--", label="index size (MB)")
    b.axhline(1024, color="grey", lw=0.8, ls=":")
    b.set_xlabel("paragraphs")
    b.set_title("memory and disk")
    b.legend(fontsize=8)
    fig.suptitle(
        f"Byline at {', '.join(str(r['size']) + 'x' for r in rows)} of BBC + Reuters "
        f"(commit {result['commit']})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def table(result: dict[str, Any]) -> str:
    head = (
        "size",
        "articles",
        "paragraphs",
        "rebuild s",
        "par/s",
        "peak RSS MB",
        "index MB",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "cold p50",
        "grouped p50",
        "FTS5 p50",
        "serve s",
        "web req/s",
        "web p95",
        "server MB",
        "incr. s",
    )
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in result["sizes"]:
        q = r["query"]
        w = r.get("web", {})
        lines.append(
            " | ".join(
                str(v)
                for v in (
                    f"{r['size']}x",
                    f"{r['articles']:,}",
                    f"{r['paragraphs']:,}",
                    f"{r['rebuild_seconds']['median']:.1f}",
                    f"{r['paragraphs_per_s']:,.0f}",
                    f"{r['rebuild_peak_rss_mb']:.0f}",
                    f"{r['index_mb']:.0f}",
                    f"{q['byline_paragraph']['p50']:.2f}",
                    f"{q['byline_paragraph']['p95']:.2f}",
                    f"{q['byline_paragraph']['p99']:.2f}",
                    f"{q['byline_paragraph_unwarmed']['p50']:.2f}",
                    f"{q['byline_per_article']['p50']:.2f}",
                    f"{q['fts5_snippets']['p50']:.2f}" if "fts5_snippets" in q else "-",
                    f"{r['serve']['seconds_until_answer']:.2f}"
                    if "seconds_until_answer" in r.get("serve", {})
                    else "-",
                    f"{w['requests_per_s']:.0f}" if "requests_per_s" in w else "-",
                    f"{w['latency_p95_ms']:.0f}" if "latency_p95_ms" in w else "-",
                    f"{w['server_peak_rss_mb']:.0f}" if "server_peak_rss_mb" in w else "-",
                    f"{r['incremental']['seconds']:.2f}" if "incremental" in r else "-",
                )
            )
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1,2,5,10", help="copies of the corpus, comma separated")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--query-budget", type=float, default=60.0, help="seconds per query series")
    ap.add_argument("--web-seconds", type=float, default=20.0)
    ap.add_argument("--runs", type=int, default=2, help="rebuilds at 1x and 2x (1 above)")
    ap.add_argument("--timeout", type=float, default=6 * 3600, help="seconds per measured job")
    ap.add_argument("--skip", default="", help="comma list of: fts5,web,serve,incremental")
    ap.add_argument("--tmp", help="folder for the archive and indexes (default: a temp folder)")
    ap.add_argument("--save", default=str(BENCH / "results" / "scale"), help="'' to not save")
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    args = ap.parse_args()
    args.skip = set(filter(None, args.skip.split(",")))
    if not (CORPORA / "reuters21578").is_dir() or not (CORPORA / "bbc").is_dir():
        raise SystemExit(f"{CORPORA} lacks reuters21578/ or bbc/: this benchmark needs them")
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    base = Path(args.tmp) if args.tmp else Path(tempfile.mkdtemp(prefix="byline-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    need_gb = max(sizes) * 0.9  # source, index and FTS5 per copy, measured at 10x
    free_gb = shutil.disk_usage(base).free / 2**30
    log(f"working in {base}: {free_gb:.0f} GB free, about {need_gb:.0f} GB needed at {max(sizes)}x")
    if free_gb < need_gb:
        raise SystemExit(f"not enough free disk in {base}: {free_gb:.0f} GB, need {need_gb:.0f} GB")
    result: dict[str, Any] = {
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "load_avg_start": os.getloadavg()},
        "copies": {"replace_words": REPLACE_WORDS, "replace_numbers": REPLACE_NUMBERS},
        "sizes": [],
    }
    src = base / "source"
    copier = Copier()
    made = 0
    queries: list[str] = []
    try:
        for size in sizes:
            t = time.perf_counter()
            while made < size:
                copier.write(made, src)
                made += 1
            log(f"archive of {size} copies written in {time.perf_counter() - t:.0f}s")
            if not queries:
                queries = bench_run.sample_queries(src / "copy-00", args.queries)
                result["queries"] = {
                    "n": len(queries),
                    "phrases": sum(q.startswith('"') for q in queries),
                    "examples": queries[:10],
                }
            result["sizes"].append(measure_size(size, src, base, queries, args))
            result["load_avg_end"] = os.getloadavg()
            if args.save:
                save = Path(args.save)
                save.mkdir(parents=True, exist_ok=True)
                (save / "scale.json").write_text(json.dumps(result, indent=1) + "\n")
    finally:
        if not args.tmp:
            shutil.rmtree(base, ignore_errors=True)
    first = result["sizes"][0]
    result["ratios"] = {
        f"{r['size']}x": {
            "paragraphs_per_s_vs_first": r["paragraphs_per_s"] / first["paragraphs_per_s"],
            "p50_vs_first": r["query"]["byline_paragraph"]["p50"]
            / first["query"]["byline_paragraph"]["p50"],
            "p50_vs_fts5": r["query"]["byline_paragraph"]["p50"]
            / r["query"]["fts5_snippets"]["p50"]
            if "fts5_snippets" in r["query"]
            else None,
        }
        for r in result["sizes"]
    }
    if args.save:
        save = Path(args.save)
        (save / "scale.json").write_text(json.dumps(result, indent=1) + "\n")
        plot(result, save / "scale.png")
    if not args.json:
        print(table(result))
        print("ratios:", json.dumps(result["ratios"], indent=1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
