"""What every format reader shares: the file handed to it, decoding, dates and metadata values.

A reader is a function ``read(source: Source) -> Iterator[Article]``. It raises
:class:`~indexer.errors.DocumentError` for a file it cannot parse (the walk
records it as a skip and goes on) and calls ``source.warn`` for a problem that
does not stop the article (an unreadable date, a guessed encoding).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from ..models import Article, Skip

log = logging.getLogger("byline")

_SNIFF_BYTES = 8192
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: How a reader reports a problem that does not stop the article.
Warn = Callable[[str], None]


def _log_warning(message: str) -> None:
    log.warning("%s", message)


@dataclass
class Scan:
    """What a walk of the source folder found, filled in as the walk proceeds."""

    skipped: list[Skip] = field(default_factory=list)
    warnings: list[Skip] = field(default_factory=list)
    ignored: int = 0
    #: article id -> content hash the index already holds. A reader that can
    #: fingerprint a record before parsing it (Reuters SGML) yields a matching
    #: record as a stub (id and hash only): an incremental run needs no more.
    known: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """One file as a reader sees it: its bytes, the article id it maps to, where to warn."""

    id: str
    data: bytes
    warn: Warn = _log_warning
    known: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The file decoded (UTF-8, else cp1252, else latin-1; a fallback is warned about)."""
        return decode(self.data, self.warn)


# --- decoding ------------------------------------------------------------------


def decode(data: bytes, warn: Warn | None = None) -> str:
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
        if warn is not None:
            warn(f"not UTF-8, read as {encoding}")
        return text
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def clean_text(text: str) -> str:
    """Drop control characters and normalise line endings; keep the text otherwise."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:_SNIFF_BYTES]


# --- dates -----------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.I)


def parse_date(value: object) -> str | None:
    """Read a date leniently (ISO, 26-FEB-1987, January 6, 2022, 6 Jan 2022) as YYYY-MM-DD."""
    if value is None:
        return None
    text = _WEEKDAY.sub("", str(value).strip())
    if not text:
        return None
    m = re.match(r"(\d{4})([-/.])(\d{1,2})(?:\2(\d{1,2}))?(?!\d)", text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(3)), int(m.group(4) or 1)
        return _iso(y, mo, d)
    m = re.match(r"(\d{4})(\d{2})(\d{2})(?:T|$)", text)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.match(r"(\d{1,2})(?:st|nd|rd|th)?[-\s/]([A-Za-z]{3,9})\.?[-\s/,]+(\d{4})", text)
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


def date_value(value: object, article_id: str, warn: Warn) -> str | None:
    """An ISO date, or None; a date that is present but unreadable is reported."""
    iso = parse_date(value)
    if iso is None and value not in (None, "") and str(value).strip():
        raw = " ".join(str(value).split())
        raw = raw if len(raw) <= 60 else raw[:57] + "..."
        warn(f"unparseable date '{raw}' in {article_id}; indexed without a date")
    return iso


# --- metadata values ----------------------------------------------------------------


def meta_text(value: object) -> str | None:
    """One metadata value as a single line of text (lists joined), or None when empty."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value if v not in (None, ""))
    text = " ".join(str(value).split())
    return text or None


def meta_list(value: object) -> tuple[str, ...]:
    """Tags and the like: a list, or a string of comma (or semicolon) separated items."""
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,;]", str(value))
    out: list[str] = []
    for item in items:
        if isinstance(item, (dict, list, tuple)):
            continue
        text = " ".join(str(item).split()).strip("\"'")
        if text and text not in out:
            out.append(text)
    return tuple(out)


def section_from_path(article_id: str) -> str | None:
    """The BBC layout: ``business/001`` and ``bbc/business/001`` are in section ``business``.

    The nearest enclosing folder whose name has no digits names the section,
    so date folders are skipped (``business/2005/q1/001`` -> ``business``) and
    a corpus copied into a larger archive keeps its sections.
    """
    folders = article_id.split("/")[:-1]
    for name in reversed(folders):
        if name and not any(ch.isdigit() for ch in name):
            return name
    return None


def content_hash(article: Article) -> str:
    """A digest of everything indexed about an article: unchanged hash, untouched paragraphs.

    Built from :meth:`Article.meta`, so a metadata field added to the model is
    part of the hash without anyone remembering to add it here.
    """
    h = hashlib.blake2b(digest_size=16)
    meta = article.meta()
    meta.pop("path", None)  # moving a file does not change what is indexed
    meta.pop("hash", None)
    for part in (article.id, article.body, *(_flat(meta[k]) for k in sorted(meta))):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def _flat(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


#: What every format module provides: one file in, its articles out.
Reader = Callable[[Source], Iterator[Article]]
