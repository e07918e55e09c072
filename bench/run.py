#!/usr/bin/env python3
"""Byline's benchmark: indexing, incremental reindex, query latency, cold start, web.

    python bench/run.py [--corpus reuters|bbc|both] [--fraction F] [--json]

Indexes a scaled copy of Reuters-21578 + BBC News (../shared/corpora) with
Byline's own pipeline and, in the same run, with two baselines (naive Whoosh,
SQLite FTS5) over the same paragraphs. Every index lives in a temp folder.
Indexing runs in a child process so the peak RSS of its whole process tree
(Byline's writer forks workers) can be sampled with psutil. Every load loop is
bounded in time and in count; the web test only talks to 127.0.0.1.

Prints a human summary (unless --json) and, as its last line, one JSON object
with every figure; the same object is saved to bench/results/ for report.py.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import corpus as bench_corpus  # noqa: E402

PY = sys.executable


# --- helpers -----------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def summary(values: list[float]) -> dict[str, Any]:
    """Median and spread (min, max, stdev) of repeated runs."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
        "runs": values,
    }


def percentiles(ms: list[float]) -> dict[str, float]:
    s = sorted(ms)

    def pct(p: float) -> float:
        return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]

    return {
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "mean": statistics.fmean(s),
        "max": s[-1],
        "n": len(s),
    }


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def tree_rss(proc: Any) -> int:
    import psutil

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_child(
    args: list[str], timeout: float = 1800, script: str = "run.py"
) -> tuple[dict[str, Any], int]:
    """Run ``bench/<script> --child ...``; returns its JSON result and the tree's peak RSS."""
    import psutil

    proc = subprocess.Popen(
        [PY, str(BENCH / script), "--child", *args], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        peak = max(peak, tree_rss(ps))
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"child {args[0]} timed out")
        time.sleep(0.02)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise RuntimeError(f"child {args[0]} failed with status {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1]), peak


# --- children (one measured job per process) ----------------------------------


def child(argv: list[str]) -> None:
    job, *rest = argv
    started = time.perf_counter()
    if job == "byline-full" or job == "byline-incremental":
        from indexer import IndexConfig
        from indexer.engine import SearchEngine

        src, ix = rest
        engine = SearchEngine(IndexConfig(source_dir=Path(src), index_dir=Path(ix)))
        stats = engine.reindex(full=job == "byline-full")
        out = {
            "seconds": time.perf_counter() - started,
            "paragraphs": stats.paragraphs,
            "articles": stats.articles,
            "updated": stats.updated,
            "added": stats.added,
        }
    elif job in ("naive-full", "fts5-full"):
        import baselines

        src, ix = rest
        docs = bench_corpus.paragraphs(Path(src))
        if job == "naive-full":
            n = baselines.naive_index(docs, Path(ix))
        else:
            n = baselines.fts5_index(docs, Path(ix))
        out = {"seconds": time.perf_counter() - started, "paragraphs": n}
    elif job == "read-only":
        (src,) = rest
        n = nbytes = 0
        for doc in bench_corpus.paragraphs(Path(src)):
            n += 1
            nbytes += len(str(doc["title"]).encode()) + len(str(doc["text"]).encode())
        out = {"seconds": time.perf_counter() - started, "paragraphs": n, "text_bytes": nbytes}
    else:
        raise SystemExit(f"unknown child job {job}")
    print(json.dumps(out))


# --- queries -----------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]{3,}")


def sample_queries(src: Path, n: int, seed: int = 20240601) -> list[str]:
    """``n`` queries drawn from the corpus text, so they hit like real ones.

    A random paragraph is drawn, then 1-3 of its non-stop words (so words are
    weighted by how often they occur, and co-occur as a reader's would); 15%
    are two-word phrases taken from adjacent words.
    """
    from indexer.analysis import STOPWORDS

    paras = [str(d["text"]) for d in bench_corpus.paragraphs(src)]
    rnd = random.Random(seed)
    out: list[str] = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        words = [w.lower() for w in _TOKEN.findall(rnd.choice(paras))]
        words = [w for w in words if w not in STOPWORDS]
        if not words:
            continue
        r = rnd.random()
        if r < 0.15:
            pairs = [(a, b) for a, b in itertools.pairwise(words) if a != b]
            if not pairs:
                continue
            first, second = rnd.choice(pairs)
            out.append(f'"{first} {second}"')
        else:
            k = 1 if r < 0.45 else 2 if r < 0.75 else 3
            uniq = list(dict.fromkeys(words))
            if len(uniq) < k:
                continue
            out.append(" ".join(rnd.sample(uniq, k)))
    return out


def time_queries(fn: Any, queries: list[str], budget_s: float) -> list[float]:
    """Latency of each query in ms (bounded by count and by ``budget_s``)."""
    ms: list[float] = []
    deadline = time.monotonic() + budget_s
    for q in queries:
        t = time.perf_counter()
        fn(q)
        ms.append((time.perf_counter() - t) * 1000)
        if time.monotonic() > deadline:
            break
    return ms


def measure_queries(
    ix: Path, naive_ix: Path | None, fts_db: Path | None, queries: list[str], budget_s: float
) -> dict[str, Any]:
    from indexer import IndexConfig
    from indexer.engine import SearchEngine

    res: dict[str, Any] = {
        "queries": len(queries),
        "phrases": sum(q.startswith('"') for q in queries),
    }
    from indexer.postings import CACHE

    def fresh(warm: bool) -> SearchEngine:
        """A new engine with an empty postings cache (as in a new process), warmed or not."""
        CACHE.clear()
        engine = SearchEngine(IndexConfig(source_dir=ix, index_dir=ix))
        for q in queries[:20]:  # open the searcher, load the stem table and columns
            engine.search(q, per_page=11)  # another page size: these are not cached results
        CACHE.clear()
        if warm:
            t = time.perf_counter()
            res["warm_terms"] = engine.warm()
            res["warm_seconds"] = time.perf_counter() - t
            res["warm_cache_mb"] = CACHE.used / 2**20
        return engine

    # Distinct queries: every one is a result-cache miss, so this is the search path itself.
    # First with nothing read ahead (a one-shot library user), then after engine.warm()
    # (what `manage.py serve` does at start): posting lists of frequent words in memory.
    engine = fresh(warm=False)
    res["byline_paragraph_unwarmed"] = percentiles(
        time_queries(lambda q: engine.search(q), queries, budget_s)
    )
    engine.close()
    engine = fresh(warm=True)
    res["byline_paragraph"] = percentiles(
        time_queries(lambda q: engine.search(q), queries, budget_s)
    )
    engine.close()
    engine = fresh(warm=True)
    res["byline_per_article"] = percentiles(
        time_queries(lambda q: engine.search(q, per_article=1), queries, budget_s)
    )
    # The same queries again: what a repeated query costs (result cache hits, if any).
    res["byline_repeat"] = percentiles(time_queries(lambda q: engine.search(q), queries, budget_s))
    hits = [len(engine.search(q).hits) for q in queries[:100]]
    res["byline_mean_hits"] = statistics.fmean(hits)
    engine.close()
    import baselines

    for name, location, searcher_class in (
        ("naive", naive_ix, "NaiveSearcher"),
        ("fts5", fts_db, "FtsSearcher"),
    ):
        if location is None:
            continue
        baseline = getattr(baselines, searcher_class)(location)
        for q in queries[:20]:  # warm up
            baseline.search(q, True)
        res[f"{name}_top10"] = percentiles(
            time_queries(lambda q, b=baseline: b.search(q, False), queries, budget_s)
        )
        res[f"{name}_snippets"] = percentiles(
            time_queries(lambda q, b=baseline: b.search(q, True), queries, budget_s)
        )
        baseline.close()
    return res


# --- cold start ----------------------------------------------------------------


def measure_cold_start(tmp: Path, runs: int) -> dict[str, Any]:
    ix = tmp / "seed-index"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    subprocess.run(
        [PY, "manage.py", "reindex", "--source", "seeds", "--index", str(ix)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    cmd = [PY, "manage.py", "search", "fuel", "--source", "seeds", "--index", str(ix)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=60)  # warm the OS cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=60)
        times.append(time.perf_counter() - t)
    bare = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], check=True, timeout=60)
        bare.append(time.perf_counter() - t)
    probe = subprocess.run(
        [
            PY,
            "-c",
            "import sys, indexer; print(sorted(m for m in ('flask', 'nltk', 'whoosh') "
            "if m in sys.modules))",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return {
        "seconds": summary(times),
        "python_startup": summary(bare),
        "heavy_modules_after_import_indexer": json.loads(probe.stdout.replace("'", '"')),
    }


# --- web -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def web_available() -> str | None:
    probe = subprocess.run(
        [PY, "-c", "import webui, waitress; assert callable(getattr(webui, 'create_app', None))"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    return None if probe.returncode == 0 else "webui.create_app is not available yet"


def measure_web(
    ix: Path,
    src: Path,
    queries: list[str],
    seconds: float,
    clients: int = 8,
    max_requests: int = 200_000,
) -> dict[str, Any]:
    import http.client

    import psutil

    why = web_available()
    if why:
        log(f"web: skipped ({why})")
        return {"skipped": why}
    port = _free_port()
    env = dict(os.environ, BYLINE_INDEX_DIR=str(ix), BYLINE_SOURCE_DIR=str(src))
    # The product's own server command (waitress, 8 threads, postings warm-up in
    # the background), serving the index as built.
    server = subprocess.Popen(
        [PY, "manage.py", "serve", "--no-reindex", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ps = psutil.Process(server.pid)
        deadline = time.monotonic() + 30
        while True:  # wait (bounded) until it answers
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/search?q=" + quote(queries[0]))
                status = c.getresponse().status
                c.close()
                if status != 200:
                    return {"skipped": f"/search answered {status}"}
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    err = (
                        server.stderr.read() if server.stderr and server.poll() is not None else ""
                    )
                    return {"skipped": f"server did not start: {err[-300:]}"}
                time.sleep(0.2)
        for q in queries[:20]:  # warm every server thread a little
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/search?q=" + quote(q))
            c.getresponse().read()
            c.close()
        from soak import load  # the same bounded, loopback-only load loop as the soak

        peak = [tree_rss(ps)]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                peak[0] = max(peak[0], tree_rss(ps))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        windows = load(
            f"http://127.0.0.1:{port}",
            ["/search?q=" + quote(q) for q in queries],
            clients,
            seconds,
            every=seconds + 60,
            seed=0,
            check=lambda status, body: status == 200,
            max_requests=max_requests,
        )
        done.set()
        sampler.join(5)
        all_ms = [x * 1000 for w in windows for x in w.latencies]
        errors = [sum(w.errors for w in windows)]
        elapsed = time.perf_counter() - t0
        out = {
            "clients": clients,
            "seconds": elapsed,
            "requests": len(all_ms),
            "requests_per_s": len(all_ms) / elapsed,
            "errors": sum(errors),
            "server_peak_rss_mb": peak[0] / 2**20,
            "distinct_queries": len(set(queries)),
        }
        out.update(
            {
                f"latency_{k}_ms": v
                for k, v in percentiles(all_ms or [0.0]).items()
                if k in ("p50", "p95", "p99")
            }
        )
        return out
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


# --- main --------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", choices=("reuters", "bbc", "both"), default="both")
    ap.add_argument("--fraction", type=float, default=1.0)
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    ap.add_argument("--runs", type=int, default=3, help="full reindex runs for Byline")
    ap.add_argument("--baseline-runs", type=int, default=2, help="full index runs per baseline")
    ap.add_argument("--incremental-runs", type=int, default=3)
    ap.add_argument("--queries", type=int, default=600)
    ap.add_argument(
        "--query-budget", type=float, default=120.0, help="seconds at most per query series"
    )
    ap.add_argument("--web-seconds", type=float, default=30.0)
    ap.add_argument("--cold-runs", type=int, default=7)
    ap.add_argument("--skip", default="", help="comma list of: naive,fts5,web,cold,incremental")
    ap.add_argument(
        "--save", default=str(BENCH / "results"), help="folder for the result JSON ('' to not save)"
    )
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    say = (lambda m: None) if args.json else log

    import psutil

    result: dict[str, Any] = {
        "corpus": args.corpus,
        "fraction": args.fraction,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_avg_start": os.getloadavg(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        },
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }
    with tempfile.TemporaryDirectory(prefix="byline-bench-") as tmpname:
        tmp = Path(tmpname)
        src = tmp / "source"
        result["source"] = bench_corpus.make_source(src, args.corpus, args.fraction)
        read, _ = run_child(["read-only", str(src)])
        result["paragraphs"] = read["paragraphs"]
        result["text_mb"] = read["text_bytes"] / 2**20
        result["read_split_seconds"] = read["seconds"]
        say(
            f"corpus {args.corpus} x{args.fraction}: {read['paragraphs']} paragraphs, "
            f"{result['text_mb']:.1f} MB text (read+split {read['seconds']:.2f}s)"
        )

        def index_series(job: str, runs: int, target: str) -> dict[str, Any]:
            secs, peaks, size = [], [], 0
            for i in range(runs):
                path = tmp / f"{target}-{i}"
                out, peak = run_child([job, str(src), str(path)])
                secs.append(out["seconds"])
                peaks.append(peak)
                size = dir_bytes(path)
                if i < runs - 1:
                    shutil.rmtree(path, ignore_errors=True)
                say(f"  {job} run {i + 1}: {out['seconds']:.2f}s, peak RSS {peak / 2**20:.0f} MB")
            s = summary(secs)
            return {
                "seconds": s,
                "paragraphs_per_s": result["paragraphs"] / s["median"],
                "mb_per_s": result["text_mb"] / s["median"],
                "peak_rss_mb": max(peaks) / 2**20,
                "index_mb": size / 2**20,
                "index_path": str(tmp / f"{target}-{runs - 1}"),
            }

        say("full reindex: Byline")
        result["byline_full"] = index_series("byline-full", args.runs, "byline")
        if "naive" not in skip:
            say("full index: naive Whoosh")
            result["naive_full"] = index_series("naive-full", args.baseline_runs, "naive")
        if "fts5" not in skip:
            say("full index: SQLite FTS5")
            result["fts5_full"] = index_series("fts5-full", args.baseline_runs, "fts5")
        ix = Path(result["byline_full"]["index_path"])

        queries = sample_queries(src, args.queries)
        say(f"queries: {len(queries)} ({sum(q.startswith(chr(34)) for q in queries)} phrases)")
        result["query"] = measure_queries(
            ix,
            Path(result["naive_full"]["index_path"]) if "naive_full" in result else None,
            Path(result["fts5_full"]["index_path"]) if "fts5_full" in result else None,
            queries,
            args.query_budget,
        )
        result["query"]["examples"] = queries[:12]

        if "web" not in skip:
            say(f"web: {args.web_seconds:.0f}s, 8 clients")
            result["web"] = measure_web(ix, src, queries, args.web_seconds)
        if "incremental" not in skip:
            say("incremental reindex after changing 1% of articles")
            secs, peaks, changed = [], [], []
            for i in range(args.incremental_runs):
                changed.append(bench_corpus.touch_articles(src, 0.01, seed=i + 1))
                out, peak = run_child(["byline-incremental", str(src), str(ix)])
                secs.append(out["seconds"])
                peaks.append(peak)
                say(
                    f"  run {i + 1}: {changed[-1]} articles changed, updated {out['updated']}, "
                    f"{out['seconds']:.2f}s"
                )
            result["byline_incremental"] = {
                "seconds": summary(secs),
                "changed_articles": changed,
                "peak_rss_mb": max(peaks) / 2**20,
            }
        if "cold" not in skip:
            say("cold start: manage.py search fuel (seeds)")
            result["cold_start"] = measure_cold_start(tmp, args.cold_runs)
        for key in ("byline_full", "naive_full", "fts5_full"):
            result.get(key, {}).pop("index_path", None)
    result["load_avg_end"] = os.getloadavg()
    result["ratios"] = ratios(result)
    if not args.json:
        print_summary(result)
    if args.save:  # a str: Path("") would mean the current folder
        save = Path(args.save)
        save.mkdir(parents=True, exist_ok=True)
        name = f"{args.corpus}-{args.fraction:g}.json"
        (save / name).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result))


def ratios(r: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    b = r["byline_full"]["seconds"]["median"]
    if "naive_full" in r:
        out["index_speedup_vs_naive"] = r["naive_full"]["seconds"]["median"] / b
    if "fts5_full" in r:
        out["index_slowdown_vs_fts5"] = b / r["fts5_full"]["seconds"]["median"]
    q = r["query"]
    if "fts5_top10" in q:
        out["p50_snippets_vs_fts5_top10"] = q["byline_paragraph"]["p50"] / q["fts5_top10"]["p50"]
    if "naive_snippets" in q:
        out["p95_vs_naive_snippets"] = q["byline_paragraph"]["p95"] / q["naive_snippets"]["p95"]
    out["per_article_vs_paragraph_p50"] = (
        q["byline_per_article"]["p50"] / q["byline_paragraph"]["p50"]
    )
    out["per_article_vs_paragraph_p95"] = (
        q["byline_per_article"]["p95"] / q["byline_paragraph"]["p95"]
    )
    return out


def print_summary(r: dict[str, Any]) -> None:
    def idx(name: str, key: str) -> None:
        if key in r:
            x = r[key]
            s = x["seconds"]
            print(
                f"{name:<22} {s['median']:7.2f}s (min {s['min']:.2f}, max {s['max']:.2f})  "
                f"{x['paragraphs_per_s']:8.0f} par/s  {x['mb_per_s']:5.2f} MB/s  "
                f"peak RSS {x['peak_rss_mb']:5.0f} MB  index {x['index_mb']:5.1f} MB"
            )

    print(
        f"\n== {r['corpus']} x{r['fraction']}: {r['paragraphs']} paragraphs, "
        f"{r['text_mb']:.1f} MB ({r['machine']['cpus']} CPUs, shared machine)"
    )
    idx("Byline full reindex", "byline_full")
    idx("naive Whoosh", "naive_full")
    idx("SQLite FTS5", "fts5_full")
    if "byline_incremental" in r:
        s = r["byline_incremental"]["seconds"]
        print(
            f"{'incremental (1%)':<22} {s['median']:7.2f}s (min {s['min']:.2f}, max {s['max']:.2f})"
        )
    q = r["query"]
    for key, name in (
        ("byline_paragraph_unwarmed", "Byline, not warmed"),
        ("byline_paragraph", "Byline + snippets"),
        ("byline_per_article", "Byline per_article=1"),
        ("byline_repeat", "Byline repeated query"),
        ("naive_top10", "naive Whoosh top-10"),
        ("naive_snippets", "naive + highlights"),
        ("fts5_top10", "FTS5 top-10"),
        ("fts5_snippets", "FTS5 + snippet()"),
    ):
        if key in q:
            p = q[key]
            print(
                f"{name:<22} p50 {p['p50']:7.2f}  p95 {p['p95']:7.2f}  p99 {p['p99']:7.2f} ms"
                f"  (n={p['n']})"
            )
    if "warm_seconds" in q:
        print(
            f"{'warm-up':<22} {q['warm_terms']} terms, {q['warm_cache_mb']:.0f} MB, "
            f"{q['warm_seconds']:.2f}s"
        )
    if "cold_start" in r:
        s = r["cold_start"]["seconds"]
        print(
            f"{'cold start search':<22} {s['median']:.3f}s median (min {s['min']:.3f}); "
            f"python itself {r['cold_start']['python_startup']['median']:.3f}s"
        )
    w = r.get("web")
    if w and "skipped" not in w:
        print(
            f"{'web /search':<22} {w['requests_per_s']:.0f} req/s, p50 {w['latency_p50_ms']:.1f} "
            f"p95 {w['latency_p95_ms']:.1f} ms, {w['errors']} errors, server RSS "
            f"{w['server_peak_rss_mb']:.0f} MB"
        )
    elif w:
        print(f"{'web /search':<22} skipped: {w['skipped']}")
    print("ratios:", json.dumps({k: round(v, 2) for k, v in r["ratios"].items()}))


if __name__ == "__main__":
    main()
