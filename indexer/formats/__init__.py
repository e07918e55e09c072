"""Files on disk -> Articles: format readers registered by suffix, and a walk that never aborts.

Every file either becomes articles or is reported as a :class:`~indexer.models.Skip`
with the reason; one bad file never stops a run. Article ids are stable across
runs: the path relative to the source folder, POSIX separators, no suffix.

A new format is one module with a ``read(source) -> Iterator[Article]``
function and one line in :data:`FORMATS`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import DocumentError
from ..models import Article, Skip
from . import html, records, reuters, text
from .common import Reader, Scan, Source, content_hash, looks_binary

log = logging.getLogger("byline")

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Format:
    """One document format: its name, the suffixes it claims, its reader and a line of help."""

    name: str
    suffixes: tuple[str, ...]
    read: Reader
    help: str


#: Every format Byline reads, in the order the docs list them.
FORMATS: tuple[Format, ...] = (
    Format(
        "text",
        (".txt", ".md"),
        text.read,
        "first line the title, blank-line paragraphs, optional --- front matter",
    ),
    Format(
        "html",
        (".html", ".htm"),
        html.read,
        "a saved news page: headline, date, byline, outlet and body; page furniture dropped",
    ),
    Format(
        "json",
        (".json",),
        records.read_json,
        "a record (or a list of records) with title, body or text, and metadata",
    ),
    Format("jsonl", (".jsonl",), records.read_jsonl, "one JSON record per line"),
    Format("reuters", (".sgm",), reuters.read, "Reuters-21578 SGML wire files"),
)
BY_SUFFIX: dict[str, Format] = {suffix: f for f in FORMATS for suffix in f.suffixes}


def format_for(path: Path) -> Format | None:
    """The format that reads ``path``, by its suffix (case-insensitive), or None."""
    return BY_SUFFIX.get(path.suffix.lower())


def walk(root: Path, scan: Scan) -> Iterator[Path]:
    """Files under ``root`` in sorted order; links leaving ``root`` and loops are not followed."""
    root = root.resolve()
    seen: set[str] = set()

    def visit(folder: Path) -> Iterator[Path]:
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
                        scan.skipped.append(
                            Skip(_rel(path, root), "symlink leaves the source folder")
                        )
                        continue
                if entry.is_dir():
                    yield from visit(path)
                elif entry.is_file():
                    yield path
            except OSError as exc:
                scan.skipped.append(Skip(_rel(path, root), f"unreadable: {exc.strerror}"))

    yield from visit(root)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_file(path: Path, root: Path, scan: Scan, max_bytes: int = MAX_FILE_BYTES) -> list[Article]:
    """All articles in one file, or [] with the reason recorded in ``scan``."""
    rel = _rel(path, root)
    fmt = format_for(path)
    if fmt is None:
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

    def warn(message: str) -> None:
        log.warning("%s: %s", rel, message)
        scan.warnings.append(Skip(rel, message))

    article_id = rel[: -len(path.suffix)] if path.suffix else rel
    try:
        articles = list(fmt.read(Source(article_id, data, warn, scan.known)))
    except DocumentError as exc:
        return skip(str(exc))
    except (ValueError, RecursionError) as exc:  # a reader's parser gave up on this file
        return skip(f"cannot parse: {exc}")
    if not articles:
        return skip("no title or text found")
    known = scan.known
    return [
        a  # unchanged since the last run (often a stub): only its id and hash are needed
        if a.content_hash and known.get(a.id) == a.content_hash
        else replace(a, path=rel, content_hash=a.content_hash or content_hash(a))
        for a in articles
    ]


__all__ = [
    "BY_SUFFIX",
    "FORMATS",
    "Format",
    "Reader",
    "Scan",
    "Source",
    "content_hash",
    "format_for",
    "read_file",
    "walk",
]
