"""Saved HTML news pages: the story, its headline and metadata, without the page furniture.

trafilatura finds the article (dropping navigation, ads, share bars, related
links, footers) and its metadata (JSON-LD, Open Graph, <meta>); see
docs/FORMATS.md for why it and not readability-lxml. Byline's own steps around
it must never lose what trafilatura alone would keep: the page is decoded by
its declared charset, defused (scripts that run, event handlers and
``javascript:`` URLs: nothing that is content), cleared of furniture
trafilatura misses (never the element holding most of the page's text); every
text node of trafilatura's output is read, and each figure caption goes back
beside the story paragraph it stood next to (trafilatura deletes figures, and
a caption must not change what it takes for the story). Only text leaves this
reader, never markup. trafilatura and lxml are imported when the first page is
read, so other formats never pay for them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..models import Article
from .common import Source, clean_text, date_value, meta_list, meta_text

#: Elements whose content is never text a reader sees: running code, styles,
#: and embedded documents (their inner text is fallback for old browsers).
#: Everything else (noscript, template, figures, forms) is left to trafilatura,
#: whose fallback extractors may need it: deleting it first lost whole stories.
_EMBEDDED = ("script", "style", "iframe", "frame", "frameset", "object", "embed", "applet")
#: <script type> values that hold data, not code: JSON-LD carries the metadata.
_DATA_SCRIPT = re.compile(r"ld\+json", re.I)
#: Event handlers (onload=, onerror=...) and script URLs, found in one XPath pass (in C);
#: a value is checked in Python before it goes. Attributes never leave this reader
#: (only text nodes do): this is so the tree trafilatura reads holds nothing that runs.
_ACTIVE_ATTRIBUTES = (
    "//@*[starts-with(name(), 'on') or contains(., 'script:') or contains(., 'Script:')"
    " or contains(., 'SCRIPT:')]"
)
_SCRIPT_URL = re.compile(r"^\s*(?:javascript|vbscript)\s*:", re.I)
#: class/id/data-component tokens of page furniture trafilatura may miss
#: (BBC's data-component="share-tools", CNN's "related-content"). Not "paywall":
#: a paywalled story is often *in* the element so named.
_FURNITURE_TOKEN = re.compile(
    r"(?:^|\s)(?:share|sharing|sharebar|share-?tools|share-?buttons?|social|social-?share"
    r"|social-?links|related|related-[\w-]+|links-block|more-on-this-story|newsletter"
    r"|newsletter-[\w-]+|ad|ads|ad-slot|advert[\w-]*|promo|promo-[\w-]+|outbrain|taboola"
    r"|cookie-?banner|print-only)(?=\s|$)",
    re.I,
)
#: Elements that may be furniture, found in C; the tokens are checked in Python.
_FURNITURE_CANDIDATES = "//*[@class or @id or @data-component or @hidden or @aria-hidden]"
#: A bigger furniture-named block may hold the story itself: leave it to trafilatura.
_FURNITURE_MAX_CHARS = 2000
#: At most this many captions per article (and never more than its body
#: paragraphs): a 50-photo gallery must not bury the story it illustrates.
MAX_CAPTIONS = 10
_TAG_LIKE = re.compile(r"</?[A-Za-z!?][^<>]{0,500}>")
#: Labels before a caption: "Image caption, ", BBC's "Media caption" glued to the text
#: ("Media captionWho is..."), "Foto: ", and a gallery's counter ("1of4", "3 / 12").
_CAPTION_LABEL = re.compile(
    r"^(?:(?:image|photo|picture|video|media)\s+caption(?:\s*[,:.]?\s+|(?=(?-i:[A-Z])))"
    r"|(?:photo|image|picture|foto|bild|zdj[eę]cie|fot|imagen|immagine)\s*[,:.|]\s*"
    r"|\d{1,3}\s*(?:of|/)\s*\d{1,3}(?:\s+|(?=(?-i:[A-Z]))))",
    re.I,
)
_CREDIT_LABEL = re.compile(
    r"^\(?(?:(?:image|photo|picture|foto|bild)\s+)?(?:source|credit|copyright|quelle)s?\b\s*[,:]?\s*"
    r"|^\(?(?:©|\(c\))\s*|^\(?(?:bild|foto|photo)(?:\s+by\b|\s*[,:])\s*",
    re.I,
)
_CREDIT_MAX_WORDS = 5
#: A caption that is only a credit: "Devindra Hardawar/AOL", "LA NACION".
_CREDIT_ONLY = re.compile(r"^(?:[^()/]{2,60}/[^()]{2,60}|[^a-z]{2,40})$")
_CREDIT_CLASS = re.compile(r"credit|copyright|source|attribution", re.I)
_ENDS_WITH_CREDIT = re.compile(r"\([^()\d$€£¥%]{2,120}/[^()\d$€£¥%]{2,120}\)\s*$")
#: Words in a caption element that belong to the page, not the photo.
_CAPTION_FURNITURE = re.compile(
    r"\s*(?:\(?(?:zum vergrößern (?:auf das bild )?(?:klicken|tippen)|click to enlarge|enlarge this"
    r" image|vergrößern|reklama|werbung|anzeige|advertisement|publicité)\)?[.:]?)\s*",
    re.I,
)
#: A short <noscript> naming JavaScript (or cookies) is the browser notice, in any language.
_NOSCRIPT_NOTICE = re.compile(r"javascript|\bjs\b|cookies?", re.I)
_NOSCRIPT_NOTICE_CHARS = 400
_BYLINE_LINE = re.compile(r"^by\s+\S.{0,100}$", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_CHARSET_SCAN_BYTES = 64 * 1024
#: Separators between a headline and the site name in <title>.
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|\-–—·•»:]{1,2})\s+")
#: A caption goes next to one of the story paragraphs around its figure: text
#: blocks of these kinds, within this many levels of the figure.
_ANCHOR_TAGS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")
_ANCHOR_LEVELS = 4
_ANCHOR_WORDS = 8
_LB = "\x00"  # a line break in trafilatura's output: libxml2's text never holds a NUL
_BLOCKS = frozenset(
    {"ab", "body", "code", "div", "graphic", "head", "item", "list", "p", "quote", "table"}
)
#: Elements (of a page or of trafilatura's output) whose text is never joined to the
#: text beside it: "<td>a</td><td>b</td>" is "a b", "Mit<b>tel</b>alter" one word.
_SEPARATES = _BLOCKS | {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "cell",
    "dd",
    "details",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "img",
    "lb",
    "li",
    "main",
    "nav",
    "ol",
    "pre",
    "row",
    "section",
    "summary",
    "td",
    "th",
    "tr",
    "ul",
}


def declared_charset(data: bytes) -> str | None:
    """The charset a page names: ``<meta charset>``, ``http-equiv`` Content-Type, else ``<?xml``."""
    head = data[:_CHARSET_SCAN_BYTES]
    m = _META_CHARSET.search(head) or _XML_ENCODING.match(head)
    return m.group(1).decode("ascii") if m else None


def _meta_plain(value: object) -> str:
    """A metadata value as one line of text: entities decoded, anything tag-shaped removed.

    Metadata comes from attributes and JSON-LD strings, where markup is markup
    ("<b>Bold</b> claim"), never the page's words.
    """
    if value is None:
        return ""
    return " ".join(_TAG_LIKE.sub(" ", html.unescape(clean_text(str(value)))).split())


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def _element_text(el: Any) -> str:
    """Text of an element and its descendants: text nodes only (no comments), words kept whole.

    Inline markup joins its text to its neighbours ("Mit<b>tel</b>alter" is one
    word); a block inside (a <p> in a cell, a <br>) separates words.
    """
    parts: list[str] = []

    def visit(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                block = child.tag in _SEPARATES
                if block:
                    parts.append(" ")
                visit(child)
                if block:
                    parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    visit(el)
    return _words("".join(parts))


# --- before trafilatura -----------------------------------------------------------------


def _unwrap_noscript(tree: Any) -> None:
    """Put what a <noscript> holds in its place, as the page's own content.

    It is the page without scripts, sometimes the whole story, and an unclosed
    <div> in it makes the parser nest the rest of the page under it, so it is
    never deleted. A page saved from a browser's DOM holds it as escaped text
    ("&lt;div&gt;..."), which is markup to parse, not words to index.
    """
    from lxml import etree
    from lxml import html as lxml_html

    for noscript in list(tree.iter("noscript")):
        if noscript.getparent() is None:
            continue
        if len(noscript) == 0 and "<" in (noscript.text or ""):
            try:
                parts = lxml_html.fragments_fromstring(noscript.text)
            except (etree.ParserError, etree.XMLSyntaxError, ValueError):
                parts = []
            if parts:
                noscript.text = parts[0] if isinstance(parts[0], str) else None
                noscript.extend(p for p in parts if not isinstance(p, str))
        text = noscript.text_content()
        if len(text) <= _NOSCRIPT_NOTICE_CHARS and _NOSCRIPT_NOTICE.search(text):
            noscript.drop_tree()  # "please enable JavaScript": about the page, not the story
        else:
            noscript.drop_tag()


def _defuse(tree: Any) -> None:
    """Remove what runs or embeds, never content: scripts, styles, frames, handlers, script URLs."""
    _unwrap_noscript(tree)
    for el in list(tree.iter(*_EMBEDDED)):
        if el.tag == "script" and _DATA_SCRIPT.search(el.get("type") or ""):
            continue
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail: the text after it is the page's
    for attribute in tree.xpath(_ACTIVE_ATTRIBUTES):
        name = attribute.attrname
        if name.lower().startswith("on") or _SCRIPT_URL.match(attribute):
            attribute.getparent().attrib.pop(name, None)


def _main_text_holder(tree: Any) -> set[Any]:
    """The element holding the most paragraph text, and its ancestors: never furniture."""
    weight: dict[Any, int] = {}
    for el in tree.iter("p", "br"):
        parent = el.getparent()
        if parent is None:
            continue
        n = len(el.text_content()) if el.tag == "p" else len((el.tail or "").strip())
        weight[parent] = weight.get(parent, 0) + n
    if not weight:
        return set()
    main = max(weight, key=weight.__getitem__)
    return {main, *main.iterancestors()}


def _remove_furniture(tree: Any) -> None:
    """Drop small blocks named like furniture or hidden, except the one holding the story."""
    protected: set[Any] | None = None
    removed: set[Any] = set()
    for el in tree.xpath(_FURNITURE_CANDIDATES):
        if el.tag in ("html", "body", "main", "article") or el.getparent() is None:
            continue
        attrib = el.attrib
        hidden = "hidden" in attrib or attrib.get("aria-hidden", "").lower() == "true"
        if not hidden:
            names = " ".join(attrib.get(a, "") for a in ("class", "id", "data-component"))
            if not _FURNITURE_TOKEN.search(names):
                continue
        if removed and not removed.isdisjoint(el.iterancestors()):
            continue  # already gone with an ancestor
        if len(el.text_content()) > _FURNITURE_MAX_CHARS:
            continue
        if protected is None:  # computed only on pages that have furniture candidates
            protected = _main_text_holder(tree)
        if el not in protected:
            el.drop_tree()
            removed.add(el)


def _is_credit(el: Any) -> bool:
    """A credit element: class="credit" (or copyright, source...), or "Photo: Jane Doe/AP".

    A labelled text is a credit only when short: "Photo: A crowd gathers in the
    square" is a caption with a label.
    """
    if _CREDIT_CLASS.search(el.get("class", "")):
        return True
    text = _element_text(el)
    label = _CREDIT_LABEL.match(text)
    return label is not None and len(text[label.end() :].split()) <= _CREDIT_MAX_WORDS


def _text_without_credits(el: Any, credits: list[str]) -> str:
    """An element's words, with the credit elements in it set aside into ``credits``."""
    parts: list[str] = []

    def visit(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                if _is_credit(child):
                    credits.append(_element_text(child))
                else:
                    parts.append(" " if child.tag in _SEPARATES else "")
                    visit(child)
                    parts.append(" " if child.tag in _SEPARATES else "")
            if child.tail:
                parts.append(child.tail)

    visit(el)
    return _words("".join(parts))


def _caption_text(figure: Any, caption: Any) -> str:
    """One figure's caption as a caption paragraph, or "" when it is not a caption.

    "Steam rises... (Adrees Latif/Reuters)" already reads as a caption; a caption
    with a separate credit element gets it appended in parentheses; anything
    else is prefixed "Photo: " once (the rules in paragraphs.py). Only the
    figcaption and credit elements are read: buttons, ad labels and shop links
    elsewhere in the figure are not the caption, a figcaption that is mostly a
    link is a link, and one that is only a credit is no caption.
    """
    credits: list[str] = []
    text = _text_without_credits(caption, credits)
    aside = {caption}  # subtrees already read
    for el in figure.iter():  # credits beside the figcaption ("Image source, Reuters": BBC)
        if el is figure or not isinstance(el.tag, str) or el in aside:
            continue
        if aside.intersection(el.iterancestors()):
            continue
        if _is_credit(el):
            credits.append(_element_text(el))
            aside.add(el)
    linked = sum(len(_element_text(a)) for a in caption.iter("a"))
    if not text or linked * 2 >= len(text):
        return ""
    text = _CAPTION_FURNITURE.sub(" ", text).strip()
    while _CAPTION_LABEL.match(text):
        text = _CAPTION_LABEL.sub("", text, count=1)
    text = text.strip()
    if len(text.split()) < 2 or _CREDIT_ONLY.match(text.strip("()")):
        return ""  # "Reuters", "1/12", "Jane Doe/AP"
    cleaned = (_CREDIT_LABEL.sub("", c).strip(" ;,()") for c in credits)
    credit = "; ".join(dict.fromkeys(c for c in cleaned if c))
    if _ENDS_WITH_CREDIT.search(text):
        return text
    if credit and "/" in credit:
        return f"{text} ({credit})"
    return f"Photo: {text}" + (f" ({credit})" if credit else "")


@dataclass(frozen=True)
class _Caption:
    """A figure's caption and the story text around it, to place it in trafilatura's output."""

    text: str
    raw: str  # the figcaption's words, folded, in case trafilatura kept them itself
    before: tuple[str, ...]  # keys of the text blocks just before the figure, nearest first
    after: tuple[str, ...]  # and just after it


def _folded(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _key_of(text: str) -> str:
    """A paragraph's identity across trafilatura's rewriting: its first words, folded."""
    return " ".join(re.findall(r"\w+", text.casefold())[:_ANCHOR_WORDS])


def _captions(tree: Any) -> list[_Caption]:
    """Every captioned figure, with the paragraphs beside it. The tree is left as it is.

    trafilatura decides what the story is on the page exactly as it would
    alone (it deletes figures); a caption then goes back next to the story
    paragraph it stood beside, if that paragraph is in the story. A figure
    beside no story text (a gallery elsewhere, a sidebar) adds nothing.
    """
    found: list[tuple[Any, Any]] = []
    for cap in tree.iter("figcaption"):
        figure = next(cap.iterancestors("figure"), None)
        container = figure if figure is not None else cap
        if not found or found[-1][0] is not container:
            found.append((container, cap))
    if not found:
        return []
    containers = {c for c, _ in found}
    blocks: list[Any] = []  # text blocks and figures, in document order
    for el in tree.iter(*_ANCHOR_TAGS, "figure", "figcaption"):
        if el in containers or (
            el.tag not in ("figure", "figcaption")
            and not containers.intersection(el.iterancestors())
        ):
            blocks.append(el)
    position = {el: i for i, el in enumerate(blocks)}
    out: list[_Caption] = []
    for container, cap in found:
        text = _caption_text(container, cap)
        if not text:
            continue
        i = position.get(container)
        if i is None:
            continue
        near = {
            a
            for a in list(container.iterancestors())[:_ANCHOR_LEVELS]
            if a.tag not in ("body", "html")
        }
        before = _anchors(reversed(blocks[:i]), near)
        after = _anchors(blocks[i + 1 :], near)
        out.append(_Caption(text, _folded(_element_text(cap)), before, after))
    return out


def _anchors(candidates: Iterable[Any], near: set[Any]) -> tuple[str, ...]:
    """Keys of the first two text blocks among ``candidates`` that share an ancestor in ``near``."""
    keys: list[str] = []
    for el in candidates:
        if el.tag in ("figure", "figcaption"):
            continue
        if not near.intersection(el.iterancestors()):
            break  # past the figure's own part of the page
        key = _key_of(el.text_content())
        if len(key.split()) >= 4:
            keys.append(key)
            if len(keys) == 2:
                break
    return tuple(keys)


def _place_captions(paragraphs: list[str], captions: list[_Caption]) -> list[tuple[str, bool]]:
    """trafilatura's paragraphs with each caption beside its story paragraph: (text, is caption)."""
    out: list[tuple[str, bool]] = [(p, False) for p in paragraphs]
    if not captions:
        return out
    index: dict[str, int] = {}
    whole: dict[str, int] = {}
    for i, p in enumerate(paragraphs):
        index.setdefault(_key_of(p), i)
        whole.setdefault(_folded(p), i)
    after: dict[int, list[str]] = {}  # captions to put after paragraph i (-1: before the first)
    for caption in captions:
        if caption.raw in whole:  # trafilatura kept the caption itself: give it the caption's form
            out[whole[caption.raw]] = (caption.text, True)
            continue
        spot = next((index[k] for k in caption.before if k in index), None)
        if spot is None:
            spot = next((index[k] - 1 for k in caption.after if k in index), None)
        if spot is not None:
            after.setdefault(spot, []).append(caption.text)
    placed = [(t, True) for t in after.get(-1, [])]
    for i, item in enumerate(out):
        placed.append(item)
        placed.extend((t, True) for t in after.get(i, []))
    return placed


# --- trafilatura's output -----------------------------------------------------------------


def _paragraphs(body: Any) -> list[str]:
    """Every text node of trafilatura's output tree, in order, as paragraphs.

    Each p, head, quote, code and list item is a paragraph, each table row
    ``cell | cell``; text directly in the body or after a subhead (a tail) is a
    paragraph of its own, not dropped. A ``<lb/>`` is a line break inside a
    paragraph, two in a row start a new one.
    """
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = "".join(buf)
        buf.clear()
        lines: list[str] = []
        for line in text.split(_LB):
            line = _words(line)
            if line:
                lines.append(line)
            elif lines:  # a blank line: the paragraph ends here
                out.append("\n".join(lines))
                lines = []
        if lines:
            out.append("\n".join(lines))

    def visit(el: Any) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            return
        if tag == "lb":
            buf.append(_LB)
            return
        if tag == "row":
            flush()
            cells = [_element_text(c) for c in el.iter("cell")]
            row = " | ".join(c for c in cells if c)
            if row:
                out.append(row)
            return
        block = tag in _BLOCKS
        if block:
            flush()
        if el.text:
            buf.append(el.text)
        for child in el:
            visit(child)
            if child.tail:
                buf.append(child.tail)
        if block:
            flush()

    visit(body)
    flush()
    return out


def _site_names(site: str, url: str | None) -> set[str]:
    """Spellings of the site's name a headline may end with: "CBC", "CBC News", "ign"..."""
    names = set()
    if site:
        names.add(_key(site))
    host = re.match(r"https?://(?:www\d?\.)?([^/:]+)", url or "", re.I)
    if host:
        labels = host.group(1).lower().split(".")
        if len(labels) >= 2:
            short = labels[-3] if len(labels) >= 3 and len(labels[-2]) <= 3 else labels[-2]
            names |= {_key(short), _key(short + labels[-1])}
    out = set()
    for name in names:
        if len(name) < 2:
            continue
        bare = name.removeprefix("the")
        out |= {name, bare, "the" + bare, bare + "news", bare + "online", bare + "com"}
    return out


def _key(text: str) -> str:
    """Letters and digits only, case and accents folded: "Aktuálně.cz" -> "aktualnecz"."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"\W+", "", "".join(c for c in folded if not unicodedata.combining(c)))


def headline(title: str, page_title: str, site: str, url: str | None = None) -> str:
    """trafilatura's title without the site's name ("... - IGN", "CBC News | ...").

    trafilatura cuts a ``<title>`` at its separator and keeps the first part,
    which is the site's name when the site comes first: then the rest of the
    ``<title>`` is the headline.
    """
    names = _site_names(site, url)
    if not names:
        return title
    kept = strip_site_name(title, names)
    if page_title and (not kept or _key(kept) in names):
        return strip_site_name(page_title, names) or kept
    return kept


def strip_site_name(title: str, names: set[str]) -> str:
    """``title`` without a part before or after a separator that is one of the site's ``names``."""
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    seps = _TITLE_SEPARATOR.findall(title)
    if _key(parts[-1]) in names:
        kept = title[: len(title) - len(parts[-1]) - len(seps[-1])]
        return kept.strip() or title
    if _key(parts[0]) in names:
        kept = title[len(parts[0]) + len(seps[0]) :]
        return kept.strip() or title
    return title


def _title_from(paragraphs: list[str]) -> str:
    """A headline for a page without one: its first line if that reads as one, else a cut."""
    first = paragraphs[0]
    if len(first) <= 150 and "\n" not in first and not re.search(r"[.!?:;,]$", first):
        paragraphs.pop(0)
        return first
    sentence = re.match(r"(.{20,150}?[.!?])(?:\s|$)", first.replace("\n", " "))
    if sentence:
        return sentence.group(1)
    cut = first[:150].rsplit(" ", 1)[0] if len(first) > 150 else first
    return cut + ("…" if len(first) > len(cut) else "")


def read(source: Source) -> Iterator[Article]:
    """A saved news page: headline, date, author, outlet, section, tags and body paragraphs."""
    import trafilatura
    from lxml import etree
    from lxml import html as lxml_html

    # No clean_text() on the whole page (a millisecond on a big one): lxml takes
    # control characters, and every text that leaves is cleaned (paragraphs, fields).
    text = _XML_DECL.sub("", source.text(declared_charset(source.data)), count=1)
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
    _remove_furniture(tree)
    captions = _captions(tree)
    doc: Any = trafilatura.bare_extraction(
        tree,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        deduplicate=False,
        # htmldate's extensive search reads dates out of the page's text and
        # guessed one for pages that have none: no date beats a wrong one.
        date_extraction_params={
            "extensive_search": False,
            "original_date": True,
            "max_date": date.today().isoformat(),
        },
    )
    if doc is None:
        return
    body = getattr(doc, "body", None)
    paragraphs = [clean_text(p) for p in _paragraphs(body)] if body is not None else []
    title = _meta_plain(doc.title)
    author = _meta_plain(", ".join(a.strip() for a in doc.author.split(";"))) if doc.author else ""
    site = _meta_plain(doc.sitename)
    url = _http_url(doc.url)
    page_title = _words(tree.findtext(".//head/title") or "")
    title = headline(title, _meta_plain(page_title), site, url)
    placed = _place_captions(paragraphs, captions)
    paragraphs = _tidy(placed, {v.casefold() for v in (title, author, site) if v})
    if not title and paragraphs:
        title = _title_from(paragraphs)
    if not title and not paragraphs:
        return
    categories = [c for c in (_meta_plain(c) for c in (doc.categories or [])) if c]
    yield Article(
        id=source.id,
        title=title,
        body="\n\n".join(paragraphs),
        date=date_value(doc.date, source.id, source.warn),
        source=site or None,
        url=url,
        author=author or None,
        section=categories[0] if categories else None,
        tags=meta_list([_meta_plain(t) for t in doc.tags or []]),
    )


def _tidy(paragraphs: list[tuple[str, bool]], furniture: set[str]) -> list[str]:
    """Drop what trafilatura kept around the story; bound the captions.

    Above the story: the headline again, the byline, the outlet name. Captions:
    at most MAX_CAPTIONS and no more than the body paragraphs, none twice and
    no two starting alike (a gallery's "Photo 3 of 50: ...").
    """
    furniture = furniture | {f"by {f}" for f in furniture}
    while len(paragraphs) > 1 and (
        paragraphs[0][0].casefold() in furniture or _BYLINE_LINE.match(paragraphs[0][0])
    ):
        paragraphs = paragraphs[1:]
    room = min(MAX_CAPTIONS, max(1, sum(not caption for _, caption in paragraphs)))
    seen: set[str] = set()
    starts: set[str] = set()
    out: list[str] = []
    for text, caption in paragraphs:
        key = _words(text).casefold()
        if caption:
            start = " ".join(key.removeprefix("photo: ").split()[:5])
            if room <= 0 or key in seen or start in starts:
                continue
            room -= 1
            starts.add(start)
        seen.add(key)
        out.append(text)
    return out


def _http_url(value: object) -> str | None:
    url = meta_text(value)
    return url if url and re.match(r"https?://[^\s<>\"']+$", url, re.I) else None
