"""Plain, frozen data that flows out of the library: no Whoosh object ever escapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ParagraphKind = Literal["headline", "heading", "body", "caption", "boilerplate"]
KINDS: tuple[str, ...] = ("headline", "heading", "body", "caption", "boilerplate")
SEARCHABLE_KINDS: frozenset[str] = frozenset({"headline", "heading", "body", "caption"})


@dataclass(frozen=True)
class Paragraph:
    """One numbered paragraph of an article: the unit Byline indexes and ranks."""

    article_id: str
    no: int
    kind: str
    text: str
    heading: str | None = None

    @property
    def searchable(self) -> bool:
        return self.kind in SEARCHABLE_KINDS


@dataclass(frozen=True)
class Article:
    """A source document. ``body`` is the raw text; ``paragraphs`` is filled once split."""

    id: str
    title: str
    body: str = ""
    path: str = ""
    date: str | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    dateline: str | None = None
    paragraphs: tuple[Paragraph, ...] = ()
    content_hash: str = ""


@dataclass(frozen=True)
class Hit:
    """One ranked paragraph, copied out of the index before its searcher closed."""

    article_id: str
    title: str
    paragraph_no: int
    paragraph_count: int
    kind: str
    heading: str | None
    score: float
    text: str
    snippet_html: str
    other_matches: int = 0
    date: str | None = None
    source: str | None = None
    section: str | None = None
    similar: int = 0
    dup: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "paragraph_no": self.paragraph_no,
            "paragraph_count": self.paragraph_count,
            "kind": self.kind,
            "heading": self.heading,
            "score": round(self.score, 6),
            "text": self.text,
            "snippet_html": self.snippet_html,
            "other_matches": self.other_matches,
            "date": self.date,
            "source": self.source,
            "section": self.section,
            "similar": self.similar,
            "dup": self.dup,
        }


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet and how many matching articles have it."""

    value: str
    count: int


@dataclass(frozen=True)
class Bucket:
    """One bar of the coverage chart: matching articles from ``start`` to ``end``."""

    label: str
    start: str
    end: str
    unit: str
    count: int


@dataclass(frozen=True)
class SearchPage:
    """One page of results plus what the user needs to read it honestly."""

    query: str
    total: int
    articles: int
    page: int
    pages: int
    per_page: int
    hits: tuple[Hit, ...]
    corrected_query: str | None = None
    notice: str | None = None
    grouped: bool = False
    took_ms: float = 0.0
    sort: str = "relevance"
    filters: tuple[tuple[str, str], ...] = ()
    facets: tuple[tuple[str, tuple[FacetValue, ...]], ...] = ()
    coverage: tuple[Bucket, ...] = ()

    def facet(self, name: str) -> tuple[FacetValue, ...]:
        return dict(self.facets).get(name, ())

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "total": self.total,
            "articles": self.articles,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
            "grouped": self.grouped,
            "corrected_query": self.corrected_query,
            "notice": self.notice,
            "took_ms": round(self.took_ms, 2),
            "sort": self.sort,
            "filters": dict(self.filters),
            "facets": {name: [{"value": v.value, "count": v.count} for v in values]
                       for name, values in self.facets},
            "coverage": [{"label": b.label, "start": b.start, "end": b.end, "unit": b.unit,
                          "count": b.count} for b in self.coverage],
            "hits": [h.to_dict() for h in self.hits],
        }


@dataclass(frozen=True)
class Skip:
    """A file reindex did not index, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class IndexStats:
    """What a reindex did, or (from ``stats()``) what the index holds."""

    articles: int
    paragraphs: int
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: tuple[Skip, ...] = ()
    ignored: int = 0
    seconds: float = 0.0
    generation: str = ""
    last_reindex: str | None = None
    full: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "articles": self.articles,
            "paragraphs": self.paragraphs,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "ignored": self.ignored,
            "seconds": round(self.seconds, 3),
            "generation": self.generation,
            "last_reindex": self.last_reindex,
            "full": self.full,
        }


__all__ = [
    "Article",
    "Bucket",
    "FacetValue",
    "Hit",
    "IndexStats",
    "KINDS",
    "Paragraph",
    "ParagraphKind",
    "SEARCHABLE_KINDS",
    "SearchPage",
    "Skip",
]
