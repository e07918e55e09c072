#!/usr/bin/env python3
"""How well Byline's HTML reader extracts real pages, beside plain trafilatura, in one run.

    python bench/extraction.py [--corpus DIR | --aeb DIR] [--baseline REF] [--repeat N] [--rounds N]
                               [--json]

Reads Mozilla Readability's test pages (``../shared/corpora/readability``; each
folder holds ``source.html``, ``expected.html`` and ``expected-metadata.json``)
with:

* ``byline``: Byline's reader as the reindex runs it (``formats.read_file``, then
  ``split_paragraphs``); precision is that of its searchable paragraphs (all but
  the headline and boilerplate, captions included), recall that of all it keeps
  and shows, boilerplate too: the issue's two measures, strings leaking into
  searchable paragraphs and strings found. (A page whose only text became its
  headline is scored on it.) A row gives both without its captions, which
  trafilatura deletes;
* ``trafilatura``: plain ``trafilatura.extract`` on the same bytes, default
  options, with its metadata (``output_format="json", with_metadata=True``);
* ``readability``: readability-lxml's ``Document.summary()``, if it is installed;
* ``byline@REF`` with ``--baseline REF``: the ``indexer`` package of a git
  revision (extracted to a temp folder), so before and after share one run.

``--aeb DIR`` reads a checkout of scrapinghub/article-extraction-benchmark
instead (181 news pages fetched in 2019, with hand-made ``articleBody`` ground
truth and no metadata), converted to the same layout in the temp folder.

Every extractor runs in its own child process, one after the other (never two
at once), warmed up on one page first, so imports are not timed; ``--rounds``
runs them in turn again and keeps each page's best time, so a busy machine
slows all of them alike. Body text is
scored with 4-word shingles against ``expected.html``'s text: precision (how
much of the output is story) and recall (how much of the story is in the
output), averaged over pages. Text on both sides is normalised the same way
(NFKC, case folded, soft hyphens dropped, CJK characters one token each), so
the score measures extraction, not normalisation. Title, byline and date are
compared with ``expected-metadata.json`` (title: the same headline with or
without a site name, since Readability keeps "... | eHow" and Byline strips it;
date: the day of ``publishedTime``).

Prints a Markdown table and the worst ten pages with why; the last line is one
JSON object with every figure. Nothing is written outside a temp folder.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CORPORA = ROOT.parent / "shared" / "corpora"
SHINGLE = 4

# --- what each extractor returns, in the worker -------------------------------------------


def _byline(tree: Path | None) -> Callable[[Path], dict[str, Any]]:
    if tree is not None:
        sys.path.insert(0, str(tree))
    else:
        sys.path.insert(0, str(ROOT))
    from indexer.formats import Scan, read_file
    from indexer.paragraphs import split_paragraphs

    def run(path: Path) -> dict[str, Any]:
        scan = Scan()
        articles = read_file(path, path.parent.parent, scan)
        out: dict[str, Any] = {
            "warnings": [w.reason for w in scan.warnings],
            "skipped": [s.reason for s in scan.skipped],
        }
        if not articles:
            return out | {"ok": False, "body": "", "title": None, "author": None, "date": None}
        [a] = articles
        paragraphs = split_paragraphs(a)
        rest = paragraphs[1:] or paragraphs[:1]  # a page whose only text became its headline

        def text(skip: tuple[str, ...]) -> str:
            return "\n\n".join(p.text for p in rest if p.kind not in skip)

        return out | {
            "ok": True,
            "body": text(("boilerplate",)),
            "kept": text(()),
            "story_body": text(("boilerplate", "caption")),
            "story_kept": text(("caption",)),
            "captions": [p.text for p in paragraphs if p.kind == "caption"],
            "headline": paragraphs[0].text,
            "title": a.title,
            "author": a.author,
            "date": a.date,
            "kinds": Counter(p.kind for p in paragraphs[1:]),
        }

    return run


def _trafilatura() -> Callable[[Path], dict[str, Any]]:
    import trafilatura

    def run(path: Path) -> dict[str, Any]:
        raw = trafilatura.extract(path.read_bytes(), output_format="json", with_metadata=True)
        if raw is None:
            return {"ok": False, "body": "", "title": None, "author": None, "date": None}
        doc = json.loads(raw)
        return {
            "ok": True,
            "body": doc.get("text") or "",
            "title": doc.get("title"),
            "author": doc.get("author"),
            "date": doc.get("date"),
        }

    return run


def _readability() -> Callable[[Path], dict[str, Any]]:
    from lxml import html as lxml_html
    from readability import Document

    def run(path: Path) -> dict[str, Any]:
        doc = Document(path.read_bytes())
        body = lxml_html.fromstring(doc.summary())
        return {
            "ok": True,
            "body": block_text(body),
            "title": doc.short_title(),
            "author": None,
            "date": None,
        }

    return run


def worker(name: str, corpus: Path, tree: Path | None, repeat: int) -> None:
    """Run one extractor over every page; print one JSON line per page."""
    import logging

    logging.disable(logging.CRITICAL)  # trafilatura and the reindex log per page
    if name == "trafilatura":
        run = _trafilatura()
    elif name == "readability":
        run = _readability()
    else:
        run = _byline(tree)
    pages = sorted(p for p in corpus.iterdir() if (p / "source.html").is_file())
    if pages:
        run(pages[0] / "source.html")  # warm-up: imports and lazy tables are not timed
    for page in pages:
        best = float("inf")
        result: dict[str, Any] = {}
        for _ in range(repeat):
            t0 = time.perf_counter()
            try:
                result = run(page / "source.html")
            except Exception as exc:  # an extractor crashing on a page is a result
                result = {"ok": False, "body": "", "error": f"{type(exc).__name__}: {exc}"}
            best = min(best, time.perf_counter() - t0)
        result = {k: (dict(v) if isinstance(v, Counter) else v) for k, v in result.items()}
        print(json.dumps({"page": page.name, "ms": best * 1000, **result}), flush=True)


# --- scoring --------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "tr",
    "td",
    "th",
    "table",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "section",
    "article",
    "header",
    "footer",
    "dd",
    "dt",
    "dl",
    "hr",
    "img",
}
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\w+")
_MOJIBAKE = re.compile(
    r"Ã[\u0080-\u00bf]|â€|Â[\u00a0-\u00bf]|\ufffd|Ä[\u0080-\u00bf]|Å[\u0080-\u00bf]"
)


def block_text(el: Any) -> str:
    """An element's text with a line break at every block boundary (no words glued together)."""
    parts: list[str] = []

    def visit(node: Any) -> None:
        block = isinstance(node.tag, str) and node.tag.lower() in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if isinstance(node.tag, str) and node.tag.lower() in ("script", "style"):
            pass
        elif node.text:
            parts.append(node.text)
        for child in node:
            visit(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    visit(el)
    return "".join(parts)


def expected_text(folder: Path) -> str:
    from lxml import html as lxml_html

    data = (folder / "expected.html").read_bytes()
    if not data.strip():
        return ""
    return block_text(lxml_html.fromstring(data.decode("utf-8")))


def tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text.replace("\u00ad", "")).casefold()
    return _TOKEN.findall(text)


def shingles(words: list[str]) -> Counter[tuple[str, ...]]:
    if len(words) < SHINGLE:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def overlap(out: str, expected: str) -> tuple[float | None, float | None]:
    """Shingle precision and recall of ``out`` against ``expected`` (None: nothing to divide by)."""
    got, want = shingles(tokens(out)), shingles(tokens(expected))
    common = sum((got & want).values())
    precision = common / sum(got.values()) if got else None
    recall = common / sum(want.values()) if want else None
    return precision, recall


def first_run(text: str, against: str) -> str:
    """The first stretch of ``text`` (8 words, fewer in a short text) that ``against`` lacks."""
    words = tokens(text)
    min_words = min(8, max(2, len(words) // 3))
    other = set(shingles(tokens(against)))
    covered = [False] * len(words)
    for i in range(len(words) - SHINGLE + 1):
        if tuple(words[i : i + SHINGLE]) in other:
            covered[i : i + SHINGLE] = [True] * SHINGLE
    start = None
    for i, seen in enumerate([*covered, True]):
        if not seen and start is None:
            start = i
        elif seen and start is not None:
            if i - start >= min_words:
                run = words[start:i]
                return " ".join(run[:14]) + (" ..." if len(run) > 14 else "")
            start = None
    return ""


def norm_title(text: object) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(text or "")).casefold().split())


_TITLE_PART = re.compile(r"\s*(?:[|\-–—·•»:_]{1,2}|\[)\s*")


def title_agrees(got: object, want: object) -> bool:
    """The same headline, whether or not one of them carries a site name ("... - IGN")."""
    g, w = norm_title(got), norm_title(want)
    if g == w:
        return True
    if not g or not w:
        return False
    short, long = sorted((g, w), key=len)
    if long.startswith(short):
        return bool(_TITLE_PART.match(long[len(short) :]))
    if long.endswith(short):
        rest = long[: len(long) - len(short)]
        return bool(re.search(r"(?:[|\-–—·•»:_]{1,2})\s*$", rest))
    return False


def author_agrees(got: object, want: object) -> bool:
    """Same people, ignoring "By", punctuation and order; both empty also agrees."""
    g = {t for t in tokens(str(got or "")) if t != "by"}
    w = {t for t in tokens(str(want or "")) if t != "by"}
    if not g and not w:
        return True
    return bool(g and w and (g <= w or w <= g))


def date_of(value: object) -> str | None:
    m = re.match(r"\d{4}-\d{2}-\d{2}", str(value or ""))
    return m.group(0) if m else None


def score(results: dict[str, dict[str, Any]], truth: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per-page figures and their averages for one extractor."""
    pages: dict[str, dict[str, Any]] = {}
    for name, t in truth.items():
        r = results.get(name, {"ok": False, "body": ""})
        precision, recall = overlap(r.get("body") or "", t["text"])
        if "kept" in r:  # recall counts what Byline keeps and shows, boilerplate too
            recall = overlap(r["kept"], t["text"])[1]
        # Text a search finds: Byline's headline is searchable too, and holds
        # the title a page repeats above its story (which trafilatura keeps in its text).
        searchable = "\n\n".join(x for x in (r.get("headline"), r.get("kept")) if x)
        recall_all = overlap(searchable, t["text"])[1]
        # The same without Byline's captions (trafilatura deletes figures).
        precision_s = overlap(r.get("story_body", r.get("body")) or "", t["text"])[0]
        recall_s = overlap(r.get("story_kept", r.get("body")) or "", t["text"])[1]
        captions = r.get("captions") or []
        in_expected = sum(
            1 for c in captions if (overlap(c.removeprefix("Photo: "), t["text"])[0] or 0) > 0.5
        )
        want_date = date_of(t["meta"].get("publishedTime"))
        got_date = date_of(r.get("date"))
        pages[name] = {
            "ok": bool(r.get("ok")),
            "precision": precision,
            "recall": recall,
            "recall_all": max(recall or 0.0, recall_all or 0.0) if recall is not None else None,
            "precision_s": precision_s,
            "recall_s": recall_s,
            "captions": len(captions),
            "captions_in_expected": in_expected,
            "title": title_agrees(r.get("title"), t["meta"].get("title")),
            "title_exact": norm_title(r.get("title")) == norm_title(t["meta"].get("title")),
            "author": author_agrees(r.get("author"), t["meta"].get("byline")),
            "date": got_date == want_date,
            "date_wrong": got_date is not None and want_date is not None and got_date != want_date,
            "date_invented": got_date is not None and want_date is None,
            "mojibake": bool(_MOJIBAKE.search((r.get("body") or "") + (r.get("title") or "")))
            and not _MOJIBAKE.search(t["text"]),
            "ms": r.get("ms", 0.0),
            "warnings": r.get("warnings", []),
            "kinds": r.get("kinds", {}),
            "body": r.get("body") or "",
            "error": r.get("error") or "; ".join(r.get("skipped") or []),
        }
    scored = [p for p in pages.values() if p["recall"] is not None]

    def mean(key: str, rows: list[dict[str, Any]]) -> float:
        values = [(p[key] or 0.0) for p in rows]
        return statistics.fmean(values) if values else 0.0

    ms = [p["ms"] for p in pages.values()]
    return {
        "pages": pages,
        "precision": mean("precision", scored),
        "recall": mean("recall", scored),
        "precision_s": mean("precision_s", scored),
        "recall_s": mean("recall_s", scored),
        "captions": sum(p["captions"] for p in pages.values()),
        "captions_in_expected": sum(p["captions_in_expected"] for p in pages.values()),
        "f1": statistics.fmean(f1(p) for p in scored) if scored else 0.0,
        "lost": sum(1 for p in scored if not p["recall_all"]),
        "title": sum(p["title"] for p in pages.values()),
        "title_exact": sum(p["title_exact"] for p in pages.values()),
        "author": sum(p["author"] for p in pages.values()),
        "date": sum(p["date"] for p in pages.values()),
        "date_wrong": sum(p["date_wrong"] for p in pages.values()),
        "date_invented": sum(p["date_invented"] for p in pages.values()),
        "mojibake": sum(p["mojibake"] for p in pages.values()),
        "ms_median": statistics.median(ms) if ms else 0.0,
        "ms_mean": statistics.fmean(ms) if ms else 0.0,
        "n": len(pages),
        "scored": len(scored),
    }


def f1(page: dict[str, Any]) -> float:
    p, r = page["precision"] or 0.0, page["recall"] or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


# --- the run -----------------------------------------------------------------------------------


def run_worker(name: str, corpus: Path, tree: Path | None, repeat: int) -> Iterator[dict[str, Any]]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--corpus", str(corpus)]
    cmd += ["--repeat", str(repeat)]
    if tree is not None:
        cmd += ["--tree", str(tree)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{name} worker failed:\n{proc.stderr[-3000:]}")
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            yield json.loads(line)


def export_tree(ref: str, dst: Path) -> Path:
    """The ``indexer`` package as it was at git revision ``ref``, under ``dst``."""
    archive = dst / "tree.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref, "indexer"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dst / "tree", filter="data")
    return dst / "tree"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPORA / "readability")
    ap.add_argument(
        "--aeb",
        type=Path,
        metavar="DIR",
        help="instead, a checkout of scrapinghub/article-extraction-benchmark (181 real pages)",
    )
    ap.add_argument("--baseline", metavar="REF", help="also run the reader of this git revision")
    ap.add_argument("--repeat", type=int, default=1, help="time each page N times, keep the best")
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the extractors N times in turn, keep each page's best time (evens out load)",
    )
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.corpus, args.tree, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="byline-extraction-") as tmp:
        if args.aeb:
            args.corpus = aeb_corpus(args.aeb, Path(tmp) / "aeb")
        if not args.corpus.is_dir():
            raise SystemExit(f"{args.corpus} is absent: this needs ../shared/corpora/readability")
        run(args, Path(tmp))


def aeb_corpus(repo: Path, dst: Path) -> Path:
    """The article-extraction-benchmark's pages in this benchmark's layout, under ``dst``.

    Its ``html/<id>.html.gz`` are the pages as fetched; ``ground-truth.json`` holds
    each one's ``articleBody`` (paragraphs on lines), which becomes ``expected.html``.
    """
    truth = json.loads((repo / "ground-truth.json").read_text("utf-8"))
    for key, record in truth.items():
        page = repo / "html" / f"{key}.html.gz"
        if not page.is_file():
            continue
        folder = dst / key[:12]
        folder.mkdir(parents=True)
        (folder / "source.html").write_bytes(gzip.decompress(page.read_bytes()))
        lines = [line for line in (record.get("articleBody") or "").split("\n") if line.strip()]
        body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
        (folder / "expected.html").write_text(f"<div>{body}</div>", "utf-8")
        (folder / "expected-metadata.json").write_text("{}", "utf-8")
    return dst


def run(args: argparse.Namespace, tmp: Path) -> None:
    """Every extractor over every page (in child processes), scored and reported."""
    truth: dict[str, dict[str, Any]] = {}
    for folder in sorted(p for p in args.corpus.iterdir() if (p / "source.html").is_file()):
        meta_path = folder / "expected-metadata.json"
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.is_file() else {}
        truth[folder.name] = {"text": expected_text(folder), "meta": meta}

    extractors: list[tuple[str, str, Path | None]] = [("byline", "byline", None)]
    try:
        import readability  # noqa: F401

        have_readability = True
    except ImportError:
        have_readability = False
    if args.baseline:
        tree = export_tree(args.baseline, tmp)
        extractors.append((f"byline@{args.baseline}", "byline", tree))
    extractors.append(("trafilatura", "trafilatura", None))
    if have_readability:
        extractors.append(("readability-lxml", "readability", None))
    results: dict[str, dict[str, dict[str, Any]]] = {label: {} for label, _, _ in extractors}
    for round_no in range(args.rounds):
        for label, name, tree_path in extractors:
            if not args.json:
                print(f"running {label} (round {round_no + 1})", file=sys.stderr, flush=True)
            for r in run_worker(name, args.corpus, tree_path, args.repeat):
                best = results[label].get(r["page"], {}).get("ms", float("inf"))
                results[label][r["page"]] = r | {"ms": min(best, r["ms"])}
    scores = {label: score(results[label], truth) for label in results}

    report(scores, truth, args)


def report(
    scores: dict[str, dict[str, Any]], truth: dict[str, dict[str, Any]], args: argparse.Namespace
) -> None:
    labels = list(scores)
    ref = scores["trafilatura"]["pages"]
    for s in scores.values():
        worse = better = 0
        behind = []
        for name, page in s["pages"].items():
            if page["recall"] is None:
                continue
            delta = f1(page) - f1(ref[name])
            worse += delta < -0.02
            better += delta > 0.02
            if (ref[name]["recall"] or 0) > 0 and page["recall_all"] < 0.9 * ref[name]["recall"]:
                behind.append(name)
        s["worse"], s["better"], s["behind"] = worse, better, behind
    n = scores["byline"]["n"]
    summary = {label: {k: v for k, v in s.items() if k != "pages"} for label, s in scores.items()}
    summary["pages"] = {
        name: {
            label: {"P": s["pages"][name]["precision"], "R": s["pages"][name]["recall"]}
            for label, s in scores.items()
        }
        for name in truth
    }
    if not args.json:
        rows = [
            ("precision: searchable text (4-word shingles)", lambda s: f"{s['precision']:.2%}"),
            ("recall: all text kept", lambda s: f"{s['recall']:.2%}"),
            ("F1 (mean of pages)", lambda s: f"{s['f1']:.1%}"),
            (
                "precision / recall without Byline's captions",
                lambda s: f"{s['precision_s']:.1%} / {s['recall_s']:.1%}" if s["captions"] else "",
            ),
            (
                "captions (of them in the expected text)",
                lambda s: f"{s['captions']} ({s['captions_in_expected']})" if s["captions"] else "",
            ),
            ("pages lost (no story text)", lambda s: str(s["lost"])),
            (
                "pages losing >10% of trafilatura's recall (headline counted)",
                lambda s: (
                    str(len(s["behind"])) + (f" ({', '.join(s['behind'])})" if s["behind"] else "")
                ),
            ),
            (
                "pages worse / better than trafilatura (F1 ±0.02)",
                lambda s: f"{s['worse']} / {s['better']}",
            ),
            ("title agrees (a site name aside)", lambda s: f"{s['title']}/{n}"),
            ("title identical", lambda s: f"{s['title_exact']}/{n}"),
            ("byline agrees", lambda s: f"{s['author']}/{n}"),
            ("date agrees (day)", lambda s: f"{s['date']}/{n}"),
            (
                "date wrong / given where none",
                lambda s: f"{s['date_wrong']} / {s['date_invented']}",
            ),
            ("pages with mojibake", lambda s: str(s["mojibake"])),
            ("ms per page (median / mean)", lambda s: f"{s['ms_median']:.1f} / {s['ms_mean']:.1f}"),
        ]
        print(
            f"{n} pages of {args.corpus.name} ({scores['byline']['scored']} with expected text)\n"
        )
        print("| measure | " + " | ".join(labels) + " |")
        print("|---|" + "---|" * len(labels))
        for title, cell in rows:
            print(f"| {title} | " + " | ".join(cell(scores[label]) for label in labels) + " |")
        byline = scores["byline"]["pages"]
        print("\nWorst ten pages for byline (F1 against trafilatura's):")
        order = sorted(
            (name for name, p in byline.items() if p["recall"] is not None),
            key=lambda name: (f1(byline[name]) - f1(ref[name]), f1(byline[name])),
        )
        for name in order[:10]:
            page, other = byline[name], ref[name]
            why = []
            body, want = page["body"], truth[name]["text"]
            if page["error"]:
                why.append(page["error"])
            if (page["recall"] or 0) < 0.9:
                missing = first_run(want, body)
                if missing:
                    why.append(f"misses “{missing}”")
            if (page["precision"] or 0) < 0.9:
                extra = first_run(body, want)
                if extra:
                    why.append(f"adds “{extra}”")
            print(
                f"- {name}: P {page['precision'] or 0:.0%} R {page['recall'] or 0:.0%}"
                f" (trafilatura P {other['precision'] or 0:.0%} R {other['recall'] or 0:.0%})"
                + (": " + "; ".join(why) if why else "")
            )
        warned = {k: v["warnings"] for k, v in byline.items() if v["warnings"]}
        if warned:
            print("\nWarnings from byline's reader:")
            for name, w in warned.items():
                print(f"- {name}: {'; '.join(w)}")
    print(json.dumps(summary, default=str))


if __name__ == "__main__":
    main()
