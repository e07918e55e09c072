"""Snippets: the only place HTML is made from document text, always escaped first.

Matches are found by running the text through the same analyzer as the index,
so a query for ``protest`` marks ``protesters``.
"""

from __future__ import annotations

from collections.abc import Collection
from html import escape

from .analysis import term_spans

ELLIPSIS = "\u2026"


def _matches(text: str, terms: Collection[str], stemmer: str) -> list[tuple[int, int]]:
    if not terms or not text:
        return []
    return term_spans(text, terms, stemmer)


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """Escaped ``text[start:end]`` with every span inside it wrapped in <mark>."""
    end = len(text) if end is None else end
    out: list[str] = []
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def has_match(text: str, terms: Collection[str], stemmer: str = "snowball") -> bool:
    """Whether any of ``terms`` occurs in ``text`` (what a snippet would mark)."""
    return bool(terms) and bool(_matches(text, terms, stemmer))


def highlight(text: str, terms: Collection[str], stemmer: str = "snowball") -> str:
    """The whole text, escaped, with matches marked (for the article view)."""
    return mark(text, _matches(text, terms, stemmer))


def _window(text: str, center: int, size: int) -> tuple[int, int]:
    start = max(0, center - size // 3)
    end = min(len(text), start + size)
    start = max(0, end - size)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", end - 30, end)
        end = space if space > start else end
    return start, end


def snippet(
    text: str, terms: Collection[str], stemmer: str = "snowball", max_chars: int = 320
) -> str:
    """Escaped snippet: the whole paragraph when short, else up to two fragments around matches."""
    spans = _matches(text, terms, stemmer)
    if len(text) <= max_chars:
        return mark(text, spans)
    if not spans:
        start, end = _window(text, 0, max_chars)
        return mark(text, [], start, end) + ELLIPSIS
    # Fragments around the densest matches: first pick the span with the most
    # matches nearby, then optionally a second fragment for unseen terms.
    half = max_chars // 2
    fragments: list[tuple[int, int]] = []
    best = max(spans, key=lambda sp: sum(1 for s, _ in spans if sp[0] <= s < sp[0] + half))
    fragments.append(_window(text, best[0], half if len(spans) > 1 else max_chars))
    seen = {text[s:e].lower() for s, e in spans if fragments[0][0] <= s < fragments[0][1]}
    for s, e in spans:
        if not (fragments[0][0] <= s < fragments[0][1]) and text[s:e].lower() not in seen:
            second = _window(text, s, half)
            if second[0] >= fragments[0][1] or second[1] <= fragments[0][0]:
                fragments.append(second)
            break
    if len(fragments) == 1 and len(spans) > 1:
        fragments[0] = _window(text, best[0], max_chars)
    fragments.sort()
    parts: list[str] = []
    for start, end in fragments:
        piece = mark(text, spans, start, end)
        parts.append((ELLIPSIS if start > 0 else "") + piece)
    html = " ".join(parts)
    return html + (ELLIPSIS if fragments[-1][1] < len(text) else "")
