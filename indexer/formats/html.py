"""Saved HTML news pages: the story, its headline and metadata, without the page furniture.

trafilatura finds the article (dropping navigation, ads, share bars, related
links, footers) and its metadata (JSON-LD, Open Graph, <meta>); see
docs/FORMATS.md for why it and not readability-lxml. Before it runs, the page
is defused (scripts, frames, embeds removed) and each captioned <figure> is
replaced by one <p> paragraph that paragraphs.py classifies as a caption.
Only text nodes ever leave this reader, never markup. trafilatura and lxml are
imported when the first page is read, so other formats never pay for them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from ..models import Article
from .common import Source, clean_text, date_value, meta_list, meta_text

_HTML_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "canvas",
    "audio",
    "video",
    "button",
    "input",
    "select",
    "textarea",
    "dialog",
)
#: class/id/data-component tokens of page furniture trafilatura may miss
#: (BBC's data-component="share-tools", CNN's "related-content").
_FURNITURE_TOKEN = re.compile(
    r"^(?:share|sharing|sharebar|share-?tools|share-?buttons?|social|social-?share|social-?links"
    r"|related|related-\w+|links-block|more-on-this-story|newsletter|newsletter-\w+|ad|ads|ad-slot"
    r"|advert\w*|promo|promo-\w+|outbrain|taboola|paywall|cookie-?banner|print-only)$",
    re.I,
)
_FURNITURE_MAX_CHARS = (
    2000  # a bigger "related" block may hold the story itself: leave it to trafilatura
)
_TAG_LIKE = re.compile(r"</?[A-Za-z!?][^<>]{0,500}>")
_CAPTION_LABEL = re.compile(r"^(?:image|photo|picture|video)\s+caption\s*[,:]?\s*", re.I)
_CREDIT_LABEL = re.compile(
    r"^(?:image|photo|picture)\s+(?:source|credit|copyright)s?\s*[,:]?\s*", re.I
)
_CREDIT_CLASS = re.compile(r"credit|copyright|source|attribution", re.I)
_ENDS_WITH_CREDIT = re.compile(r"\([^()]{2,120}/[^()]{2,120}\)\s*$")
_BYLINE_LINE = re.compile(r"^by\s+\S.{0,100}$", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_CHARSET_SCAN_BYTES = 64 * 1024


def declared_charset(data: bytes) -> str | None:
    """The charset a page names: ``<meta charset>``, ``http-equiv`` Content-Type, else ``<?xml``."""
    head = data[:_CHARSET_SCAN_BYTES]
    m = _META_CHARSET.search(head) or _XML_ENCODING.match(head)
    return m.group(1).decode("ascii") if m else None


def _plain(text: object) -> str:
    """Text with whitespace collapsed and anything that looks like a tag removed."""
    if text is None:
        return ""
    return " ".join(_TAG_LIKE.sub(" ", clean_text(html.unescape(str(text)))).split())


def _element_text(el: Any) -> str:
    return " ".join(" ".join(el.itertext()).split())


def _caption_paragraph(figure: Any) -> str:
    """The caption of a <figure> (or a figcaption's parent) as one caption paragraph.

    "Steam rises... (Adrees Latif/Reuters)" already reads as a caption; a caption
    with a separate credit element gets it appended in parentheses; anything
    else is prefixed "Photo: " (the rules in paragraphs.py).
    """
    credits: list[str] = []
    for el in list(figure.iter()):
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


def _defuse(tree: Any) -> None:
    """Remove active and embedded content, and turn figures into caption paragraphs."""
    from lxml import html as lxml_html

    for el in list(tree.iter(*_HTML_DROP)):
        if el.tag == "script" and "ld+json" in (el.get("type") or "").lower():
            continue
        el.drop_tree()
    for el in list(tree.iter()):
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
    containers: list[Any] = []
    for cap in tree.iter("figcaption"):
        figure = next(cap.iterancestors("figure"), None)
        container = figure if figure is not None else cap.getparent()
        if container is not None and container not in containers:
            containers.append(container)
    for container in reversed(containers):  # innermost last found first
        if container.getparent() is None:
            continue
        text = _caption_paragraph(container)
        if text:
            p = lxml_html.Element("p")
            p.text = text
            p.tail = container.tail
            container.getparent().replace(container, p)
        else:
            container.drop_tree()
    for fig in list(tree.iter("figure")):  # images without a caption
        fig.drop_tree()


def _http_url(value: object) -> str | None:
    url = meta_text(value)
    return url if url and re.match(r"https?://[^\s<>\"']+$", url, re.I) else None


def read(source: Source) -> Iterator[Article]:
    """A saved news page: headline, date, author, outlet, section, tags and body paragraphs."""
    import trafilatura
    from lxml import etree
    from lxml import html as lxml_html

    text = _XML_DECL.sub("", clean_text(source.text(declared_charset(source.data))), count=1)
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
    doc: Any = trafilatura.bare_extraction(
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
            parts = [
                " | ".join(_plain(_element_text(c)) for c in row.iter("cell"))
                for row in el.iter("row")
            ]
        else:
            parts = [_plain(_element_text(el))]
        paragraphs.extend(p for p in parts if p.strip(" |"))
    title = _plain(doc.title)
    author = _plain(", ".join(a.strip() for a in doc.author.split(";"))) if doc.author else ""
    site = _plain(doc.sitename)
    # Page furniture trafilatura keeps above the story: the headline again, the byline, the outlet.
    furniture = {v.casefold() for v in (title, author, site, f"by {author}") if v}
    while (
        paragraphs
        and len(paragraphs) > 1
        and (paragraphs[0].casefold() in furniture or _BYLINE_LINE.match(paragraphs[0]))
    ):
        paragraphs.pop(0)
    if not title and paragraphs:
        title = paragraphs.pop(0)[:200]
    if not title and not paragraphs:
        return
    categories = [c for c in (_plain(c) for c in (doc.categories or [])) if c]
    yield Article(
        id=source.id,
        title=title,
        body="\n\n".join(paragraphs),
        date=date_value(doc.date, source.id, source.warn),
        source=site or None,
        url=_http_url(doc.url),
        author=author or None,
        section=categories[0] if categories else None,
        tags=meta_list([_plain(t) for t in doc.tags or []]),
    )
