"""Article -> Paragraphs: split, clean and classify, with every rule in this one place.

Kinds, decided in this order (first match wins):

* ``headline``    the article title; always paragraph 1.
* ``boilerplate`` page furniture kept for display but never searched: video
  stamps ("1 year ago", "Duration 2:06"), credits ("With files from Reuters",
  "Reporting by ..."), wire trailers ("Reuter"), share/subscribe prompts and
  the page's own words in the languages news sites use ("Advertisement",
  "Werbung", "Reklama", "Mehr", "Suchen", "Print Article", "Order Reprints"),
  a date or a comment count on its own line.
  A block whose lines mix boilerplate with text is split line by line.
* ``caption``     a photo caption: text ending in a parenthesised credit with
  a slash and no figures, "(Pavel Mikheyev/Reuters)" but not "(€12.50/share)",
  or starting with "Photo:"/"Image:".
* ``heading``     a section subhead: at most 10 words and 80 characters, no
  sentence-ending punctuation (Latin or CJK), starts with a capital letter or
  digit, and not a table row ("Ticker | Last | Change" is a row, not a subhead).
* ``body``        everything else; it remembers the heading above it.
"""

from __future__ import annotations

import re

from .models import Article, Paragraph, ParagraphKind

_WS = re.compile(r"\s+")
_BLOCKS = re.compile(r"\n[ \t]*\n+")

BOILERPLATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.I)
    for p in (
        r"^(?:about |an? |\d+ )(?:second|minute|hour|day|week|month|year)s? ago$",
        r"^duration \d+:\d{2}(?::\d{2})?$",
        r"^(?:with files from|reporting by|additional reporting by|editing by|writing by)"
        r"\b.{0,120}$",
        r"^reuter\^?m?$",
        r"^(?:share|share this (?:article|story)|advertisement|related (?:stories|articles|links)"
        r"|read more|watch|listen|sign up\b.{0,80}|click here\b.{0,80}|follow us\b.{0,80}"
        r"|subscribe\b.{0,80}|comments?|copyright\b.{0,120}|©.{0,120}|all rights reserved\.?)$",
        r"^(?:image|video|photo) (?:caption|copyright)\b.{0,80}$",
        # The page's own words, in the languages of the archives we index.
        r"^(?:advertisement|advertising|sponsored|werbung|anzeige|reklama|publicit[ée]|publicidad"
        r"|pubblicit[àa]|advertentie|annonse|mainos|реклама|mehr|mehr zum thema|weiterlesen"
        r"|lesen sie auch|suche|suchen|teilen|drucken|lire aussi|lire la suite|partager|rechercher"
        r"|leer m[áa]s|compartir|buscar|leggi anche|condividi|cerca|czytaj (?:więcej|też)|więcej"
        r"|udostępnij|szukaj|zobacz (?:też|także)|more|search|menu|print|print article"
        r"|print this (?:article|page)|order reprints|reprints|e-?mail|tweet|facebook|twitter"
        r"|next|previous|back to top|close|loading\W*|zum vergrößern (?:auf das bild )?klicken)"
        r"[.:!…]?$",
        # A date, a time or a comment count alone on its line: the page's, not the story's.
        r"^(?:(?:updated|posted|published|last updated)\s*:?\s*)?(?:\w{3,9},?\s+)?"
        r"(?:\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3,9}\.?,?\s+\d{4}|[a-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}"
        r"|\d{4}-\d{2}-\d{2})(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*[a-z]{0,4})?$",
        r"^(?:\d[\d,.]*\s+)?comments?$",
        r"^from the section\b.{0,60}$",
    )
)
#: A credit names people and agencies; figures or a currency make it a price or a ratio.
_CAPTION_CREDIT = re.compile(r"\([^()\d$€£¥%]{2,120}/[^()\d$€£¥%]{2,120}\)\s*$")
_CAPTION_PREFIX = re.compile(r"^(?:photo|image|picture|pictured)\s*:", re.I)
_SENTENCE_END = re.compile(r"[.!?;:,\"\u201d\u2019')\]。！？；：、」』）…]$")

#: A "paragraph" longer than this (a dump, not prose) is cut into pieces at
#: spaces, so one runaway block cannot make indexing or snippets crawl.
MAX_PARAGRAPH_CHARS = 10_000
HEADING_MAX_WORDS = 10
HEADING_MAX_CHARS = 80


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) to one space."""
    return _WS.sub(" ", text).strip()


def is_boilerplate(text: str) -> bool:
    return any(p.match(text) for p in BOILERPLATE_PATTERNS)


def is_caption(text: str) -> bool:
    return bool(_CAPTION_CREDIT.search(text) or _CAPTION_PREFIX.match(text))


def is_heading(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= HEADING_MAX_WORDS
        and len(text) <= HEADING_MAX_CHARS
        and (text[0].isupper() or text[0].isdigit())
        and not _SENTENCE_END.search(text)
        and " | " not in text
    )


def classify(text: str) -> ParagraphKind:
    """The kind of one non-headline paragraph (see the module docstring)."""
    if is_boilerplate(text):
        return "boilerplate"
    if is_caption(text):
        return "caption"
    if is_heading(text):
        return "heading"
    return "body"


def _cut(text: str, limit: int = MAX_PARAGRAPH_CHARS) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a space where there is one."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    pieces.append(text)
    return [p for p in pieces if p]


def blocks(body: str) -> list[str]:
    """Blank-line separated blocks; a block with boilerplate lines is split per line."""
    return [piece for block in _blocks(body) for piece in _cut(block)]


def _blocks(body: str) -> list[str]:
    out: list[str] = []
    for block in _BLOCKS.split(body.strip()):
        lines = [normalize_space(line) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        if len(lines) > 1 and any(is_boilerplate(line) for line in lines):
            pending: list[str] = []
            for line in lines:
                if is_boilerplate(line):
                    if pending:
                        out.append(" ".join(pending))
                        pending = []
                    out.append(line)
                else:
                    pending.append(line)
            if pending:
                out.append(" ".join(pending))
        else:
            out.append(" ".join(lines))
    return out


def split_paragraphs(article: Article) -> tuple[Paragraph, ...]:
    """The article's paragraphs, 1-based in reading order, headline first."""
    title = normalize_space(article.title)
    paragraphs = [Paragraph(article.id, 1, "headline", title or article.id)]
    heading: str | None = None
    texts = blocks(article.body)
    if texts and title and texts[0] == title:
        texts = texts[1:]  # a body that repeats its own title
    for text in texts:
        kind = classify(text)
        if kind == "heading":
            heading = text
            paragraphs.append(Paragraph(article.id, len(paragraphs) + 1, kind, text))
        else:
            paragraphs.append(Paragraph(article.id, len(paragraphs) + 1, kind, text, heading))
    return tuple(paragraphs)
