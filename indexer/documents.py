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
from datetime import date
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
    #: article id -> content hash the index already holds. A reader that can
    #: fingerprint a record before parsing it (Reuters SGML) yields a matching
    #: record as a stub (id and hash only): an incremental run needs no more.
    known: dict[str, str] = field(default_factory=dict)


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


# --- readers: (relative id, text, warn) -> articles -------------------------

#: How a reader reports a problem that does not stop the article (an
#: unparseable date): ``warn(message)``; read_file records it in Scan.warnings.
Warn = Callable[[str], None]
Reader = Callable[[str, str, Warn], Iterator[Article]]


def _no_warn(message: str) -> None:
    log.warning("%s", message)


def _meta(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value if v not in (None, ""))
    text = " ".join(str(value).split())
    return text or None


def _list(value: object) -> tuple[str, ...]:
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


def _date(value: object, article_id: str, warn: Warn) -> str | None:
    """An ISO date, or None; a date that is present but unreadable is reported."""
    iso = parse_date(value)
    if iso is None and value not in (None, "") and str(value).strip():
        raw = " ".join(str(value).split())
        raw = raw if len(raw) <= 60 else raw[:57] + "..."
        warn(f"unparseable date '{raw}' in {article_id}; indexed without a date")
    return iso


# -- front matter: a YAML subset ----------------------------------------------

_FM_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(?:\s*(.*?))?\s*$")
_FM_ITEM = re.compile(r"^\s*-\s*(.*?)\s*$")
_FM_ALIASES = {
    "headline": "title", "published": "date", "pubdate": "date", "date_published": "date",
    "authors": "author", "byline": "author", "keywords": "tags", "categories": "tags",
    "category": "section", "link": "url", "outlet": "source", "publisher": "source",
}

FrontValue = str | list[str]


def _yaml_scalar(text: str) -> str:
    """A plain, 'single' or "double" quoted YAML scalar; an unquoted ' #' starts a comment."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        inner = text[1:-1]
        return re.sub(r'\\(["\\/])', r"\1", inner).replace("\\n", " ").replace("\\t", " ")
    return re.sub(r"\s+#.*$", "", text).strip()


def _yaml_flow_list(text: str) -> list[str]:
    """``[a, "b, c", 'd']``: items split at commas outside quotes."""
    items = re.findall(r'\s*("(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'|[^,]*)\s*(?:,|$)', text[1:-1])
    return [v for v in (_yaml_scalar(i) for i in items) if v]


def _front_matter(text: str) -> tuple[dict[str, FrontValue], str]:
    """A leading ``---`` YAML block and the rest of the text.

    The subset news notes use: ``key: value`` (plain or quoted), ``key: [a, b]``,
    ``key:`` followed by ``- item`` lines, ``key: |`` or ``>`` followed by
    indented lines, and ``#`` comments. Keys are case-insensitive; a few
    common synonyms (``published``, ``authors``, ``keywords``, ``category``) map
    to the fields Byline knows. A block that never closes is not front matter.
    """
    first, nl, _ = text.partition("\n")
    if first.rstrip() != "---" or not nl:
        return {}, text
    m = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[len(first) + 1 :], re.M)
    if m is None:
        return {}, text
    block = text[len(first) + 1 : len(first) + 1 + m.start()]
    rest = text[len(first) + 1 + m.end() :]
    rest = rest[1:] if rest.startswith("\n") else rest
    meta: dict[str, FrontValue] = {}
    key: str | None = None  # the key whose value continues on the following lines
    folded: list[str] = []
    for line in block.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        km = _FM_KEY.match(line) if not line[0].isspace() else None
        if km:
            if key is not None and folded:
                meta[key] = " ".join(folded)
            key, folded = None, []
            name = km.group(1).lower().replace("-", "_")
            name = _FM_ALIASES.get(name, name)
            value = km.group(2) or ""
            if not value or value in ("|", ">", "|-", ">-", "|+", ">+"):
                key = name  # a list or a block scalar follows
                meta.setdefault(name, "")
            elif value.startswith("[") and value.endswith("]"):
                meta[name] = _yaml_flow_list(value)
            else:
                meta[name] = _yaml_scalar(value)
            continue
        if key is None:
            continue  # a line we do not understand: ignore it, as YAML tools would not
        item = _FM_ITEM.match(line)
        current = meta.get(key)
        if item and not folded:
            items = current if isinstance(current, list) else []
            value = _yaml_scalar(item.group(1))
            if value:
                items.append(value)
            meta[key] = items
        elif line[0].isspace() and not isinstance(current, list):
            folded.append(line.strip())
    if key is not None and folded:
        meta[key] = " ".join(folded)
    return meta, rest


def _section_from_path(article_id: str) -> str | None:
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


def read_text_article(article_id: str, text: str, warn: Warn = _no_warn) -> Iterator[Article]:
    """Seed format: optional front matter, first non-empty line the title, blank-line paragraphs.

    A file in a subfolder gets that folder's name as its section unless the
    front matter names one (the BBC corpus: ``business/001.txt``).
    """
    meta, text = _front_matter(clean_text(text))
    lines = text.strip("\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    fm_title = _meta(meta.get("title"))
    if not lines and not fm_title:
        return
    title = fm_title or lines[0].strip().lstrip("# ").strip()
    body_lines = lines if fm_title else lines[1:]
    body = "\n".join(body_lines).strip("\n")
    if not title and not body.strip():
        return
    yield Article(
        id=article_id,
        title=title,
        body=body,
        date=_date(meta.get("date"), article_id, warn),
        source=_meta(meta.get("source")),
        url=_meta(meta.get("url")),
        author=_meta(meta.get("author")),
        section=_meta(meta.get("section")) or _section_from_path(article_id),
        tags=_list(meta.get("tags")),
        places=_list(meta.get("places")),
        topics=_list(meta.get("topics")),
        dateline=_meta(meta.get("dateline")),
    )


def _record_article(record: object, default_id: str, warn: Warn) -> Article | None:
    if not isinstance(record, dict):
        return None
    body = record.get("body", record.get("text"))
    title = record.get("title")
    if body is None and title is None:
        return None
    rid = record.get("id")
    article_id = str(rid) if rid not in (None, "") else default_id
    return Article(
        id=article_id,
        title=clean_text(str(title or "")).strip(),
        body=clean_text(str(body or "")),
        date=_date(record.get("date"), article_id, warn),
        source=_meta(record.get("source")),
        url=_meta(record.get("url")),
        author=_meta(record.get("author")),
        section=_meta(record.get("section")),
        tags=_list(record.get("tags")),
        places=_list(record.get("places")),
        topics=_list(record.get("topics")),
        dateline=_meta(record.get("dateline")),
    )


def read_json_articles(article_id: str, text: str, warn: Warn = _no_warn) -> Iterator[Article]:
    """A JSON object or a list of objects with title, body (or text) and metadata.

    Metadata: date, source, author, url, section, dateline, and tags, places,
    topics as a list or a comma-separated string.
    """
    data = json.loads(text)
    records = data if isinstance(data, list) else [data]
    for n, record in enumerate(records, start=1):
        rid = f"{article_id}#{n}" if len(records) > 1 else article_id
        article = _record_article(record, rid, warn)
        if article is not None:
            yield article


def read_jsonl_articles(article_id: str, text: str, warn: Warn = _no_warn) -> Iterator[Article]:
    """One JSON record per line; a bad line is logged and skipped, the rest still read."""
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            log.warning("%s line %d: not JSON (%s); line skipped", article_id, n, exc.msg)
            continue
        article = _record_article(record, f"{article_id}#{n}", warn)
        if article is not None:
            yield article


# -- Reuters-21578 SGML ---------------------------------------------------------

_SGML_DOC = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_SGML_NEWID = re.compile(r'NEWID="(\d+)"')
_SGML_D = re.compile(r"<D>(.*?)</D>", re.S)
_NUMERIC_REF = re.compile(r"&#(\d+);")
_REUTER_TRAILER = re.compile(r"\s+(reuter\^?m?)$", re.I)
_DATELINE_DASH = re.compile(r"(?:\s+|(?<=\d))-+(?=\s|$)")  # "Feb 26 - ", "Feb 26-", "March 9 --"


_SGML_FIELDS = {tag: re.compile(rf"<{tag}>(.*?)</{tag}>", re.S)
                for tag in ("TITLE", "DATELINE", "BODY", "TEXT", "DATE", "TOPICS", "PLACES")}
#: Part of every Reuters content hash: change it when the reader's output changes,
#: so incremental runs re-read records whose raw text did not change.
SGML_READER_VERSION = "1"


def _sgml_field(doc: str, tag: str) -> str | None:
    m = _SGML_FIELDS[tag].search(doc)
    return m.group(1) if m else None


def _sgml_text(raw: str) -> str:
    def ref(m: re.Match[str]) -> str:
        code = int(m.group(1))
        return chr(code) if code >= 32 and code != 127 else ""

    return clean_text(html.unescape(_NUMERIC_REF.sub(ref, raw)))


def _sgml_list(doc: str, tag: str) -> tuple[str, ...]:
    """A ``<TOPICS><D>cocoa</D><D>coffee</D></TOPICS>`` category list."""
    raw = _sgml_field(doc, tag)
    if not raw:
        return ()
    return _list([_sgml_text(d).strip() for d in _SGML_D.findall(raw)])


def _sgml_dateline(raw: str | None) -> tuple[str | None, str]:
    """``"    SALVADOR, Feb 26 - "`` -> ("SALVADOR, Feb 26", "").

    Some datelines swallowed the first words of the story ("ANKARA, March 8 -
    Engineers are working to repair the Iraq-"); those words are returned to be
    put back in front of the body.
    """
    if raw is None:
        return None, ""
    text = _sgml_text(raw)
    m = _DATELINE_DASH.search(text)
    if m is None:
        return _meta(text), ""
    spill = text[m.end() :].lstrip()
    if spill.strip():
        # "Iraq-" + "Turkey": a word hyphenated across the tag joins without a space.
        spill = spill if re.search(r"\S-$", spill) else spill.rstrip() + " "
    else:
        spill = ""
    return _meta(text[: m.start()].rstrip(" -")), spill


def read_reuters_sgml(article_id: str, text: str, warn: Warn = _no_warn,
                      known: dict[str, str] | None = None) -> Iterator[Article]:
    """Reuters-21578 SGML: one article per <REUTERS>, paragraphs from indented lines.

    DATE, TITLE, DATELINE, TOPICS and PLACES become fields; the source is Reuters.
    The content hash is taken from the raw record, so a record whose hash is in
    ``known`` is yielded as a stub without being parsed (a wire file holds
    about a thousand stories, and an incremental run changes a few).
    """
    for m in _SGML_DOC.finditer(text):
        attrs, doc = m.group(1), m.group(2)
        newid = _SGML_NEWID.search(attrs)
        rid = f"{article_id}#{newid.group(1) if newid else m.start()}"
        digest = hashlib.blake2b(f"{SGML_READER_VERSION}\x1f{rid}\x1f{m.group(0)}".encode(
            "utf-8", "surrogatepass"), digest_size=16).hexdigest()
        if known and known.get(rid) == digest:
            yield Article(id=rid, title="", body="", content_hash=digest)
            continue
        title = _sgml_text(_sgml_field(doc, "TITLE") or "").strip()
        dateline, spill = _sgml_dateline(_sgml_field(doc, "DATELINE"))
        body = _sgml_field(doc, "BODY")
        if body is None:
            body = _sgml_field(doc, "TEXT") or ""
            body = re.sub(r"<[^>]+>", " ", body)
        body = spill + _sgml_text(body).rstrip()
        # The wire trailer ("Reuter", "REUTER^M") ends the last line: give it a
        # paragraph of its own so it is classified as boilerplate.
        body = _REUTER_TRAILER.sub(r"\n\n\1", body)
        # A new paragraph starts on a line indented by spaces; other lines are wrapped.
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n(?=\s{2,}\S)|\n\s*\n", body)]
        if not title and not any(paragraphs):
            continue
        raw_date = _sgml_field(doc, "DATE")
        yield Article(
            id=rid,
            title=title or paragraphs[0][:80],
            body="\n\n".join(p for p in paragraphs if p),
            date=_date(_sgml_text(raw_date) if raw_date else None, rid, warn),
            source="Reuters",
            dateline=dateline,
            topics=_sgml_list(doc, "TOPICS"),
            places=_sgml_list(doc, "PLACES"),
            content_hash=digest,
        )


# -- saved HTML news pages ------------------------------------------------------
#
# trafilatura finds the article (dropping navigation, ads, share bars, related
# links, footers) and its metadata (JSON-LD, Open Graph, <meta>); see
# docs/FORMATS.md for why it and not readability-lxml. Before it runs, the page
# is defused (scripts, frames, embeds removed) and each captioned <figure> is
# replaced by one <p> paragraph that paragraphs.py classifies as a caption.
# Only text nodes ever leave this reader, never markup.

#: Elements removed with their content before extraction. JSON-LD scripts stay
#: (metadata is read from them), then go before the body is extracted.
_HTML_DROP = (
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object",
    "embed", "applet", "svg", "math", "canvas", "audio", "video", "button", "input",
    "select", "textarea", "dialog",
)
#: class/id/data-component tokens of page furniture trafilatura may miss
#: (BBC's data-component="share-tools", CNN's "related-content").
_FURNITURE_TOKEN = re.compile(
    r"^(?:share|sharing|sharebar|share-?tools|share-?buttons?|social|social-?share|social-?links"
    r"|related|related-\w+|links-block|more-on-this-story|newsletter|newsletter-\w+|ad|ads|ad-slot"
    r"|advert\w*|promo|promo-\w+|outbrain|taboola|paywall|cookie-?banner|print-only)$",
    re.I,
)
_FURNITURE_MAX_CHARS = 2000  # a bigger "related" block may hold the story itself: leave it to trafilatura
_TAG_LIKE = re.compile(r"</?[A-Za-z!?][^<>]{0,500}>")
_CAPTION_LABEL = re.compile(r"^(?:image|photo|picture|video)\s+caption\s*[,:]?\s*", re.I)
_CREDIT_LABEL = re.compile(r"^(?:image|photo|picture)\s+(?:source|credit|copyright)s?\s*[,:]?\s*", re.I)
_CREDIT_CLASS = re.compile(r"credit|copyright|source|attribution", re.I)
_ENDS_WITH_CREDIT = re.compile(r"\([^()]{2,120}/[^()]{2,120}\)\s*$")
_BYLINE_LINE = re.compile(r"^by\s+\S.{0,100}$", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)


def _plain(text: object) -> str:
    """Text with whitespace collapsed and anything that looks like a tag removed."""
    if text is None:
        return ""
    return " ".join(_TAG_LIKE.sub(" ", html.unescape(str(text))).split())


def _element_text(el: object) -> str:
    return " ".join(" ".join(el.itertext()).split())  # type: ignore[attr-defined]


def _caption_paragraph(figure: object) -> str:
    """The caption of a <figure> (or a figcaption's parent) as one caption paragraph.

    "Steam rises... (Adrees Latif/Reuters)" already reads as a caption; a caption
    with a separate credit element gets it appended in parentheses; anything
    else is prefixed "Photo: " (the rules in paragraphs.py).
    """
    credits: list[str] = []
    for el in list(figure.iter()):  # type: ignore[attr-defined]
        if el is figure or not isinstance(el.tag, str):
            continue
        text = _element_text(el)
        if _CREDIT_CLASS.search(el.get("class", "")) or _CREDIT_LABEL.match(text):
            if text:
                credits.append(_CREDIT_LABEL.sub("", text))
            el.drop_tree()
    caption = _CAPTION_LABEL.sub("", _element_text(figure))
    credit = "; ".join(dict.fromkeys(c for c in credits if c))
    if not caption:
        return ""
    if _ENDS_WITH_CREDIT.search(caption):
        return caption
    if credit and "/" in credit:
        return f"{caption} ({credit})"
    return f"Photo: {caption}" + (f" ({credit})" if credit else "")


def _defuse(tree: object) -> None:
    """Remove active and embedded content, and turn figures into caption paragraphs."""
    from lxml import html as lxml_html

    for el in list(tree.iter(*_HTML_DROP)):  # type: ignore[attr-defined]
        if el.tag == "script" and "ld+json" in (el.get("type") or "").lower():
            continue
        el.drop_tree()
    for el in list(tree.iter()):  # type: ignore[attr-defined]
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "main", "article"):
            continue
        if el.getparent() is None:
            continue  # already removed with an ancestor
        tokens = " ".join(el.get(a) or "" for a in ("class", "id", "data-component")).split()
        hidden = el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true"
        if (hidden or any(_FURNITURE_TOKEN.match(t) for t in tokens)) and len(
            el.text_content()
        ) <= _FURNITURE_MAX_CHARS:
            el.drop_tree()
    containers: list[object] = []
    for cap in tree.iter("figcaption"):  # type: ignore[attr-defined]
        figure = next(cap.iterancestors("figure"), None)
        container = figure if figure is not None else cap.getparent()
        if container is not None and container not in containers:
            containers.append(container)
    for container in reversed(containers):  # innermost last found first
        if container.getparent() is None:  # type: ignore[attr-defined]
            continue
        text = _caption_paragraph(container)
        if text:
            p = lxml_html.Element("p")
            p.text = text
            p.tail = container.tail  # type: ignore[attr-defined]
            container.getparent().replace(container, p)  # type: ignore[attr-defined]
        else:
            container.drop_tree()  # type: ignore[attr-defined]
    for fig in list(tree.iter("figure")):  # images without a caption
        fig.drop_tree()


def _http_url(value: object) -> str | None:
    url = _meta(value)
    return url if url and re.match(r"https?://[^\s<>\"']+$", url, re.I) else None


def read_html_article(article_id: str, text: str, warn: Warn = _no_warn) -> Iterator[Article]:
    """A saved news page: headline, date, author, outlet, section, tags and body paragraphs."""
    import trafilatura
    from lxml import etree
    from lxml import html as lxml_html

    text = _XML_DECL.sub("", clean_text(text), count=1)
    if not text.strip():
        return
    parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        tree = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return
    if tree is None:
        return
    _defuse(tree)
    doc = trafilatura.bare_extraction(
        tree,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        deduplicate=False,
    )
    if doc is None:
        return
    paragraphs: list[str] = []
    body = getattr(doc, "body", None)
    for el in body if body is not None else ():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "list":
            parts = [_plain(_element_text(item)) for item in el.iter("item")]
        elif el.tag == "table":
            parts = [" | ".join(_plain(_element_text(c)) for c in row.iter("cell")) for row in el.iter("row")]
        else:
            parts = [_plain(_element_text(el))]
        paragraphs.extend(p for p in parts if p.strip(" |"))
    title = _plain(doc.title)
    author = _plain(", ".join(a.strip() for a in doc.author.split(";"))) if doc.author else ""
    site = _plain(doc.sitename)
    # Page furniture trafilatura keeps above the story: the headline again, the byline, the outlet.
    furniture = {v.casefold() for v in (title, author, site, f"by {author}") if v}
    while paragraphs and len(paragraphs) > 1 and (
        paragraphs[0].casefold() in furniture or _BYLINE_LINE.match(paragraphs[0])
    ):
        paragraphs.pop(0)
    if not title and paragraphs:
        title = paragraphs.pop(0)[:200]
    if not title and not paragraphs:
        return
    categories = [c for c in (_plain(c) for c in (doc.categories or [])) if c]
    yield Article(
        id=article_id,
        title=title,
        body="\n\n".join(paragraphs),
        date=_date(doc.date, article_id, warn),
        source=site or None,
        url=_http_url(doc.url),
        author=author or None,
        section=categories[0] if categories else None,
        tags=_list([_plain(t) for t in doc.tags or []]),
    )


READERS: dict[str, Reader] = {
    ".txt": read_text_article,
    ".md": read_text_article,
    ".json": read_json_articles,
    ".jsonl": read_jsonl_articles,
    ".sgm": read_reuters_sgml,
    ".html": read_html_article,
    ".htm": read_html_article,
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

    def warn(message: str) -> None:
        log.warning("%s: %s", rel, message)
        scan.warnings.append(Skip(rel, message))

    try:
        if reader is read_reuters_sgml:
            articles = list(read_reuters_sgml(article_id, text, warn, scan.known))
        else:
            articles = list(reader(article_id, text, warn))
    except (ValueError, RecursionError) as exc:
        return skip(f"cannot parse: {exc}")
    if not articles:
        return skip("no title or text found")
    return [replace(a, path=rel, content_hash=a.content_hash or content_hash(a)) for a in articles]


def read_articles(source_dir: Path, scan: Scan, max_bytes: int = MAX_FILE_BYTES) -> Iterator[Article]:
    """Every article under ``source_dir`` in a deterministic order; problems go to ``scan``."""
    for path in iter_files(source_dir, scan):
        yield from read_file(path, source_dir.resolve(), scan, max_bytes)
