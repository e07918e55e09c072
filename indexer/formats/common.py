"""What every format reader shares: the file handed to it, decoding, dates and metadata values.

A reader is a function ``read(source: Source) -> Iterator[Article]``. It raises
:class:`~indexer.errors.DocumentError` for a file it cannot parse (the walk
records it as a skip and goes on) and calls ``source.warn`` for a problem that
does not stop the article (an unreadable date, a guessed encoding).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from ..models import Article, Skip
from ..text import clean_text

log = logging.getLogger("byline")

_SNIFF_BYTES = 8192

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

    def text(self, declared: str | None = None) -> str:
        """The file decoded: a BOM, else ``declared`` (the charset it names), else UTF-8 or a guess.

        See :func:`decode`; a guess or a declaration that did not fit is warned about.
        """
        return decode(self.data, self.warn, declared=declared)


# --- decoding ------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
#: Charset labels as browsers read them (the WHATWG Encoding standard): a page
#: that says ISO-8859-1 or gb2312 is really windows-1252 or GBK, and a page that
#: is ASCII-compatible enough to declare UTF-16 in a <meta> is not UTF-16.
_LABELS = {
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "big5": "big5hkscs",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "utf-32": "utf-8",
    "unicode": "utf-8",
}
#: Labels never honoured: UTF-7 smuggles markup past filters, x-user-defined is not text.
_REFUSED = {"utf-7", "utf7", "x-user-defined"}
#: UTF-8 sequences that are well formed (used to tell UTF-8 with a few stray
#: bytes from a legacy file that happens to contain a few UTF-8-looking pairs).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_HIGH_BYTES = bytes(range(0x80, 0x100))


def _stray_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as windows-1252 (else latin-1)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    stray = exc.object[exc.start : exc.end]
    return stray.decode("cp1252", "byline-latin1"), exc.end


def _undefined_as_latin1(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the five bytes windows-1252 leaves undefined are read as latin-1."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("byline-cp1252", _stray_as_cp1252)
codecs.register_error("byline-latin1", _undefined_as_latin1)


def codec_for(label: str) -> str | None:
    """The Python codec a declared charset label means, or None for one we cannot honour."""
    name = label.strip().strip("\"'").lower()
    if not name or name in _REFUSED:
        return None
    name = _LABELS.get(name, name)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None  # base64, rot13, ...: codecs, but not character encodings
    return info.name


def decode(data: bytes, warn: Warn | None = None, *, declared: str | None = None) -> str:
    """Bytes to text: a BOM, else the ``declared`` charset, else UTF-8, else windows-1252.

    Every case but a BOM, a fitting declaration or clean UTF-8 is reported
    through ``warn`` (it reaches ``reindex --json`` and ``stats``):

    * a BOM names the encoding (UTF-8, UTF-16, UTF-32) whatever else the file says;
    * valid UTF-8 wins over a declared legacy charset: a page re-saved as UTF-8
      often keeps its old ``<meta charset=gb2312>``, and text in a legacy
      charset is practically never valid UTF-8 by accident;
    * a declared charset the bytes do not fit is still used, with the few
      misfits replaced (U+FFFD); a UTF-8 declaration that does not fit, or no
      declaration, reads stray bytes as windows-1252 (a cp1252 word pasted into
      a UTF-8 page), or the whole file as windows-1252 when it is not UTF-8 at all.
    """
    say = warn if warn is not None else _log_warning
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                say(f"starts with a {encoding} BOM but is not {encoding}; misfits replaced")
                return data[len(bom) :].decode(encoding, "replace")
    codec = codec_for(declared) if declared else None
    if declared and codec is None:
        say(f"declares an unknown or refused charset '{declared[:40]}'; ignored")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if codec not in (None, "utf-8") and not data.isascii():
            say(f"declares {declared} but is valid UTF-8; read as UTF-8")
        return text
    if codec not in (None, "utf-8"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            text = data.decode(codec, "replace")
            misfits = text.count("\ufffd")
            say(f"declares {declared} but {misfits} of its bytes are not; replaced")
            return text
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    in_sequences = sum(len(m) for m in _UTF8_SEQUENCE.findall(data))
    stray = high - in_sequences
    if codec == "utf-8" or in_sequences >= stray:
        what = "declares UTF-8 but" if codec == "utf-8" else "not UTF-8:"
        say(f"{what} {stray} of its bytes are not UTF-8; read them as cp1252")
        return data.decode("utf-8", "byline-cp1252")
    say("not UTF-8, read as cp1252 (no charset declared: guessed)")
    return data.decode("cp1252", "byline-latin1")


def looks_binary(data: bytes) -> bool:
    """NUL bytes near the start, unless a UTF-16/32 BOM explains them."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return False
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
    text = " ".join(clean_text(str(value)).split())
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
        text = " ".join(clean_text(str(item)).split()).strip("\"'")
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
