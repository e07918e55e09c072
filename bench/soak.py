#!/usr/bin/env python3
"""Soak test of the web server: mixed queries from concurrent clients on 127.0.0.1 only.

    python bench/soak.py [--minutes 10] [--clients 8] [--source DIR] [--json]

Builds an index of --source (default: ../shared/corpora/bbc if present, else
seeds/) in a temporary folder, serves it with `manage.py serve` (waitress) on
a free loopback port, and drives it for a bounded time and request count.
Every minute (or every --every seconds) it reports requests served, errors,
p95 latency and the server's RSS. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
MAX_REQUESTS = 2_000_000  # a hard cap on top of the time bound


@dataclass
class Window:
    """What the clients saw in one reporting window."""

    started: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    rss_mb: float = 0.0

    def summary(self) -> dict[str, float]:
        lat = sorted(self.latencies)
        p95 = lat[int(0.95 * (len(lat) - 1))] * 1000 if lat else 0.0
        return {
            "requests": len(lat) + self.errors,
            "errors": self.errors,
            "p50_ms": round(statistics.median(lat) * 1000, 2) if lat else 0.0,
            "p95_ms": round(p95, 2),
            "rss_mb": round(self.rss_mb, 1),
        }


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (no psutil needed)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        m = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(m.group(1)) if m else 0
    return total / 1024


def load(
    base_url: str,
    paths: Sequence[str],
    clients: int,
    seconds: float,
    every: float = 60.0,
    check: Callable[[int, bytes], bool] | None = None,
    server_pid: int | None = None,
    seed: int = 1,
    failures: list[str] | None = None,
    max_requests: int = MAX_REQUESTS,
    stop: threading.Event | None = None,
    every_requests: int | None = None,
) -> list[Window]:
    """Drive ``paths`` from ``clients`` keep-alive connections; bounded by time and count.

    ``stop`` ends the load early when set (a test stops it when the work it
    checks is done, instead of guessing how long that takes); ``every_requests``
    starts a new report window every that many requests rather than every
    ``every`` seconds, so the number of windows does not depend on the
    machine's speed.
    """
    parts = urlsplit(base_url)
    assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "load only targets loopback"
    start = time.monotonic()
    deadline = start + seconds
    windows = [Window(start)]
    lock = threading.Lock()
    sent = [0]

    def window() -> Window:
        now = time.monotonic()
        current = windows[-1]
        if every_requests is not None:
            full = len(current.latencies) + current.errors >= every_requests
        else:
            full = now - current.started >= every
        if full:
            if server_pid:
                windows[-1].rss_mb = rss_mb(server_pid)
            windows.append(Window(now))
        return windows[-1]

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            path = rng.choice(paths)
            t0 = time.perf_counter()
            ok = False
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                ok = response.status < 500 and (check is None or check(response.status, body))
                if response.status >= 500 and failures is not None:
                    failures.append(f"{response.status} {path}: {body[:300]!r}")
            except (OSError, http.client.HTTPException) as exc:
                if failures is not None:
                    failures.append(f"{type(exc).__name__} {path}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            elapsed = time.perf_counter() - t0
            with lock:
                w = window()
                if ok:
                    w.latencies.append(elapsed)
                else:
                    w.errors += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    if server_pid:
        windows[-1].rss_mb = rss_mb(server_pid)
    return windows


def query_paths(words: Sequence[str], n: int = 300, seed: int = 7) -> list[str]:
    """Mixed requests: 1-3 word queries, phrases, grouped and paged, JSON and HTML."""
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        q = " ".join(rng.sample(list(words), rng.choice((1, 1, 2, 3))))
        if i % 7 == 0:
            q = f'"{q}"'
        group = "article" if i % 2 else "paragraph"
        base = "/api/search" if i % 3 == 0 else "/search"
        paths.append(f"{base}?q={quote(q)}&group={group}&page={1 + i % 3}")
    return paths


def vocabulary(source: Path, limit: int = 400) -> list[str]:
    words: dict[str, int] = {}
    for path in sorted(source.rglob("*.txt"))[:300]:
        for w in re.findall(r"[a-z]{4,}", path.read_text("latin-1").lower()):
            words[w] = words.get(w, 0) + 1
    common = sorted(words, key=lambda w: -words[w])
    return common[20 : 20 + limit] or ["protesters", "fuel", "prices"]


def serve(source: Path, index: Path) -> tuple[subprocess.Popen[str], str]:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "reindex",
            "--source",
            str(source),
            "--index",
            str(index),
        ],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "serve",
            "--no-reindex",
            "--port",
            "0",
            "--host",
            "127.0.0.1",
            "--threads",
            "8",
            "--source",
            str(source),
            "--index",
            str(index),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    for line in server.stdout:
        m = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if m:
            # Keep draining the server's output (waitress logs queue depth under
            # load): a full pipe would block the server's event loop.
            threading.Thread(target=_drain, args=(server.stdout,), daemon=True).start()
            return server, m.group(1)
    raise RuntimeError("the server did not print its URL")


def _drain(stream: Any) -> None:
    try:
        for _ in stream:
            pass
    except (ValueError, OSError):  # closed when the server stops
        pass


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, help="overrides --minutes")
    parser.add_argument("--every", type=float, default=60.0, help="report window, seconds")
    parser.add_argument("--requests", type=int, help="stop after this many requests")
    parser.add_argument("--every-requests", type=int, help="report window, requests")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--source", type=Path)
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds else args.minutes * 60
    source = args.source or (CORPORA / "bbc" if (CORPORA / "bbc").is_dir() else ROOT / "seeds")
    with tempfile.TemporaryDirectory(prefix="byline-soak-") as tmp:
        server, url = serve(source, Path(tmp) / "index")
        try:
            windows = load(
                url,
                query_paths(vocabulary(source)),
                args.clients,
                seconds,
                every=args.every,
                server_pid=server.pid,
                max_requests=args.requests or MAX_REQUESTS,
                every_requests=args.every_requests,
            )
        finally:
            server.terminate()
            server.wait(10)
            if server.stdout:
                server.stdout.close()
    rows = [w.summary() for w in windows if w.latencies or w.errors]
    result = {
        "source": str(source),
        "seconds": seconds,
        "clients": args.clients,
        "requests": sum(r["requests"] for r in rows),
        "errors": sum(r["errors"] for r in rows),
        "windows": rows,
    }
    if not args.json:
        print(
            f"{'window':>6} {'requests':>9} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'RSS MB':>8}"
        )
        for n, r in enumerate(rows, 1):
            print(
                f"{n:>6} {r['requests']:>9} {r['errors']:>6} {r['p50_ms']:>8} {r['p95_ms']:>8} "
                f"{r['rss_mb']:>8}"
            )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
