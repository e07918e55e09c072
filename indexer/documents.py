"""Files on disk -> Articles: one reader per format, and a walk that never aborts.

Every file either becomes articles or is reported as a :class:`Skip` with the
reason; one bad file never stops a run. Article ids are stable across runs:
the path relative to the source folder, POSIX separators, no suffix.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from .models import Article, Skip

log = logging.getLogger("byline")

MAX_FILE_BYTES = 64 * 1024 * 1024
_SNIFF_BYTES = 8192
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Scan:
    """What a walk of the source folder found, filled in as the walk proceeds."""

    skipped: list[Skip] = field(default_factory=list)
    warnings: list[Skip] = field(default_factory=list)
    ignored: int = 0


# --- text decoding ---------------------------------------------------------


def decode(data: bytes, name: str, scan: Scan | None = None) -> str:
    """UTF-8, else cp1252, else latin-1 (which always succeeds), warning on fallback."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        message = f"not UTF-8, read as {encoding}"
        log.warning("%s: %s", name, message)
        if scan is not None:
            scan.warnings.append(Skip(name, message))
        return text
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def clean_text(text: str) -> str:
    """Drop control characters and normalise line endings; keep the text otherwise."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def looks_binary(data: bytes) -> bool:
    head = data[:_SNIFF_BYTES]
    return b"\x00" in head


# --- dates -----------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}


def parse_date(value: object) -> str | None:
    """Read a date leniently (ISO, 26-FEB-1987, January 6, 2022, 6 Jan 2022) as YYYY-MM-DD."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    m = re.match(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
        return _iso(y, mo, d)
    m = re.match(r"(\d{1,2})[-\s/]([A-Za-z]{3,9})\.?[-\s/,]+(\d{4})", text)
    if m:
        return _iso(int(m.group(3)), _MONTHS.get(m.group(2).lower(), 0), int(m.group(1)))
    m = re.match(r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", text)
    if m:
        return _iso(int(m.group(3)), _MONTHS.get(m.group(1).lower(), 0), int(m.group(2)))
    m = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        return _iso(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    return None


def _iso(y: int, mo: int, d: int) -> str | None:
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


# --- readers: (relative id, text) -> articles -------------------------------

Reader = Callable[[str, str], Iterator[Article]]


def _meta(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """A leading ``---`` block of ``key: value`` lines (a YAML subset) and the rest."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    meta: dict[str, str] = {}
    for line in text[4:end].splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    rest = text[end + 4 :]
    return meta, rest[rest.find("\n") + 1 :] if "\n" in rest else ""


def read_text_article(article_id: str, text: str) -> Iterator[Article]:
    """Seed format: optional front matter, first non-empty line the title, blank-line paragraphs."""
    meta, text = _front_matter(clean_text(text))
    lines = text.strip("\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return
    title = meta.get("title") or lines[0].strip().lstrip("# ").strip()
    body_lines = lines[1:] if not meta.get("title") else lines
    body = "\n".join(body_lines).strip("\n")
    if not title and not body.strip():
        return
    yield Article(
        id=article_id,
        title=title,
        body=body,
        date=parse_date(meta.get("date")),
        source=_meta(meta.get("source")),
        url=_meta(meta.get("url")),
        author=_meta(meta.get("author")),
    )


def _record_article(record: object, default_id: str) -> Article | None:
    if not isinstance(record, dict):
        return None
    body = record.get("body", record.get("text"))
    title = record.get("title")
    if body is None and title is None:
        return None
    rid = record.get("id")
    return Article(
        id=str(rid) if rid not in (None, "") else default_id,
        title=clean_text(str(title or "")).strip(),
        body=clean_text(str(body or "")),
        date=parse_date(record.get("date")),
        source=_meta(record.get("source")),
        url=_meta(record.get("url")),
        author=_meta(record.get("author")),
    )


def read_json_articles(article_id: str, text: str) -> Iterator[Article]:
    """A JSON object or a list of objects with title, body (or text) and metadata."""
    data = json.loads(text)
    records = data if isinstance(data, list) else [data]
    for n, record in enumerate(records, start=1):
        article = _record_article(record, f"{article_id}#{n}" if len(records) > 1 else article_id)
        if article is not None:
            yield article


def read_jsonl_articles(article_id: str, text: str) -> Iterator[Article]:
    """One JSON record per line; a bad line is logged and skipped, the rest still read."""
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            log.warning("%s line %d: not JSON (%s); line skipped", article_id, n, exc.msg)
            continue
        article = _record_article(record, f"{article_id}#{n}")
        if article is not None:
            yield article


_SGML_DOC = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_SGML_NEWID = re.compile(r'NEWID="(\d+)"')
_NUMERIC_REF = re.compile(r"&#(\d+);")
_REUTER_TRAILER = re.compile(r"\s+(reuter\^?m?)$", re.I)


def _sgml_field(doc: str, tag: str) -> str | None:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", doc, re.S)
    return m.group(1) if m else None


def _sgml_text(raw: str) -> str:
    def ref(m: re.Match[str]) -> str:
        code = int(m.group(1))
        return chr(code) if code >= 32 and code != 127 else ""

    return clean_text(html.unescape(_NUMERIC_REF.sub(ref, raw)))


def read_reuters_sgml(article_id: str, text: str) -> Iterator[Article]:
    """Reuters-21578 SGML: one article per <REUTERS>, paragraphs from indented lines."""
    for m in _SGML_DOC.finditer(text):
        attrs, doc = m.group(1), m.group(2)
        newid = _SGML_NEWID.search(attrs)
        title = _sgml_text(_sgml_field(doc, "TITLE") or "").strip()
        body = _sgml_field(doc, "BODY")
        if body is None:
            body = _sgml_field(doc, "TEXT") or ""
            body = re.sub(r"<[^>]+>", " ", body)
        body = _sgml_text(body).rstrip()
        # The wire trailer ("Reuter", "REUTER^M") ends the last line: give it a
        # paragraph of its own so it is classified as boilerplate.
        body = _REUTER_TRAILER.sub(r"\n\n\1", body)
        # A new paragraph starts on a line indented by spaces; other lines are wrapped.
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n(?=\s{2,}\S)|\n\s*\n", body)]
        if not title and not any(paragraphs):
            continue
        yield Article(
            id=f"{article_id}#{newid.group(1) if newid else m.start()}",
            title=title or paragraphs[0][:80],
            body="\n\n".join(p for p in paragraphs if p),
            date=parse_date(_sgml_field(doc, "DATE")),
            source="Reuters",
        )


READERS: dict[str, Reader] = {
    ".txt": read_text_article,
    ".md": read_text_article,
    ".json": read_json_articles,
    ".jsonl": read_jsonl_articles,
    ".sgm": read_reuters_sgml,
}


def content_hash(article: Article) -> str:
    """A digest of everything indexed about an article: unchanged hash, untouched paragraphs."""
    h = hashlib.blake2b(digest_size=16)
    for part in (article.id, article.title, article.body, article.date, article.source,
                 article.url, article.author, article.section, article.dateline,
                 ",".join(article.tags), ",".join(article.places), ",".join(article.topics)):
        h.update((part or "").encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def iter_files(root: Path, scan: Scan) -> Iterator[Path]:
    """Files under ``root`` in sorted order; links leaving ``root`` and loops are not followed."""
    root = root.resolve()
    seen: set[str] = set()

    def walk(folder: Path) -> Iterator[Path]:
        real = os.path.realpath(folder)
        if real in seen:
            scan.skipped.append(Skip(_rel(folder, root), "symlink loop: folder already visited"))
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            scan.skipped.append(Skip(_rel(folder, root), f"folder unreadable: {exc.strerror}"))
            return
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_symlink():
                    target = Path(os.path.realpath(path))
                    if target != root and root not in target.parents:
                        scan.skipped.append(Skip(_rel(path, root), "symlink leaves the source folder"))
                        continue
                if entry.is_dir():
                    yield from walk(path)
                elif entry.is_file():
                    yield path
            except OSError as exc:
                scan.skipped.append(Skip(_rel(path, root), f"unreadable: {exc.strerror}"))

    yield from walk(root)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_file(path: Path, root: Path, scan: Scan, max_bytes: int = MAX_FILE_BYTES) -> list[Article]:
    """All articles in one file, or [] with the reason recorded in ``scan``."""
    rel = _rel(path, root)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        scan.ignored += 1
        return []

    def skip(reason: str) -> list[Article]:
        log.warning("skipped %s: %s", rel, reason)
        scan.skipped.append(Skip(rel, reason))
        return []

    try:
        size = path.stat().st_size
        if size > max_bytes:
            return skip(
                f"too large ({size / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB, "
                "set BYLINE_MAX_FILE_MB to raise it)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        return skip("vanished while reading")
    except PermissionError:
        return skip("permission denied")
    except OSError as exc:
        return skip(f"unreadable: {exc.strerror or exc}")
    if not data.strip():
        return skip("empty file")
    if looks_binary(data):
        return skip("binary file (contains NUL bytes)")
    text = decode(data, rel, scan)
    article_id = rel[: -len(path.suffix)] if path.suffix else rel
    try:
        articles = list(reader(article_id, text))
    except (ValueError, RecursionError) as exc:
        return skip(f"cannot parse: {exc}")
    if not articles:
        return skip("no title or text found")
    return [replace(a, path=rel, content_hash=content_hash(a)) for a in articles]


def read_articles(source_dir: Path, scan: Scan, max_bytes: int = MAX_FILE_BYTES) -> Iterator[Article]:
    """Every article under ``source_dir`` in a deterministic order; problems go to ``scan``."""
    for path in iter_files(source_dir, scan):
        yield from read_file(path, source_dir.resolve(), scan, max_bytes)
