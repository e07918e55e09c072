"""Atom 1.0 feeds of a search: one entry per matching article, newest first.

Written by hand rather than with a feed library (feedgen builds on lxml, which
refuses control characters with a ValueError, and would be one more
dependency for some forty lines of XML). Everything that goes into the XML
passes :func:`xml_text`: characters XML 1.0 cannot hold (control characters,
lone surrogates, U+FFFE/U+FFFF) are dropped and ``& < > " '`` escaped, so a
document with ``<script>``, ``]]>`` or a NUL in its title yields a feed that
any XML parser reads (``tests/test_feeds.py`` parses them).

An entry's id is made from the article id alone, so it is the same across
reindexes and full rebuilds; its ``updated`` is the article's date or, for an
undated article, when Byline first indexed it (:func:`indexer.storage.read_first_seen`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from .models import Hit

ATOM_NS = "http://www.w3.org/2005/Atom"
#: What XML 1.0 cannot hold (its ``Char`` production), dropped from every text.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_chars(value: object) -> str:
    """``value`` without the characters XML 1.0 cannot hold (for text drawn into SVG, too)."""
    return _NOT_XML.sub("", str(value))


def xml_text(value: object) -> str:
    """``value`` as XML text or attribute value: invalid characters dropped, the rest escaped."""
    text = _NOT_XML.sub("", str(value))
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def entry_id(article_id: str) -> str:
    """The stable Atom id of an article (a URN made from its id, percent-encoded)."""
    return "urn:byline:article:" + quote(article_id.encode("utf-8", "surrogatepass"), safe="")


def feed_id(canonical: str) -> str:
    """The Atom id of a search feed, from its canonical parameters."""
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    return "urn:byline:search:" + digest[:32]


def timestamp(value: datetime) -> str:
    """RFC 3339 in UTC, as Atom wants it: ``2026-12-01T09:30:00Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def article_updated(hit: Hit, first_seen: datetime | None, fallback: datetime) -> datetime:
    """The article's date (midnight UTC), else when it was first indexed, else ``fallback``."""
    if hit.date:
        try:
            found = datetime.fromisoformat(hit.date)
        except ValueError:
            found = None
        if found is not None:
            return found if found.tzinfo else found.replace(tzinfo=UTC)
    return first_seen or fallback


@dataclass(frozen=True)
class FeedEntry:
    """One article of a feed, as written."""

    id: str
    title: str
    link: str
    updated: datetime
    summary_html: str
    source: str | None


def entries(
    hits: Iterable[Hit],
    link: Callable[[Hit], str],
    first_seen: Mapping[str, datetime],
    fallback: datetime,
) -> list[FeedEntry]:
    """One entry per article of ``hits`` (the best paragraph of each, in the order given)."""
    out: list[FeedEntry] = []
    seen: set[str] = set()
    for hit in hits:
        if hit.article_id in seen:
            continue
        seen.add(hit.article_id)
        out.append(
            FeedEntry(
                entry_id(hit.article_id),
                hit.title or hit.article_id,
                link(hit),
                article_updated(hit, first_seen.get(hit.article_id), fallback),
                hit.snippet_html or xml_text(hit.text),
                hit.source,
            )
        )
    return out


def atom(
    *,
    id: str,
    title: str,
    self_url: str,
    alternate_url: str,
    items: list[FeedEntry],
    updated: datetime,
    subtitle: str | None = None,
) -> bytes:
    """The feed as UTF-8 bytes; ``updated``: when the index last changed."""
    newest = max([e.updated for e in items], default=updated)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM_NS}">',
        f"  <id>{xml_text(id)}</id>",
        f'  <title type="text">{xml_text(title)}</title>',
    ]
    if subtitle:
        lines.append(f'  <subtitle type="text">{xml_text(subtitle)}</subtitle>')
    lines += [
        f"  <updated>{timestamp(max(newest, updated))}</updated>",
        f'  <link rel="self" type="application/atom+xml" href="{xml_text(self_url)}"/>',
        f'  <link rel="alternate" type="text/html" href="{xml_text(alternate_url)}"/>',
        "  <author><name>Byline</name></author>",
        "  <generator>Byline</generator>",
    ]
    for e in items:
        lines += [
            "  <entry>",
            f"    <id>{xml_text(e.id)}</id>",
            f'    <title type="text">{xml_text(e.title)}</title>',
            f'    <link rel="alternate" type="text/html" href="{xml_text(e.link)}"/>',
            f"    <updated>{timestamp(e.updated)}</updated>",
            f'    <summary type="html">{xml_text(e.summary_html)}</summary>',
        ]
        if e.source:
            lines.append(f"    <author><name>{xml_text(e.source)}</name></author>")
        lines.append("  </entry>")
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")
